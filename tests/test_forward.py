"""Carrying a calibrated history forward: each member's own values and state at the origin,
the history's inputs after it (or a template's), residents shared among a template's
centres."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import make_raw, make_scenario
from flowsim.config import Timeline, load_config
from flowsim.forward import ForwardError, history_until, spread_residents, write_forward
from flowsim.model import ProtectionSystem
from flowsim.results import replication_seeds

PARAM = "cgrs.decisions_per_officer_per_month"
ORIGIN = dt.date(2024, 12, 31)
MEMBERS = [
    {PARAM: 4.0, f"{PARAM}@2024-07-01": 3.0, "immigration_office.dublin_acceptance_share": 0.5},
    {PARAM: 6.0, f"{PARAM}@2024-07-01": 5.0, "immigration_office.dublin_acceptance_share": 0.7},
    {PARAM: 5.0, f"{PARAM}@2024-07-01": 7.0, "immigration_office.dublin_acceptance_share": 0.6},
]
LATER = {"date": "2025-03-01", "field": "cgrs.case_officers_fte", "add": 10, "note": "later"}
EARLIER = {"date": "2024-03-01", "field": "reception.centres.north.places", "add": 20}


@pytest.fixture(scope="module")
def client():
    from distributed import Client

    with Client(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=None) as c:
        yield c


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    """A two-year history with an early and a late change, and a fitted file with three
    members beside it."""
    folder = tmp_path_factory.mktemp("history")
    raw = make_raw(years=2, changes=[EARLIER, LATER])
    (folder / "history.yaml").write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    body = {"base": "history.yaml", "name": "history-fitted", "ensemble": {"members": MEMBERS}}
    (folder / "fitted.yaml").write_text(yaml.safe_dump(body, sort_keys=False), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def forecast(fitted, client):
    out = fitted / "forecast.yaml"
    scenario = write_forward(
        fitted / "fitted.yaml", ORIGIN, out, client, seed=4, runs=fitted / "runs"
    )
    return scenario, out


def test_the_forecast_starts_the_day_after_the_origin_with_the_later_inputs(forecast) -> None:
    scenario, _ = forecast
    assert scenario.start_date == dt.date(2025, 1, 1)
    assert scenario.end_date == dt.date(2025, 12, 31)
    assert [c.note for c in scenario.changes] == ["later"]  # earlier changes are history
    assert sorted(scenario.inflow.monthly_persons) == [f"2025-{m:02d}" for m in range(1, 13)]
    # a changeable field starts at its value on the origin: the early change is in it
    start = make_scenario(years=2).reception.centres["north"].places
    assert scenario.reception.centres["north"].places == start + 20


def test_each_member_keeps_its_value_on_the_origin(forecast, fitted) -> None:
    scenario, _ = forecast
    assert len(scenario.ensemble.members) == 3
    history = load_config(fitted / "fitted.yaml")
    for k, values in enumerate(MEMBERS):
        member = scenario.member(k)
        # the value fitted from July 2024 is in force on the origin
        assert member.cgrs.decisions_per_officer_per_month == values[f"{PARAM}@2024-07-01"]
        share = member.immigration_office.dublin_acceptance_share
        assert share == values["immigration_office.dublin_acceptance_share"]
        on_origin = Timeline(history.member(k)).values_on(history.member(k).day_of(ORIGIN))
        assert member.cgrs.decisions_per_officer_per_month == on_origin[PARAM]


def test_each_member_starts_from_its_own_history(forecast, fitted) -> None:
    scenario, _ = forecast
    history = load_config(fitted / "fitted.yaml")
    seeds = replication_seeds(4, 3)
    starts = []
    for k in range(3):
        model = ProtectionSystem(history_until(history.member(k), ORIGIN), seeds[k])
        model.run_to_end()
        state = model.state_summary()
        member_state = scenario.member(k).initial_state.model_dump()
        for field in (
            "pending_cgrs_persons",
            "dublin_accepted_persons",
            "without_reception_persons",
        ):
            assert member_state[field] == state[field], (k, field)
        assert member_state["in_reception_persons"] == state["in_reception_persons"]
        starts.append(member_state["pending_cgrs_persons"])
    assert len(set(starts)) > 1  # different values and seeds: different states


def test_the_forecast_runs_and_a_second_call_runs_nothing_again(forecast, fitted, client) -> None:
    scenario, out = forecast
    frame = ProtectionSystem(scenario.member(1), 0).run_to_end()
    assert len(frame) == scenario.days
    stored = sorted((fitted / "runs" / "shards").glob("*.parquet"))
    assert len(stored) == 3
    stamps = [p.stat().st_mtime_ns for p in stored]
    write_forward(fitted / "fitted.yaml", ORIGIN, out, client, seed=4, runs=fitted / "runs")
    assert [p.stat().st_mtime_ns for p in stored] == stamps


def test_a_template_takes_the_inputs_and_shares_the_residents(fitted, client) -> None:
    centres = {
        "big": {"type": "collective", "places": 400, "cost_eur_per_night": 45},
        "small": {"type": "collective", "places": 100, "cost_eur_per_night": 45},
        "local": {"type": "lri", "places": 300, "cost_eur_per_night": 37},
    }
    raw = make_raw(years=2)
    raw.update(start_date=dt.date(2025, 1, 1), end_date=dt.date(2025, 12, 31))
    raw["reception"]["centres"] = centres
    raw["initial_state"] = {}
    template = fitted / "template.yaml"
    template.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    out = fitted / "with-template.yaml"
    scenario = write_forward(
        fitted / "fitted.yaml", ORIGIN, out, client, template, seed=4, runs=fitted / "runs"
    )
    assert yaml.safe_load(out.read_text())["base"] == "template.yaml"
    history = load_config(fitted / "fitted.yaml")
    for k in range(3):
        mine = scenario.member(k).initial_state.in_reception_persons
        model = ProtectionSystem(
            history_until(history.member(k), ORIGIN), replication_seeds(4, 3)[k]
        )
        model.run_to_end()
        residents = model.state_summary()["in_reception_persons"]
        assert sum(mine.values()) == sum(residents.values())
        assert mine["big"] == pytest.approx(4 * mine["small"], abs=2)  # by places
        assert all(mine[name] <= centres[name]["places"] for name in mine)
    with pytest.raises(ForwardError, match="start_date: expected the day after the origin"):
        write_forward(
            fitted / "fitted.yaml", dt.date(2024, 11, 30), out, client, template, runs=fitted / "r"
        )


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(0, 300), min_size=3, max_size=3),
    st.lists(st.integers(0, 400), min_size=3, max_size=3),
)
def test_spread_residents_keeps_the_total_within_the_places(residents, places) -> None:
    history = make_scenario()  # centres north (collective), south (lri), tents (emergency)
    raw = make_raw()
    raw["reception"]["centres"] = {
        f"c{i}": {"type": kind, "places": p, "cost_eur_per_night": 40}
        for i, (kind, p) in enumerate(zip(("collective", "lri", "emergency"), places, strict=True))
    }
    raw["initial_state"] = {}
    from flowsim.config import scenario_from_dict

    template = scenario_from_dict(raw, "<t>")
    names = list(history.reception.centres)
    spread = spread_residents(
        dict(zip(names, map(float, residents), strict=True)), history, template
    )
    assert all(spread[f"c{i}"] <= places[i] for i in range(3))
    assert all(v == int(v) and v >= 0 for v in spread.values())
    if sum(residents) <= sum(places):
        assert sum(spread.values()) == sum(residents)
    else:
        assert sum(spread.values()) == sum(places)
    assert np.isfinite(list(spread.values())).all()
