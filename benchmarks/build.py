"""Building a model against running it, on a short run (issue 19): the reduced chain.

The reduced chain is one year, one nationality group, single adults, one centre type and
30,000 applicants pending at the CGRS on the start date: the kind of short run large sweeps
and calibrations are made of, where a run pays its set-up as much as its days. Target:
building the model (``ProtectionSystem(scenario, seed)``: population, queues, institutions,
municipal table) costs under a fifth of the one-year run (``run_to_end()``).

Every replication runs in this one process after a warm-up (kernels compiled, municipal
table read), as in a sweep's worker; the seed changes each time. Times are CPU seconds
(``time.process_time``), medians over the replications.
Usage: ``.venv/bin/python benchmarks/build.py [--replications 40] [--profile]``.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import pstats
import statistics
import time

from flowsim.model import ProtectionSystem
from flowsim.scenario.loading import scenario_from_dict

START = dt.date(2024, 1, 1)


def months() -> list[str]:
    """The twelve months of the run, as ``YYYY-MM``."""
    return [f"{START.year}-{m:02d}" for m in range(1, 13)]


def reduced_chain() -> dict:
    """The reduced chain as a raw scenario (every figure an assumption of the benchmark)."""
    return {
        "name": "reduced-chain",
        "description": "benchmark: one group, single adults, one centre type, 30,000 pending",
        "start_date": START,
        "end_date": dt.date(START.year, 12, 31),
        "profiles": {
            "nationality_groups": {
                "all": {
                    "inflow_share": 1.0,
                    "cgrs_outcomes": {
                        "refugee_status": 0.4,
                        "subsidiary_protection": 0.05,
                        "refusal": 0.45,
                        "inadmissible": 0.10,
                    },
                    "case_effort": 1.0,
                },
            },
            "household_types": {
                "single_man": {"inflow_share": 0.8},
                "single_woman": {"inflow_share": 0.2},
                "family": {"inflow_share": 0.0, "mean_size_persons": 3.5},
                "unaccompanied_minor": {"inflow_share": 0.0},
            },
            "vulnerable_share": 0.0,
        },
        "inflow": {"monthly_persons": {m: 2500.0 for m in months()}, "scale": 1.0},
        "immigration_office": {
            "registration_capacity_persons_per_day": 150,
            "dublin_share": 0.0,
            "dublin_acceptance_share": 0.6,
            "dublin_transfers_persons_per_month": 0,
        },
        "reception": {
            "centres": {
                "centres": {"type": "collective", "places": 25_000, "cost_eur_per_night": 45},
            },
            "dispatch": {
                "priority": ["unaccompanied_minor", "family", "single_woman", "single_man"],
                "vulnerable_first": False,
            },
            "leave_to_private_housing_per_month": 0.02,
            "abscond_per_month": 0.01,
        },
        "cgrs": {
            "case_officers_fte": 400,
            "hiring_lag_days": 60,
            "decisions_per_officer_per_month": 6,
            "prioritisation": {"rule": "fifo"},
        },
        "call": {
            "appeal_share_refusal": 0.5,
            "appeal_share_inadmissible": 0.3,
            "decisions_per_month": 900,
            "outcomes": {"confirm": 0.8, "annul": 0.1, "reform": 0.1},
        },
        "municipalities": {"housing_persons_per_month": 900},
        "status_holders": {"transition_period_days": 60, "max_stay_days": 180},
        "returns": {"subsequent_application_share": 0.0},
        "initial_state": {
            "pending_cgrs_persons": 30_000,
            "pending_cgrs_max_waited_days": 600,
            "in_reception_persons": {"centres": 20_000},
        },
        "changes": [],
    }


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
    scenario = scenario_from_dict(reduced_chain(), "benchmarks/build.py")
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
