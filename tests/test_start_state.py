"""A run's start state holds Dublin cases and orders to leave, and a run's state at a date is the
start state of a run from the next day (:func:`flowsim.institutions.start_state.state_summary`)."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import make_scenario
from flowsim.engine import series, states
from flowsim.engine.queues import days_joined
from flowsim.institutions import immigration_office
from flowsim.model import ProtectionSystem
from flowsim.scenario.initial_state import InitialState

# Every group of the start state, in a network of 250 places (north 150, south 60, tents 40)
# holding 130 residents: 15 status holders and 25 orders to leave among them.
EVERY_GROUP = {
    "initial_state.status_holders_in_reception_persons": 15,
    "initial_state.dublin_requested_persons": 40,
    "initial_state.dublin_accepted_persons": 30,
    "initial_state.dublin_absconded_persons": 20,
    "initial_state.order_to_leave_in_reception_persons": 25,
    "initial_state.order_to_leave_removal_list_persons": 35,
    "initial_state.without_reception_persons": 50,
}
# Nothing decided and nobody leaving reception on their own: the new groups' stocks change on
# day 0 only by their own clocks and by the Immigration Office and the return service.
QUIET = {
    "cgrs.case_officers_fte": 0,
    "call.decisions_per_month": 0,
    "reception.leave_to_private_housing_per_month": 0,
    "reception.abscond_per_month": 0,
}
SUMMARY_PERSONS = [
    name for name in InitialState.model_fields if "max_" not in name and "officers" not in name
]
TEMPORARY_PROTECTION = {
    "temporary_protection.monthly_persons": {f"2024-{m:02d}": 100 for m in range(1, 13)},
    "temporary_protection.crisis_housing_places": 400,
    "initial_state.tp_in_emergency_persons": 20,
    "initial_state.tp_in_crisis_housing_persons": 300,
    "initial_state.tp_in_sustainable_housing_persons": 500,
}
TEMPORARY_PROTECTION_HOUSING = ("tp_in_emergency_persons", "tp_in_crisis_housing_persons")


def persons(model: ProtectionSystem, mask: np.ndarray) -> int:
    return int(model.cases.size[mask].sum())


def summary_of_config(scenario) -> dict:
    """The configured start state as state_summary gives it (persons, residents by centre)."""
    init = scenario.initial_state.model_dump()
    init["in_reception_persons"] = {
        name: init["in_reception_persons"].get(name, 0) for name in scenario.reception.centres
    }
    return {name: init[name] for name in SUMMARY_PERSONS}


def test_every_group_starts_as_configured_and_day_0_moves_only_what_was_due():
    scenario = make_scenario(**EVERY_GROUP, **QUIET)
    model = ProtectionSystem(scenario, 3)
    c, tally = model.cases, model.tally
    by_state = model.applicants.count_by_state()
    assert by_state["dublin_requested"] == 40
    assert by_state["dublin_accepted"] == 30
    assert by_state["dublin_absconded"] == 20
    assert by_state["order_to_leave"] == 25 + 35
    assert by_state["status_holder"] == 15
    assert (by_state["pending_cgrs"], by_state["pending_call"]) == (200, 50)
    assert sum(by_state.values()) == 200 + 50 + 15 + 40 + 30 + 20 + 25 + 35
    otl = states.ORDER_TO_LEAVE
    assert tally.state_housing[otl, states.IN_CENTRE] == 25  # open return places
    assert tally.state_housing[otl, states.PRIVATE] == 35  # the removal list
    assert tally.state_housing[states.STATUS_HOLDER, states.IN_CENTRE] == 15
    assert tally.state_housing[states.DUBLIN_ABSCONDED, states.NO_HOUSING] == 20
    np.testing.assert_array_equal(tally.occupancy, [100, 30, 0])
    assert tally.housing_persons[states.WAITING] == 50
    # the model's own summary before the first step is the configured start state
    summary = model.state_summary()
    assert {k: summary[k] for k in SUMMARY_PERSONS} == summary_of_config(scenario)
    np.testing.assert_array_equal(model.tally.state_persons, tally.state_persons)

    # what is due on day 0, by the desks' calendars (persons)
    dublin, desk = model.immigration_office.dublin, model.return_desk
    due = dublin.calendar.day_of == 0
    replies = persons(model, due & (dublin.step == immigration_office.REPLY))
    closing = persons(model, due & (dublin.step == immigration_office.WINDOW_CLOSES))
    extended = persons(model, due & (dublin.step == immigration_office.ABSCONDED_WINDOW_CLOSES))
    deciding = persons(model, (desk.decisions.day_of == 0) & (c.housing == states.IN_CENTRE))
    assert replies + closing + extended + deciding > 0  # day 0 is not empty
    model.step()
    day0 = model.series().iloc[0]
    assert day0.stock_dublin_requested == 40 + day0.dublin_requests - replies
    assert day0.stock_dublin_accepted == (
        30 + day0.dublin_acceptances - day0.dublin_transfers - day0.dublin_absconded - closing
    )
    assert day0.stock_dublin_absconded == 20 + day0.dublin_absconded - extended
    assert day0.open_return_places == 25 - deciding
    left = (
        day0.avr_departures
        + day0.forced_returns
        + day0.irregular_stay
        + day0.regularised
        + day0.subsequent_applications
        - day0.subsequent_applications_external
    )
    assert day0.final_negative == 0
    assert day0.stock_order_to_leave == 60 - left
    model.run_to_end()  # checks conservation at the end


def restarted(model: ProtectionSystem, raw_overrides: dict) -> ProtectionSystem:
    """The same scenario from the day after the model's last day, from its state summary."""
    start = model.config.start_date + dt.timedelta(days=model.day)
    scenario = make_scenario(
        years=2,
        **raw_overrides,
        start_date=start,
        initial_state=model.state_summary(),
    )
    return ProtectionSystem(scenario, 5)


