"""Fedasil: capacity is never exceeded, and places go to waiting households in rank order."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from conftest import dispatch_rank, wrap_step
from flowsim.engine import series, states, streams
from flowsim.engine.queues import days_joined
from flowsim.engine.rates import daily_share
from flowsim.engine.states import CENTRE_TYPES, HOUSEHOLD_TYPES
from flowsim.model import ProtectionSystem

FILLING = {
    # 300 applicants a month and a slow CGRS: the network is full about half the year, with
    # places for the first household types in the dispatch order but not for the last
    "reception.centres.north.places": 500,
    "reception.centres.south.places": 200,
    "reception.centres.tents.places": 100,
    "initial_state.in_reception_persons": {"north": 50, "south": 20},
    "reception.leave_to_private_housing_per_month": 0.05,
    "reception.abscond_per_month": 0.02,
}

SMALL_NETWORK = {
    "reception.centres.north.places": 100,
    "reception.centres.south.places": 40,
    "reception.centres.tents.places": 30,
    # few initial residents: a cut may go below today's residents but not below these
    # (see test_capacity_cut_below_initial_residents_is_accepted)
    "initial_state.in_reception_persons": {"north": 10, "south": 5},
}

CUTS = [
    # centres fill up, then lose places: residents are relocated or go back to waiting
    {"date": "2024-03-01", "field": "reception.centres.north.places", "add": 120},
    {"date": "2024-05-01", "field": "reception.centres.north.places", "set": 55},
    {"date": "2024-05-01", "field": "reception.centres.tents.places", "set": 0},
    {"date": "2024-06-10", "field": "reception.centres.south.places", "multiply": 0.35},
    {"date": "2024-08-01", "field": "reception.centres.tents.places", "set": 25},
    {"date": "2024-10-01", "field": "reception.centres.north.places", "multiply": 0.5},
]


class DispatchChecker:
    """Checks Fedasil's dispatch right after it ran (before the CGRS frees places)."""

    def __init__(self, model: ProtectionSystem, scenario, strict_order: bool):
        self.model = model
        self.strict_order = strict_order  # no capacity cuts: lists are in (rank, day) order
        c = model.cases
        self.rank = dispatch_rank(scenario, model.profiles, c.profile)
        self.days_checked = self.days_saturated = 0
        self.placed_total = 0
        wrap_step(model.immigration_office, before=self.snapshot)
        wrap_step(model.cgrs, before=self.check)

    def snapshot(self) -> None:
        self.housing_before = self.model.cases.housing.copy()

    def check(self) -> None:
        m = self.model
        c = m.cases
        capacity = np.array([centre.capacity_places() for centre in m.centres])
        occupancy = np.bincount(
            c.centre[c.centre >= 0], weights=c.size[c.centre >= 0], minlength=len(m.centres)
        )
        assert np.all(occupancy <= capacity), (m.day, occupancy, capacity)
        free = capacity - occupancy
        waiting = np.flatnonzero(c.housing == states.WAITING)
        placed = np.flatnonzero(
            (c.housing == states.IN_CENTRE) & (self.housing_before != states.IN_CENTRE)
        )
        self.placed_total += len(placed)
        self.days_checked += 1
        if len(waiting) == 0:
            return
        self.days_saturated += 1
        best_rank = self.rank[waiting].min()
        # nobody with a lower priority got a place today while a higher-priority case waits
        if len(placed):
            assert self.rank[placed].max() <= best_rank, m.day
        # dispatch stopped because the next household fits in no centre
        first = waiting[self.rank[waiting] == best_rank]
        if self.strict_order:
            since = days_joined(m.queues.waiting)[first]
            head = first[np.lexsort((first, since))[0]]
            assert free.max() < c.size[head], (m.day, free, c.size[head])
        else:
            assert free.max() < c.size[first].max(), (m.day, free)


