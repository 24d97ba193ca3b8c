"""Hindcast metrics against hand computation, and ``flowsim hindcast`` on a tiny run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from flowsim.cli import main
from flowsim.results.runs import run_replications, write_results
from flowsim.validation.hindcast import (
    averaged_relative_difference,
    band_coverage,
    compare,
    mase,
    summarise,
)
from flowsim.validation.observed import ModelRun

finite = st.floats(1.0, 1e6, allow_nan=False, allow_infinity=False)


# --- metrics by hand -------------------------------------------------------------------------


def test_averaged_relative_difference_by_hand() -> None:
    # |110-100|/100 = 0.1, |90-100|/100 = 0.1, |50-50|/50 = 0 -> mean 0.2/3
    assert averaged_relative_difference([110, 90, 50], [100, 100, 50]) == pytest.approx(0.2 / 3)
    # An observed zero has no relative difference: left out.
    assert averaged_relative_difference([5, 120], [0, 100]) == pytest.approx(0.2)
    assert np.isnan(averaged_relative_difference([5], [0]))


def test_mase_by_hand() -> None:
    # Observed 10, 14, 12, 18: naive one-step errors 4, 2, 6 -> scale 4.
    # Model 11, 13, 15, 18: errors 1, 1, 3, 0 -> mean 1.25 -> MASE 0.3125.
    assert mase([11, 13, 15, 18], [10, 14, 12, 18]) == pytest.approx(0.3125)
    assert np.isnan(mase([1.0], [2.0]))  # one point: no naive forecast
    assert np.isnan(mase([1.0, 2.0], [3.0, 3.0]))  # constant observed: no scale


def test_band_coverage_by_hand() -> None:
    # Replications 1..5 at both points: 50% band [2, 4], 90% band [1.2, 4.8].
    samples = np.array([[1, 1], [2, 2], [3, 3], [4, 4], [5, 5]], float)
    observed = np.array([3.0, 4.5])
    assert band_coverage(samples, observed, 0.5) == 0.5
    assert band_coverage(samples, observed, 0.9) == 1.0
    assert band_coverage(samples, np.array([2.0, 0.0]), 0.5) == 0.5  # band ends count as inside
    with pytest.raises(ValueError, match="level"):
        band_coverage(samples, observed, 1.0)


def test_summarise_by_hand() -> None:
    dates = pd.to_datetime(["2021-01-31", "2021-02-28", "2021-03-31", "2021-04-30"])
    points = pd.DataFrame(
        {
            "series": "cgrs_backlog",
            "resolution": "day",
            "kind": "stock",
            "role": "outcome",
            "split": ["fit", "fit", "fit", "hindcast"],
            "scope": "same",
            "unit": "persons",
            "start": dates,
            "end": dates,
            "observed": [10.0, 14.0, 12.0, 18.0],
            "model_median": [11.0, 13.0, 15.0, 18.0],
        }
    )
    samples = np.array([[11.0, 13.0, 15.0, 18.0]] * 3)  # every replication on the median
    row = summarise(points, samples).iloc[0]
    assert (row["points"], row["fit_points"], row["hindcast_points"]) == (4, 3, 1)
    assert row["ard"] == pytest.approx((0.1 + 1 / 14 + 0.25 + 0) / 4)
    assert row["mase"] == pytest.approx(0.3125)
    assert row["coverage_50"] == row["coverage_90"] == 0.25  # only the exact point


# --- properties --------------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(st.lists(finite, min_size=1, max_size=30))
def test_ard_of_identical_series_is_zero(values: list[float]) -> None:
    assert averaged_relative_difference(values, values) == 0.0


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(finite, finite), min_size=2, max_size=30), st.floats(1e-3, 1e3))
def test_mase_and_ard_are_scale_invariant(pairs: list[tuple[float, float]], c: float) -> None:
    model, observed = np.array(pairs).T
    expected = mase(model, observed)
    if np.isfinite(expected):
        assert mase(c * model, c * observed) == pytest.approx(expected, rel=1e-9)
    ard = averaged_relative_difference(model, observed)
    assert averaged_relative_difference(c * model, c * observed) == pytest.approx(ard, rel=1e-9)


@settings(max_examples=50, deadline=None)
@given(
    arrays(float, st.tuples(st.integers(1, 8), st.integers(1, 12)), elements=finite),
    st.data(),
)
def test_band_coverage_is_a_share_and_bands_nest(samples: np.ndarray, data) -> None:
    observed = np.array(data.draw(st.lists(finite, min_size=samples.shape[1],
                                           max_size=samples.shape[1])))  # fmt: skip
    c50 = band_coverage(samples, observed, 0.5)
    c90 = band_coverage(samples, observed, 0.9)
    assert 0.0 <= c50 <= c90 <= 1.0


# --- compare on a hand-made run ------------------------------------------------------------------


def test_compare_skips_what_the_run_does_not_cover() -> None:
    dates = pd.date_range("2021-01-01", "2021-12-31", freq="D")
    frame = pd.concat(
        [pd.DataFrame({"replication": r, "date": dates, "applications": float(r + 1)})
         for r in range(3)],
        ignore_index=True,
    )  # fmt: skip
    observed = pd.DataFrame(
        {
            "series": ["applications", "applications", "cgrs_backlog", "returns_total"],
            "in_model": [True, True, True, False],
            "kind": ["flow", "flow", "stock", "flow"],
            "role": ["input", "input", "outcome", "outcome"],
            "split": "fit",
            "unit": "persons",
            "start": pd.to_datetime(["2021-02-01", "2021-12-01", "2021-06-30", "2021-01-01"]),
            "end": pd.to_datetime(["2021-02-28", "2022-01-31", "2021-06-30", "2021-12-31"]),
            "value": [50.0, 60.0, 7.0, 9.0],
        }
    )
    points, samples = compare(ModelRun(frame), observed)
    # December-January runs past the run's end; the run has no cgrs_backlog; returns_total
    # is observed-only.
    assert points["series"].tolist() == ["applications"]
    assert samples.tolist() == [[28.0], [56.0], [84.0]]  # 28 days x 1, 2, 3 per day
    assert points["model_median"].tolist() == [56.0]


# --- the command on a tiny results folder -------------------------------------------------


@pytest.fixture(scope="module")
def tiny_results(tmp_path_factory, small_scenario) -> Path:
    scenario = small_scenario()
    tables, seeds = run_replications(scenario, replications=3, seed=1)
    out = tmp_path_factory.mktemp("run") / "small"
    write_results(out, scenario, tables, seeds, 1, 0.0)
    return out


def _observed_2024(path: Path) -> Path:
    rows = [
        ("applications", True, "flow", "input", "2024-03-01", "2024-03-31", 300, "persons"),
        ("applications", True, "flow", "input", "2024-04-01", "2024-04-30", 290, "persons"),
        ("cgrs_backlog", True, "stock", "outcome", "2024-06-30", "2024-06-30", 250, "persons"),
        ("cgrs_backlog", True, "stock", "outcome", "2024-09-30", "2024-09-30", 260, "persons"),
        ("cgrs_protection_rate", True, "rate", "outcome", "2024-01-01", "2024-12-31", 40, "%"),
        ("returns_total", False, "flow", "outcome", "2024-01-01", "2024-12-31", 9, "persons"),
    ]  # fmt: skip
    columns = ["series", "in_model", "kind", "role", "start", "end", "value", "unit"]
    table = pd.DataFrame(rows, columns=columns)
    table["split"] = "hindcast"
    table["scope"] = "same"
    table["source_url"] = "https://example.org/hand-made"
    table.to_csv(path, index=False)
    return path


def test_cli_hindcast_writes_table_figures_and_summary(tiny_results, tmp_path, capsys) -> None:
    observed = _observed_2024(tmp_path / "observed.csv")
    out = tmp_path / "hindcast"
    assert (
        main(["hindcast", str(tiny_results), "--observed", str(observed), "--out", str(out)]) == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("applications (month, flow, input): 2 points") for line in lines)
    assert any(line.startswith("cgrs_backlog (day, stock, outcome): 2 points") for line in lines)
    assert any(line.startswith("cgrs_protection_rate (year, rate, outcome)") for line in lines)
    summary = pd.read_csv(out / "hindcast.csv")
    assert set(summary["series"]) == {"applications", "cgrs_backlog", "cgrs_protection_rate"}
    assert summary[["coverage_50", "coverage_90"]].stack().between(0, 1).all()
    points = pd.read_csv(out / "hindcast_points.csv")
    assert len(points) == 5
    # The model's March applications are the daily flow summed over March (replications' median).
    series = pd.read_parquet(tiny_results / "series.parquet")
    march = series[series["date"].between("2024-03-01", "2024-03-31")]
    by_rep = march.groupby("replication")["applications"].sum()
    first = points.iloc[0]
    assert first["model_median"] == pytest.approx(by_rep.median())
    assert (out / "figures" / "hindcast_applications_month.png").stat().st_size > 1000
    assert not list(out.rglob("*.part"))  # atomic writes leave no temporary file


def test_cli_hindcast_with_the_shipped_data_defaults_to_the_results_folder(tiny_results) -> None:
    # The small scenario runs 2024: the shipped data has 2024 applications and capacity.
    assert main(["hindcast", str(tiny_results)]) == 0
    summary = pd.read_csv(tiny_results / "hindcast.csv")
    assert "applications" in set(summary["series"])


def test_cli_hindcast_errors_are_one_line_exit_2(tiny_results, tmp_path, capsys) -> None:
    assert main(["hindcast", str(tmp_path / "nowhere")]) == 2
    assert capsys.readouterr().err.strip() == (
        f"{tmp_path / 'nowhere'}: expected a results folder (from flowsim run), found none"
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["hindcast", str(empty)]) == 2
    assert "series.parquet: missing" in capsys.readouterr().err
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "series.parquet").write_text("not parquet")
    assert main(["hindcast", str(broken)]) == 2
    assert "series.parquet: cannot read as Parquet" in capsys.readouterr().err
    assert main(["hindcast", str(tiny_results), "--observed", str(tmp_path / "no.csv")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"{tmp_path / 'no.csv'}: expected an observed-data CSV file, found none"]


def test_the_cgrs_workload_balances_month_by_month(small_scenario) -> None:
    from flowsim.model import ProtectionSystem
    from flowsim.validation.balance import workload_balance

    frames = [
        ProtectionSystem(small_scenario(**{"cgrs.withdrawals_per_month": 0.05}), seed)
        .run_to_end()
        .assign(replication=seed)
        for seed in (1, 2)
    ]
    run = ModelRun(pd.concat(frames, ignore_index=True))
    # observed in cases: the workload at the ends of January and February 2024, February's
    # decisions, and a monthly average of transmissions reported for the year; in persons
    # only the stocks and the decisions (no transmissions: nothing is implied)
    rows = [
        ("cgrs_backlog_cases", "stock", "2024-01-31", "2024-01-31", 150.0),
        ("cgrs_backlog_cases", "stock", "2024-02-29", "2024-02-29", 160.0),
        ("cgrs_decisions_cases", "flow", "2024-02-01", "2024-02-29", 120.0),
        ("io_transmissions_cases_per_month", "rate", "2024-01-01", "2024-12-31", 140.0),
        ("cgrs_backlog", "stock", "2024-01-31", "2024-01-31", 180.0),
        ("cgrs_backlog", "stock", "2024-02-29", "2024-02-29", 190.0),
        ("cgrs_decisions", "flow", "2024-02-01", "2024-02-29", 150.0),
    ]
    observed = pd.DataFrame(rows, columns=["series", "kind", "start", "end", "value"]).assign(
        start=lambda f: pd.to_datetime(f["start"]), end=lambda f: pd.to_datetime(f["end"])
    )
    balance = workload_balance(run, observed)
    assert sorted(set(balance["unit"])) == ["cases", "persons"]
    by_unit = {unit: part.set_index("month") for unit, part in balance.groupby("unit")}
    for table in by_unit.values():
        assert list(table.index) == [f"2024-{m:02d}" for m in range(1, 13)]
        net = table["model_start"] + table["model_lodged"] - table["model_decided"]
        np.testing.assert_allclose(net - table["model_closed"], table["model_end"])
        np.testing.assert_allclose(table["model_start"].iloc[1:], table["model_end"].iloc[:-1])
        assert table["model_closed"].sum() > 0  # withdrawals close cases without a decision
    persons, cases = by_unit["persons"], by_unit["cases"]
    assert (persons["model_lodged"] >= cases["model_lodged"]).all()
    assert (persons["model_lodged"] > cases["model_lodged"]).any()  # households
    feb = cases.loc["2024-02"]
    assert (feb["observed_start"], feb["observed_end"]) == (150.0, 160.0)
    assert (feb["observed_lodged"], feb["observed_decided"]) == (140.0, 120.0)
    assert feb["observed_closed_implied"] == 150 + 140 - 120 - 160
    assert np.isnan(cases.loc["2024-03", "observed_closed_implied"])
    feb = persons.loc["2024-02"]
    assert (feb["observed_start"], feb["observed_decided"], feb["observed_end"]) == (180, 150, 190)
    assert np.isnan(feb["observed_lodged"]) and np.isnan(feb["observed_closed_implied"])


def test_cli_hindcast_writes_the_yearly_balance_into_the_docs(tiny_results, tmp_path) -> None:
    # The CGRS's workload in persons at both ends of 2024, the year's decisions and a
    # monthly rate of transmissions: the closures the balance implies are written beside the
    # model's, between the docs file's markers, and nothing else in the file changes.
    rows = [
        ("cgrs_backlog", "stock", "2023-12-31", "2023-12-31", 300.0),
        ("cgrs_backlog", "stock", "2024-12-31", "2024-12-31", 280.0),
        ("cgrs_decisions", "flow", "2024-01-01", "2024-12-31", 1000.0),
        ("io_transmissions_per_month", "rate", "2024-01-01", "2024-12-31", 90.0),
    ]
    observed = pd.DataFrame(rows, columns=["series", "kind", "start", "end", "value"])
    observed = observed.assign(
        in_model=True, role="outcome", split="hindcast", scope="same", unit="persons",
        source_url="https://example.org/hand-made",
    )  # fmt: skip
    observed.to_csv(tmp_path / "observed.csv", index=False)
    docs = tmp_path / "validation.md"
    docs.write_text("# Before\n<!-- balance:begin -->\nold\n<!-- balance:end -->\nAfter\n")
    out = tmp_path / "hindcast"
    args = ["hindcast", str(tiny_results), "--observed", str(tmp_path / "observed.csv")]
    assert main([*args, "--out", str(out), "--docs", str(docs)]) == 0
    yearly = pd.read_csv(out / "hindcast_balance_yearly.csv").set_index("unit")
    persons = yearly.loc["persons"]
    assert persons["month"] == 2024
    assert persons["observed_lodged"] == 12 * 90.0
    assert persons["observed_closed_implied"] == 300 + 12 * 90 - 1000 - 280
    monthly = pd.read_csv(out / "hindcast_balance.csv")
    monthly = monthly[monthly["unit"] == "persons"]
    assert persons["model_lodged"] == pytest.approx(monthly["model_lodged"].sum())
    assert persons["model_end"] == pytest.approx(monthly["model_end"].iloc[-1])
    assert np.isnan(yearly.loc["cases", "observed_start"])  # nothing observed in cases
    text = docs.read_text()
    assert text.startswith("# Before\n<!-- balance:begin -->\n") and text.endswith("After\n")
    assert "old" not in text
    assert "| 2024 | persons | observed | 300 | 1,080 | 1,000 | 100 (implied) | 280 |" in text
    assert "| 2024 | cases |" not in text  # a year is shown only where observed at both ends


def test_cli_hindcast_refuses_docs_without_markers_before_writing(tiny_results, tmp_path, capsys):
    docs = tmp_path / "validation.md"
    docs.write_text("# no markers\n")
    out = tmp_path / "hindcast"
    assert main(["hindcast", str(tiny_results), "--out", str(out), "--docs", str(docs)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"{docs}: expected the markers <!-- balance:begin --> and <!-- balance:end -->"
    assert not out.exists()


def test_a_calibrated_runs_hindcast_has_predictive_bands(tiny_results, tmp_path, capsys):
    """When the run's scenario carries the calibration's errors (its manifest), the points
    get the predictive band and the summary its coverage, wider than the runs' band."""
    import json
    import shutil

    run = tmp_path / "calibrated"
    shutil.copytree(tiny_results, run)
    manifest = json.loads((run / "manifest.json").read_text())
    errors = [
        {
            "series": "cgrs_backlog",
            "resolution": "day",
            "points": 9,
            "effective_points": 4.0,
            "scale": 0.3,
        }
    ]
    manifest["config"]["ensemble"] = {"source": "test", "members": [{}], "errors": errors}
    (run / "manifest.json").write_text(json.dumps(manifest))
    observed = _observed_2024(tmp_path / "observed.csv")
    assert main(["hindcast", str(run), "--observed", str(observed)]) == 0
    points = pd.read_csv(run / "hindcast_points.csv")
    backlog = points[points["series"] == "cgrs_backlog"]
    assert (backlog["predictive_q05"] < backlog["model_q05"]).all()
    assert (backlog["predictive_q95"] > backlog["model_q95"]).all()
    summary = pd.read_csv(run / "hindcast.csv").set_index("series")
    assert (
        summary.loc["cgrs_backlog", "predictive_90"] >= summary.loc["cgrs_backlog", "coverage_90"]
    )
    assert "in the predictive 90% band" in capsys.readouterr().out
    # an uncalibrated run has none
    out = tmp_path / "plain"
    assert (
        main(["hindcast", str(tiny_results), "--observed", str(observed), "--out", str(out)]) == 0
    )
    assert pd.read_csv(out / "hindcast.csv")["predictive_90"].isna().all()
    assert "predictive_q05" not in pd.read_csv(out / "hindcast_points.csv")
