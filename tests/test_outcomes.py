"""Outcomes: each statistic on a hand-made run."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from flowsim.experiments.outcomes import Outcome, compute_outcome, compute_outcomes


@pytest.fixture
def run() -> pd.DataFrame:
    dates = pd.date_range("2024-01-01", periods=10, freq="D")
    return pd.DataFrame(
        {
            "date": dates,
            "without_reception": [0, 5, 12, 12, 3, 15, 16, 17, 2, 0],
            "cost_eur": np.arange(10, dtype=float) * 100,
            "in_reception": [50] * 10,
            "reception_capacity": [100] * 9 + [0],
        }
    )


@pytest.mark.parametrize(
    ("definition", "expected"),
    [
        ({"series": "without_reception", "stat": "max"}, 17),
        ({"series": "without_reception", "stat": "min", "from": "2024-01-02"}, 0),
        ({"series": "cost_eur", "stat": "sum"}, 4500),
        ({"series": "cost_eur", "stat": "mean", "from": "2024-01-03", "to": "2024-01-05"}, 300),
        ({"series": "without_reception", "stat": "value", "date": "2024-01-06"}, 15),
        ({"series": "without_reception", "stat": "days_above", "threshold": 10}, 5),
        ({"series": "without_reception", "stat": "longest_above", "threshold": 10}, 3),
        ({"series": "without_reception", "stat": "longest_above", "threshold": 99}, 0),
        ({"series": "occupancy_rate", "stat": "max"}, 0.5),  # a day without places counts 0
        ({"series": "occupancy_rate", "stat": "min"}, 0.0),
    ],
)
def test_each_statistic(run, definition, expected):
    assert compute_outcome(run, Outcome.model_validate(definition)) == pytest.approx(expected)


def test_a_period_outside_the_run_gives_nan(run):
    late = Outcome(series="cost_eur", stat="sum", start=dt.date(2025, 1, 1))
    missing = Outcome(series="cost_eur", stat="value", date=dt.date(2025, 1, 1))
    values = compute_outcomes(run, {"late": late, "missing": missing})
    assert math.isnan(values["late"]) and math.isnan(values["missing"])


@pytest.mark.parametrize(
    "definition",
    [
        {"series": "cost_eur", "stat": "value"},
        {"series": "cost_eur", "stat": "days_above"},
        {"series": "cost_eur", "stat": "max", "threshold": 3},
        {"series": "cost_eur", "stat": "sum", "from": "2024-02-01", "to": "2024-01-01"},
    ],
)
def test_inconsistent_definitions_are_rejected(definition):
    with pytest.raises(ValueError):
        Outcome.model_validate(definition)
