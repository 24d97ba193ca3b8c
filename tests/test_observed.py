"""The observed dataset: building it from the shared table, loading it, aggregating a run."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import flowsim.validation.observed
from flowsim.engine.series import FLOW_NAMES, STOCK_NAMES
from flowsim.validation.observed import (
    DERIVED_RATES,
    KINDS,
    ModelRun,
    ObservedError,
    available,
    flow_consistency,
    is_model_series,
    load_observed,
    load_rejected,
    observed_flow_total,
    resolution,
)
from flowsim.validation.observed_build import (
    ADDED_FIRST_ROW,
    FIT_UNTIL,
    build_observed,
    parse_period,
    parse_value,
    read_added,
    read_mapping,
    read_shared,
    read_sources,
    source_rank,
    write_observed,
)

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "belgium_figures.csv"
D = pd.Timestamp


@pytest.fixture(scope="module")
def observed() -> pd.DataFrame:
    return load_observed()


@pytest.fixture(scope="module")
def rejected() -> pd.DataFrame:
    return load_rejected()


# --- parsing -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2022", "2022-01-01", "2022-12-31"),
        ("2020-02", "2020-02-01", "2020-02-29"),
        ("2022-12-31", "2022-12-31", "2022-12-31"),
        ("2022-Q1", "2022-01-01", "2022-03-31"),
        ("2019-Q1-Q3", "2019-01-01", "2019-09-30"),
        ("2015-H1", "2015-01-01", "2015-06-30"),
        ("2018-2019", "2018-01-01", "2019-12-31"),
        ("2017-01/2017-05", "2017-01-01", "2017-05-31"),
        ("2016-01/02", "2016-01-01", "2016-02-29"),
        ("2022-03-10/2022-05-13", "2022-03-10", "2022-05-13"),
        ("2021-11-01/2022-01", "2021-11-01", "2022-01-31"),
    ],
)
def test_parse_period(text: str, start: str, end: str) -> None:
    period = parse_period(text)
    assert period is not None
    assert (period.start, period.end) == (dt.date.fromisoformat(start), dt.date.fromisoformat(end))


@pytest.mark.parametrize(
    "text",
    ["2015-late", "2016 (partial)", "pre-2021", "2014/2015 (four years before)", "2022-13",
     "2022-02-30", "2019-2018", "2022-05/2022-01", "before 2022-08"],
)  # fmt: skip
def test_parse_period_rejects_words_and_impossible_dates(text: str) -> None:
    assert parse_period(text) is None


def test_parse_value() -> None:
    assert parse_value("36871", "persons") == (36871.0, "")
    assert parse_value("-3.2", "percent") == (-3.2, "")
    value, reason = parse_value("42-45", "EUR")
    assert value is None and "range" in reason
    value, reason = parse_value("30000", "places (more than)")
    assert value is None and "bound" in reason
    value, reason = parse_value("many", "persons")
    assert value is None and "not a number" in reason


def test_source_rank() -> None:
    assert source_rank("https://www.cgrs.be/en/news/x") == 0
    assert source_rank("http://dofi.ibz.be/en/news") == 0
    assert source_rank("https://asylumineurope.org/reports") == 1
    assert source_rank("https://www.hln.be/nieuws") == 2


# --- the shipped data ------------------------------------------------------------------------


def test_every_source_row_is_kept_or_rejected_with_a_reason(observed, rejected) -> None:
    rows = pd.concat([observed["source_row"], rejected["source_row"].astype(int)])
    assert rows.is_unique
    shared, added = rows[rows < ADDED_FIRST_ROW], rows[rows >= ADDED_FIRST_ROW]
    assert sorted(shared) == list(range(1, len(shared) + 1))
    assert sorted(added) == list(range(ADDED_FIRST_ROW, ADDED_FIRST_ROW + len(read_added())))
    assert (rejected["reason"].str.len() > 10).all()
    if SHARED.is_file():
        assert len(shared) == len(read_shared(SHARED))


def test_added_figures_have_sources_and_end_by_2022_when_outcomes() -> None:
    added = read_added()
    assert (added["source_url"].str.startswith("http")).all()
    assert (added["quote"].str.len() > 20).all()
    assert added["confidence"].isin(["high", "medium", "low"]).all()
    mapping = read_mapping()
    for _, row in added.iterrows():
        period = parse_period(row["period"])
        if period is not None and mapping.loc[row["metric"], "role"] == "outcome":
            assert period.end <= FIT_UNTIL, (row["metric"], row["period"])


@pytest.mark.skipif(not SHARED.is_file(), reason="the shared data folder is not beside the repo")
def test_shipped_files_are_the_build_of_the_shared_table(tmp_path: Path) -> None:
    built, built_rejected = build_observed(read_sources(SHARED), read_mapping())
    write_observed(built, built_rejected, tmp_path)
    shipped = Path(flowsim.validation.observed.__file__).parents[1] / "data"  # flowsim/data
    for name in ("observed.csv", "observed_rejected.csv"):
        assert (tmp_path / name).read_bytes() == (shipped / name).read_bytes(), name
    # Every metric of the shared table and of the added figures is reviewed in the mapping.
    assert set(read_sources(SHARED)["metric"]) <= set(read_mapping().index)


def test_every_figure_keeps_its_source(observed, rejected) -> None:
    assert (observed["source_url"].str.startswith("http")).all()
    assert (rejected["source_url"].str.startswith("http")).all()
    assert (observed["quote"].str.len() > 0).all()


def test_kinds_agree_with_the_model(observed) -> None:
    assert set(observed["kind"]) <= set(KINDS)
    model = observed[observed["in_model"]]
    for _, row in model.iterrows():
        if row["series"] in DERIVED_RATES:
            assert row["kind"] == "rate", row["series"]
        elif row["series"] in FLOW_NAMES:
            assert row["kind"] == "flow", row["series"]
        else:
            assert row["series"] in STOCK_NAMES and row["kind"] == "stock", row["series"]


def test_observed_only_series_never_take_a_model_name(observed) -> None:
    assert not observed.loc[~observed["in_model"], "series"].map(is_model_series).any()
    assert observed.loc[observed["in_model"], "series"].map(is_model_series).all()


def test_one_figure_per_series_and_period(observed) -> None:
    assert not observed.duplicated(["series", "start", "end"]).any()


def test_split_and_no_outcome_after_2022_on_model_series(observed) -> None:
    fit = observed["end"] <= pd.Timestamp(FIT_UNTIL)
    assert (observed.loc[fit, "split"] == "fit").all()
    assert (observed.loc[~fit, "split"] == "hindcast").all()
    # The issue keeps 2023+ outcomes out of the data: they are the test of the hindcast.
    late_outcomes = observed[observed["in_model"] & (observed["role"] == "outcome") & ~fit]
    assert late_outcomes.empty, late_outcomes[["series", "period"]]


def test_conflict_rule_prefers_agency_then_confidence(observed, rejected) -> None:
    # 2018 applications: the CGRS's 23,443 over the later survey's 23,343 (medium).
    apps_2018 = observed[(observed["series"] == "applications") & (observed["period"] == "2018")]
    assert apps_2018["value"].tolist() == [23443.0]
    # 2022 CGRS decisions in persons/cases come from the CGRS, not Eurostat or the press.
    superseded = rejected[rejected["reason"].str.startswith("superseded")]
    assert (superseded["reason"].str.contains("preference rule")).all()


def test_available_says_which_series_exist(observed) -> None:
    table = available(observed)
    apps = table[(table["series"] == "applications")].set_index("resolution")
    assert {"month", "year"} <= set(apps.index)
    assert apps.loc["year", "kind"] == "flow" and apps.loc["year", "in_model"]
    assert apps.loc["year", "points"] == apps.loc["year", "fit"] + apps.loc["year", "hindcast"]
    assert table.loc[table["series"] == "cgrs_backlog", "kind"].iloc[0] == "stock"


def test_shipped_months_add_up_to_the_annual_figures(observed) -> None:
    table = flow_consistency(observed)
    # Applications 2014 and 2015 (Eurostat months, rounded to 5): within a few persons.
    apps = table[table["series"] == "applications"].set_index("year")
    assert {2014, 2015} <= set(apps.index)
    assert abs(apps.loc[2015, "months_sum"] - apps.loc[2015, "annual"]) <= 5
    # 2016: the annual figure (CGRS via VTM) and the months (Eurostat, CGRS) differ by 1.5%.
    assert (table["relative_difference"].abs() <= 0.02).all(), table


# --- loading errors ---------------------------------------------------------------------------


def test_load_observed_errors_name_file_and_problem(tmp_path: Path) -> None:
    with pytest.raises(ObservedError, match="missing.csv: expected an observed-data CSV"):
        load_observed(tmp_path / "missing.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("series,kind\napplications,flow\n")
    with pytest.raises(ObservedError, match="bad.csv: columns: expected"):
        load_observed(bad)
    rows = load_observed().head(3).copy()
    rows["start"] = rows["start"].dt.strftime("%Y-%m-%d")
    rows["end"] = rows["end"].dt.strftime("%Y-%m-%d")
    rows.loc[rows.index[1], "start"] = "2022-02-30"
    rows.loc[rows.index[2], "kind"] = "level"
    rows.to_csv(bad, index=False)
    with pytest.raises(ObservedError) as err:
        load_observed(bad)
    assert err.value.problems == [
        f"{bad}: row 3: start: expected a YYYY-MM-DD date",
        f"{bad}: row 4: kind: expected one of {KINDS}",
    ]


# --- hand-made observed flows ------------------------------------------------------------------


def _flows(periods: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "series": "applications",
            "kind": "flow",
            "start": [D(s) for s, _, _ in periods],
            "end": [D(e) for _, e, _ in periods],
            "value": [v for _, _, v in periods],
        }
    )


def test_observed_flow_total_sums_months_and_refuses_gaps() -> None:
    months = [(f"2021-{m:02d}-01", f"2021-{m:02d}-{pd.Timestamp(2021, m, 1).days_in_month}", m)
              for m in range(1, 13)]  # fmt: skip
    table = _flows([*months, ("2021-01-01", "2021-12-31", 78.0)])
    assert observed_flow_total(table, "applications", D("2021-01-01"), D("2021-12-31")) == 78.0
    assert flow_consistency(table)["relative_difference"].tolist() == [0.0]
    gap = _flows(months[:5] + months[6:])
    with pytest.raises(ValueError, match="gap or overlap"):
        observed_flow_total(gap, "applications", D("2021-01-01"), D("2021-12-31"))
    with pytest.raises(ValueError, match="do not reach"):
        observed_flow_total(_flows(months[:11]), "applications", D("2021-01-01"), D("2021-12-31"))


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [("2022-03-01", "2022-03-01", "day"), ("2022-02-01", "2022-02-28", "month"),
     ("2022-04-01", "2022-06-30", "quarter"), ("2022-01-01", "2022-12-31", "year"),
     ("2022-02-01", "2022-04-30", "span"), ("2022-03-10", "2022-05-13", "span")],
)  # fmt: skip
def test_resolution(start: str, end: str, expected: str) -> None:
    assert resolution(D(start), D(end)) == expected


# --- a run's values over observed periods ---------------------------------------------------


def _run(days: int = 365, reps: int = 2, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2021-01-01", periods=days, freq="D")
    parts = []
    for rep in range(reps):
        parts.append(
            pd.DataFrame(
                {
                    "replication": rep,
                    "date": dates,
                    "applications": rng.integers(0, 100, days).astype(float),
                    "cgrs_decisions": rng.integers(1, 50, days).astype(float),
                    "cgrs_positive_decisions": rng.integers(0, 20, days).astype(float),
                    "in_reception": np.arange(days, dtype=float) + 100 * rep,
                    "reception_capacity": np.full(days, 400.0),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def test_model_values_by_kind() -> None:
    frame = _run()
    run = ModelRun(frame)
    rep0 = frame[frame["replication"] == 0].set_index("date")
    jan = (D("2021-01-01"), D("2021-01-31"))
    flow = run.values("applications", "flow", *jan)
    assert flow[0] == rep0.loc["2021-01-01":"2021-01-31", "applications"].sum()
    # A stock at a date is the end-of-day level; over a month its mean.
    assert run.values("in_reception", "stock", D("2021-01-10"), D("2021-01-10")).tolist() == [
        9.0,
        109.0,
    ]
    assert run.values("in_reception", "stock", *jan).tolist() == [15.0, 115.0]
    # A rate of flows is the ratio of the sums, not the mean of daily ratios.
    rate = run.values("cgrs_protection_rate", "rate", *jan)
    days = rep0.loc["2021-01-01":"2021-01-31"]
    assert rate[0] == pytest.approx(
        100 * days["cgrs_positive_decisions"].sum() / days["cgrs_decisions"].sum()
    )
    occupancy = run.values("reception_occupancy_rate", "rate", D("2021-01-10"), D("2021-01-10"))
    assert occupancy.tolist() == pytest.approx([100 * 9 / 400, 100 * 109 / 400])
    assert not run.covers(D("2020-12-31"), D("2021-01-31"))
    with pytest.raises(ValueError, match="does not cover"):
        run.values("applications", "flow", D("2021-12-01"), D("2022-01-31"))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), reps=st.integers(1, 3))
def test_model_months_add_up_to_the_year(seed: int, reps: int) -> None:
    run = ModelRun(_run(reps=reps, seed=seed))
    year = run.values("applications", "flow", D("2021-01-01"), D("2021-12-31"))
    months = sum(
        run.values("applications", "flow", D(f"2021-{m:02d}-01"), D(f"2021-{m:02d}-01") +
                   pd.offsets.MonthEnd(0))
        for m in range(1, 13)
    )  # fmt: skip
    np.testing.assert_allclose(months, year)
