"""The generated population: initial stocks, arrivals against the schedule, households."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import months_between
from flowsim.engine import states
from flowsim.engine.calendar import Calendar
from flowsim.engine.population import DAY, MAX_DAY, as_days
from flowsim.engine.queues import Queue
from flowsim.engine.states import HOUSEHOLD_TYPES
from flowsim.model import ProtectionSystem
from flowsim.scenario.errors import ConfigError
from flowsim.scenario.loading import scenario_from_dict

FAMILY = HOUSEHOLD_TYPES.index("family")

# Varying monthly inflow (persons), to check arrivals follow the schedule month by month.
SCHEDULE = [120, 480, 300, 60, 600, 250, 250, 0, 90, 400, 333, 210]


def varying_inflow(small_scenario, **overrides):
    months = months_between(pd.Timestamp("2024-01-01").date(), pd.Timestamp("2024-12-31").date())
    return small_scenario(
        **{"inflow.monthly_persons": dict(zip(months, SCHEDULE, strict=True))}, **overrides
    )


def arrival_moments(scenario, persons: float) -> tuple[float, float]:
    """Mean and variance (persons) of arrivals for a month of ``persons`` scheduled persons.

    Cases per household type are Poisson; singles are 1 person, families 2 + Poisson(m - 2).
    """
    htypes = scenario.profiles.household_types
    mean = var = 0.0
    for name in HOUSEHOLD_TYPES:
        h = getattr(htypes, name)
        cases = persons * h.inflow_share / h.mean_size_persons
        if name == "family":
            extra = max(h.mean_size_persons - 2.0, 0.0)
            size_mean, size_sq = 2.0 + extra, extra + (2.0 + extra) ** 2
        else:
            size_mean, size_sq = 1.0, 1.0
        mean += cases * size_mean
        var += cases * size_sq
    return mean, var


def arrivals_by_month(model: ProtectionSystem, scenario) -> np.ndarray:
    """Persons arriving during the run, by calendar month of the arrival day."""
    c = model.cases
    during = c.arrival_day >= 0
    dates = pd.Timestamp(scenario.start_date) + pd.to_timedelta(c.arrival_day[during], unit="D")
    months = [f"{d.year:04d}-{d.month:02d}" for d in dates]
    frame = pd.DataFrame({"month": months, "persons": c.size[during].astype(np.int64)})
    per_month = frame.groupby("month")["persons"].sum()
    return np.array([per_month.get(m, 0) for m in scenario.months()], np.int64)


# --- initial stocks -----------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(
    "initial",
    [
        {
            "pending_cgrs_persons": 200,
            "pending_call_persons": 50,
            "in_reception_persons": {"north": 100, "south": 30},
        },
        {
            "pending_cgrs_persons": 37,
            "pending_call_persons": 0,
            "in_reception_persons": {"north": 20, "south": 10, "tents": 7},
        },
        {
            "pending_cgrs_persons": 0,
            "pending_call_persons": 41,
            "in_reception_persons": {"tents": 40},
        },
        {"pending_cgrs_persons": 0, "pending_call_persons": 0, "in_reception_persons": {}},
    ],
    ids=["cgrs+call", "cgrs-only", "call-only", "empty"],
)
def test_initial_stocks_match_the_config_exactly(small_scenario, initial, seed):
    scenario = small_scenario(
        **{f"initial_state.{k}": v for k, v in initial.items()},
        **{"initial_state.pending_cgrs_max_waited_days": 300},
    )
    model = ProtectionSystem(scenario, seed)
    people = model.applicants
    assert len(people.select(state=states.PENDING_CGRS)) == initial["pending_cgrs_persons"]
    assert len(people.select(state=states.PENDING_CALL)) == initial["pending_call_persons"]
    assert len(people) == initial["pending_cgrs_persons"] + initial["pending_call_persons"]
    centre_of = people.get("centre")
    names = list(scenario.reception.centres)
    for k, name in enumerate(names):
        assert int(np.sum(centre_of == k)) == initial["in_reception_persons"].get(name, 0), name
    # the others live in private housing (documented); nobody waits for a place on day 0
    housing = people.get("housing")
    assert set(np.unique(housing)) <= {states.IN_CENTRE, states.PRIVATE}
    placed = sum(initial["in_reception_persons"].values())
    assert int(np.sum(housing == states.PRIVATE)) == len(people) - placed
    # the tally kept by the kernels agrees with the arrays
    np.testing.assert_array_equal(
        np.bincount(centre_of[centre_of >= 0], minlength=len(names)), model.tally.occupancy
    )
    assert model.tally.state_persons[states.PENDING_CGRS] == initial["pending_cgrs_persons"]


def test_initial_cases_have_waited_up_to_the_configured_maximum(small_scenario):
    scenario = small_scenario(
        **{
            "initial_state.pending_cgrs_persons": 400,
            "initial_state.pending_cgrs_max_waited_days": 300,
            "initial_state.pending_call_persons": 300,
            "initial_state.pending_call_max_waited_days": 40,
        }
    )
    model = ProtectionSystem(scenario, 3)
    c = model.cases
    cgrs = c.state == states.PENDING_CGRS
    call = c.state == states.PENDING_CALL
    waited_cgrs = -c.lodged_day[cgrs] - 1  # days waited before the start date
    assert waited_cgrs.min() >= 0 and waited_cgrs.max() <= 300
    assert waited_cgrs.max() >= 250  # spread up to the maximum, not bunched
    assert 100 < waited_cgrs.mean() < 200  # spread evenly: mean near 150
    waited_call = -c.arrival_day[call] - 1
    assert waited_call.min() >= 0 and waited_call.max() <= 40


# --- arrivals -----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1])
def test_arrivals_follow_the_monthly_schedule(small_scenario, seed):
    scenario = varying_inflow(small_scenario)
    model = ProtectionSystem(scenario, seed)
    got = arrivals_by_month(model, scenario)
    total_mean = total_var = 0.0
    for month, persons, n in zip(scenario.months(), SCHEDULE, got, strict=True):
        mean, var = arrival_moments(scenario, persons)
        total_mean += mean
        total_var += var
        assert abs(n - mean) <= 4 * np.sqrt(var) + 1e-9, (month, n, mean)
    assert abs(got.sum() - total_mean) <= 4 * np.sqrt(total_var)
    assert got[SCHEDULE.index(0)] == 0  # a month without inflow has no arrivals
    # ... and the model lets in exactly the generated arrivals
    frame = model.run_to_end()
    assert frame["applications"].sum() == got.sum()


def test_arrival_days_lie_in_the_run_and_arrivals_enter_on_their_day(small_scenario):
    scenario = small_scenario()
    model = ProtectionSystem(scenario, 4)
    c = model.cases
    during = c.arrival_day >= 0
    assert c.arrival_day[during].max() < scenario.days
    frame = model.run_to_end()
    per_day = np.bincount(
        c.arrival_day[during], weights=c.size[during].astype(float), minlength=scenario.days
    )
    np.testing.assert_array_equal(frame["applications"].to_numpy(), per_day)


@pytest.mark.parametrize("seed", [0, 5])
def test_inflow_scale_doubles_arrivals(small_scenario, seed):
    scenario1 = small_scenario(**{"inflow.scale": 1.0})
    scenario2 = small_scenario(**{"inflow.scale": 2.0})
    n1 = arrivals_by_month(ProtectionSystem(scenario1, seed), scenario1)
    n2 = arrivals_by_month(ProtectionSystem(scenario2, seed), scenario2)
    mean1, var1 = arrival_moments(scenario1, 300.0 * 12)
    mean2, var2 = arrival_moments(scenario2, 600.0 * 12)
    assert mean2 == pytest.approx(2 * mean1)
    assert abs(n1.sum() - mean1) <= 4 * np.sqrt(var1)
    assert abs(n2.sum() - mean2) <= 4 * np.sqrt(var2)
    assert 1.8 < n2.sum() / n1.sum() < 2.2
    # common random numbers: the same month's draws only grow with the scale
    assert np.all(n2 >= n1)


def test_dated_change_of_inflow_scale_changes_arrivals_from_its_date(small_scenario):
    change = {"date": "2024-07-01", "field": "inflow.scale", "set": 2.0}
    base, scaled = small_scenario(), small_scenario(changes=[change])
    n_base = arrivals_by_month(ProtectionSystem(base, 1), base)
    n_scaled = arrivals_by_month(ProtectionSystem(scaled, 1), scaled)
    np.testing.assert_array_equal(n_scaled[:6], n_base[:6])  # before the date: same people
    mean, var = arrival_moments(scaled, 600.0 * 6)
    assert abs(n_scaled[6:].sum() - mean) <= 4 * np.sqrt(var)
    assert np.all(n_scaled[6:] >= n_base[6:])


@pytest.mark.parametrize(
    "override, message",
    [
        (
            {"profiles.household_types.single_man.mean_size_persons": 2.0},
            "profiles.household_types.single_man.mean_size_persons: expected 1 (one person per "
            "single_man case), got 2",
        ),
        (
            {"profiles.household_types.family.mean_size_persons": 1.2},
            "profiles.household_types.family.mean_size_persons: expected at least 2 persons, "
            "got 1.2",
        ),
    ],
    ids=["single-man-size-2", "family-size-1.2"],
)
def test_household_sizes_the_model_cannot_draw_are_rejected(small_raw, override, message):
    """Singles are one person and families at least two: other sizes would miss the schedule."""
    with pytest.raises(ConfigError) as err:
        scenario_from_dict(small_raw(**override), "s.yaml")
    assert err.value.problems == [f"s.yaml: {message}"]


# --- households ---------------------------------------------------------------------------


def test_arrival_households_have_sizes_of_their_type(small_scenario):
    scenario = small_scenario(years=2)
    model = ProtectionSystem(scenario, 0)
    c = model.cases
    during = c.arrival_day >= 0
    htype = model.profiles.household_type[c.profile[during]]
    size = c.size[during]
    assert np.all(size[htype == FAMILY] >= 2)
    assert np.all(size[htype != FAMILY] == 1)
    # family sizes average the configured mean
    mean = scenario.profiles.household_types.family.mean_size_persons
    assert size[htype == FAMILY].mean() == pytest.approx(mean, rel=0.05)


def test_initial_households_have_sizes_of_their_type(small_scenario):
    for seed in range(10):
        model = ProtectionSystem(small_scenario(), seed)
        c = model.cases
        initial = c.arrival_day < 0  # pending on the start date
        assert initial.sum() > 50
        htype = model.profiles.household_type[c.profile[initial]]
        size = c.size[initial]
        assert np.all(size[htype == FAMILY] >= 2), f"seed {seed}"
        assert np.all(size[htype != FAMILY] == 1), f"seed {seed}"


def test_household_members_share_one_case(small_scenario):
    model = ProtectionSystem(small_scenario(), 2)
    for _ in range(150):
        model.step()
    people = model.applicants
    household = people.get("household")
    c = model.cases
    # every person of a household that has entered is in the view, once per member
    members = np.bincount(household, minlength=len(c.key))
    entered = c.state != states.NOT_ARRIVED
    np.testing.assert_array_equal(members[entered], c.size[entered])
    assert np.all(members[~entered] == 0)
    # members share their state, housing and centre: per-person values equal the case's
    for attr in ("state", "housing", "centre", "lodged_day"):
        values = people.get(attr)
        np.testing.assert_array_equal(values, getattr(c, attr)[household])
    # some households really have several members
    assert members.max() >= 3
    # persons per centre, counted person by person, equal the kernels' occupancy
    in_centre = people.select(housing=states.IN_CENTRE)
    per_centre = np.bincount(in_centre.get("centre"), minlength=len(model.centres))
    np.testing.assert_array_equal(per_centre, model.tally.occupancy)
    # a narrowed view narrows further, never widens
    waiting = people.select(housing=states.WAITING)
    assert len(waiting.select(state=states.PENDING_CGRS)) <= len(waiting)
    assert len(people) == sum(people.count_by_state().values())


def test_days_are_16_bit_and_out_of_range_days_are_refused():
    """Cases' days are int16 (:data:`flowsim.engine.population.DAY`): every day a scenario
    within its ranges can hold fits, and converting one that does not is an error, never a
    silent wrap-around."""
    assert as_days(np.array([-MAX_DAY, -1, 0, MAX_DAY])).tolist() == [-MAX_DAY, -1, 0, MAX_DAY]
    assert as_days(np.array([], np.int32)).dtype == DAY
    for day in (MAX_DAY + 1, -MAX_DAY - 1, 2**16 + 3):
        with pytest.raises(ValueError, match="do not fit in 16 bits"):
            as_days(np.array([0, day]))


def test_registers_keep_one_or_two_bytes_a_case_per_queue_or_calendar(small_scenario):
    """Per case, a queue keeps a flag and a calendar a 16-bit day; their lists' links are
    pooled entries (issue 19, part 4). The population's own arrays stay within 65 bytes a
    case (benchmarks/memory.py gives the whole breakdown)."""
    model = ProtectionSystem(small_scenario(), 0)
    n = len(model.cases.key)
    found = {Queue: [], Calendar: []}

    def walk(value) -> None:
        if isinstance(value, Queue | Calendar):
            found[type(value)].append(value)
        elif isinstance(value, tuple):
            for item in value:
                walk(item)

    for register in (
        model.queues,
        model.cgrs_desk,
        model.fedasil.departures,
        model.immigration_office.dublin,
        model.status_holders,
        model.return_desk,
        model.tp_desk,
    ):
        walk(register)
    assert len(found[Queue]) >= 11 and len(found[Calendar]) >= 11
    for kind, dtype in ((Queue, np.bool_), (Calendar, DAY)):
        for structure in found[kind]:
            per_case = [a for a in structure if isinstance(a, np.ndarray) and len(a) == n]
            assert [a.dtype for a in per_case] == [np.dtype(dtype)], kind
    assert sum(a.itemsize for a in model.cases) <= 65
