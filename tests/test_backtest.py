"""Backtest metrics on hand-made series: persistence, skill, ARD and coverage by hand, the
markdown table and its targets."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from flowsim.validation.backtest import (
    markdown,
    persistence,
    score_points,
    skill,
    summarise_points,
)
from flowsim.validation.observed import ModelRun
from flowsim.validation.predictive import ERROR_COLUMNS

D = pd.Timestamp


def scales(scale: float) -> pd.DataFrame:
    """The calibration's error scales: one fitted series with ``scale`` (many points)."""
    return pd.DataFrame([["cgrs_backlog", "day", 40, 1e6, scale]], columns=ERROR_COLUMNS)


def observed_rows() -> pd.DataFrame:
    """A backlog observed at three dates and decisions in two years."""
    rows = [
        ("cgrs_backlog", "stock", D("2019-06-30"), D("2019-06-30"), 1000.0),
        ("cgrs_backlog", "stock", D("2019-12-31"), D("2019-12-31"), 1200.0),
        ("cgrs_backlog", "stock", D("2020-06-30"), D("2020-06-30"), 1500.0),
        ("cgrs_backlog", "stock", D("2020-12-31"), D("2020-12-31"), 1800.0),
        ("cgrs_decisions", "flow", D("2019-01-01"), D("2019-12-31"), 3650.0),
        ("cgrs_decisions", "flow", D("2020-01-01"), D("2020-12-31"), 3000.0),
        ("cgrs_decisions", "flow", D("2020-03-01"), D("2020-03-31"), 250.0),
    ]
    frame = pd.DataFrame(rows, columns=["series", "kind", "start", "end", "value"])
    return frame.assign(in_model=True, role="outcome", split="fit", scope="same", unit="persons")


def test_persistence_keeps_the_last_stock_and_the_last_rate() -> None:
    table = observed_rows()
    origin = D("2019-12-31")
    stock = pd.Series({"series": "cgrs_backlog", "kind": "stock", "resolution": "day"})
    assert persistence(table, stock.copy(), origin) == 1200.0
    year = pd.Series(
        {
            "series": "cgrs_decisions",
            "kind": "flow",
            "resolution": "year",
            "start": D("2020-01-01"),
            "end": D("2020-12-31"),
        }
    )
    assert persistence(table, year, origin) == pytest.approx(3650 / 365 * 366)
    month = year.copy()
    month.update({"resolution": "month", "start": D("2020-03-01"), "end": D("2020-03-31")})
    assert np.isnan(persistence(table, month, origin))  # no monthly figure before the origin


def test_skill_by_hand() -> None:
    observed = np.array([10.0, 20.0])
    assert skill(np.array([11.0, 19.0]), observed, np.array([12.0, 16.0])) == pytest.approx(
        1 - 1.0 / 3.0
    )
    assert skill(np.array([14.0, 16.0]), observed, np.array([12.0, 18.0])) == pytest.approx(-1.0)
    assert np.isnan(skill(np.array([1.0]), np.array([2.0]), np.array([2.0])))  # exact naive


def forecast_run() -> ModelRun:
    """Two runs of 2020: the backlog rising linearly from 1300 (run 0) or 1400 (run 1) by
    one person a day; decisions 9 or 10 a day."""
    dates = pd.date_range("2020-01-01", "2020-12-31", freq="D")
    frames = []
    for rep, (start, per_day) in enumerate(((1300, 9.0), (1400, 10.0))):
        frames.append(
            pd.DataFrame(
                {
                    "replication": rep,
                    "date": dates,
                    "cgrs_backlog": start + np.arange(len(dates), dtype=float),
                    "cgrs_decisions": per_day,
                }
            )
        )
    return ModelRun(pd.concat(frames, ignore_index=True))


def test_score_points_and_summary_by_hand() -> None:
    points, samples, predictive = score_points(
        forecast_run(), observed_rows(), dt.date(2019, 12, 31), dt.date(2020, 12, 31), scales(1e-6)
    )
    backlog = points[points["series"] == "cgrs_backlog"]
    assert list(backlog["observed"]) == [1500.0, 1800.0]
    # medians: mean of the two runs on 2020-06-30 (day 181) and 2020-12-31 (day 365)
    np.testing.assert_allclose(backlog["model_median"], [1350 + 181, 1350 + 365])
    assert list(backlog["persistence"]) == [1200.0, 1200.0]
    summary = summarise_points(points, samples, predictive)
    row = summary[(summary["origin"] == "all") & (summary["series"] == "cgrs_backlog")].iloc[0]
    errors = np.abs(np.array([1531.0, 1715.0]) - [1500, 1800])
    assert row["ard"] == pytest.approx(np.mean(errors / [1500, 1800]))
    assert row["skill"] == pytest.approx(1 - errors.mean() / np.mean([300, 600]))
    # runs at 1481/1581 and 1665/1765: 1500 inside [1481, 1581]'s 90% band, 1800 outside
    assert row["coverage_90"] == pytest.approx(0.5)
    # a negligible error of the model's own: the predictive band is the runs' band
    assert row["predictive_90"] == pytest.approx(0.5)
    decisions = summary[(summary["origin"] == "all") & (summary["series"] == "cgrs_decisions")]
    year = decisions[decisions["resolution"] == "year"].iloc[0]
    assert year["ard"] == pytest.approx(abs(9.5 * 366 - 3000) / 3000)


def test_the_models_own_error_widens_the_predictive_band() -> None:
    """1800 lies 5% above the runs' band; with the fit's error of 10% on the backlog (and
    every other series, which fall back on it), it is inside the predictive 90% band."""
    points, samples, predictive = score_points(
        forecast_run(), observed_rows(), dt.date(2019, 12, 31), dt.date(2020, 12, 31), scales(0.1)
    )
    summary = summarise_points(points, samples, predictive)
    row = summary[(summary["origin"] == "all") & (summary["series"] == "cgrs_backlog")].iloc[0]
    assert row["coverage_90"] == pytest.approx(0.5)
    assert row["predictive_90"] == pytest.approx(1.0)
    backlog = points[points["series"] == "cgrs_backlog"]
    assert (backlog["predictive_q05"] < backlog["model_q05"]).all()
    assert (backlog["predictive_q95"] > backlog["model_q95"]).all()
    assert predictive.shape[1] == samples.shape[1] == len(points)


def test_markdown_reports_the_targets() -> None:
    points, samples, predictive = score_points(
        forecast_run(), observed_rows(), dt.date(2019, 12, 31), dt.date(2020, 12, 31), scales(0.1)
    )
    text = markdown(summarise_points(points, samples, predictive), "settings line")
    assert text.startswith("settings line\n")
    assert "| `cgrs_backlog` | day | 2 |" in text
    assert "ARD <= 0.15 on `cgrs_backlog` (day): 0.03, met" in text
    assert "better than persistence on `cgrs_backlog` (day): skill 0.87, met" in text
    assert "observed inside the predictive 90% band at least 80% of the time" in text
    assert "inside the runs' 90% band, parameters and seeds only" in text