@pytest.mark.parametrize(
    "dispatch",
    [
        {
            "priority": ["unaccompanied_minor", "family", "single_woman", "single_man"],
            "vulnerable_first": True,
        },
        {
            "priority": ["single_man", "single_woman", "unaccompanied_minor", "family"],
            "vulnerable_first": False,
        },
    ],
    ids=["uam-family-woman-man", "man-woman-uam-family"],
)
def test_dispatch_respects_the_priority_rule(small_scenario, dispatch):
    scenario = small_scenario(**FILLING, **{"reception.dispatch": dispatch})
    model = ProtectionSystem(scenario, 0)
    checker = DispatchChecker(model, scenario, strict_order=True)
    frame = model.run_to_end()
    # the check really ran, with a full network most days and places handed out
    assert checker.days_checked == scenario.days
    assert checker.days_saturated > 0.3 * scenario.days
    assert checker.placed_total > 500
    assert frame["without_reception"].iloc[-1] > 200

    # the last type in the priority list makes up most of the people without a place
    c = model.cases
    last = HOUSEHOLD_TYPES.index(dispatch["priority"][-1])
    first = HOUSEHOLD_TYPES.index(dispatch["priority"][0])
    htype = model.profiles.household_type[c.profile]
    waiting = c.housing == states.WAITING
    entered = c.state != states.NOT_ARRIVED
    size = c.size.astype(np.int64)
    share_waiting = size[waiting & (htype == last)].sum() / size[waiting].sum()
    share_entered = size[entered & (htype == last)].sum() / size[entered].sum()
    assert share_waiting > 1.5 * share_entered
    assert size[waiting & (htype == first)].sum() < 0.05 * size[waiting].sum()


def vulnerable_share_of_waiting_men(small_scenario, vulnerable_first: bool, seed: int):
    """Share of vulnerable persons among single men without a place, over all days."""
    dispatch = {
        "priority": ["unaccompanied_minor", "family", "single_woman", "single_man"],
        "vulnerable_first": vulnerable_first,
    }
    scenario = small_scenario(**FILLING, **{"reception.dispatch": dispatch})
    model = ProtectionSystem(scenario, seed)
    DispatchChecker(model, scenario, strict_order=True)
    c = model.cases
    men = model.profiles.household_type[c.profile] == HOUSEHOLD_TYPES.index("single_man")
    vulnerable = model.profiles.vulnerable[c.profile]
    person_days = np.zeros(2)

    def count() -> None:
        waiting_men = men & (c.housing == states.WAITING)
        person_days[0] += np.sum(waiting_men & vulnerable)
        person_days[1] += np.sum(waiting_men)

    wrap_step(model.call, after=count)
    model.run_to_end()
    entered_men = men & (c.state != states.NOT_ARRIVED)
    assert person_days[1] > 10_000
    return person_days[0] / person_days[1], vulnerable[entered_men].mean()


@pytest.mark.parametrize("seed", [0, 1])
def test_vulnerable_first_serves_vulnerable_cases_of_a_type_first(small_scenario, seed):
    first, entered = vulnerable_share_of_waiting_men(small_scenario, True, seed)
    not_first, _ = vulnerable_share_of_waiting_men(small_scenario, False, seed)
    assert 0.1 < entered < 0.3  # vulnerable_share is 0.2
    assert abs(not_first - entered) < 0.05  # no preference: they wait like the others
    assert first < 0.5 * not_first


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_capacity_never_exceeded_even_when_cut(small_scenario, seed):
    scenario = small_scenario(**SMALL_NETWORK, changes=CUTS)
    model = ProtectionSystem(scenario, seed)
    DispatchChecker(model, scenario, strict_order=False)
    frame = model.run_to_end()
    for t in CENTRE_TYPES:
        assert (frame[f"in_reception_{t}"] <= frame[f"capacity_{t}"]).all(), t
    # the cuts bit: each left a centre full to its new capacity, not emptied
    day = {
        d: scenario.day_of(dt.date.fromisoformat(d))
        for d in ("2024-05-01", "2024-06-10", "2024-10-01")
    }
    assert frame["in_reception_emergency"].iloc[day["2024-05-01"]] == 0
    assert frame["capacity_collective"].iloc[day["2024-05-01"]] == 55
    assert frame["in_reception_collective"].iloc[day["2024-05-01"]] >= 40  # not emptied
    assert frame["in_reception_collective"].iloc[day["2024-05-01"] - 1] > 55
    assert frame["capacity_lri"].iloc[day["2024-06-10"]] == 14  # floor(40 * 0.35)
    assert frame["in_reception_lri"].iloc[day["2024-06-10"] - 1] > 14
    assert frame["capacity_collective"].iloc[day["2024-10-01"]] == 27  # floor(55 * 0.5)
    model.check_conservation()