@pytest.mark.parametrize("seed", [0, 7])
def test_a_run_restarted_from_its_state_summary_begins_where_it_stood(seed):
    overrides = {
        **EVERY_GROUP,
        **TEMPORARY_PROTECTION,
        # status holders and appeals pile up: every group is there at the end of 2024
        "municipalities.housing_persons_per_month": 25,
        "call.decisions_per_month": 15,
        # and files wait for the Immigration Office to send them (some leave meanwhile)
        "immigration_office.transmission_limit_in_force": 1,
        "immigration_office.transmissions_persons_per_month": 150,
        "immigration_office.leave_before_transmission_per_month": 0.05,
        "changes": [{"date": "2025-06-01", "field": "cgrs.case_officers_fte", "add": 10}],
    }
    first = ProtectionSystem(make_scenario(years=2, **overrides), seed)
    for _ in range(366):  # 2024 is a leap year: to the end of 2024-12-31
        first.step()
    assert first.date == pd.Timestamp("2025-01-01")
    summary = first.state_summary()
    assert list(summary) == list(InitialState.model_fields)
    # FTE: a fraction of an officer is possible
    whole = [k for k in summary if not k.endswith("_fte") and k != "in_reception_persons"]
    assert all(type(summary[k]) is int for k in whole)
    assert all(type(summary[k]) is float for k in summary if k.endswith("_fte"))
    assert all(type(v) is int for v in summary["in_reception_persons"].values())
    assert yaml.safe_load(yaml.safe_dump(summary)) == summary == json.loads(json.dumps(summary))
    old = first.tally
    # nothing the fields cannot hold: nobody waiting to register, status holders all placed
    assert old.state_persons[states.AWAITING_REGISTRATION] == 0
    holders = old.state_persons[states.STATUS_HOLDER]
    assert old.state_housing[states.STATUS_HOLDER, states.IN_CENTRE] == holders
    groups = [k for k in SUMMARY_PERSONS if k != "in_reception_persons"]
    assert all(summary[k] > 0 for k in groups), summary  # every group is there
    assert old.state_housing[states.ORDER_TO_LEAVE, states.IN_CENTRE] > 0

    second = restarted(first, overrides)
    new = second.tally
    expected = old.state_persons.copy()
    expected[states.DUBLIN_REQUESTED] += expected[states.DUBLIN_PROCEDURE]  # being prepared
    expected[states.DUBLIN_PROCEDURE] = 0
    # temporary protection: as many persons, but a household that fits in no municipality's
    # crisis housing left waits in emergency reception (the places are spread thin)
    emergency, crisis = states.TP_EMERGENCY, states.TP_CRISIS_HOUSING
    assert new.state_persons[emergency] + new.state_persons[crisis] == (
        expected[emergency] + expected[crisis]
    )
    assert new.state_persons[crisis] <= expected[crisis]
    exact = [s for s in states.ACTIVE_STATES if s not in (emergency, crisis)]
    np.testing.assert_array_equal(new.state_persons[exact], expected[exact])
    assert new.state_persons[states.FIRST_EXIT :].sum() == 0  # nobody lost on the way
    np.testing.assert_array_equal(new.housing_persons[1:], old.housing_persons[1:])
    np.testing.assert_array_equal(new.occupancy, old.occupancy)  # residents by centre
    for fixed in (states.STATUS_HOLDER, states.ORDER_TO_LEAVE, states.DUBLIN_ABSCONDED):
        np.testing.assert_array_equal(new.state_housing[fixed], old.state_housing[fixed])
    again = second.state_summary()
    exact_fields = [k for k in SUMMARY_PERSONS if k not in TEMPORARY_PROTECTION_HOUSING]
    assert {k: again[k] for k in exact_fields} == {k: summary[k] for k in exact_fields}
    for name in ("pending_cgrs_max_waited_days", "pending_call_max_waited_days"):
        assert again[name] <= summary[name]  # waits drawn evenly up to the longest
    second.run_to_end()


