"""Building a model against running it, on a short run (issue 19): the reduced chain.

The reduced chain (``benchmarks/reduced-chain.yaml``) is one year, one nationality group,
single adults, one centre type and 30,000 applicants pending at the CGRS on the start date:
the kind of short run large sweeps and calibrations are made of, where a run pays its
set-up as much as its days. Target: building the model (``ProtectionSystem(scenario,
seed)``: population, queues, institutions, municipal table) costs under a fifth of the
one-year run (``run_to_end()``).

Every replication runs in this one process after a warm-up (kernels compiled, municipal
table read), as in a sweep's worker; the seed changes each time. Times are CPU seconds
(``time.process_time``), medians over the replications.
Usage: ``.venv/bin/python benchmarks/build.py [--replications 40] [--profile]``.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import time
from pathlib import Path

from flowsim.model import ProtectionSystem
from flowsim.scenario import load_config

SCENARIO = Path(__file__).with_name("reduced-chain.yaml")


def measure(scenario, replications: int) -> tuple[list[float], list[float], int]:
    """CPU seconds to build and to run each replication; persons in the last one."""
    builds, runs, persons = [], [], 0
    for seed in range(replications):
        started = time.process_time()
        model = ProtectionSystem(scenario, seed)
        built = time.process_time()
        model.run_to_end()
        ended = time.process_time()
        builds.append(built - started)
        runs.append(ended - built)
        persons = int(model.cases.size.sum())
    return builds, runs, persons


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replications", type=int, default=40)
    parser.add_argument("--profile", action="store_true", help="cProfile of the builds")
    args = parser.parse_args()
    scenario = load_config(SCENARIO)
    measure(scenario, 2)  # compile or load the kernels, read the municipal table
    builds, runs, persons = measure(scenario, args.replications)
    build, run = statistics.median(builds), statistics.median(runs)
    print(
        f"reduced chain, {persons:,} persons, {args.replications} replications: "
        f"build {build * 1000:.1f} ms, run {run * 1000:.1f} ms (medians, CPU), "
        f"build / run = {build / run:.2f} (target < 0.20)"
    )
    if args.profile:
        profiler = cProfile.Profile()
        for seed in range(args.replications):
            profiler.enable()
            ProtectionSystem(scenario, 1000 + seed)
            profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
