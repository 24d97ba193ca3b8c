"""Carrying a calibrated history forward: each member's own values and state at the origin,
the history's inputs after it (or a template's), residents shared among a template's
centres."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import make_raw, make_scenario
from flowsim.model import ProtectionSystem
from flowsim.results.runs import replication_seeds
from flowsim.results.store import RunStore
from flowsim.scenario.loading import load_config
from flowsim.scenario.timeline import Timeline
from flowsim.validation.forward import (
    STATE,
    ForwardError,
    anchor_members,
    history_until,
    observed_state,
    spread_residents,
    write_forward,
)

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
    ensemble = {"members": MEMBERS, "errors_file": "errors.csv"}
    (folder / "errors.csv").write_text(ERRORS, encoding="utf-8")
    body = {"base": "history.yaml", "name": "history-fitted", "ensemble": ensemble}
    (folder / "fitted.yaml").write_text(yaml.safe_dump(body, sort_keys=False), encoding="utf-8")
    return folder


# the calibration's errors per series (flowsim.validation.predictive), as calibrate writes them
ERRORS = (
    "series,resolution,points,effective_points,scale\n"
    "cgrs_backlog,day,12,4.5,0.21\n"
    "cgrs_decisions,year,8,8.0,0.08\n"
)


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


def test_the_fits_errors_travel_with_the_members(forecast) -> None:
    """The calibration's error per series reaches the forecast file (beside its members),
    so that its runs can be given predictive bands."""
    scenario, out = forecast
    errors = [
        (e.series, e.resolution, e.points, e.effective_points, e.scale)
        for e in scenario.ensemble.errors
    ]
    assert errors == [
        ("cgrs_backlog", "day", 12, 4.5, 0.21),
        ("cgrs_decisions", "year", 8, 8.0, 0.08),
    ]
    assert "errors_file: forecast-errors.csv" in out.read_text(encoding="utf-8")
    assert (out.parent / "forecast-errors.csv").read_text(encoding="utf-8") == ERRORS


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
    stored = sorted((fitted / "runs").rglob("*.parquet"))
    assert RunStore(fitted / "runs").count() == 3 and len(stored) == 1  # compacted: one part
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
    with pytest.raises(ForwardError, match="--name: expected a label"):
        write_forward(fitted / "fitted.yaml", ORIGIN, out, client, template, name="../../x")


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
    from flowsim.scenario.loading import scenario_from_dict

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


def stocks_table(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    """Observed stocks (series, date, persons) as load_observed gives them."""
    frame = pd.DataFrame(rows, columns=["series", "end", "value"])
    frame["end"] = pd.to_datetime(frame["end"])
    return frame.assign(start=frame["end"], kind="stock")


def test_the_observed_state_is_the_latest_figure_up_to_the_origin() -> None:
    table = stocks_table(
        [
            ("cgrs_backlog", "2024-11-30", 900.0),
            ("cgrs_backlog", "2024-12-20", 1000.0),
            ("cgrs_backlog", "2025-01-05", 5000.0),  # after the origin: never read
            ("in_reception", "2024-10-01", 700.0),  # over a month before it: not the state
            ("without_reception", "2024-12-31", 40.0),
            ("cgrs_decisions", "2024-12-31", 99.0),  # no stock of the start state
        ]
    )
    state = observed_state(table, ORIGIN)
    assert state == {
        "cgrs_backlog": (1000.0, "2024-12-20"),
        "without_reception": (40.0, "2024-12-31"),
    }


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(0, 300), min_size=3, max_size=3),
    st.integers(0, 1500),
    st.integers(0, 5000),
    st.integers(0, 3000),
)
def test_anchored_members_hold_the_observed_stocks(residents, observed, backlog, waiting):
    places = {"north": 300.0, "south": 300.0, "tents": 300.0}
    row = {
        f"{STATE}in_reception_persons.{c}": float(r) for c, r in zip(places, residents, strict=True)
    }
    from flowsim.scenario.initial_state import InitialState

    row.update({STATE + f: 0.0 for f in InitialState.model_fields if f != "in_reception_persons"})
    row.update(
        {
            "member": 0,
            f"{STATE}pending_cgrs_persons": 10.0,
            f"{STATE}without_reception_persons": 0.0,
            f"{STATE}dublin_requested_persons": 5.0,
            f"{STATE}dublin_accepted_persons": 7.0,
        }
    )
    stocks = {
        "cgrs_backlog": (float(backlog), "d"),
        "in_reception": (float(observed), "d"),
        "without_reception": (float(waiting), "d"),
    }
    # without a residents' figure: the member's residents, at most who can live there
    alone = anchor_members(pd.DataFrame([row]), {"cgrs_backlog": stocks["cgrs_backlog"]}, places)
    kept = [alone.iloc[0][f"{STATE}in_reception_persons.{c}"] for c in places]
    assert sum(kept) == min(sum(residents), backlog + 12)
    out = anchor_members(pd.DataFrame([row]), stocks, places).iloc[0]
    assert out[f"{STATE}pending_cgrs_persons"] == backlog
    placed = sum(out[f"{STATE}in_reception_persons.{c}"] for c in places)
    assert out[f"{STATE}without_reception_persons"] == min(waiting, backlog + 12 - placed)
    assert out[f"{STATE}dublin_accepted_persons"] == 7.0  # nothing observes it: kept
    kept = [out[f"{STATE}in_reception_persons.{c}"] for c in places]
    assert all(v == int(v) and 0 <= v <= 300 for v in kept)
    if sum(residents) > 0:
        assert sum(kept) == min(observed, 900, backlog + 12)  # who can live there
        if observed <= backlog + 12 and observed * max(residents) <= 300 * sum(
            residents
        ):  # no centre full: by shares
            for mine, before in zip(kept, residents, strict=True):
                assert abs(mine - before * observed / sum(residents)) <= 1
    else:
        assert kept == [0, 0, 0]


def test_a_forecast_starts_from_the_observed_stocks(fitted, client) -> None:
    table = stocks_table([("cgrs_backlog", "2024-12-31", 321.0)])
    out = fitted / "anchored.yaml"
    scenario = write_forward(
        fitted / "fitted.yaml", ORIGIN, out, client, seed=4, runs=fitted / "runs", observed=table
    )
    assert scenario.ensemble is not None
    assert "pending_cgrs_persons set to the observed cgrs_backlog of 2024-12-31" in (
        scenario.ensemble.source
    )
    for k in range(len(MEMBERS)):
        assert scenario.member(k).initial_state.pending_cgrs_persons == 321