CLOSURE = {
    # the south centre (most places) fills first; it closes on 1 April while 30 places open
    # in tents: its residents are relocated there or go back to the waiting list
    "reception.centres.north.places": 30,
    "reception.centres.south.places": 60,
    "reception.centres.tents.places": 30,
    "initial_state.in_reception_persons": {"north": 10},
}
CLOSURE_CHANGES = [
    {"date": "2024-04-01", "field": "reception.centres.south.places", "set": 0},
    {"date": "2024-04-01", "field": "reception.centres.tents.places", "add": 30},
]


def run_to_closure(small_scenario, seed):
    """The model stepped to the closure day, then through it; returns what changed."""
    scenario = small_scenario(**CLOSURE, changes=CLOSURE_CHANGES)
    day = scenario.day_of(dt.date(2024, 4, 1))
    model = ProtectionSystem(scenario, seed)
    while model.day < day:
        model.step()
    c = model.cases
    south = list(scenario.reception.centres).index("south")
    before = {
        "residents": np.flatnonzero(c.centre == south),
        "waiting": np.flatnonzero(c.housing == states.WAITING),
        "state": c.state.copy(),
    }
    assert len(before["residents"]) > 30  # south was (nearly) full
    assert len(before["waiting"]) > 20  # and people were waiting
    checker_placed = {}

    def after_dispatch():
        checker_placed["housing"] = c.housing.copy()
        checker_placed["centre"] = c.centre.copy()

    wrap_step(model.cgrs, before=after_dispatch)
    model.step()  # the closure takes effect today
    return model, south, before, checker_placed


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_residents_of_a_closed_centre_are_relocated_or_wait(small_scenario, seed):
    model, south, before, after = run_to_closure(small_scenario, seed)
    c = model.cases
    assert not np.any(c.centre == south)
    residents = before["residents"]
    # former residents still in the procedure are in another centre or on the waiting list
    still = residents[c.state[residents] == before["state"][residents]]
    housing = after["housing"][still]
    assert set(np.unique(housing)) <= {states.IN_CENTRE, states.WAITING}
    assert np.all(after["centre"][still] != south)
    relocated = still[housing == states.IN_CENTRE]
    assert len(relocated) > 0
    model.check_conservation()


def test_a_capacity_cut_keeps_the_waiting_list_order(small_scenario):
    """Single men only (one rank, two profile classes): on the day a centre is cut, the
    displaced residents are relocated first (docstring of enforce_capacity) and the others
    keep their first-come first-served order."""
    overrides = dict(CLOSURE)
    overrides["profiles.household_types"] = {
        "single_man": {"inflow_share": 1.0},
        "single_woman": {"inflow_share": 0.0},
        "family": {"inflow_share": 0.0, "mean_size_persons": 3.0},
        "unaccompanied_minor": {"inflow_share": 0.0},
    }
    overrides["profiles.vulnerable_share"] = 0.0
    overrides["profiles.nationality_groups.alpha.inflow_share"] = 0.9
    overrides["profiles.nationality_groups.beta.inflow_share"] = 0.1
    changes = [
        {"date": "2024-04-01", "field": "reception.centres.south.places", "set": 50},
        {"date": "2024-04-01", "field": "reception.centres.tents.places", "add": 30},
    ]
    scenario = small_scenario(**overrides, changes=changes)
    day = scenario.day_of(dt.date(2024, 4, 1))
    south = list(scenario.reception.centres).index("south")
    model = ProtectionSystem(scenario, 0)
    while model.day < day:
        model.step()
    c = model.cases
    residents = np.flatnonzero(c.centre == south)
    waiting = np.flatnonzero(c.housing == states.WAITING)
    joined = days_joined(model.queues.waiting)[waiting]  # day each joined the list
    state = c.state.copy()
    after = {}
    wrap_step(
        model.fedasil,
        after=lambda: after.update(
            housing=c.housing.copy(), centre=c.centre.copy(), state=c.state.copy()
        ),
    )
    model.step()
    displaced = residents[
        (c.state[residents] == state[residents]) & (after["centre"][residents] != south)
    ]
    assert len(displaced) > 0
    placed = after["housing"][waiting] == states.IN_CENTRE
    assert placed.sum() > 10
    # the displaced households are relocated before anyone on the list gets a place
    assert np.all(after["housing"][displaced] == states.IN_CENTRE)
    # first come, first served among those already waiting (one rank), leaving aside those
    # who left the model earlier today (a Dublin transfer ends before Fedasil's step)
    still = after["state"][waiting] < states.FIRST_EXIT
    assert joined[placed & still].max() <= joined[~placed & still].min()