@pytest.mark.parametrize("ramp", [0, 200])
def test_officers_still_learning_carry_over_to_the_restarted_run(ramp):
    """Two cohorts of hires, one in its hiring lag and one in its ramp on the restart date:
    the restarted CGRS starts with the same productive officers (FTE) and reaches full
    strength when the old run does, give or take the merging of the cohorts (days)."""
    overrides = {
        "cgrs.hiring_lag_days": 60,
        "cgrs.new_officer_ramp_days": ramp,
        "changes": [
            {"date": "2024-09-01", "field": "cgrs.case_officers_fte", "add": 10},
            {"date": "2024-12-01", "field": "cgrs.case_officers_fte", "add": 30},
        ],
    }
    first = ProtectionSystem(make_scenario(years=2, **overrides), 3)
    for _ in range(366):
        first.step()
    summary = first.state_summary()
    assert summary["cgrs_officers_in_hiring_lag_fte"] == pytest.approx(30.0)
    assert summary["cgrs_officers_hiring_lag_days_left"] == 29  # productive from 2025-01-30
    assert summary["cgrs_officers_in_ramp_fte"] == pytest.approx(10.0 if ramp else 0.0)
    hired = {key: value for key, value in overrides.items() if key != "changes"}
    second = restarted(first, {**hired, "cgrs.case_officers_fte": first.cgrs.headcount})
    old_officers, new_officers = [], []
    for _ in range(300):
        first.step()
        second.step()
        old_officers.append(first.cgrs.productive_officers())
        new_officers.append(second.cgrs.productive_officers())
    old_officers, new_officers = np.array(old_officers), np.array(new_officers)
    assert new_officers[0] == pytest.approx(old_officers[0], abs=0.2)
    full = first.cgrs.headcount
    assert new_officers[-1] == old_officers[-1] == full
    # the merged cohort reaches full strength between the two cohorts' days
    assert abs(np.argmax(new_officers == full) - np.argmax(old_officers == full)) <= 90


