"""Resettlement: pledges, selection missions, IOM transfers, arrival and the centre stay."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from flowsim.engine import series, states
from flowsim.model import ProtectionSystem
from flowsim.scenario.errors import ConfigError
from flowsim.scenario.loading import scenario_from_dict

PROGRAMME = {
    "resettlement": {
        "pledges_persons": {2024: 600, 2025: 600},
        "selection_persons_per_month": 80,
        "transfer_persons_per_month": 50,
        "nationality_group": "beta",
        "family_share": 0.8,
        "centre_stay_days": 42,
    },
    "reception.centres.north.places": 2000,
}


def run(small_scenario, seed=0, **overrides):
    scenario = small_scenario(years=2, **{**PROGRAMME, **overrides})
    model = ProtectionSystem(scenario, seed)
    return scenario, model, model.run_to_end()


def test_selections_stay_within_each_pledge_and_transfers_within_capacity(small_scenario):
    _, model, frame = run(small_scenario)
    by_year = frame.set_index("date").resample("YE").sum()
    assert (by_year.resettlement_selected <= 600).all()
    assert by_year.resettlement_selected.iloc[0] == 600  # 80 a month fills the pledge
    transferred = frame.resettlement_transferred.cumsum().to_numpy()
    capacity = 50 / (365.25 / 12) * np.arange(1, len(frame) + 1)
    assert np.all(transferred <= capacity + 1)
    awaiting = frame.resettlement_selected.cumsum() - frame.resettlement_transferred.cumsum()
    np.testing.assert_array_equal(frame.resettlement_awaiting_transfer, awaiting)
    # arrivals are the transferred households (never more persons than transferred)
    assert frame.resettlement_arrivals.cumsum().le(frame.resettlement_transferred.cumsum()).all()
    assert frame.resettlement_arrivals.sum() > 0.95 * frame.resettlement_transferred.sum()
    c = model.cases
    assert c.size[(c.origin == states.RESETTLED)].sum() == frame.resettlement_arrivals.sum()
    assert np.all(c.status[(c.origin == states.RESETTLED)] == states.REFUGEE)


def test_a_quota_cut_lowers_arrivals_and_leaves_the_past_alone(small_scenario):
    cut = [{"date": "2025-01-01", "field": "resettlement.pledges_persons.2025", "set": 100}]
    _, _, base = run(small_scenario, seed=2)
    _, _, lower = run(small_scenario, seed=2, changes=cut)
    before = base.date < pd.Timestamp("2025-01-01")
    pd.testing.assert_frame_equal(base[before], lower[before])
    year = ~before
    assert lower[year].resettlement_selected.sum() == 100
    assert lower[year].resettlement_arrivals.sum() < base[year].resettlement_arrivals.sum()


def test_suspended_missions_select_nobody(small_scenario):
    stop = [{"date": "2024-03-01", "field": "resettlement.selection_persons_per_month", "set": 0}]
    _, _, frame = run(small_scenario, changes=stop)
    assert frame[frame.date >= pd.Timestamp("2024-03-01")].resettlement_selected.sum() == 0


def test_resettled_refugees_get_a_place_and_stay_their_weeks_first(small_scenario):
    scenario = small_scenario(
        years=2,
        **{
            **PROGRAMME,
            "municipalities.housing_persons_per_month": 400,
            "reception.centres.north.places": 20000,
        },
    )
    model = ProtectionSystem(scenario, 1)
    c = model.cases
    seen_housed = np.zeros(len(c.key), np.bool_)
    while model.running:
        model.step()
        arrived_today = (c.origin == states.RESETTLED) & (c.arrival_day == model.day - 1)
        # on arrival they get a place (the network has room here)
        assert np.all(c.housing[arrived_today] == states.IN_CENTRE)
        housed = (c.origin == states.RESETTLED) & (c.state == states.HOUSED) & ~seen_housed
        stay = (model.day - 1) - c.arrival_day[housed]
        assert np.all(stay >= 42)
        seen_housed |= housed
    assert seen_housed.sum() > 20
    model.check_conservation()


def test_an_unknown_group_is_rejected(small_raw):
    raw = small_raw(**{"resettlement": {"nationality_group": "gamma"}})
    with pytest.raises(ConfigError) as err:
        scenario_from_dict(raw, "r.yaml")
    assert err.value.problems == [
        "r.yaml: resettlement.nationality_group: expected one of ['alpha', 'beta'], got 'gamma'"
    ]


def test_resettled_waiting_for_a_place_are_not_counted_in_reception(small_scenario):
    """A full network: resettled status holders wait for a place; they count as without a
    place, not as status holders in reception."""
    scenario = small_scenario(
        years=2,
        **{
            **PROGRAMME,
            "reception.centres.north.places": 100,
            "municipalities.housing_persons_per_month": 0,
        },
    )
    model = ProtectionSystem(scenario, 4)
    c = model.cases
    seen_waiting = False
    while model.running:
        model.step()
        holders = c.state == states.STATUS_HOLDER
        in_place = holders & (c.housing == states.IN_CENTRE)
        seen_waiting |= bool((holders & (c.housing == states.WAITING)).any())
        assert (
            model.stocks[model.day - 1][
                list(series.STOCK_NAMES).index("status_holders_in_reception")
            ]
            == c.size[in_place].sum()
        )
    assert seen_waiting


PARTNER = {
    "reception.centres.partners": {
        "type": "lri",
        "places": 120,
        "cost_eur_per_night": 37,
        "reserved_for": "resettled",
    },
    "municipalities.housing_persons_per_month": 20,  # scarce: resettled wait in their place
}


def test_resettled_move_to_partner_places_after_their_centre_stay(small_scenario):
    scenario = small_scenario(years=2, **{**PROGRAMME, **PARTNER})
    model = ProtectionSystem(scenario, 3)
    partner = [k.name for k in model.centres].index("partners")
    c = model.cases
    resettled = c.origin == states.RESETTLED
    occupants, moved = [], np.zeros(len(c.key), bool)
    stay = scenario.resettlement.centre_stay_days

    def after() -> None:
        here = c.centre == partner
        occupants.append(int(c.size[here].sum()))
        assert resettled[here].all()  # nobody else is ever placed there
        # only at the end of the centre stay
        assert (model.day - c.status_day[here & ~moved] >= stay).all()
        moved[here] = True

    from conftest import wrap_step

    wrap_step(model.housing_search, after=after)
    frame = model.run_to_end()
    assert max(occupants) <= 120 and max(occupants) > 60
    assert moved[resettled].mean() > 0.2
    # the places are LRI places: counted and priced as such
    lri = frame["in_reception_lri"].to_numpy()
    assert (lri >= np.array(occupants)).all()
    # applicants still wait without a place: the reserved places are not theirs
    assert frame.without_reception.max() > 0 or frame.in_reception.max() < 2000


def test_initial_residents_in_reserved_places_are_rejected(small_raw):
    raw = small_raw(
        **PARTNER, **{"initial_state.in_reception_persons": {"north": 100, "partners": 10}}
    )
    with pytest.raises(ConfigError) as err:
        scenario_from_dict(raw, "r.yaml")
    assert err.value.problems == [
        "r.yaml: initial_state.in_reception_persons.partners: expected no residents on the "
        "start date in places reserved for resettled refugees, got 10"
    ]


def test_resettled_refugees_are_lodged_and_recognised_by_the_cgrs_the_day_they_arrive(
    small_scenario,
):
    # nobody applies and nobody is pending at the start: every CGRS figure is resettlement's
    nobody = {
        "initial_state.pending_cgrs_persons": 0,
        "initial_state.pending_call_persons": 0,
        "initial_state.in_reception_persons": {"north": 0, "south": 0},
    }
    _, model, frame = run(small_scenario, persons_per_month=0, **nobody)
    arrivals = frame.resettlement_arrivals
    assert arrivals.sum() > 0
    for flow in ("cgrs_lodged", "cgrs_decisions", "cgrs_positive_decisions"):
        np.testing.assert_array_equal(frame[flow], arrivals, err_msg=flow)
    c = model.cases
    resettled = c.origin == states.RESETTLED
    households = np.bincount(c.arrival_day[resettled], minlength=len(frame))[: len(frame)]
    for flow in ("cgrs_lodged_cases", "cgrs_decisions_cases"):
        np.testing.assert_array_equal(frame[flow], households, err_msg=flow)
    # the workload passes through unchanged, and no day waited is added
    for stock in ("cgrs_backlog", "cgrs_backlog_cases", "cgrs_days_waited"):
        assert (frame[stock] == 0).all(), stock