def test_leaving_shares_are_monthly_shares(small_scenario, run_model):
    """With no decisions and no arrivals, residents leave at the configured monthly shares."""
    months = {f"2024-{m:02d}": 0 for m in range(1, 13)}
    scenario = small_scenario(
        **{
            "inflow.monthly_persons": months,
            "cgrs.case_officers_fte": 0,
            "call.decisions_per_month": 0,
            "initial_state.pending_cgrs_persons": 800,
            "initial_state.pending_call_persons": 0,
            "reception.centres.north.places": 800,
            "initial_state.in_reception_persons": {"north": 800},
            "reception.leave_to_private_housing_per_month": 0.2,
            "reception.abscond_per_month": 0.1,
        }
    )
    model, frame = run_model(scenario, 0)
    month = 30  # end of day 30: 31 days of departures, ~1.02 months
    months_elapsed = 31 / (365.25 / 12)
    stayed = frame["in_reception"].iloc[month] / 800
    expected = (1 - 0.2) ** months_elapsed * (1 - 0.1) ** months_elapsed
    assert abs(stayed - expected) < 0.06  # binomial sd about 0.02 (households cluster)
    absconded = frame["exits_absconded"].iloc[month] / 800
    private = frame["in_private_housing"].iloc[month] / 800
    # competing risks: hazards in proportion -log(1 - share)
    h_p, h_a = -np.log(0.8), -np.log(0.9)
    assert abs(absconded / (absconded + private) - h_a / (h_a + h_p)) < 0.07
    # everyone left reception without a decision: they are still pending or absconded
    assert (
        frame["left_reception"].iloc[: month + 1].sum() == 800 - frame["in_reception"].iloc[month]
    )


def test_leaving_share_of_one_empties_the_centres_within_a_month(small_scenario, run_model):
    months = {f"2024-{m:02d}": 0 for m in range(1, 13)}
    scenario = small_scenario(
        **{
            "inflow.monthly_persons": months,
            "cgrs.case_officers_fte": 0,  # no decisions: nobody
            "call.decisions_per_month": 0,  # leaves any other way
            "reception.leave_to_private_housing_per_month": 1.0,
            "reception.abscond_per_month": 0.0,
        }
    )
    model, frame = run_model(scenario, 0)
    assert frame["in_reception"].iloc[0] > 0
    assert (frame["in_reception"].iloc[31:] == 0).all()
    assert frame["exits_absconded"].iloc[-1] == 0
    assert frame["left_reception"].sum() == sum(
        scenario.initial_state.in_reception_persons.values()
    )


def test_capacity_cut_below_initial_residents_is_accepted(small_scenario, run_model):
    cut = {"date": "2024-06-01", "field": "reception.centres.north.places", "set": 20}
    scenario = small_scenario(changes=[cut])  # north starts with 100 residents
    model, frame = run_model(scenario, 0)
    day = scenario.day_of(dt.date(2024, 6, 1))
    assert frame["in_reception_collective"].iloc[day] <= 20


