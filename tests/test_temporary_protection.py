"""Temporary protection: registrations, emergency nights, crisis housing, sustainable housing
in competition with status holders, departures."""

from __future__ import annotations

import numpy as np

from flowsim.engine import states
from flowsim.model import ProtectionSystem

PERSONS = [0, 0, 3000, 1500, *[400] * 8]  # per month of 2024
MONTHS = {f"2024-{m:02d}": v for m, v in zip(range(1, 13), PERSONS, strict=True)}
TP = {
    "temporary_protection": {
        "monthly_persons": MONTHS,
        "family_share": 0.8,
        "emergency_nights": 2,
        "crisis_housing_places": 1500,
        "own_housing_per_month": 0.1,
        "departures_per_month": 0.02,
    }
}


def run(small_scenario, seed=0, **overrides):
    scenario = small_scenario(**{**TP, **overrides})
    model = ProtectionSystem(scenario, seed)
    return model, model.run_to_end()


def test_registrations_follow_the_schedule_and_enter_the_model(small_scenario):
    model, frame = run(small_scenario)
    by_month = frame.set_index("date").tp_registrations.resample("MS").sum().to_numpy()
    expected = np.array(list(MONTHS.values()), float)
    # households are Poisson: a generous band of 5 standard deviations of persons
    assert np.all(np.abs(by_month - expected) <= 5 * np.sqrt(3.6 * expected) + 1)
    c = model.cases
    tp = c.origin == states.TEMPORARY_PROTECTION
    assert c.size[tp & (c.state != states.NOT_ARRIVED)].sum() == frame.tp_registrations.sum()
    assert frame.tp_departures.sum() == c.size[c.state == states.TP_DEPARTED].sum()
    model.check_conservation()


def test_crisis_housing_never_exceeds_its_places_and_waits_the_emergency_nights(small_scenario):
    model = ProtectionSystem(small_scenario(**TP), 1)
    c = model.cases
    entered_crisis = np.full(len(c.key), -1)
    while model.running:
        model.step()
        day = model.day - 1
        assert model.tally.state_persons[states.TP_CRISIS_HOUSING] <= 1500
        in_crisis = c.state == states.TP_CRISIS_HOUSING
        new = in_crisis & (entered_crisis < 0)
        entered_crisis[new] = day
        # each municipality hosts at most its share of the places, and the tally is exact
        hosts = np.bincount(
            c.municipality[in_crisis], weights=c.size[in_crisis], minlength=581
        ).astype(np.int64)
        np.testing.assert_array_equal(hosts, model.tally.in_crisis_housing)
        assert (hosts <= model.tp_office.crisis_places_by_municipality()).all()
    moved = entered_crisis >= 0
    assert moved.sum() > 50
    assert np.all(entered_crisis[moved] - c.arrival_day[moved] >= 2)
    places = model.tp_office.crisis_places_by_municipality()
    assert places.sum() == 1500
    municipalities = model.housing_search.municipalities
    assert sum(m.crisis_housing_places() for m in municipalities) == 1500
    assert (
        sum(m.in_crisis_housing() for m in municipalities)
        == (model.tally.state_persons[states.TP_CRISIS_HOUSING])
    )


def test_temporary_protection_competes_with_status_holders_for_housing(small_scenario):
    common = {
        "municipalities.housing_persons_per_month": 80,
        "status_holders": {"transition_period_days": 60, "max_stay_days": 400},
    }
    _, without = run(
        small_scenario, 2, **{**common, "temporary_protection": {"monthly_persons": {}}}
    )
    model, with_tp = run(small_scenario, 2, **common)
    assert with_tp.tp_in_sustainable_housing.iloc[-1] > 0
    c = model.cases
    housed_tp = (c.origin == states.TEMPORARY_PROTECTION) & (c.municipality >= 0)
    assert housed_tp.any()  # some sustainable housing came from the municipal supply
    assert with_tp.status_holders_in_reception.mean() > without.status_holders_in_reception.mean()


