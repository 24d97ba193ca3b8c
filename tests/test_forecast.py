"""The forecast table: stocks at each whole year's end and on days asked for, flows over
each whole year, the runs' band and the predictive band where the calibration measured the
series; the command writes forecast.csv and the docs block."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from flowsim.cli import main
from flowsim.results.runs import run_replications, write_results
from flowsim.validation.forecast import forecast_table
from flowsim.validation.observed import ModelRun
from flowsim.validation.predictive import ERROR_COLUMNS, manifest_scales


def two_years(start: str = "2023-01-01") -> ModelRun:
    """Two runs to the end of 2024: the backlog from 1,000 (run 0) or 1,100 (run 1), one
    person more a day; 10 or 12 decisions a day."""
    dates = pd.date_range(start, "2024-12-31", freq="D")
    frames = [
        pd.DataFrame(
            {
                "replication": rep,
                "date": dates,
                "cgrs_backlog": base + np.arange(len(dates), dtype=float),
                "cgrs_decisions": per_day,
            }
        )
        for rep, (base, per_day) in enumerate(((1000.0, 10.0), (1100.0, 12.0)))
    ]
    return ModelRun(pd.concat(frames, ignore_index=True))


BACKLOG_ONLY = pd.DataFrame([["cgrs_backlog", "day", 20, 6.0, 0.1]], columns=ERROR_COLUMNS)


def test_the_table_by_hand() -> None:
    table = forecast_table(two_years(), BACKLOG_ONLY, on=[dt.date(2023, 3, 31)])
    backlog = table[table["series"] == "cgrs_backlog"].set_index("end")
    assert list(backlog.index) == [
        pd.Timestamp(d) for d in ("2023-03-31", "2023-12-31", "2024-12-31")
    ]
    # day 364 of the run on 31 December 2023: the runs at 1,364 and 1,464
    assert backlog.loc["2023-12-31", "median"] == pytest.approx(1414.0)
    assert backlog.loc["2023-12-31", "q05"] == pytest.approx(1364 + 0.05 * 100)
    assert backlog.loc["2023-03-31", "median"] == pytest.approx(1050.0 + 89)
    assert (backlog["predictive_q05"] < backlog["q05"]).all()
    assert (backlog["predictive_q95"] > backlog["q95"]).all()
    assert (backlog["label"] == "CGRS backlog").all() and (backlog["unit"] == "persons").all()
    decisions = table[table["series"] == "cgrs_decisions"].set_index("start")
    assert decisions.loc["2023-01-01", "median"] == pytest.approx(11 * 365)
    assert decisions.loc["2024-01-01", "median"] == pytest.approx(11 * 366)
    # nothing measured the decisions in this made-up calibration: no predictive band
    assert decisions["predictive_q05"].isna().all()
    assert (decisions["predictive_note"] == "not observed in the fit").all()
    assert (backlog["predictive_note"] == "").all()


def test_a_series_observed_in_one_year_only_gets_no_predictive_band() -> None:
    once = pd.DataFrame([["cgrs_decisions", "year", 1, 1.0, 0.9]], columns=ERROR_COLUMNS)
    table = forecast_table(two_years(), pd.concat([BACKLOG_ONLY, once]))
    decisions = table[table["series"] == "cgrs_decisions"]
    assert decisions["predictive_q05"].isna().all()
    assert decisions["predictive_note"].str.contains("observed in 1 year").all()
    backlog = table[table["series"] == "cgrs_backlog"]
    assert backlog["predictive_q05"].notna().all()
    # only what the run recorded
    assert set(table["series"]) == {"cgrs_backlog", "cgrs_decisions"}


def test_only_whole_years_and_days_inside_the_run() -> None:
    table = forecast_table(two_years("2023-03-01"), BACKLOG_ONLY, on=[dt.date(2022, 6, 30)])
    assert set(table["start"].dt.year) == {2024}  # 2023 is not whole
    assert set(table["end"]) == {pd.Timestamp("2024-12-31")}


def test_the_scales_come_from_the_runs_manifest() -> None:
    errors = [
        {
            "series": "cgrs_backlog",
            "resolution": "day",
            "points": 3,
            "effective_points": 2.0,
            "scale": 0.2,
        }
    ]
    manifest = {"config": {"ensemble": {"members": [{}], "errors": errors}}}
    assert manifest_scales(manifest).to_dict("records") == errors
    assert manifest_scales({"config": {"ensemble": None}}).empty


def test_cli_writes_the_table_and_the_docs_block(tmp_path, small_scenario, capsys) -> None:
    scenario = small_scenario()
    tables, seeds = run_replications(scenario, replications=2, seed=1)
    results = tmp_path / "small"
    write_results(results, scenario, tables, seeds, 1, 0.0)
    docs = tmp_path / "validation.md"
    docs.write_text("# Before\n<!-- forecast:begin -->\nold\n<!-- forecast:end -->\nAfter\n")
    args = ["forecast", str(results), "--on", "2024-05-31", "--docs", str(docs)]
    assert main(args) == 0
    frame = pd.read_csv(results / "forecast.csv")
    assert "2024-05-31" in set(frame["end"]) and "2024-12-31" in set(frame["end"])
    assert frame["predictive_q05"].isna().all()  # an uncalibrated scenario carries no errors
    text = docs.read_text()
    assert "\nold\n" not in text and text.endswith("After\n")
    assert "| CGRS backlog (persons) | 31 May 2024 |" in text
    assert "not observed in the fit" in text
    assert "| CGRS decisions (cases) | 2024 (year) |" in text  # the unit once
    assert "0 with a predictive band" in capsys.readouterr().out
    bad = tmp_path / "no-markers.md"
    bad.write_text("# nothing\n")
    assert main(["forecast", str(results), "--docs", str(bad)]) == 2