def test_initial_accepted_dublin_cases_have_their_windows_closed_within_the_window():
    window = 120  # the small scenario's dublin_transfer_window_days
    scenario = make_scenario(
        **{
            "initial_state.dublin_accepted_persons": 300,
            "immigration_office.dublin_transfers_persons_per_month": 0,
            "immigration_office.dublin_abscond_per_month": 0.0,
            "reception.leave_to_private_housing_per_month": 0,  # nothing else happens
            "reception.abscond_per_month": 0,
        }
    )
    model = ProtectionSystem(scenario, 2)
    initial = np.flatnonzero(model.cases.state == states.DUBLIN_ACCEPTED)
    closes = model.immigration_office.dublin.calendar.day_of[initial]
    assert closes.min() >= 0 and closes.max() <= window - 1
    assert abs(closes.mean() - (window - 1) / 2) < 10  # evenly spread, not bunched
    for _ in range(window):
        model.step()
    state = model.cases.state[initial]
    assert not (state == states.DUBLIN_ACCEPTED).any()
    # Belgium became responsible for each on the day its window closed: lodged with the CGRS
    lodged = model.cases.lodged_day[initial]
    np.testing.assert_array_equal(lodged, closes)


def test_initial_accepted_dublin_cases_abscond_as_at_acceptance():
    """Under a high hazard most abscond before their windows close, none after."""
    scenario = make_scenario(
        **{
            "initial_state.dublin_accepted_persons": 300,
            "immigration_office.dublin_transfers_persons_per_month": 0,
            "immigration_office.dublin_abscond_per_month": 0.5,
        }
    )
    model = ProtectionSystem(scenario, 2)
    dublin = model.immigration_office.dublin
    initial = np.flatnonzero(model.cases.state == states.DUBLIN_ACCEPTED)
    abscond = dublin.step[initial] == immigration_office.ABSCOND
    assert 0.3 < abscond.mean() < 0.95
    closes = dublin.accepted_day[initial] + 120
    assert (dublin.calendar.day_of[initial][abscond] <= closes[abscond]).all()
    for _ in range(120):
        model.step()
    state = model.cases.state[initial]
    assert not (state == states.DUBLIN_ACCEPTED).any()
    assert ((state == states.DUBLIN_ABSCONDED) == abscond).all()


@settings(max_examples=20, deadline=None, derandomize=True)
@given(
    reply=st.integers(0, 90),
    window=st.integers(0, 250),
    extended=st.integers(0, 360),  # clocks end within the run (366 days)
    stay=st.integers(0, 90),
    removal=st.integers(0, 360),
)
def test_initial_clocks_end_within_their_terms(reply, window, extended, stay, removal):
    scenario = make_scenario(
        **{
            **EVERY_GROUP,
            "immigration_office.dublin_reply_days": reply,
            "immigration_office.dublin_transfer_window_days": window,
            "immigration_office.dublin_absconded_window_days": extended,
            "returns.open_return_place_days": stay,
            "returns.removal_window_days": removal,
        }
    )
    model = ProtectionSystem(scenario, 1)
    c = model.cases
    dublin, desk = model.immigration_office.dublin, model.return_desk

    def due_days(state, calendar, where=True):
        return calendar.day_of[(c.state == state) & where]

    days = {
        "reply": (due_days(states.DUBLIN_REQUESTED, dublin.calendar), max(reply, 1)),
        "absconded": (
            due_days(states.DUBLIN_ABSCONDED, dublin.calendar),
            max(extended - max(window, 1), 1),
        ),
        "decision": (
            due_days(states.ORDER_TO_LEAVE, desk.decisions, c.housing == states.IN_CENTRE),
            max(stay, 1),
        ),
        "removal": (
            due_days(states.ORDER_TO_LEAVE, desk.removal_deadlines, c.housing == states.PRIVATE),
            max(removal, 1),
        ),
    }
    for name, (due, length) in days.items():
        assert len(due) > 0, name
        assert due.min() >= 0 and due.max() <= length - 1, name
    accepted = c.state == states.DUBLIN_ACCEPTED
    closes = dublin.accepted_day[accepted] + max(window, 1)
    assert closes.min() >= 0 and closes.max() <= max(window, 1) - 1
    assert (dublin.calendar.day_of[accepted] <= closes).all()


