"""Sweep throughput (issue 4): the baseline swept on 1 and 2 local Dask workers.

    .venv/bin/python benchmarks/sweep.py --runs 200

Measures, per number of workers: the start-up, once per sweep (the local cluster's worker
processes starting and loading the numba kernels, as ``flowsim sweep``'s warm-up plugin
does), then runs per second (wall time of ``run_sweep`` once the workers are warm), parallel
efficiency (throughput / (workers x throughput on one worker)), and the overhead per run
beyond the model itself: seconds of worker time per run against the median of the model
alone in this process (``ProtectionSystem(...).run_to_end()``). Targets: efficiency over 85%
at 2 workers, overhead under 5%.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from flowsim.experiments import experiment_from_dict
from flowsim.model import ProtectionSystem
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
    ProtectionSystem(scenario, 0).run_to_end()
    times = []
    for seed in range(repeats):
        started = time.perf_counter()
        ProtectionSystem(scenario, seed + 1).run_to_end()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=5, help="runs of the model alone")
    args = parser.parse_args()
    exp = experiment(args.runs)
    alone = model_alone(exp, args.repeats)
    print(f"model alone: {alone:.3f} s per run (median of {args.repeats})")
    print(" workers  start-up s  runs   wall s  runs/s  efficiency  worker s/run  overhead")
    first = None
    for n in args.workers:
        started = time.perf_counter()
        client = make_client(exp, workers=n)
        client.register_plugin(WarmNumba(exp.bases[""]))  # what run_sweep does first
        startup = time.perf_counter() - started
        try:
            with tempfile.TemporaryDirectory() as folder:
                summary = run_sweep(exp, Path(folder) / "out", client, progress=False)
        finally:
            cluster = client.cluster
            client.close()
            cluster.close()
        rate = summary.runs / summary.wall_time_s
        first = first or rate
        per_run = summary.wall_time_s * n / summary.runs
        print(
            f" {n:7d} {startup:11.1f} {summary.runs:5d} {summary.wall_time_s:8.1f} {rate:7.3f} "
            f"{rate / (n * first):10.0%} {per_run:13.3f} {per_run / alone - 1:9.1%}"
        )


if __name__ == "__main__":
    main()
