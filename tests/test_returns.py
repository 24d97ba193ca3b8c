"""After a final negative outcome: open return places, counselling, AVR, forced return,
subsequent applications and irregular stay."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from flowsim.engine import states
from flowsim.engine.states import HOUSEHOLD_TYPES
from flowsim.institutions.returns import package_eur
from flowsim.model import ProtectionSystem

# Everyone is refused at once and nobody appeals: all cases go through the return procedure.
ALL_REFUSED = {
    "profiles.nationality_groups.alpha.cgrs_outcomes": {
        "refugee_status": 0.0,
        "subsidiary_protection": 0.0,
        "refusal": 1.0,
        "inadmissible": 0.0,
    },
    "profiles.nationality_groups.beta.cgrs_outcomes": {
        "refugee_status": 0.0,
        "subsidiary_protection": 0.0,
        "refusal": 0.5,
        "inadmissible": 0.5,
    },
    "call.appeal_share_refusal": 0.0,
    "call.appeal_share_inadmissible": 0.0,
    "cgrs.case_officers_fte": 60,
    "reception.centres.north.places": 3000,
}


def run(small_scenario, seed=0, years=1, **returns):
    scenario = small_scenario(
        years=years, **{**ALL_REFUSED, "returns": {"subsequent_application_share": 0.0, **returns}}
    )
    model = ProtectionSystem(scenario, seed)
    return model, model.run_to_end()


def test_a_larger_package_raises_avr_departures(small_scenario):
    _, base = run(small_scenario, avr_uptake_counselled=0.2, avr_uptake_not_counselled=0.1)
    _, more = run(
        small_scenario,
        avr_uptake_counselled=0.2,
        avr_uptake_not_counselled=0.1,
        package={"adult_eur": 2800, "accompanied_minor_eur": 1400},
        package_elasticity=0.5,
    )
    # 4x the package per person doubles uptake (elasticity 0.5): same people, same draws
    assert more.avr_departures.sum() > 1.6 * base.avr_departures.sum()
    assert more.reintegration_eur.sum() > 4 * base.reintegration_eur.sum()
    # everything before the first return decision is identical
    first = int(np.argmax(base.avr_departures.to_numpy() + base.forced_returns.to_numpy() > 0))
    assert (more.final_negative.iloc[:first] == base.final_negative.iloc[:first]).all()


def test_counselling_raises_uptake(small_scenario):
    kwargs = {"avr_uptake_counselled": 0.5, "avr_uptake_not_counselled": 0.05}
    model0, none = run(small_scenario, counsellors_fte=0, **kwargs)
    model1, many = run(small_scenario, counsellors_fte=100, **kwargs)
    assert not model0.cases.counselled.any()
    assert many.avr_departures.sum() > 3 * none.avr_departures.sum()


def test_forced_returns_stay_within_the_removal_capacity(small_scenario):
    model, frame = run(small_scenario, removals_persons_per_month=30, removal_window_days=365)
    removed = frame.forced_returns.cumsum().to_numpy()
    capacity = 30 / (365.25 / 12) * np.arange(1, len(frame) + 1)
    assert np.all(removed <= capacity + model.cases.size.max())
    assert removed[-1] > 0.8 * capacity[-1]  # demand is higher than the capacity


def test_without_removals_everyone_left_stays_irregularly_after_the_window(small_scenario):
    model, frame = run(
        small_scenario,
        removals_persons_per_month=0,
        removal_window_days=30,
        avr_uptake_counselled=0.0,
        avr_uptake_not_counselled=0.0,
        open_return_place_days=10,
    )
    c = model.cases
    assert frame.forced_returns.sum() == 0 and frame.avr_departures.sum() == 0
    refused = c.status == states.REFUSED
    assert refused.sum() > 100
    # refused more than 10 + 30 days before the end: all in irregular stay by now
    irregular = c.state == states.IRREGULAR_STAY
    assert irregular.sum() > 0
    assert frame.irregular_stay.sum() == c.size[irregular].sum()
    still = refused & (c.state == states.ORDER_TO_LEAVE)
    assert still.sum() > 0  # the most recent ones are still within their stay or window


def test_subsequent_applications_go_back_to_the_cgrs(small_scenario):
    model, frame = run(
        small_scenario,
        avr_uptake_counselled=0.0,
        avr_uptake_not_counselled=0.0,
        subsequent_application_share=1.0,
    )
    c = model.cases
    assert frame.subsequent_applications.sum() > 100
    # every refused case that reached its return decision lodged again (a second decision)
    assert (c.n_cgrs >= 2).sum() > 50
    assert frame.forced_returns.sum() == 0


def test_open_return_places_hold_residents_for_the_configured_stay(small_scenario):
    _, short = run(small_scenario, open_return_place_days=5)
    _, long = run(small_scenario, open_return_place_days=60)
    assert long.open_return_places.mean() > 5 * short.open_return_places.mean()
    assert (long.open_return_places <= long.stock_order_to_leave).all()


@pytest.mark.parametrize(
    "size, household, vulnerable, expected",
    [
        (1, "single_man", False, 700),
        (1, "single_woman", True, 1200),
        (1, "unaccompanied_minor", False, 350),
        (2, "family", False, 1050),
        (5, "family", True, 2 * 700 + 3 * 350 + 500),
    ],
)
def test_package_per_case(size, household, vulnerable, expected):
    p = np.zeros(9)
    p[:4] = (700, 350, 0, 500)
    assert package_eur(size, HOUSEHOLD_TYPES.index(household), vulnerable, p) == expected


def test_icam_coaches_guide_people_on_the_removal_list(small_scenario):
    """Coaches see cases within their caseload; the coached return or obtain a right to stay
    in the configured shares; without coaches nobody is regularised."""
    removal_list = {"removals_persons_per_month": 0, "removal_window_days": 120}
    _, none = run(small_scenario, seed=2, **removal_list)
    model, coached = run(
        small_scenario,
        seed=2,
        **removal_list,
        icam_coaches_fte=5,
        icam_cases_per_coach_per_month=6,
        icam_return_share=0.3,
        icam_legal_stay_share=0.2,
    )
    assert none.icam_coached.sum() == 0 and none.exits_regularised.iloc[-1] == 0
    c = model.cases
    coached_cases = coached.icam_coached.sum()
    # the caseload binds (30 cases a month, more people on the list than that)
    months = len(coached) / (365.25 / 12)
    on_list = (c.status == states.REFUSED) & (c.state != states.AVR_DEPARTED)
    assert on_list.sum() > 30 * months
    cases_coached = coached_cases / c.size[on_list].mean()
    assert abs(cases_coached - 30 * months) < 0.25 * 30 * months
    regularised = coached.regularised.sum()
    assert regularised == coached.exits_regularised.iloc[-1]
    assert regularised == c.size[c.state == states.REGULARISED].sum()
    assert 0.1 < regularised / coached_cases < 0.3
    # coaching turns irregular stay into returns and legal stay
    assert coached.avr_departures.sum() > none.avr_departures.sum()
    assert coached.exits_irregular_stay.iloc[-1] < none.exits_irregular_stay.iloc[-1]


def test_one_counsellor_agent_per_fte_sharing_the_caseload(small_scenario):
    hire = {"date": "2024-07-01", "field": "returns.counsellors_fte", "set": 6.5}
    scenario = small_scenario(
        **{
            **ALL_REFUSED,
            "returns": {"subsequent_application_share": 0.0, "counsellors_fte": 3},
            "returns.cases_per_counsellor_per_month": 5,
            "reception.centres.north.places": 3000,
        },
        changes=[hire],
    )
    model = ProtectionSystem(scenario, 4)
    service = model.return_service
    assert [k.fte for k in service.counsellors] == [1.0, 1.0, 1.0]
    while model.day < scenario.day_of(dt.date(2024, 7, 1)):
        model.step()
    first_half = [k.caseload for k in service.counsellors]
    model.run_to_end()
    assert [k.fte for k in service.counsellors] == [1.0] * 6 + [0.5]
    assert all(k in model.agents for k in service.counsellors)
    loads = np.array([k.caseload for k in service.counsellors])
    # the caseload binds: each counsellor takes about 5 cases a month, in proportion to FTE
    assert max(first_half) - min(first_half) <= 1
    assert abs(first_half[0] - 5 * 182 / (365.25 / 12)) <= 2
    new = loads[3:6]
    assert abs(new.mean() - 5 * 184 / (365.25 / 12)) <= 2
    assert abs(loads[6] - 0.5 * new.mean()) <= 2
    counselled = model.cases.counselled.sum()
    assert loads.sum() >= counselled  # a case met twice is counted twice


def test_counsellors_let_go_leave_the_model(small_scenario):
    cut = {"date": "2024-03-01", "field": "returns.counsellors_fte", "set": 1.25}
    scenario = small_scenario(**{"returns.counsellors_fte": 4}, changes=[cut])
    model = ProtectionSystem(scenario, 0)
    before = list(model.return_service.counsellors)
    model.run_to_end()
    after = model.return_service.counsellors
    assert after == before[:2] and [k.fte for k in after] == [1.0, 0.25]
    assert all(k not in model.agents for k in before[2:])
