"""Conservation of persons over random small scenarios, checked from the series alone."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import make_scenario, months_between
from flowsim.engine import series, states
from flowsim.engine.states import CENTRE_TYPES, HOUSEHOLD_TYPES
from flowsim.model import ConservationError, ProtectionSystem

CENTRES = ("north", "south", "tents")


def shares(n: int):
    """``n`` non-negative shares summing to 1 (exactly, up to float rounding)."""
    return (
        st.lists(st.integers(0, 20), min_size=n, max_size=n)
        .filter(sum)
        .map(lambda w: [x / sum(w) for x in w])
    )


rates = st.one_of(st.just(0.0), st.floats(0.0, 0.3), st.just(1.0))


@st.composite
def scenarios(draw):
    """A random small valid scenario (one year) with dated changes."""
    months = months_between(dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    level = draw(st.sampled_from([0.0, 50.0, 300.0, 700.0]))
    monthly = {m: draw(st.floats(0.0, 2.0)) * level for m in months}
    overrides = {"inflow.monthly_persons": monthly}

    g_share = draw(shares(2))
    for group, share in zip(("alpha", "beta"), g_share, strict=True):
        o = draw(shares(4))
        overrides[f"profiles.nationality_groups.{group}"] = {
            "inflow_share": share,
            "cgrs_outcomes": dict(
                zip(
                    ("refugee_status", "subsidiary_protection", "refusal", "inadmissible"),
                    o,
                    strict=True,
                )
            ),
            "case_effort": draw(st.floats(0.3, 3.0)),
        }
    h_share = draw(shares(4))
    for name, share in zip(HOUSEHOLD_TYPES, h_share, strict=True):
        spec = {"inflow_share": share}
        if name == "family":
            spec["mean_size_persons"] = draw(st.floats(2.0, 7.0))
        overrides[f"profiles.household_types.{name}"] = spec
    overrides["profiles.vulnerable_share"] = draw(st.floats(0.0, 1.0))

    overrides["immigration_office"] = {
        "registration_capacity_persons_per_day": draw(st.floats(0.0, 60.0)),
        "dublin_share": draw(st.floats(0.0, 1.0)),
        "dublin_request_days": draw(st.integers(0, 90)),
        "dublin_reply_days": draw(st.integers(0, 60)),
        "dublin_acceptance_share": draw(st.floats(0.0, 1.0)),
        "dublin_transfers_persons_per_month": draw(st.floats(0.0, 40.0)),
        "dublin_transfer_window_days": draw(st.integers(0, 200)),
        "dublin_abscond_per_month": draw(rates),
        "dublin_absconded_window_days": draw(st.integers(0, 600)),
        "dublin_absconded_return_share": draw(st.floats(0.0, 1.0)),
    }
    # subsequent applications of people the run did not refuse, in some months
    overrides["inflow.subsequent_monthly_persons"] = {
        month: draw(st.floats(0.0, 40.0))
        for month in draw(st.lists(st.sampled_from(["2024-01", "2024-05", "2024-09"]), unique=True))
    }
    places = {name: draw(st.integers(0, 200)) for name in CENTRES}
    types = draw(st.permutations(CENTRE_TYPES))
    overrides["reception.centres"] = {
        name: {"type": types[i], "places": places[name], "cost_eur_per_night": 40 + i}
        for i, name in enumerate(CENTRES)
    }
    overrides["reception.dispatch"] = {
        "priority": draw(st.permutations(HOUSEHOLD_TYPES)),
        "vulnerable_first": draw(st.booleans()),
    }
    overrides["reception.leave_to_private_housing_per_month"] = draw(rates)
    overrides["reception.abscond_per_month"] = draw(rates)
    overrides["reception.code_207_lifted_leave_per_month"] = draw(rates)
    overrides["reception.leave_waiting_list_per_month"] = draw(rates)
    overrides["reception.subsequent_place_after_admissibility"] = draw(st.sampled_from([0, 1]))
    overrides["cgrs.subsequent_merits_queued"] = draw(st.sampled_from([0, 1]))
    # places kept for resettled refugees: never given to applicants, no initial residents
    overrides["reception.centres.partners"] = {
        "type": "lri",
        "places": draw(st.integers(0, 100)),
        "cost_eur_per_night": 37,
        "reserved_for": "resettled",
    }

    rule = draw(st.sampled_from(["fifo", "shortest_expected_first", "profile"]))
    prioritisation = {"rule": rule}
    if rule == "profile":
        labels = ["alpha", "beta", *HOUSEHOLD_TYPES, "vulnerable"]
        prioritisation["order"] = draw(
            st.lists(st.sampled_from(labels), min_size=1, max_size=4, unique=True)
        )
    overrides["cgrs"] = {
        "case_officers_fte": draw(st.floats(0.0, 60.0)),
        "hiring_lag_days": draw(st.integers(0, 150)),
        "decisions_per_officer_per_month": draw(st.floats(0.0, 8.0)),
        "prioritisation": prioritisation,
        "long_stay_first_days": draw(st.sampled_from([0, 30, 200])),
        "withdrawals_per_month": draw(rates),
    }
    overrides["call"] = {
        "appeal_share_refusal": draw(st.floats(0.0, 1.0)),
        "appeal_share_inadmissible": draw(st.floats(0.0, 1.0)),
        "decisions_per_month": draw(st.floats(0.0, 80.0)),
        "days_before_judgment": draw(st.sampled_from([0, 40, 250])),
        "outcomes": dict(zip(("confirm", "annul", "reform"), draw(shares(3)), strict=True)),
    }

    overrides["municipalities.housing_persons_per_month"] = draw(st.floats(0.0, 200.0))
    overrides["resettlement"] = {
        "pledges_persons": {2024: draw(st.integers(0, 400))},
        "selection_persons_per_month": draw(st.floats(0.0, 80.0)),
        "transfer_persons_per_month": draw(st.floats(0.0, 80.0)),
        "family_share": draw(st.floats(0.0, 1.0)),
        "centre_stay_days": draw(st.integers(0, 90)),
    }
    tp_months = {f"2024-{m:02d}": draw(st.integers(0, 400)) for m in (3, 4, 9)}
    overrides["temporary_protection"] = {
        "monthly_persons": tp_months,
        "emergency_nights": draw(st.integers(0, 5)),
        "crisis_housing_places": draw(st.integers(0, 500)),
        "own_housing_per_month": draw(rates),
        "departures_per_month": draw(rates),
    }
    uptake = draw(st.floats(0.0, 1.0))
    icam_return = draw(st.floats(0.0, 1.0))
    overrides["returns"] = {
        "open_return_place_days": draw(st.integers(0, 90)),
        "counsellors_fte": draw(st.floats(0.0, 20.0)),
        "avr_uptake_counselled": uptake,
        "avr_uptake_not_counselled": draw(st.floats(0.0, uptake)),
        "subsequent_application_share": draw(st.floats(0.0, 1.0 - uptake)),
        "package_elasticity": draw(st.floats(0.0, 2.0)),
        "removals_persons_per_month": draw(st.floats(0.0, 100.0)),
        "removal_window_days": draw(st.integers(0, 200)),
        "icam_coaches_fte": draw(st.floats(0.0, 10.0)),
        "icam_return_share": icam_return,
        "icam_legal_stay_share": draw(st.floats(0.0, 1.0 - icam_return)),
    }
    transition = draw(st.integers(0, 120))
    overrides["status_holders"] = {
        "transition_period_days": transition,
        "max_stay_days": draw(st.integers(transition, 400)),
    }

    pending_cgrs = draw(st.integers(0, 300))
    pending_call = draw(st.integers(0, 150))
    status_cap = draw(st.integers(0, 100))
    room = pending_cgrs + pending_call + status_cap
    in_reception = {}
    for name in CENTRES:
        n = draw(st.integers(0, min(places[name], room)))
        room -= n
        if n:
            in_reception[name] = n
    overrides["initial_state"] = {
        "pending_cgrs_persons": pending_cgrs,
        "pending_cgrs_max_waited_days": draw(st.integers(0, 400)),
        "pending_call_persons": pending_call,
        "pending_call_max_waited_days": draw(st.integers(0, 400)),
        "in_reception_persons": in_reception,
        "status_holders_in_reception_persons": draw(
            st.integers(
                max(0, sum(in_reception.values()) - pending_cgrs - pending_call),
                min(sum(in_reception.values()), status_cap),
            )
        ),
        "status_holders_max_days_since_status": draw(st.integers(0, 300)),
    }

    changes = []
    for _ in range(draw(st.integers(0, 4))):
        date = dt.date(2024, 1, 1) + dt.timedelta(days=draw(st.integers(0, 365)))
        kind = draw(
            st.sampled_from(["places", "officers", "scale", "dublin", "registration", "housing"])
        )
        if kind == "places":
            centre = draw(st.sampled_from(CENTRES))
            field = f"reception.centres.{centre}.places"
            # never below the centre's initial residents (see test_config_errors)
            floor = in_reception.get(centre, 0)
            op = draw(st.sampled_from(["set", "add"]))
            value = draw(st.integers(floor, 250)) if op == "set" else draw(st.integers(0, 80))
        elif kind == "officers":
            field, op, value = "cgrs.case_officers_fte", "add", draw(st.floats(0.0, 40.0))
        elif kind == "scale":
            field, op, value = "inflow.scale", "multiply", draw(st.floats(0.0, 2.0))
        elif kind == "housing":
            field, op = "municipalities.housing_persons_per_month", "set"
            value = draw(st.floats(0.0, 300.0))
        elif kind == "dublin":
            field, op, value = "immigration_office.dublin_share", "set", draw(st.floats(0, 1))
        else:
            field = "immigration_office.registration_capacity_persons_per_day"
            op, value = "set", draw(st.floats(0.0, 60.0))
        changes.append({"date": date, "field": field, op: value})
    overrides["changes"] = changes
    return make_scenario(**overrides)


def check_series(frame, scenario) -> None:
    stocks = frame[list(series.STOCK_COLUMNS)].to_numpy().sum(axis=1)
    exits = frame[list(series.EXIT_COLUMNS)].to_numpy().sum(axis=1)
    entries = frame["entries"].to_numpy()
    # persons in the chain change only by entries and exits
    lhs = stocks[1:] - stocks[0]
    rhs = np.cumsum(entries[1:]) - (exits[1:] - exits[0])  # day 0 entries are in stocks[0]
    np.testing.assert_array_equal(lhs, rhs)
    # ... and from the start: everyone is either still in the chain or has left it
    init = scenario.initial_state
    initial = (
        round(init.pending_cgrs_persons)
        + round(init.pending_call_persons)
        + round(init.status_holders_in_reception_persons)
    )
    np.testing.assert_array_equal(stocks + exits, initial + np.cumsum(entries))
    # stocks are never negative; cumulative exits never decrease
    assert (frame[list(series.STOCK_NAMES)].to_numpy() >= 0).all()
    assert (np.diff(frame[list(series.EXIT_COLUMNS)].to_numpy(), axis=0) >= 0).all()
    # everyone registered (status holders and those ordered to leave too) has exactly one
    # housing situation
    housed = frame["in_reception"] + frame["without_reception"] + frame["in_private_housing"]
    registered = (
        frame["stock_dublin_procedure"]
        + frame["stock_dublin_requested"]
        + frame["stock_dublin_accepted"]
        + frame["stock_pending_cgrs"]
        + frame["stock_pending_call"]
        + frame["stock_status_holder"]
        + frame["stock_order_to_leave"]
    )
    assert (frame["open_return_places"] <= frame["stock_order_to_leave"]).all()
    np.testing.assert_array_equal(housed.to_numpy(), registered.to_numpy())
    # the CGRS's workload changes only by what is lodged, decided and closed (cases, persons)
    for stock, lodged, decided, closed in (
        ("cgrs_backlog_cases", "cgrs_lodged_cases", "cgrs_decisions_cases", "cgrs_closed_cases"),
        ("cgrs_backlog", "cgrs_lodged", "cgrs_decisions", "cgrs_closed"),
    ):
        change = np.diff(frame[stock].to_numpy())
        net = (frame[lodged] - frame[decided] - frame[closed]).to_numpy()[1:]
        np.testing.assert_array_equal(change, net)
    # the CGRS receives cases from the Immigration Office, back from CALL and resettled
    # refugees (recognised the day they arrive), nothing else
    np.testing.assert_array_equal(
        frame["cgrs_lodged"],
        frame["io_transmissions"] + frame["call_annulments"] + frame["resettlement_arrivals"],
    )
    resettled_cases = frame["cgrs_lodged_cases"] - (
        frame["io_transmissions_cases"] + frame["call_annulments_cases"]
    )
    assert (resettled_cases <= frame["resettlement_arrivals"]).all()
    assert ((resettled_cases > 0) == (frame["resettlement_arrivals"] > 0)).all()
    # Dublin: every transfer was accepted before, every acceptance requested before
    assert frame["dublin_transfers"].sum() <= frame["dublin_acceptances"].sum()
    assert frame["dublin_acceptances"].sum() <= frame["dublin_requests"].sum()
    assert (frame["subsequent_applications_external"] <= frame["subsequent_applications"]).all()
    # places are never over-occupied, by type and overall
    for t in CENTRE_TYPES:
        assert (frame[f"in_reception_{t}"] <= frame[f"capacity_{t}"]).all(), t
    assert (frame["in_reception"] <= frame["reception_capacity"]).all()
    np.testing.assert_array_equal(
        frame[[f"in_reception_{t}" for t in CENTRE_TYPES]].to_numpy().sum(axis=1),
        frame["in_reception"].to_numpy(),
    )
    np.testing.assert_array_equal(frame["cgrs_backlog"], frame["stock_pending_cgrs"])
    np.testing.assert_array_equal(frame["call_backlog"], frame["stock_pending_call"])


@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(scenario=scenarios(), seed=st.integers(0, 2**32 - 1))
def test_persons_are_conserved(scenario, seed):
    model = ProtectionSystem(scenario, seed)
    frame = model.run_to_end()  # raises ConservationError on a recount mismatch
    assert len(frame) == scenario.days
    model.check_conservation()
    check_series(frame, scenario)

    # every person is in exactly one state: the per-person recount matches the series
    people = model.applicants
    by_state = people.count_by_state()
    assert sum(by_state.values()) == len(people)
    last = frame.iloc[-1]
    for code, name in states.STATE_NAMES.items():
        column = f"stock_{name}" if code in states.ACTIVE_STATES else f"exits_{name}"
        assert by_state[name] == last[column], name
    init = scenario.initial_state
    initial = (
        round(init.pending_cgrs_persons)
        + round(init.pending_call_persons)
        + round(init.status_holders_in_reception_persons)
    )
    assert len(people) == initial + frame["entries"].sum()
    # nobody still waiting for registration has a housing situation; exits have none
    housing = people.get("housing")
    state = people.get("state")
    assert np.all(housing[state == states.AWAITING_REGISTRATION] == states.NO_HOUSING)
    assert np.all(housing[state >= states.FIRST_EXIT] == states.NO_HOUSING)
    assert np.all(housing[state == states.STATUS_HOLDER] != states.NO_HOUSING)
    registered = (state >= states.DUBLIN_PROCEDURE) & (state <= states.PENDING_CALL)
    assert np.all(housing[registered] != states.NO_HOUSING)


def test_check_conservation_detects_a_lost_person(small_scenario):
    model = ProtectionSystem(small_scenario(), 0)
    for _ in range(30):
        model.step()
    model.check_conservation()
    model.tally.state_persons[states.PENDING_CGRS] -= 1  # a transition that lost someone
    with pytest.raises(ConservationError):
        model.check_conservation()


def test_check_conservation_detects_a_misplaced_resident(small_scenario):
    model = ProtectionSystem(small_scenario(), 0)
    for _ in range(30):
        model.step()
    resident = np.flatnonzero(model.cases.centre >= 0)[0]
    model.cases.centre[resident] = (model.cases.centre[resident] + 1) % len(model.centres)
    with pytest.raises(ConservationError):
        model.check_conservation()


def test_check_conservation_works_before_the_first_step(small_scenario):
    model = ProtectionSystem(small_scenario(), 0)
    model.check_conservation()