INITIAL = {
    # about 20 places a municipality (1,500 would leave fewer than 3, too few for a family)
    "temporary_protection.crisis_housing_places": 12000,
    "initial_state.tp_in_emergency_persons": 40,
    "initial_state.tp_in_crisis_housing_persons": 900,
    "initial_state.tp_in_sustainable_housing_persons": 2500,
}


def test_people_under_temporary_protection_on_the_start_date_are_where_the_config_says(
    small_scenario,
):
    scenario = small_scenario(**{**TP, **INITIAL})
    model = ProtectionSystem(scenario, 2)
    t = model.tally
    assert t.state_persons[states.TP_EMERGENCY] == 40
    assert t.state_persons[states.TP_SUSTAINABLE_HOUSING] == 2500
    assert t.state_persons[states.TP_CRISIS_HOUSING] == 900
    assert t.in_crisis_housing.sum() == 900
    assert (t.in_crisis_housing <= model.tp_office.crisis_places_by_municipality()).all()
    c = model.cases
    initial = c.arrival_day < 0
    tp0 = initial & (c.origin == states.TEMPORARY_PROTECTION)
    assert c.size[tp0].sum() == 3440
    # none of them is in a reception centre, and those in crisis housing queue for housing
    assert (c.housing[tp0] == states.NO_HOUSING).all()
    in_crisis = np.flatnonzero(c.state == states.TP_CRISIS_HOUSING)
    assert model.status_holders.queue.queued[in_crisis].all()
    frame = model.run_to_end()
    model.check_conservation()
    # the stock is not counted as registrations; it leaves Belgium or finds housing over time
    entered = (c.origin == states.TEMPORARY_PROTECTION) & ~initial & (c.state != 0)
    assert frame.tp_registrations.sum() == c.size[entered].sum()
    assert c.size[tp0 & (c.state == states.TP_DEPARTED)].sum() > 0
    moved_on = c.state[in_crisis] != states.TP_CRISIS_HOUSING
    assert moved_on.mean() > 0.5  # a year at 10% a month finding housing, plus municipalities


def test_an_initial_stock_changes_nothing_for_the_asylum_chain_before_it_competes_for_housing(
    small_scenario,
):
    """Same seed, with and without 2,500 persons in sustainable housing on the start date:
    they never ask for municipal housing, so every asylum series is the same."""
    without = ProtectionSystem(small_scenario(**TP), 6).run_to_end()
    extra = {"initial_state.tp_in_sustainable_housing_persons": 2500}
    model = ProtectionSystem(small_scenario(**{**TP, **extra}), 6)
    with_stock = model.run_to_end()
    for column in ("cgrs_decisions", "in_reception", "housed_by_municipalities", "final_positive"):
        np.testing.assert_array_equal(with_stock[column], without[column], err_msg=column)
    assert (
        with_stock.tp_in_sustainable_housing.iloc[0] - without.tp_in_sustainable_housing.iloc[0]
    ) > 2400


def test_households_that_fit_in_no_crisis_housing_on_the_start_date_wait_in_emergency(
    small_scenario,
):
    """1,500 places over 581 municipalities leave 2-3 a municipality: families do not fit,
    so they start in emergency reception, waiting for crisis housing; nobody is lost."""
    scenario = small_scenario(**{**TP, "initial_state.tp_in_crisis_housing_persons": 900})
    model = ProtectionSystem(scenario, 2)
    t = model.tally
    assert t.state_persons[states.TP_CRISIS_HOUSING] + t.state_persons[states.TP_EMERGENCY] == 900
    assert t.state_persons[states.TP_EMERGENCY] > 0
    waiting = np.flatnonzero(model.cases.state == states.TP_EMERGENCY)
    assert model.tp_desk.crisis_queue.queued[waiting].all()
    assert (model.cases.size[waiting] > 1).mean() > 0.5  # mostly families
    model.run_to_end()
    model.check_conservation()