@st.composite
def start_states(draw):
    """A consistent start state with every group (persons), in the small network."""
    places = {"north": 150, "south": 60, "tents": 40}
    init = {
        name: draw(st.integers(0, top))
        for name, top in (
            ("status_holders_in_reception_persons", 40),
            ("order_to_leave_in_reception_persons", 40),
            ("pending_cgrs_persons", 200),
            ("pending_call_persons", 60),
            ("dublin_requested_persons", 60),
            ("dublin_accepted_persons", 60),
            ("dublin_absconded_persons", 60),
            ("order_to_leave_removal_list_persons", 60),
            ("awaiting_transmission_persons", 60),
        )
    }
    residents = init["status_holders_in_reception_persons"]
    residents += init["order_to_leave_in_reception_persons"]
    filling = sum(init[k] for k in InitialState.PLACE_FILLING_FIELDS)
    placed = draw(st.integers(residents, min(residents + filling, sum(places.values()))))
    in_reception, left = {}, placed
    for name, room in places.items():
        in_reception[name] = min(room, left)
        left -= in_reception[name]
    init["in_reception_persons"] = in_reception
    init["without_reception_persons"] = draw(st.integers(0, filling - (placed - residents)))
    init["pending_cgrs_max_waited_days"] = draw(st.integers(0, 400))
    return init


@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(init=start_states(), seed=st.integers(0, 2**32 - 1))
def test_any_consistent_start_state_opens_with_its_persons_and_conserves_them(init, seed):
    scenario = make_scenario(initial_state=init)
    model = ProtectionSystem(scenario, seed)
    tally = model.tally
    got = model.state_summary()
    for name in ("pending_cgrs_persons", "pending_call_persons", "dublin_requested_persons"):
        assert got[name] == init[name], name
    for name in ("dublin_accepted_persons", "dublin_absconded_persons"):
        assert got[name] == init[name], name
    # files waiting for the Office: sent on the first day, the limit not being in force
    assert got["awaiting_transmission_persons"] == init["awaiting_transmission_persons"]
    otl = init["order_to_leave_in_reception_persons"] + init["order_to_leave_removal_list_persons"]
    assert tally.state_persons[states.ORDER_TO_LEAVE] == otl
    # residents all in reception, unless a household fits in no centre's places left
    # (households are not split): a status holder has then left with its status, an order to
    # leave is outside reception
    holders = init["status_holders_in_reception_persons"]
    assert (
        tally.state_persons[states.STATUS_HOLDER] + tally.state_persons[states.LEFT_WITH_STATUS]
        == holders
    )
    assert tally.state_housing[states.ORDER_TO_LEAVE, states.IN_CENTRE] <= otl
    placed = np.array(list(init["in_reception_persons"].values()))
    assert (tally.occupancy <= placed).all()
    assert tally.housing_persons[states.WAITING] <= init["without_reception_persons"]
    for _ in range(40):
        model.step()
    model.check_conservation()
    assert (model.stocks[:40, series.STOCK_NAMES.index("open_return_places")] >= 0).all()


def test_cases_held_by_a_suspension_are_pending_in_the_state_summary():
    """A state taken while the CGRS holds decisions counts the held cases as pending, and the
    longest wait is over them too (they joined the queue before the cases still in it)."""
    scenario = make_scenario(
        **{
            "cgrs.suspended_groups": ["beta"],
            "initial_state.pending_cgrs_persons": 600,
            "initial_state.pending_cgrs_max_waited_days": 300,
        },
        changes=[{"date": "2024-01-01", "field": "cgrs.suspension_in_force", "set": 1}],
    )
    model = ProtectionSystem(scenario, 5)
    for _ in range(120):
        model.step()
    desk, c = model.cgrs_desk, model.cases
    held = desk.held.queued & (c.state == states.PENDING_CGRS)
    assert held.sum() > 20
    summary = model.state_summary()
    assert summary["pending_cgrs_persons"] == persons(model, c.state == states.PENDING_CGRS)
    joined = np.maximum(days_joined(desk.queue), days_joined(desk.held))
    pending = c.state == states.PENDING_CGRS
    assert (joined[pending] > np.iinfo(np.int64).min).all()  # each pending case is in one
    assert summary["pending_cgrs_max_waited_days"] == model.day - 1 - joined[pending].min()
    assert joined[held].min() == joined[pending].min()