def test_reception_cost_is_occupied_places_times_price(small_scenario, run_model):
    scenario = small_scenario(**SMALL_NETWORK, changes=CUTS)
    model, frame = run_model(scenario, 0)
    price = {
        c.type: c.cost_eur_per_night for c in scenario.reception.centres.values()
    }  # one centre per type in the small scenario
    expected = sum(frame[f"in_reception_{t}"] * p for t, p in price.items())
    np.testing.assert_allclose(frame["reception_cost_eur"], expected)
    assert frame["reception_cost_eur"].sum() > 0
    # by type, and the total cost adds the reintegration packages paid
    for t, p in price.items():
        np.testing.assert_allclose(frame[f"reception_cost_{t}_eur"], frame[f"in_reception_{t}"] * p)
    np.testing.assert_allclose(
        frame["cost_eur"], frame["reception_cost_eur"] + frame["reintegration_eur"]
    )


def test_occupancy_rates_are_residents_over_places(small_scenario, run_model):
    scenario = small_scenario(**SMALL_NETWORK, changes=CUTS)
    model, frame = run_model(scenario, 0)
    np.testing.assert_allclose(
        frame["occupancy_rate"], frame["in_reception"] / frame["reception_capacity"]
    )
    np.testing.assert_allclose(
        frame["lri_occupancy"], frame["in_reception_lri"] / frame["capacity_lri"]
    )
    assert (
        frame["occupancy_rate"].between(0, 1).all() and frame["lri_occupancy"].between(0, 1).all()
    )
    closed = small_scenario(
        **{
            "reception.centres.south.places": 0,
            "initial_state.in_reception_persons": {"north": 100},
        }
    )
    _, frame = run_model(closed, 0)
    assert (frame["lri_occupancy"] == 1.0).all()  # no LRI place open: nothing free


def test_lifting_code_207_lets_working_residents_leave_from_its_date(small_scenario):
    from flowsim.model import simulate

    lifted = {
        "date": "2024-04-01",
        "field": "reception.code_207_lifted_leave_per_month",
        "set": 0.1,
    }
    base = small_scenario(**FILLING)
    measure = small_scenario(**FILLING, changes=[lifted])
    before, after = simulate(base, 3), simulate(measure, 3)
    day = measure.day_of(dt.date(2024, 4, 1))
    # nothing changes before the date (the rule only adds a hazard from then on)
    assert before.iloc[:day].equals(after.iloc[:day])
    later = slice(day, day + 120)
    assert (
        after["left_reception"].iloc[later].sum() > 1.5 * before["left_reception"].iloc[later].sum()
    )
    assert (
        after["in_private_housing"].iloc[day + 120] > before["in_private_housing"].iloc[day + 120]
    )
    assert (
        after["without_reception"].iloc[later].sum()
        <= before["without_reception"].iloc[later].sum()
    )


def test_an_emergency_site_lowers_waiting_only_while_it_is_open(small_scenario):
    from flowsim.model import simulate

    site = "reception.centres.tents.places"
    pressure = {**FILLING, site: 0}
    opening = [
        {"date": "2024-04-01", "field": site, "set": 300, "note": "emergency site opens"},
        {"date": "2024-08-01", "field": site, "set": 0, "note": "and closes"},
    ]
    base = simulate(small_scenario(**pressure), 5)
    plan = simulate(small_scenario(**pressure, changes=opening), 5)
    day = {
        d: small_scenario(**pressure).day_of(dt.date.fromisoformat(d))
        for d in ("2024-04-01", "2024-08-01")
    }
    opened, closed = day["2024-04-01"], day["2024-08-01"]
    assert plan.iloc[:opened].equals(base.iloc[:opened])  # nothing changes before it opens
    assert base.without_reception.iloc[opened:closed].mean() > 0  # people were waiting
    assert plan.in_reception_emergency.iloc[opened:closed].max() > 0
    assert (
        plan.without_reception.iloc[opened:closed].mean()
        < base.without_reception.iloc[opened:closed].mean()
    )
    assert (
        plan.without_reception.iloc[opened:closed] <= base.without_reception.iloc[opened:closed]
    ).all()
    # closed: nobody is left in it, its residents are relocated or wait again
    assert (plan.in_reception_emergency.iloc[closed:] == 0).all()
    assert (plan.capacity_emergency.iloc[closed:] == 0).all()


