"""Sweep throughput (issue 4): the baseline swept on 1 and 2 local Dask workers.

    .venv/bin/python benchmarks/sweep.py --runs 200

Measures, per number of workers: the start-up, once per sweep (the local cluster's worker
processes starting and loading the numba kernels, as ``flowsim sweep``'s warm-up plugin
does), then runs per second (wall time of ``run_sweep`` once the workers are warm), parallel
efficiency (throughput / (workers x throughput on one worker)), and the overhead per run
beyond the model itself: seconds of worker time per run against the median of the model
alone (``flowsim.results.replication``; in a side process running beside the sweep when a
core is free, so both see the machine in the same state; otherwise in this process just
before the sweep), and the part of it that is Dask's (worker time per run against the runs'
own time measured inside the workers, ``timings.parquet``). Targets: efficiency over 85% at
2 workers, overhead under 5%.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from flowsim.experiments import experiment_from_dict
from flowsim.results import replication
from flowsim.sweep import WarmNumba, make_client, run_sweep

CONFIGS = Path(__file__).resolve().parent.parent / "configs"


def experiment(runs: int):
    """The baseline, one point, ``runs`` replications (the same work as ``runs`` points)."""
    spec = {
        "name": "bench",
        "base": "belgium-baseline.yaml",
        "levers": [{"name": "inflow_scale", "field": "inflow.scale", "values": [1.0]}],
        "design": {"kind": "factorial"},
        "replications": runs,
        "outcomes": {"peak_without": {"series": "without_reception", "stat": "max"}},
    }
    return experiment_from_dict(spec, "<bench>", CONFIGS)


def model_alone(exp, repeats: int) -> float:
    """Median seconds of one baseline run in this process (kernels warmed first)."""
    scenario = exp.bases[""]
    with replication(scenario, 0) as model:
        model.run_to_end()
    times = []
    for seed in range(repeats):
        started = time.perf_counter()
        with replication(scenario, seed + 1) as model:  # as the workers run one
            model.run_to_end()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def alone_forever(exp) -> None:
    """Run the baseline again and again in this process, printing each run's seconds (the
    side process of :func:`alone_beside`); stops when killed."""
    scenario = exp.bases[""]
    with replication(scenario, 0) as model:
        model.run_to_end()
    seed = 1
    while True:
        started = time.perf_counter()
        with replication(scenario, seed) as model:
            model.run_to_end()
        print(f"{time.perf_counter() - started:.6f}", flush=True)
        seed += 1


@contextmanager
def alone_beside(runs: int) -> Iterator[list[float]]:
    """The model alone timed in a side process while the block runs (a sweep on fewer workers
    than cores), so both see the same machine: this VM's speed drifts by 20-40% from one
    minute to the next, more than the overhead measured. Yields the list of run times
    (seconds), filled when the block ends."""
    side = subprocess.Popen(
        [sys.executable, __file__, "--runs", str(runs), "--alone-forever"],
        stdout=subprocess.PIPE,
        text=True,
    )
    times: list[float] = []
    try:
        yield times
    finally:
        side.terminate()
        out, _ = side.communicate()
        times.extend(float(line) for line in out.split())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=5, help="runs of the model alone")
    parser.add_argument("--alone-forever", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    exp = experiment(args.runs)
    if args.alone_forever:
        alone_forever(exp)
        return
    # This machine's speed drifts by 20-40% from minute to minute (a shared VM). With a core
    # to spare, the model alone runs beside the sweep (same machine state); otherwise it is
    # timed just before. The runs' own time inside the workers (timings.parquet) separates
    # Dask's share of the overhead from the worker process's.
    print(
        " workers  alone s  (timed)  start-up s  runs   wall s  runs/s  efficiency"
        "  worker s/run  in-run s  overhead  of which Dask"
    )
    first = None
    for n in args.workers:
        beside = n < (os.cpu_count() or 1)
        alone_times = [model_alone(exp, args.repeats)] if not beside else []
        with alone_beside(args.runs) if beside else contextlib.nullcontext([]) as side_times:
            started = time.perf_counter()
            client = make_client(exp, workers=n)
            client.register_plugin(WarmNumba(exp.bases[""]))  # what run_sweep does first
            startup = time.perf_counter() - started
            try:
                with tempfile.TemporaryDirectory() as folder:
                    summary = run_sweep(exp, Path(folder) / "out", client, progress=False)
                    in_run = pd.read_parquet(Path(folder) / "out" / "timings.parquet")
            finally:
                cluster = client.cluster
                client.close()
                cluster.close()
        alone = statistics.median(side_times or alone_times)
        rate = summary.runs / summary.wall_time_s
        first = first or rate
        per_run = summary.wall_time_s * n / summary.runs
        run_s = float(in_run["wall_time_s"].mean())
        timed = "beside" if beside else "before"
        print(
            f" {n:7d} {alone:8.3f} {timed:>8} {startup:11.1f} {summary.runs:5d} "
            f"{summary.wall_time_s:8.1f} {rate:7.3f} {rate / (n * first):10.0%} "
            f"{per_run:13.3f} {run_s:9.3f} {per_run / alone - 1:9.1%} {per_run / run_s - 1:13.1%}"
        )


if __name__ == "__main__":
    main()
