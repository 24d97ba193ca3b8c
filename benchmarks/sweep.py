"""Sweep throughput (issue 4): the baseline swept on 1 and 2 local Dask workers.

    .venv/bin/python benchmarks/sweep.py --runs 200
    .venv/bin/python benchmarks/sweep.py --runs 200 --runs-per-task 1 10   # two sweep sides

For each number of workers n, ``--runs`` baseline runs are made by each side, in interleaved
blocks (each block its own seeds, the same in every side; block b starts with side b, so no
side always follows the same one):

- **sweep**: ``flowsim sweep``'s machinery (``make_client``'s LocalCluster of n
  single-threaded worker processes, ``run_sweep``: tasks, outcomes, shards, compaction),
  once per ``--runs-per-task`` value (the most runs a Dask task makes);
- **plain**: the same runs made by n plain Python processes, each calling
  ``flowsim.results.runs.replication`` in a loop, started together (a barrier), the block's wall
  time being the slowest process's.

Both keep the same number of processes busy, and interleaving puts both in the same machine
state: this VM's speed drifts by 20-60% from one minute to the next, more than the overhead
measured. Printed per n: the cluster's start-up (processes, kernels loaded: once per sweep),
runs per second of the sweep blocks, parallel efficiency (throughput / (n x throughput on
one worker)), the **overhead per run beyond the model itself** (sweep wall / plain wall - 1,
over all blocks, and its range over the blocks), the same in CPU seconds (worker processes
and this driver, with the Dask scheduler, against the plain processes), and the part of the
wall-time overhead between the runs inside the workers (Dask: scheduling, moving tasks and
results, the driver's bookkeeping; worker seconds per run against ``timings.parquet``).
Targets: efficiency over 85% at 2 workers, overhead under 5%.
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing
import tempfile
import time
from pathlib import Path

import pandas as pd

from flowsim.experiments.spec import experiment_from_dict
from flowsim.experiments.sweep import plan_runs, run_sweep
from flowsim.results import clusters, shards
from flowsim.results.clusters import make_client
from flowsim.results.runs import replication
from flowsim.results.shards import WarmNumba

CONFIGS = Path(__file__).resolve().parent.parent / "configs"


def experiment(runs: int, seed: int = 0):
    """The baseline, one point, ``runs`` replications from master ``seed``."""
    spec = {
        "name": "bench",
        "base": "belgium-baseline.yaml",
        "levers": [{"name": "inflow_scale", "field": "inflow.scale", "values": [1.0]}],
        "design": {"kind": "factorial"},
        "replications": runs,
        "seed": seed,
        "outcomes": {"peak_without": {"series": "without_reception", "stat": "max"}},
    }
    return experiment_from_dict(spec, "<bench>", CONFIGS)


def keep_busy(scenario, until, seeds) -> None:
    """Make runs of ``scenario`` (seeds from the iterator ``seeds``) until ``until()`` is
    true: a side that has finished keeps its CPU as busy as before while the other side
    finishes, so the other does not finish on a quieter machine."""
    while not until():
        with replication(scenario, next(seeds)) as model:
            model.run_to_end()


def plain_process(seeds_per_block: list[list[int]], start, results, stop=None) -> None:
    """One plain process: warm the kernels, then for each block wait for the others at
    ``start`` and run its seeds in a loop; puts each block's wall and CPU seconds on
    ``results``. With a ``stop`` event, after each block it keeps its CPU busy
    (:func:`keep_busy`) until ``stop`` is set, then waits at ``start`` again."""
    scenario = experiment(1).bases[""]
    with replication(scenario, 0) as model:
        model.run_to_end()
    filler = itertools.count(2**40)  # seeds no block uses
    for seeds in seeds_per_block:
        start.wait()
        started, cpu = time.perf_counter(), time.process_time()
        for seed in seeds:
            with replication(scenario, seed) as model:
                model.run_to_end()
        results.put((time.perf_counter() - started, time.process_time() - cpu))
        if stop is not None:
            keep_busy(scenario, stop.is_set, filler)
            start.wait()


def measure(n: int, runs: int, blocks: int, variants: list[int]) -> list[dict[str, float]]:
    """Interleaved plain and sweep blocks on ``n`` processes, a sweep block per entry of
    ``variants`` (runs per task); seconds and ratios, one dict per variant."""
    size = runs // blocks
    exps = [experiment(size, seed=b + 1) for b in range(blocks)]
    seeds = [[int(s) for s in plan_runs(e).runs["seed"]] for e in exps]
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(n + 1), context.Queue()
    plain = [
        context.Process(target=plain_process, args=([s[j::n] for s in seeds], start, results))
        for j in range(n)
    ]
    started = time.perf_counter()
    client = make_client(exps[0], workers=n)
    client.register_plugin(WarmNumba(exps[0].bases[""]))  # what run_sweep does first
    startup = time.perf_counter() - started
    for process in plain:
        process.start()
    sides = ["plain", *variants]
    plain_s, plain_cpu = [0.0] * blocks, 0.0
    sweep_s = {k: [0.0] * blocks for k in variants}
    sweep_cpu = dict.fromkeys(variants, 0.0)
    in_run: dict[int, list[float]] = {k: [] for k in variants}
    try:
        with tempfile.TemporaryDirectory() as folder:
            for b in range(blocks):
                # each block starts with another side: no side always follows the same one
                for side in sides[b % len(sides) :] + sides[: b % len(sides)]:
                    if side == "plain":
                        start.wait()
                        walls, cpus = zip(*(results.get() for _ in range(n)), strict=True)
                        plain_s[b], plain_cpu = max(walls), plain_cpu + sum(cpus)
                        continue
                    out = Path(folder) / f"block-{b}-{side}"
                    cpu = time.process_time() + sum(client.run(time.process_time).values())
                    done = run_sweep(exps[b], out, client, progress=False, runs_per_task=side)
                    sweep_s[side][b] = done.wall_time_s
                    cpu = time.process_time() + sum(client.run(time.process_time).values()) - cpu
                    sweep_cpu[side] += cpu
                    in_run[side].extend(pd.read_parquet(out / "timings.parquet")["wall_time_s"])
    finally:
        cluster = client.cluster
        client.close()
        cluster.close()
        for process in plain:
            process.join()
    measured = []
    for k in variants:
        ratios = [s / p - 1 for s, p in zip(sweep_s[k], plain_s, strict=True)]
        measured.append(
            {
                "runs_per_task": k,
                "startup": startup,
                "runs": size * blocks,
                "sweep": sum(sweep_s[k]),
                "plain": sum(plain_s),
                "in_run": sum(in_run[k]) / len(in_run[k]),
                "cpu": sweep_cpu[k] / plain_cpu - 1,
                "low": min(ratios),
                "high": max(ratios),
            }
        )
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="runs per side (sweep, plain)")
    parser.add_argument("--blocks", type=int, default=4, help="blocks per side, interleaved")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument(
        "--runs-per-task",
        type=int,
        nargs="+",
        default=[shards.MAX_RUNS_PER_TASK],
        help="the most runs a Dask task makes; several values: a sweep block each, interleaved",
    )
    parser.add_argument(
        "--dask-defaults",
        action="store_true",
        help="start the cluster with Dask's defaults, not flowsim.results.clusters.DASK_SETTINGS",
    )
    args = parser.parse_args()
    if args.dask_defaults:
        clusters.DASK_SETTINGS.clear()  # read by make_client when it starts the cluster
    print(
        " workers  runs/task  start-up s  runs  sweep s  runs/s  efficiency  plain s  overhead"
        "  (blocks)         CPU overhead  worker s/run  in-run s  of which Dask"
    )
    first: dict[int, float] = {}
    for n in args.workers:
        for m in measure(n, args.runs, args.blocks, args.runs_per_task):
            k = m["runs_per_task"]
            rate = m["runs"] / m["sweep"]
            first.setdefault(k, rate)
            per_run = m["sweep"] * n / m["runs"]
            pairs = f"{m['low']:+.1%}..{m['high']:+.1%}"
            print(
                f" {n:7d} {k:10d} {m['startup']:11.1f} {m['runs']:5d} {m['sweep']:8.1f}"
                f" {rate:7.3f} {rate / (n * first[k]):11.0%} {m['plain']:8.1f}"
                f" {m['sweep'] / m['plain'] - 1:9.1%}  {pairs:<16} {m['cpu']:12.1%}"
                f" {per_run:13.3f} {m['in_run']:9.3f} {per_run / m['in_run'] - 1:13.1%}"
            )


if __name__ == "__main__":
    main()