def test_an_initial_waiting_list_holds_the_most_recently_lodged_and_counts_from_day_0(
    small_scenario,
):
    """250 pending, 130 placed in a full network: 80 of the other 120 wait for a place (the
    most recently lodged), the rest live privately, and the waiting list is in the series."""
    scenario = small_scenario(
        **{
            "initial_state.without_reception_persons": 80,
            "reception.centres.north.places": 100,  # full on the start date
            "reception.centres.south.places": 30,
            "reception.centres.tents.places": 0,
        }
    )
    model = ProtectionSystem(scenario, 4)
    c = model.cases
    n0 = model.hi  # cases in the system on the start date
    size = c.size[:n0].astype(int)
    waiting = c.housing[:n0] == states.WAITING
    private = c.housing[:n0] == states.PRIVATE
    assert 80 - size.max() < size[waiting].sum() <= 80
    assert size[waiting].sum() + size[private].sum() == 120
    # nobody living privately lodged later than someone on the waiting list
    assert c.lodged_day[:n0][private].max() <= c.lodged_day[:n0][waiting].min()
    assert model.tally.housing_persons[states.WAITING] == size[waiting].sum()
    model.step()
    # no place is free on day 0 (the network is full and nobody can leave it yet): they wait
    assert model.stocks[0, series.STOCK_NAMES.index("without_reception")] >= size[waiting].sum()
    model.check_conservation()


def test_without_an_initial_waiting_list_the_unplaced_live_privately(small_scenario):
    model = ProtectionSystem(small_scenario(), 4)
    n0 = model.hi
    assert not (model.cases.housing[:n0] == states.WAITING).any()
    assert model.cases.size[:n0][model.cases.housing[:n0] == states.PRIVATE].sum() == 120


AMPLE = {
    "reception.centres.north.places": 20000,
    "immigration_office.registration_capacity_persons_per_day": 1e6,
    "immigration_office.dublin_share": 0.0,
}


def test_every_applicant_asking_for_a_place_is_admitted_when_places_are_free(small_scenario):
    frame = ProtectionSystem(small_scenario(**AMPLE), 2).run_to_end()
    # registered and placed the day they arrive (annulments and re-admissions aside: none)
    np.testing.assert_array_equal(frame["reception_admissions"], frame["registered"])
    assert frame["without_reception"].max() == 0


@pytest.mark.parametrize("share", [0.0, 0.4])
def test_applicants_who_do_not_ask_for_a_place_live_privately(small_scenario, share):
    frame = ProtectionSystem(small_scenario(**AMPLE, **{"reception.place_request_share": share}), 2)
    frame = frame.run_to_end()
    admitted = frame["reception_admissions"].sum()
    registered = frame["registered"].sum()
    if share == 0.0:
        assert admitted == 0
    else:  # about the share of households (persons vary with household size)
        assert 0.3 * registered < admitted < 0.5 * registered
    # the draws are keyed per case: a lower share admits a subset of the same households
    fewer = small_scenario(**AMPLE, **{"reception.place_request_share": share / 2})
    assert ProtectionSystem(fewer, 2).run_to_end()["reception_admissions"].sum() <= admitted


@pytest.mark.parametrize("usable", [1.0, 0.9])
def test_new_residents_fill_only_the_usable_share_of_the_places(small_scenario, usable):
    """With more applicants than places, each centre fills to its usable share of places
    (floor of share x places) and no further, while people wait."""
    scenario = small_scenario(**FILLING, **{"reception.usable_place_share": usable})
    frame = ProtectionSystem(scenario, 4).run_to_end()
    for t, places in (("collective", 500), ("lri", 200), ("emergency", 100)):
        ceiling = int(np.floor(places * usable))
        assert frame[f"in_reception_{t}"].max() == ceiling, t
    assert frame["without_reception"].max() > 0


@pytest.mark.parametrize("slack", [0.0, 0.5, 1.0])
def test_while_people_wait_fedasil_fills_the_share_of_its_slack_it_uses(small_scenario, slack):
    """The places kept empty in quiet times (1 - usable share) are filled, up to
    ``slack_used_when_full`` of them, once people wait for a place; never more."""
    usable = 0.8
    scenario = small_scenario(
        **FILLING,
        **{"reception.usable_place_share": usable, "reception.slack_used_when_full": slack},
    )
    frame = ProtectionSystem(scenario, 4).run_to_end()
    for t, places in (("collective", 500), ("lri", 200), ("emergency", 100)):
        ceiling = int(np.floor(places * (usable + slack * (1 - usable))))
        assert frame[f"in_reception_{t}"].max() == ceiling, t
    assert frame["without_reception"].max() > 0


