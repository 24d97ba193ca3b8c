"""What a run or a sweep asks of this machine: persons, memory, runs; checked before it starts.

A run draws everyone it will ever hold when it starts (arrivals, registrations under
temporary protection, resettled refugees, the start state), so its peak memory follows
from the scenario; ``flowsim run`` keeps every replication's series until it writes them,
so the results grow with replications x days. The figures per person and per day are
measured (``benchmarks/README.md``: 217-233 MiB per million persons at peak; 2,156 bytes of
results per replication-day on the baseline), with a margin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flowsim.scenario.scenario import Scenario

BYTES_PER_PERSON = 300  # peak, model arrays included (measured 230-245; margin)
BYTES_PER_REPLICATION_DAY = 2_600  # series, by group and by region (measured 2,156)
BASE_BYTES = 400 * 2**20  # the interpreter, numba, pandas and Mesa loaded
BYTES_PER_PLANNED_RUN = 2_000  # a sweep's plan and results table, per run (assumption)


def persons(scenario: Scenario) -> float:
    """Persons a run of ``scenario`` holds at most (every member's start state counted at
    its largest): arrivals of the run's months (first and subsequent applications, times
    ``inflow.scale``), registrations under temporary protection, resettlement pledges of
    the run's years and the start state."""
    months = set(scenario.months())
    inflow = scenario.inflow
    arrivals = sum(v for m, v in inflow.monthly_persons.items() if m in months)
    arrivals += sum(v for m, v in inflow.subsequent_monthly_persons.items() if m in months)
    tp = sum(v for m, v in scenario.temporary_protection.monthly_persons.items() if m in months)
    years = {int(m[:4]) for m in months}
    pledges = sum(v for y, v in scenario.resettlement.pledges_persons.items() if int(y) in years)
    # the groups of the start state, each person in one (residents and the waiting list
    # are persons of these groups, not more)
    groups = [
        f"initial_state.{name}"
        for name in type(scenario.initial_state).model_fields
        if name.endswith("_persons")
        and name not in ("in_reception_persons", "without_reception_persons")
    ]
    own = scenario.initial_state.model_dump()
    members = scenario.ensemble.members if scenario.ensemble is not None else [{}]
    start = max(
        sum(m.get(key, own[key.removeprefix("initial_state.")]) for key in groups) for m in members
    )
    return arrivals * inflow.scale + tp + pledges + start


def run_bytes(scenario: Scenario, replications: int) -> float:
    """Peak bytes of ``flowsim run`` with ``replications`` replications (one at a time)."""
    results = replications * scenario.days * BYTES_PER_REPLICATION_DAY
    return BASE_BYTES + persons(scenario) * BYTES_PER_PERSON + results


def available_bytes() -> float:
    """Memory this machine can give now (bytes)."""
    import psutil

    return float(psutil.virtual_memory().available)


def run_problems(source: str, scenario: Scenario, replications: int) -> list[str]:
    """One line when a run of ``scenario`` would need more memory than is available."""
    need, have = run_bytes(scenario, replications), available_bytes()
    if need <= have:
        return []
    return [
        f"{source}: expected a run this machine can hold: about {persons(scenario):,.0f} "
        f"persons and {replications:,} replications of {scenario.days:,} days need about "
        f"{need / 2**30:,.1f} GiB, {have / 2**30:,.1f} GiB available (flowsim.results.footprint)"
    ]


def sweep_problems(source: str, runs: int, scenario: Scenario, workers: int) -> list[str]:
    """One line when a sweep of ``runs`` runs (each like ``scenario``, ``workers`` at a
    time on this machine) would need more memory than is available: the runs in flight
    and the plan and results tables of every run."""
    in_flight = workers * (BASE_BYTES + persons(scenario) * BYTES_PER_PERSON)
    need, have = in_flight + runs * BYTES_PER_PLANNED_RUN, available_bytes()
    if need <= have:
        return []
    return [
        f"{source}: expected a sweep this machine can hold: {runs:,} runs on {workers} "
        f"workers need about {need / 2**30:,.1f} GiB, {have / 2**30:,.1f} GiB available "
        f"(flowsim.results.footprint)"
    ]
