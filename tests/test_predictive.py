"""Predictive bands: the fit's error scales by hand, their fallbacks, and the predictive
samples' quantiles against Student-t's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from flowsim.validation.predictive import (
    DRAWS_PER_RUN,
    ERROR_COLUMNS,
    MIN_EFFECTIVE_POINTS,
    add_predictive,
    error_scales,
    predictive_samples,
    scale_of,
)

D = pd.Timestamp


def fit_points() -> pd.DataFrame:
    """A yearly series off by +10% and -10% (log), a monthly one off by 5% twice, and rows
    the likelihood leaves out (an input, a hindcast point, a wider scope)."""
    rows = [
        ("backlog", "day", "2020-12-31", 110.0, 100.0, "outcome", "fit", "same"),
        ("backlog", "day", "2021-12-31", 100.0, 110.0, "outcome", "fit", "same"),
        ("decisions", "month", "2021-01-31", 105.0, 100.0, "outcome", "fit", "same"),
        ("decisions", "month", "2021-02-28", 105.0, 100.0, "outcome", "fit", "same"),
        ("decisions", "month", "2021-03-31", 500.0, 100.0, "input", "fit", "same"),
        ("backlog", "day", "2023-12-31", 500.0, 100.0, "outcome", "hindcast", "same"),
        ("returns", "year", "2021-12-31", 500.0, 100.0, "outcome", "fit", "wider"),
    ]
    columns = ["series", "resolution", "end", "observed", "model_median", "role", "split"]
    frame = pd.DataFrame(rows, columns=[*columns, "scope"])
    return frame.assign(end=pd.to_datetime(frame["end"]))


def test_error_scales_by_hand() -> None:
    scales = error_scales(fit_points(), floor=0.02).set_index("series")
    assert list(scales.columns) == ERROR_COLUMNS[1:]
    assert set(scales.index) == {"backlog", "decisions"}  # inputs, hindcast, wider left out
    e = np.log(1.1)
    assert scales.loc["backlog", "scale"] == pytest.approx(np.sqrt(e * e + 0.02**2))
    assert scales.loc["backlog", "points"] == 2
    assert scales.loc["backlog", "effective_points"] == pytest.approx(1 + 365 / 365.25)
    e = np.log(1.05)
    assert scales.loc["decisions", "scale"] == pytest.approx(np.sqrt(e * e + 0.02**2))
    # the second month counts as the share of a year since the first, as in the likelihood
    assert scales.loc["decisions", "effective_points"] == pytest.approx(1 + 28 / 365.25)


def test_scale_of_falls_back_to_the_series_then_to_the_median() -> None:
    scales = pd.DataFrame(
        [
            ["backlog", "day", 10, 8.0, 0.2],
            ["decisions", "month", 60, 5.0, 0.1],
            ["decisions", "year", 5, 5.0, 0.05],
        ],
        columns=ERROR_COLUMNS,
    )
    assert scale_of(scales, "decisions", "year") == (0.05, 5.0)
    assert scale_of(scales, "decisions", "quarter") == (0.1, 5.0)  # the largest of the series
    assert scale_of(scales, "occupancy", "day") == (0.1, 5.0)  # the median of all
    with pytest.raises(ValueError, match="no error scales"):
        scale_of(scales.iloc[:0], "backlog", "day")


def test_an_error_seen_in_one_year_only_gives_no_band() -> None:
    """One observed year cannot measure an error: t with one degree of freedom would put
    the 90% band at hundreds of times the median. Such a resolution borrows its series'
    measured one; a series measured at no resolution gets no band; the others keep theirs."""
    scales = pd.DataFrame(
        [
            ["without", "day", 1, 1.0, 0.9],
            ["occupancy", "span", 1, 1.0, 0.02],
            ["occupancy", "month", 6, 3.5, 0.03],
            ["backlog", "day", 10, 4.0, 0.1],
        ],
        columns=ERROR_COLUMNS,
    )
    assert np.isnan(scale_of(scales, "without", "day")).all()
    assert scale_of(scales, "occupancy", "span") == (0.03, 3.5)
    assert scale_of(scales, "returns", "year") == (0.065, 3.75)  # never fitted: the median
    points = pd.DataFrame({"series": ["without", "backlog"], "resolution": ["day", "day"]})
    found, draws = add_predictive(points, np.full((40, 2), 1000.0), scales, seed=2)
    assert np.isnan(draws[:, 0]).all() and np.isfinite(draws[:, 1]).all()
    assert found["predictive_q95"].isna().tolist() == [True, False]
    assert 1000 < found["predictive_q95"].iloc[1] < 1400


@settings(max_examples=20, deadline=None)
@given(
    scale=st.floats(0.01, 0.5),
    dof=st.floats(MIN_EFFECTIVE_POINTS, 30.0),
    level=st.sampled_from([0.5, 0.9]),
)
def test_predictive_quantiles_are_students(scale: float, dof: float, level: float) -> None:
    """Runs that all say 1,000 persons: the predictive band is 1,000 x exp(t quantiles x
    scale), the runs' band a point."""
    scales = pd.DataFrame([["backlog", "day", 10, dof, scale]], columns=ERROR_COLUMNS)
    points = pd.DataFrame({"series": ["backlog"], "resolution": ["day"]})
    runs = np.full((400, 1), 1000.0)
    draws = predictive_samples(runs, points, scales, seed=1)
    assert draws.shape == (400 * DRAWS_PER_RUN, 1)
    high = np.quantile(draws[:, 0], (1 + level) / 2)
    expected = 1000.0 * np.exp(stats.t.ppf((1 + level) / 2, dof) * scale)
    # Monte Carlo with 20,000 draws: the quantile's log within 5% of the scale's t quantile
    assert np.log(high / 1000.0) == pytest.approx(np.log(expected / 1000.0), rel=0.06)
    assert np.median(draws) == pytest.approx(1000.0, rel=0.01)


def test_predictive_samples_keep_missing_runs_and_are_deterministic() -> None:
    scales = pd.DataFrame([["backlog", "day", 10, 5.0, 0.1]], columns=ERROR_COLUMNS)
    points = pd.DataFrame({"series": ["backlog", "backlog"], "resolution": ["day", "day"]})
    runs = np.array([[100.0, np.nan], [120.0, np.nan]])
    first = predictive_samples(runs, points, scales, seed=3)
    assert np.isnan(first[:, 1]).all() and np.isfinite(first[:, 0]).all()
    np.testing.assert_array_equal(first, predictive_samples(runs, points, scales, seed=3))
    with pytest.raises(ValueError, match="columns of samples"):
        predictive_samples(runs[:, :1], points, scales)