def test_the_slack_opens_only_the_day_after_someone_was_left_without_a_place(
    small_scenario, run_model
):
    """Demand between the usable places and all places: without the slack people wait and
    the network stops at its usable share; with it, people still wait a day first (the
    slack is not open to today's registrations while nobody waited yesterday), and the
    network never grows above its usable share on a day after a day nobody waited."""
    peak = ProtectionSystem(small_scenario(**AMPLE), 2).run_to_end()["in_reception"].max()
    runs = {
        slack: run_model(
            small_scenario(
                **{
                    **AMPLE,
                    "reception.centres.north.places": int(peak / 0.7),
                    "reception.usable_place_share": 0.5,
                    "reception.slack_used_when_full": slack,
                }
            ),
            2,
        )
        for slack in (0.0, 1.0)
    }
    model, closed = runs[0.0]
    usable = model.fedasil.dispatchable.sum()
    assert closed["in_reception"].max() == usable and closed["without_reception"].max() > 0
    _, opened = runs[1.0]
    residents = opened["in_reception"].to_numpy()
    waited = opened["without_reception"].to_numpy() > 0
    assert residents.max() > usable and waited.any()
    grew_above_usable = (residents[1:] > residents[:-1]) & (residents[1:] > usable)
    assert grew_above_usable.any() and waited[:-1][grew_above_usable].all()
    assert waited.sum() < (closed["without_reception"].to_numpy() > 0).sum()


def test_with_nobody_waiting_the_slack_stays_empty(small_scenario):
    """Places free and nobody waiting: the network fills only its usable share, whatever
    share of its slack it would use under pressure."""
    used = {
        slack: ProtectionSystem(
            small_scenario(
                **AMPLE,
                **{"reception.usable_place_share": 0.5, "reception.slack_used_when_full": slack},
            ),
            2,
        ).run_to_end()
        for slack in (0.0, 1.0)
    }
    assert used[0.0]["without_reception"].max() == 0
    pd.testing.assert_frame_equal(used[0.0], used[1.0])


# Only subsequent applications (of people refused before the run), places for everyone, a
# CGRS that decides them within days and a CALL that keeps every appeal pending: each
# applicant ends the year in the state the CGRS left them in.
SUBSEQUENT_ONLY = {
    **AMPLE,
    "inflow.monthly_persons": {f"2024-{m:02d}": 0.0 for m in range(1, 13)},
    "inflow.subsequent_monthly_persons": {"2024-02": 150.0, "2024-06": 150.0},
    "reception.place_request_share": 1.0,
    "reception.leave_to_private_housing_per_month": 0.0,
    "reception.abscond_per_month": 0.0,
    "cgrs.case_officers_fte": 20,
    "cgrs.subsequent_inadmissible_share": 0.5,
    "cgrs.protection_rate_scale": 0.0,  # admissible ones are refused on the merits
    "call.appeal_share_refusal": 1.0,
    "call.appeal_share_inadmissible": 1.0,
    "call.decisions_per_month": 0,
}


def test_subsequent_applicants_ask_for_a_place_at_registration_by_default(small_scenario):
    model = ProtectionSystem(small_scenario(**SUBSEQUENT_ONLY), 5)
    frame = model.run_to_end()
    assert frame["registered"].sum() > 200
    np.testing.assert_array_equal(frame["reception_admissions"], frame["registered"])


