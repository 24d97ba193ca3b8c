"""Policy rules triggered by the state of the system, and their events log."""

from __future__ import annotations

import numpy as np
import pytest

from flowsim.model import ProtectionSystem
from flowsim.scenario.errors import ConfigError
from flowsim.scenario.loading import scenario_from_dict

# A network too small for the inflow, with a buffer site that starts closed.
FULL = {
    "reception.centres.north.places": 100,
    "reception.centres.south.places": 30,
    "reception.centres.tents.places": 0,
    "reception.leave_to_private_housing_per_month": 0.02,
}

BUFFER = {
    "name": "buffer places",
    "when": {"series": "occupancy_rate", "above": 0.95, "for_days": 14},
    "then": {"field": "reception.centres.tents.places", "add": 500, "after_days": 42},
}


def run(scenario, seed=0):
    model = ProtectionSystem(scenario, seed)
    frame = model.run_to_end()
    return model, frame, model.events()


def test_buffer_places_open_after_the_lead_time(small_scenario):
    scenario = small_scenario(**FULL, triggers=[{**BUFFER, "once": True}])
    _, frame, events = run(scenario)
    fired = events[events.event == "fired"]
    applied = events[events.event == "applied"]
    assert len(fired) == 1 and len(applied) == 1
    fire_day = (fired.date.iloc[0] - frame.date.iloc[0]).days
    apply_day = (applied.date.iloc[0] - frame.date.iloc[0]).days
    assert apply_day == fire_day + 1 + 42
    occupancy = frame.in_reception / frame.reception_capacity
    # it fired on the first day occupancy had been above 95% for 14 days in a row
    above = (occupancy > 0.95).to_numpy()
    streaks = [above[d - 13 : d + 1].all() for d in range(13, len(above))]
    assert fire_day == 13 + streaks.index(True)
    # the places open on the application day, not before
    assert (frame.capacity_emergency.iloc[:apply_day] == 0).all()
    assert (frame.capacity_emergency.iloc[apply_day:] == 500).all()
    assert applied.value.iloc[0] == 500
    # and lower the number of people without a place while open
    assert frame.without_reception.iloc[apply_day + 5] < frame.without_reception.iloc[apply_day - 1]


def test_buffer_places_close_when_occupancy_stays_low(small_scenario):
    trigger = {
        **BUFFER,
        "then": {"field": "reception.centres.tents.places", "add": 3000, "after_days": 10},
        "until": {"series": "occupancy_rate", "below": 0.85, "for_days": 30},
    }
    scenario = small_scenario(years=2, **FULL, triggers=[trigger])
    _, frame, events = run(scenario)
    kinds = list(events.event)
    assert kinds[:4] == ["fired", "applied", "released", "reversed"]
    reversed_day = (events[events.event == "reversed"].date.iloc[0] - frame.date.iloc[0]).days
    released_day = (events[events.event == "released"].date.iloc[0] - frame.date.iloc[0]).days
    assert reversed_day == released_day + 1
    occupancy = (frame.in_reception / frame.reception_capacity).to_numpy()
    assert (occupancy[released_day - 29 : released_day + 1] < 0.85).all()
    assert frame.capacity_emergency.iloc[reversed_day] == 0
    assert frame.capacity_emergency.iloc[reversed_day - 1] == 3000
    # capacity is never exceeded, even as the buffer closes under its residents
    assert (frame.in_reception <= frame.reception_capacity).all()


def test_officers_hired_when_the_backlog_passes_a_threshold(small_scenario):
    trigger = {
        "name": "hire officers",
        "when": {"series": "cgrs_backlog_cases", "above": 300},
        "then": {"field": "cgrs.case_officers_fte", "add": 30, "after_days": 90},
        "once": True,
    }
    base = small_scenario(**{"cgrs.case_officers_fte": 10})
    with_rule = small_scenario(**{"cgrs.case_officers_fte": 10}, triggers=[trigger])
    _, frame0, events0 = run(base)
    model, frame1, events1 = run(with_rule)
    assert events0.empty
    applied = events1[events1.event == "applied"]
    assert len(applied) == 1 and applied.value.iloc[0] == 40
    day = (applied.date.iloc[0] - frame1.date.iloc[0]).days
    # identical until the new officers are productive (hiring lag of 60 days)
    lag = int(with_rule.cgrs.hiring_lag_days)
    np.testing.assert_array_equal(
        frame0.cgrs_decisions.iloc[: day + lag], frame1.cgrs_decisions.iloc[: day + lag]
    )
    assert frame1.cgrs_backlog.iloc[-1] < frame0.cgrs_backlog.iloc[-1]


def test_a_rule_without_until_rearms_only_after_its_condition_drops(small_scenario):
    trigger = {
        "name": "more places",
        "when": {"series": "without_reception", "above": 0},
        "then": {"field": "reception.centres.tents.places", "add": 20},
    }
    _, frame, events = run(small_scenario(**FULL, triggers=[trigger]))
    fired = events[events.event == "fired"]
    assert len(fired) >= 1
    # between two firings, the condition stopped holding at least once
    days = ((fired.date - frame.date.iloc[0]).dt.days).to_numpy()
    waiting = frame.without_reception.to_numpy()
    for a, b in zip(days[:-1], days[1:], strict=True):
        assert (waiting[a + 1 : b] <= 0).any()


def test_events_are_written_with_the_results(small_scenario, tmp_path):
    from flowsim.results.runs import run_replications, write_results

    scenario = small_scenario(**FULL, triggers=[{**BUFFER, "once": True}])
    tables, seeds = run_replications(scenario, 2, 1)
    write_results(tmp_path, scenario, tables, seeds, 1, 1.0)
    import pandas as pd

    written = pd.read_parquet(tmp_path / "events.parquet")
    assert list(written.columns) == ["replication", "date", "trigger", "event", "field", "value"]
    assert set(written.replication) == {0, 1}


@pytest.mark.parametrize(
    "trigger, message",
    [
        (
            {**BUFFER, "when": {"series": "ocupancy_rate", "above": 0.9}},
            "triggers.0.when.series: expected a stock series (e.g. occupancy_rate), got "
            "'ocupancy_rate' (did you mean occupancy_rate, lri_occupancy?)",
        ),
        (
            {**BUFFER, "then": {"field": "inflow.scale", "multiply": 0.5}},
            "triggers.0.then.field: expected a field that can change during the run (arrivals "
            "and resettlement transfers are drawn when it starts), got 'inflow.scale'",
        ),
        (
            {**BUFFER, "then": {"field": "reception.centres.tents.places", "add": -1000}},
            "triggers.0 (buffer places) gives an invalid value: "
            "reception.centres.tents.places: input should be greater than or equal to 0, "
            "got -960.0",
        ),
        (
            {**BUFFER, "when": {"series": "occupancy_rate", "above": 0.9, "below": 0.5}},
            "triggers.0.when: expected exactly one of above, below",
        ),
        (
            {
                **BUFFER,
                "then": {"field": "resettlement.transfer_persons_per_month", "set": 0},
            },
            "triggers.0.then.field: expected a field that can change during the run (arrivals "
            "and resettlement transfers are drawn when it starts), got "
            "'resettlement.transfer_persons_per_month'",
        ),
    ],
    ids=["unknown series", "inflow field", "invalid value", "two thresholds", "pledge"],
)
def test_bad_triggers_are_rejected(small_raw, trigger, message):
    with pytest.raises(ConfigError) as err:
        scenario_from_dict(small_raw(triggers=[trigger]), "t.yaml")
    assert err.value.problems == [f"t.yaml: {message}"]
