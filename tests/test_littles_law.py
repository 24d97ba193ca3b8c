"""Little's law on the CGRS queue in a steady state: backlog = arrival rate x mean wait."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from conftest import months_between
from flowsim.engine.rates import DAYS_PER_MONTH
from flowsim.engine.states import HOUSEHOLD_TYPES
from flowsim.model import simulate

YEARS = 5
WARM_UP_DAYS = 120
PERSONS_PER_MONTH = 400.0
UTILISATION = 0.8  # CGRS capacity is 1.25 x the work arriving


def steady_state(small_scenario, utilisation: float = UTILISATION):
    raw_months = months_between(dt.date(2024, 1, 1), dt.date(2024 + YEARS - 1, 12, 31))
    base = small_scenario(years=YEARS)
    # work arriving per month, in average-case units: cases per person x mean effort
    htypes = base.profiles.household_types
    cases_per_person = sum(
        getattr(htypes, h).inflow_share / getattr(htypes, h).mean_size_persons
        for h in HOUSEHOLD_TYPES
    )
    effort = sum(g.inflow_share * g.case_effort for g in base.profiles.nationality_groups.values())
    work_per_month = PERSONS_PER_MONTH * cases_per_person * effort
    rate = 5.0
    officers = work_per_month / utilisation / rate
    return small_scenario(
        years=YEARS,
        **{
            "inflow.monthly_persons": {m: PERSONS_PER_MONTH for m in raw_months},
            "immigration_office.registration_capacity_persons_per_day": 500,
            "immigration_office.dublin_share": 0.0,
            "reception.leave_to_private_housing_per_month": 0.0,
            "reception.abscond_per_month": 0.0,
            "cgrs.case_officers_fte": officers,
            "cgrs.decisions_per_officer_per_month": rate,
            "call.appeal_share_refusal": 0.0,
            "call.appeal_share_inadmissible": 0.0,
            "initial_state.pending_cgrs_persons": 0,
            "initial_state.pending_call_persons": 0,
            "initial_state.in_reception_persons": {},
        },
    )


@pytest.mark.parametrize("seed", [0, 1])
def test_littles_law_holds_for_the_cgrs_backlog(small_scenario, seed):
    scenario = steady_state(small_scenario)
    frame = simulate(scenario, seed).iloc[WARM_UP_DAYS:]
    # with no Dublin procedure and no appeals, every registered person is lodged once
    assert frame["registered"].sum() == pytest.approx(frame["applications"].sum(), rel=0.01)
    backlog = frame["cgrs_backlog"].mean()  # persons
    arrival_rate = frame["registered"].mean()  # persons lodged per day
    wait = frame["cgrs_days_waited"].sum() / frame["cgrs_decisions"].sum()  # days per person
    assert arrival_rate == pytest.approx(PERSONS_PER_MONTH / DAYS_PER_MONTH, rel=0.05)
    assert (frame["cgrs_backlog"] > 0).mean() > 0.1  # a real queue, if a short one
    assert backlog == pytest.approx(arrival_rate * wait, rel=0.05)
    # steady state: decisions keep up with lodging and the backlog does not drift
    assert frame["cgrs_decisions"].sum() == pytest.approx(frame["registered"].sum(), rel=0.01)
    halves = np.array_split(frame["cgrs_backlog"].to_numpy(), 2)
    assert abs(halves[0].mean() - halves[1].mean()) < 0.5 * backlog + 1


@pytest.mark.parametrize("utilisation", [0.6, 0.95, 0.98])
def test_littles_law_holds_at_other_loads(small_scenario, utilisation):
    frame = simulate(steady_state(small_scenario, utilisation), 1).iloc[WARM_UP_DAYS:]
    wait = frame["cgrs_days_waited"].sum() / frame["cgrs_decisions"].sum()
    assert frame["cgrs_backlog"].mean() == pytest.approx(
        frame["registered"].mean() * wait, rel=0.05
    )


def test_a_busier_cgrs_has_a_longer_queue(small_scenario):
    means = [
        simulate(steady_state(small_scenario, u), 1).iloc[WARM_UP_DAYS:]["cgrs_backlog"].mean()
        for u in (0.6, 0.8, 0.98)
    ]
    assert means[0] < means[1] < means[2]
    assert means[2] > 10  # persons: days of waiting at a nearly saturated CGRS
