"""Overhead per run of a sweep, measured side by side with a plain process (issue 4).

    .venv/bin/python benchmarks/sweep_overhead.py --runs 400

A sweep on one local worker and one plain Python process (``flowsim.results.replication``
in a loop) make the same baseline runs **at the same time**, in blocks, each side pinned to
one of two CPUs and the sides swapping CPUs every block. All the sweep's processes (this
driver with the Dask scheduler and the worker's nanny, and the worker) share one CPU, so
everything the sweep does beyond the model competes with its own worker, not with the plain
process.

Why side by side: on a shared VM the speed of a CPU drifts by 20-60% from one minute to the
next, so blocks run one after the other (``benchmarks/sweep.py``) differ by more than the
overhead measured. Running both sides at once gives both the same moment; swapping CPUs
cancels the difference between the two CPUs.

Printed: per block, the sweep's wall time (``run_sweep``: plan, tasks, outcomes, shards,
compaction, manifests) against the plain process's for the same seeds; the **overhead per
run beyond the model itself** (sum of sweep walls / sum of plain walls - 1) over all
blocks, over the blocks with the sweep on each CPU, and the median block; and how much of it
is time between the runs in the worker (Dask, the sweep's bookkeeping) against the runs
themselves being slower in the worker (``timings.parquet`` against the plain runs).
Then the same in CPU time, per thread (``/proc``), which time-sharing does not blur: the
thread running the model against the plain process, and the sweep's own work (the worker's
other threads, the driver with the scheduler and the nanny) against the model's.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd

from flowsim.sweep import MAX_RUNS_PER_TASK, WarmNumba, make_client, plan_runs, run_sweep
from sweep import experiment, pin, plain_process  # benchmarks/sweep.py


def thread_cpu(pid: int) -> dict[int, float]:
    """CPU seconds (user + system) of each thread of process ``pid`` (from ``/proc``)."""
    tick = os.sysconf("SC_CLK_TCK")
    seconds = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(FileNotFoundError):  # a thread that has just ended
            fields = Path(f"/proc/{pid}/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
            seconds[int(tid)] = (int(fields[11]) + int(fields[12])) / tick
    return seconds


def measure(
    runs: int, blocks: int, cpus: tuple[int, int], runs_per_task: int, plain_only: bool = False
) -> pd.DataFrame:
    """One row per block: the CPU the sweep had; wall seconds of the sweep and of the plain
    process; the mean wall time of a run inside the worker; CPU seconds of the thread
    running the model (the worker's busiest), of the worker's other threads, of this
    driver (scheduler and nanny included) and of the plain process. ``plain_only``: a
    second plain process instead of the sweep (an A/A test: what this measurement shows
    when both sides are the same)."""
    size = runs // blocks
    exps = [experiment(size, seed=b + 1) for b in range(blocks)]
    seeds = [[int(s) for s in plan_runs(e).runs["seed"]] for e in exps]
    sweep_cpu = [cpus[b % 2] for b in range(blocks)]
    plain_cpu = [cpus[1 - b % 2] for b in range(blocks)]
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(3 if plain_only else 2)
    results = [context.Queue(), context.Queue()]
    sides = [plain_cpu, sweep_cpu] if plain_only else [plain_cpu]
    plain = [
        context.Process(target=plain_process, args=(seeds, start, q, c))
        for c, q in zip(sides, results, strict=False)
    ]
    client = None
    if not plain_only:
        client = make_client(exps[0], workers=1)
        client.register_plugin(WarmNumba(exps[0].bases[""]))  # what run_sweep does first
    for process in plain:
        process.start()
    rows = []
    try:
        with tempfile.TemporaryDirectory() as folder:
            for b in range(blocks):
                if client is None:
                    start.wait()
                    wall, model_cpu = results[1].get()
                    row = {"sweep": wall, "in_run": wall / size, "model_cpu": model_cpu}
                    row.update(other_cpu=0.0, driver_cpu=0.0)
                else:
                    worker = next(iter(client.run(os.getpid).values()))
                    # the nanny of a local worker lives in this driver process
                    for pid in (os.getpid(), worker):
                        pin(pid, sweep_cpu[b])
                    threads, driver = thread_cpu(worker), time.process_time()
                    start.wait()
                    out = Path(folder) / f"block-{b}"
                    done = run_sweep(
                        exps[b], out, client, progress=False, runs_per_task=runs_per_task
                    )
                    driver = time.process_time() - driver
                    after = thread_cpu(worker)
                    used = sorted((after[t] - threads.get(t, 0.0) for t in after), reverse=True)
                    row = {
                        "sweep": done.wall_time_s,
                        "in_run": pd.read_parquet(out / "timings.parquet")["wall_time_s"].mean(),
                        "model_cpu": used[0],
                        "other_cpu": sum(used[1:]),
                        "driver_cpu": driver,
                    }
                plain_wall, plain_cpu_s = results[0].get()
                rows.append(
                    {"cpu": sweep_cpu[b], **row, "plain": plain_wall, "plain_cpu": plain_cpu_s}
                )
    finally:
        if client is not None:
            cluster = client.cluster
            client.close()
            cluster.close()
        for process in plain:
            process.join()
    return pd.DataFrame(rows).assign(runs=size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=400, help="runs per side")
    parser.add_argument("--blocks", type=int, default=8, help="blocks (CPUs swap each block)")
    parser.add_argument(
        "--runs-per-task",
        type=int,
        default=MAX_RUNS_PER_TASK,
        help="the most runs a Dask task makes (1: a task per run)",
    )
    parser.add_argument(
        "--plain-only",
        action="store_true",
        help="a second plain process instead of the sweep: an A/A test of the measurement",
    )
    args = parser.parse_args()
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        raise SystemExit("needs two CPUs")
    table = measure(args.runs, args.blocks, (cpus[0], cpus[1]), args.runs_per_task, args.plain_only)
    table["overhead"] = table["sweep"] / table["plain"] - 1
    print(table.round(4).to_string(index=False))

    def overhead(rows: pd.DataFrame) -> float:
        return rows["sweep"].sum() / rows["plain"].sum() - 1

    runs = table["runs"].sum()
    plain_run = table["plain"].sum() / runs
    in_run = (table["in_run"] * table["runs"]).sum() / runs
    sweep_run = table["sweep"].sum() / runs
    by_cpu = ", ".join(
        f"sweep on CPU {cpu}: {overhead(rows):+.1%}" for cpu, rows in table.groupby("cpu")
    )
    cpu_columns = ("model_cpu", "other_cpu", "driver_cpu", "plain_cpu")
    ms = {name: table[name].sum() / runs * 1000 for name in cpu_columns}  # a run, ms
    own = ms["other_cpu"] + ms["driver_cpu"]
    print(
        ("plain against plain (A/A); " if args.plain_only else "")
        + f"runs per task at most {args.runs_per_task}; {runs} runs a side\n"
        f"wall time: overhead per run beyond the model {overhead(table):+.1%} ({by_cpu}; "
        f"median block {statistics.median(table['overhead']):+.1%})\n"
        f"  per run: plain {plain_run:.3f} s, in the worker {in_run:.3f} s "
        f"({in_run / plain_run - 1:+.1%}), sweep {sweep_run:.3f} s "
        f"(between runs {sweep_run / in_run - 1:+.1%})\n"
        f"CPU per run: plain {ms['plain_cpu']:.1f} ms; the model's thread {ms['model_cpu']:.1f} ms"
        f" ({ms['model_cpu'] / ms['plain_cpu'] - 1:+.1%}); the sweep's own work "
        f"{own:.1f} ms ({own / ms['model_cpu']:.1%} of the model's): worker's other threads "
        f"{ms['other_cpu']:.1f} ms, driver with scheduler and nanny {ms['driver_cpu']:.1f} ms"
    )


if __name__ == "__main__":
    main()