def test_once_admissibility_rules_subsequent_applicants_wait_for_the_cgrs(small_scenario):
    """With the rule in force nobody is housed at registration; exactly those whose
    application the CGRS finds admissible and refuses on the merits, and who appeal, ask for
    a place (all here), on the day of that decision; those found inadmissible never do."""
    scenario = small_scenario(
        **SUBSEQUENT_ONLY, **{"reception.subsequent_place_after_admissibility": 1}
    )
    model = ProtectionSystem(scenario, 5)
    frame = model.run_to_end()
    c = model.cases
    applied = (c.origin == states.SUBSEQUENT) & (c.state != states.NOT_ARRIVED)
    assert applied.sum() > 100
    assert (c.state[applied] == states.PENDING_CALL).all()  # decided and appealed, every one
    # the CGRS's draws, as its kernel makes them for a first decision (occurrence 0)
    admissible = np.array(
        [streams.uniform(model.seed, k, streams.SUBSEQUENT_ADMISSIBILITY, 0) >= 0.5 for k in c.key]
    )
    cdf = model.cgrs.outcome_cdf
    merits = np.array(
        [
            np.searchsorted(
                cdf[p], streams.uniform(model.seed, k, streams.CGRS_OUTCOME, 0), "right"
            )
            for k, p in zip(c.key, c.profile, strict=True)
        ]
    )
    expected = applied & admissible & (merits == 2)  # REFUSAL
    assert 0 < expected.sum() < applied.sum()
    housed = applied & (c.housing == states.IN_CENTRE)
    np.testing.assert_array_equal(housed, expected)
    assert (c.housing[applied & ~expected] == states.PRIVATE).all()
    assert frame["reception_admissions"].sum() == c.size[expected].sum()


def test_queued_for_the_merits_subsequent_applicants_get_a_place_once_admissible(
    small_scenario,
):
    """With the merits queued, every subsequent applicant the CGRS finds admissible asks
    for a place then, whatever the merits decision will be; those found inadmissible never
    do. Queuing changes when the merits are decided, not how: each case is decided once,
    with the outcome it had when decided at once."""
    rule = {"reception.subsequent_place_after_admissibility": 1}
    at_once = ProtectionSystem(small_scenario(**SUBSEQUENT_ONLY, **rule), 5)
    decided_at_once = at_once.run_to_end()["cgrs_decisions_cases"].sum()
    queued = ProtectionSystem(
        small_scenario(**SUBSEQUENT_ONLY, **rule, **{"cgrs.subsequent_merits_queued": 1}), 5
    )
    frame = queued.run_to_end()
    c = queued.cases
    applied = (c.origin == states.SUBSEQUENT) & (c.state != states.NOT_ARRIVED)
    assert applied.sum() > 100
    admissible = np.array(
        [streams.uniform(queued.seed, k, streams.SUBSEQUENT_ADMISSIBILITY, 0) >= 0.5 for k in c.key]
    )
    housed = applied & (c.housing == states.IN_CENTRE)
    np.testing.assert_array_equal(housed, applied & admissible)
    assert frame["reception_admissions"].sum() == c.size[applied & admissible].sum()
    # fewer were housed when only appellants of a refusal on the merits asked
    assert (at_once.cases.housing[applied] == states.IN_CENTRE).sum() < housed.sum()
    np.testing.assert_array_equal(c.state, at_once.cases.state)
    np.testing.assert_array_equal(c.n_cgrs[applied], 1)
    assert frame["cgrs_decisions_cases"].sum() == decided_at_once  # admission is no decision


@pytest.mark.parametrize("monthly", [0.1, 0.5])
def test_people_waiting_for_a_place_stop_waiting_at_the_hazard(small_scenario, monthly):
    """A full network and people who give up: each day about the daily share of those who
    waited since an earlier day leave the list for private housing; nobody who asked today
    does, and none leaves with the rate at 0."""
    waiting = {"reception.leave_waiting_list_per_month": monthly}
    model = ProtectionSystem(small_scenario(**FILLING, **waiting), 4)
    frame = model.run_to_end()
    left = frame["left_waiting_list"].to_numpy()
    stock = frame["without_reception"].to_numpy()
    # of those waiting at the end of the day before
    expected = daily_share(monthly) * stock[:-1].sum()
    assert left.sum() > 100
    assert abs(left.sum() - expected) < 0.15 * expected
    assert left[0] == 0 and (left[1:][stock[:-1] == 0] == 0).all()
    closed = ProtectionSystem(small_scenario(**FILLING), 4).run_to_end()
    assert closed["left_waiting_list"].sum() == 0
    assert closed["without_reception"].max() > frame["without_reception"].max()
    # the same people arrive and ask either way: common random numbers
    np.testing.assert_array_equal(closed["registered"], frame["registered"])
