"""The dashboard module: pure functions on hand-made frames, then every view on small
results written by the model (a run, a sweep, and the folders it must explain)."""

from __future__ import annotations

import base64
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dashboard_helpers import RUNS, make_results_root, widgets_by_class, widgets_in, write_run
from flowsim import dashboard as d
from flowsim.results import fan_charts
from flowsim.results.store import RunStore


def frame(values: dict[str, list[list[float]]], start: str = "2024-01-01") -> pd.DataFrame:
    """A series frame: ``values[column][replication]`` is the daily values."""
    reps = len(next(iter(values.values())))
    days = len(next(iter(values.values()))[0])
    dates = pd.date_range(start, periods=days, freq="D")
    rows = {
        "replication": np.repeat(np.arange(reps), days),
        "date": np.tile(dates, reps),
    }
    for column, per_rep in values.items():
        rows[column] = np.concatenate([np.asarray(v, float) for v in per_rep])
    return pd.DataFrame(rows)


# --- shaping ------------------------------------------------------------------------------


def test_fan_quantiles_are_per_date_over_replications():
    f = frame({"x": [[0, 10], [10, 20], [20, 30], [30, 40], [40, 50]]})
    q = d.fan_quantiles(f, "x")
    assert list(q.columns) == list(d.QUANTILES)
    assert q.loc[pd.Timestamp("2024-01-01"), 0.5] == 20
    assert q.loc[pd.Timestamp("2024-01-02"), 0.05] == pytest.approx(12)  # linear: 10 + 0.2 x 10
    assert q.loc[pd.Timestamp("2024-01-02"), 0.75] == 40


def test_fan_quantiles_take_a_rolling_mean_first():
    f = frame({"x": [[0, 2, 4, 6]]})
    q = d.fan_quantiles(f, "x", window=2)
    assert q[0.5].tolist() == [0, 1, 3, 5]


def test_derive_rates_over_the_window_and_yearly_resettlement():
    f = frame(
        {
            "cgrs_decisions": [[10, 0, 10], [0, 0, 0]],
            "cgrs_positive_decisions": [[5, 0, 0], [0, 0, 0]],
            "cgrs_days_waited": [[100, 0, 300], [0, 0, 0]],
            "occupancy_rate": [[0.5, 1.0, 0.9], [1, 1, 1]],
            "resettlement_arrivals": [[1, 2, 3], [0, 4, 0]],
        },
        start="2023-12-30",  # the third day is 1 January: the yearly count starts again
    )
    out = d.derive(f, window=2)
    rep0 = out[out["replication"] == 0]
    assert rep0["protection_rate_pct"].tolist() == [50, 50, 0]  # (5+0)/(10+0), then 0/10
    assert rep0["days_to_decision"].tolist() == [10, 10, 30]
    assert out[out["replication"] == 1]["protection_rate_pct"].isna().all()  # no decision
    assert rep0["occupancy_pct"].tolist() == [50, 100, 90]
    assert rep0["resettled_this_year"].tolist() == [1, 3, 3]
    assert out[out["replication"] == 1]["resettled_this_year"].tolist() == [0, 4, 0]
    assert "tp_total" not in out  # its parts are not in the frame
    assert "protection_rate_pct" not in f  # the input is left alone


def test_derive_keeps_row_order_of_an_unsorted_frame():
    f = frame({"cgrs_decisions": [[1, 1], [2, 2]], "cgrs_positive_decisions": [[1, 0], [0, 2]]})
    shuffled = f.iloc[[3, 0, 2, 1]]
    out = d.derive(shuffled, window=5)
    assert out.index.tolist() == [3, 0, 2, 1]
    assert out["protection_rate_pct"].tolist() == [50, 100, 0, 50]


def test_observed_points_fall_in_the_dates_and_flows_become_daily_means():
    observed = pd.DataFrame(
        {
            "series": ["applications", "applications", "applications", "cgrs_backlog"],
            "start": pd.to_datetime(["2024-01-01", "2024-02-01", "2023-01-01", "2024-01-31"]),
            "end": pd.to_datetime(["2024-01-31", "2024-02-29", "2023-12-31", "2024-01-31"]),
            "value": [3100.0, 2900.0, 35000.0, 20000.0],
        }
    )
    start, end = pd.Timestamp("2024-01-01"), pd.Timestamp("2024-03-31")
    pts = d.observed_points(observed, "applications", start, end, per_day=True)
    assert pts["value"].tolist() == [100.0, 100.0]  # 3100 / 31 days, 2900 / 29 days
    assert pts["date"].tolist() == [pd.Timestamp("2024-01-16"), pd.Timestamp("2024-02-15")]
    stock = d.observed_points(observed, "cgrs_backlog", start, end, per_day=False)
    assert stock["value"].tolist() == [20000.0]
    assert d.observed_points(None, "applications", start, end, True).empty


def test_one_colour_per_scenario_in_order():
    colours = d.scenario_colours(["b", "a", "b", "c"])
    assert list(colours) == ["b", "a", "c"]
    assert len(set(colours.values())) == 3
    assert colours["b"] == d.PALETTE[0]


def test_download_links_carry_the_png_and_the_csv():
    html = d.download_links(b"\x89PNG-bytes", pd.DataFrame({"a": [1, 2]}), "main series/x")
    assert 'download="main_series_x.png"' in html and 'download="main_series_x.csv"' in html
    csv64 = html.split("data:text/csv;base64,")[1].split('"')[0]
    assert base64.b64decode(csv64).decode() == "a\n1\n2\n"
    # an interactive chart saves its own PNG: the CSV link alone, and where the PNG is
    html = d.download_links(None, pd.DataFrame({"a": [1]}), "x")
    assert ".png" not in html and 'download="x.csv"' in html and "camera" in html


def test_fan_table_and_figure_on_hand_made_scenarios():
    a = d.Scenario("a", frame({"in_reception": [[1, 2, 3], [3, 4, 5]]}))
    b = d.Scenario("b", frame({"in_reception": [[10, 20, 30]]}))
    panels = [
        d.Panel("In reception", "persons", (("in_reception", "in reception"),)),
        d.Panel("Backlog", "persons", (("cgrs_backlog", "pending"),)),
    ]
    table = d.fan_table([a, b], panels)
    assert set(table["scenario"]) == {"a", "b"} and set(table["series"]) == {"in_reception"}
    assert table.loc[table["scenario"] == "a", "q50"].tolist() == [2, 3, 4]
    assert {"q05", "q25", "q50", "q75", "q95", "unit", "date"} <= set(table.columns)
    fig = d.fan_figure([a, b], panels, d.scenario_colours(["a", "b"]))
    first, second = fig.axes[:2]
    assert [line.get_color() for line in first.lines] == [d.PALETTE[0], d.PALETTE[1]]
    assert first.get_ylabel() == "persons" and first.get_xlabel() == "date"
    assert "not recorded" in second.texts[0].get_text()
    assert len(d.figure_png(fig)) > 1000


def test_outcome_display_formats_intervals():
    summary = pd.DataFrame(
        {
            "point": [0, 0, 1],
            "outcome": ["x", "y", "x"],
            "n": [3, 3, 3],
            "mean": [12345.6, 1.5, math.nan],
            "ci_low": [12000.0, 1.0, math.nan],
            "ci_high": [12700.0, 2.0, math.nan],
            "scenario": ["base", "base", "other"],
        }
    )
    shown = d.outcome_display(summary).set_index("point")
    assert shown.loc[0, "x"] == "12,346 [12,000, 12,700] (n=3)"  # few replications marked
    assert shown.loc[0, "y"] == "1.5 [1, 2] (n=3)"
    assert shown.loc[1, "x"] == "- [-, -] (n=3)"
    # euros read as amounts; enough replications, no mark
    costs = summary.assign(
        n=10, unit="EUR, total over the period", mean=2.279e9, ci_low=2.26e9, ci_high=2.3e9
    )
    shown = d.outcome_display(costs).set_index("point")
    assert shown.loc[0, "x"] == "EUR 2.28 bn [EUR 2.26 bn, EUR 2.3 bn]"


@pytest.mark.parametrize(
    ("kind", "found"),
    [
        ("sobol", pd.DataFrame({"factor": ["a", "b"], "S1": [0.2, 0.5], "S1_conf": [0.1, 0.1],
                                "ST": [0.3, 0.6], "ST_conf": [0.1, 0.1]})),
        ("morris", pd.DataFrame({"factor": ["a"], "mu_star": [2.0], "mu_star_conf": [0.5],
                                 "sigma": [1.0]})),
        ("factorial", pd.DataFrame({"factor": ["a", "b"], "low": [1.0, 2.0], "high": [3, 9]})),
        ("latin_hypercube", pd.DataFrame({"factor": ["a"], "spearman": [-0.4]})),
    ],
)  # fmt: skip
def test_sensitivity_figure_draws_every_design(kind, found):
    fig = d.sensitivity_figure(kind, found, "peak")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == list(found["factor"])
    assert ax.get_xlabel() and "peak" in ax.get_title()
    # the page's interactive chart: the same factors and values
    from flowsim.dashboard.interactive import sensitivity_chart

    chart = sensitivity_chart(kind, found, "peak")
    first = chart.data[0]
    assert list(first.y) == list(found["factor"]) and "peak" in chart.layout.title.text
    value = {"sobol": "S1", "morris": "mu_star", "latin_hypercube": "spearman"}.get(kind)
    if value is None:  # factorial: a bar from the lowest mean to the highest
        assert list(first.base) == list(found["low"])
        assert list(first.x) == list(found["high"] - found["low"])
    else:
        assert list(first.x) == list(found[value])


# --- finding folders ----------------------------------------------------------------------


def test_discover_explains_folders_it_cannot_show(tmp_path):
    assert d.discover(tmp_path / "nothing") == []
    (tmp_path / "plain").mkdir()
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "bad-json").mkdir()
    (tmp_path / "bad-json" / "manifest.json").write_text("{not json")
    RunStore(tmp_path / "shards-only").put({"run_id": "x", "status": "ok", "error": ""})
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "manifest.json").write_text(json.dumps({"scenario": "x"}))
    (tmp_path / "calibrated").mkdir()
    (tmp_path / "calibrated" / "manifest.json").write_text(json.dumps({"kind": "calibration"}))
    (tmp_path / "no-series").mkdir()
    (tmp_path / "no-series" / "manifest.json").write_text(json.dumps({"manifest_version": 1}))
    found = {f.path.name: f for f in d.discover(tmp_path)}
    assert set(found) == {"plain", "bad-json", "shards-only", "old", "no-series", "calibrated"}
    assert all(f.kind == "problem" for f in found.values())
    assert "not a flowsim results folder" in found["plain"].problem
    assert "cannot be read" in found["bad-json"].problem
    assert "still running: 1 runs stored" in found["shards-only"].problem
    assert "another flowsim version" in found["old"].problem
    assert "series.parquet is missing" in found["no-series"].problem
    assert "a calibration" in found["calibrated"].problem


def test_show_without_folders_asks_for_some():
    shown = d.show("Main series", [])
    assert shown.figure is None and "Pick" in shown.message


# --- on real results ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    base = tmp_path_factory.mktemp("dashboard")
    return make_results_root(base / "results", base / "work")


def test_discover_finds_runs_and_sweeps(root):
    found = {f.path.name: f for f in d.discover(root)}
    assert found[RUNS[0]].kind == "run" and found["tiny-sweep"].kind == "sweep"
    assert "not finished: 8 of 8 runs stored" in found["running-sweep"].problem
    assert "manifest version 0" in found["old-run"].problem
    assert found["empty"].kind == "problem"


def test_every_view_draws_for_runs_and_a_sweep(root):
    from flowsim.validation.observed import load_observed

    observed = load_observed()
    folders = [f for f in d.discover(root) if f.ok]
    before = {p: p.stat().st_mtime_ns for p in root.rglob("*")}
    for view in d.view_names():
        if view == d.HINDCAST_VIEW:
            continue  # the shipped figures have nothing in the test runs' 60 days: below
        shown = d.show(view, folders, observed)
        assert shown.figure is not None, (view, shown.message)
        assert shown.chart is not None, view  # every view is interactive on the page
        assert shown.table is not None and len(shown.table), view
        for ax in shown.figure.axes:
            if ax.get_visible() and ax.has_data() and ax.get_label() != "<colorbar>":
                assert ax.get_xlabel() and ax.get_ylabel() is not None, (view, ax.get_title())
    # never writes into the results folders
    assert {p: p.stat().st_mtime_ns for p in root.rglob("*")} == before


def test_runs_and_sweep_points_are_scenarios_with_one_colour_each(root):
    folders = [f for f in d.discover(root) if f.ok]
    scenarios, notes = d.load_scenarios(folders)
    labels = [sc.label for sc in scenarios]
    assert labels[:2] == list(RUNS) and len(labels) == 2 + 4  # tiny sweep: 4 points
    assert len(set(labels)) == len(labels) and notes == []
    shown = d.show("Main series", folders)
    applications = shown.figure.axes[0]  # sweeps keep no applications: only the runs
    assert [line.get_color() for line in applications.lines] == list(d.PALETTE[:2])
    # the same colour for a scenario in every view: the backlog fan (runs and sweep points)
    # and the sweep's outcome intervals
    colours = d.colour_map(folders)
    assert list(colours) == labels
    backlog = shown.figure.axes[2]
    assert [line.get_color() for line in backlog.lines] == [colours[k] for k in labels]
    sweep = [f for f in folders if f.kind == "sweep"]
    intervals = d.show(d.SWEEP_VIEWS[0], folders).figure.axes[0]
    marks = [line.get_color() for line in intervals.lines if line.get_marker() == "o"]
    assert marks == [colours[k] for k in labels[2:]]  # points 0-3, baseline 0 first
    scatter = d.show(d.SWEEP_VIEWS[1], sweep).figure.axes[0]
    assert len({tuple(c) for c in scatter.collections[1].get_facecolors()}) == 4


def test_main_series_show_observed_figures_where_they_exist(root):
    # the shipped figures have nothing inside the test run's 60 days: one made for them
    observed = pd.DataFrame(
        {
            "series": ["applications", "applications"],
            "start": pd.to_datetime(["2024-01-01", "2023-01-01"]),
            "end": pd.to_datetime(["2024-01-31", "2023-01-31"]),
            "value": [310.0, 999.0],
        }
    )
    run = [f for f in d.discover(root) if f.path.name == RUNS[0]]
    shown = d.show("Main series", run, observed)
    ax = shown.figure.axes[0]
    legend = ax.get_legend()
    assert legend is not None and "observed (Belgium)" in [t.get_text() for t in legend.texts]
    marks = [line for line in ax.lines if line.get_marker() == "o"]
    assert len(marks) == 1 and marks[0].get_ydata().tolist() == [10.0]  # 310 / 31 days
    assert ax.get_ylabel() == "persons per day (30-day mean)"


def test_sweep_views_and_their_tables(root):
    sweep = [f for f in d.discover(root) if f.kind == "sweep"]
    outcomes = d.show(d.SWEEP_VIEWS[0], sweep, option="backlog_end")
    assert "flowsim-outcomes" in outcomes.html and len(outcomes.table) == 4 * 4
    scatter = d.show(d.SWEEP_VIEWS[1], sweep, option="backlog_end", second="officers")
    assert scatter.table.columns.tolist() == [
        "sweep",
        "point",
        "scenario",
        "replication",
        "officers",
        "backlog_end",
    ]
    assert len(scatter.table) == 8
    tornado = d.show(d.SWEEP_VIEWS[2], sweep, option="cost")
    assert set(tornado.table["factor"]) == {"officers", "extra_tents"}
    runs_only = [f for f in d.discover(root) if f.kind == "run"]
    assert "pick a sweep" in d.show(d.SWEEP_VIEWS[0], runs_only).message


def test_problem_folders_give_messages_not_exceptions(root):
    problems = [f for f in d.discover(root) if not f.ok]
    shown = d.show("Main series", problems)
    assert shown.figure is None
    assert "manifest version 0" in shown.message and "not finished" in shown.message
    with pytest.raises(d.DashboardError, match="not finished"):
        d.load_sweep(root / "running-sweep")


def test_build_app_on_an_empty_root_says_what_to_do(tmp_path):
    pytest.importorskip("ipywidgets")
    app = d.build_app(tmp_path)
    text = " ".join(getattr(c, "value", "") for c in app.children)
    assert "No results to show" in text and "make run" in text


def test_build_app_draws_a_figure(root):
    pytest.importorskip("ipywidgets")
    app = d.build_app(root)
    (chart,) = [c for c in app.children if "flowsim-chart" in c._dom_classes]
    (drawn,) = chart.outputs  # the first view's interactive chart, drawn at once
    assert "Plotly.newPlot" in drawn["data"]["text/html"] and chart.layout.display == ""
    text = " ".join(str(getattr(c, "value", "")) for c in app.children)
    assert "old-run" in text and "Download the table behind it (CSV)" in text


def test_look_for_new_results_lists_a_folder_written_after_the_page_keeping_the_pick(
    tmp_path,
):
    """Voila prepares the page ahead: a run written afterwards appears on asking for it,
    the folders picked stay picked, and the page draws once for the new list."""
    pytest.importorskip("ipywidgets")
    root = tmp_path / "results"
    write_run(root / RUNS[1], RUNS[1], 20)
    app = d.build_app(root)
    widgets = widgets_by_class(app)
    status = widgets["status"]
    assert [label for label, _ in widgets["folders"].options] == [d.discover(root)[0].label]
    write_run(root / RUNS[0], RUNS[0], 20)  # sorts before the folder picked
    (root / "broken").mkdir()
    renders = status.value
    widgets["rescan"].click()
    labels = [label for label, _ in widgets["folders"].options]
    assert len(labels) == 2 and labels[0].startswith(RUNS[0])
    assert widgets["folders"].value == (1,)  # still the run picked before
    assert status.value != renders and "data-renders='1'" in status.value
    notes = next(c for c in app.children if "Not shown" in str(getattr(c, "value", "")))
    assert "broken" in notes.value


def test_the_what_if_panel_is_built_when_first_unfolded(root, monkeypatch):
    """Folded, the what-if costs the first chart nothing; unfolded, its levers are there."""
    pytest.importorskip("ipywidgets")
    monkeypatch.setenv("FLOWSIM_CONFIGS", str(Path(__file__).resolve().parents[1] / "configs"))
    app = d.build_app(root)
    (what_if,) = [c for c in app.children if "flowsim-what-if" in c._dom_classes]
    assert "preparing" in what_if.children[0].value
    what_if.selected_index = 0
    (panel,) = what_if.children
    classes = {name for widget in widgets_in(panel) for name in widget._dom_classes}
    assert "flowsim-what-if-replications" in classes
    what_if.selected_index = None
    what_if.selected_index = 0
    assert what_if.children == (panel,)  # built once


def test_hindcast_view_compares_a_run_with_observed_figures(root):
    observed = pd.DataFrame(
        {
            "series": ["applications", "cgrs_backlog", "cgrs_backlog", "applications"],
            "in_model": [True, True, True, True],
            "kind": ["flow", "stock", "stock", "flow"],
            "role": ["input", "outcome", "outcome", "input"],
            "split": ["hindcast"] * 4,
            "unit": ["persons"] * 4,
            "start": pd.to_datetime(["2024-01-01", "2024-01-31", "2024-02-29", "2025-01-01"]),
            "end": pd.to_datetime(["2024-01-31", "2024-01-31", "2024-02-29", "2025-01-31"]),
            "value": [310.0, 250.0, 300.0, 1.0],
        }
    )
    runs = [f for f in d.discover(root) if f.kind == "run"]
    assert d.hindcast_options(runs, observed) == ["applications (month)", "cgrs_backlog (day)"]
    shown = d.show(d.HINDCAST_VIEW, runs, observed, option="cgrs_backlog (day)")
    assert shown.table["observed"].tolist() == [250.0, 300.0]
    assert "cgrs_backlog" in shown.html and "ard" in shown.html
    assert shown.figure.axes[0].get_ylabel() == "persons"
    (median,) = [t for t in shown.chart.data if t.name == RUNS[0]]
    np.testing.assert_allclose(np.asarray(median.y, float), shown.table["model_median"])
    (marks,) = [t for t in shown.chart.data if t.name == "observed (Belgium)"]
    assert list(marks.y) == [250.0, 300.0]
    assert shown.message.startswith(f"{d.HINDCAST_VIEW} shows one run at a time: {RUNS[0]}")
    other = d.show(d.HINDCAST_VIEW, runs, observed, option="cgrs_backlog (day)", single=RUNS[1])
    assert RUNS[1] in other.figure.axes[0].get_title() and "2 runs picked" in other.message
    sweep_only = [f for f in d.discover(root) if f.kind == "sweep"]
    assert "pick a run" in d.show(d.HINDCAST_VIEW, sweep_only, observed).message


@pytest.mark.parametrize(
    ("definition", "unit"),
    [
        ({"series": "without_reception", "stat": "max"}, "persons"),
        ({"series": "applications", "stat": "mean"}, "persons per day"),
        ({"series": "cost_eur", "stat": "sum"}, "EUR, total over the period"),
        ({"series": "without_reception", "stat": "longest_above"}, "days"),
        ({"series": "occupancy_rate", "stat": "mean"}, "share of places"),
        (None, ""),
    ],
)
def test_outcome_units_follow_the_series_and_the_statistic(definition, unit):
    assert d.outcome_unit(definition) == unit


def test_ticks_read_at_a_glance():
    assert [fan_charts._tick(v) for v in (1_500_000, 12_000, 250, 0.25, -20_000)] == [
        "1.5 M",
        "12,000",
        "250",
        "0.25",
        "-20,000",
    ]


def test_region_panels_each_have_their_own_scale():
    dates = pd.date_range("2024-01-01", periods=3)
    by_region = pd.DataFrame(
        {
            "replication": 0,
            "date": np.tile(dates, 2),
            "region": ["brussels"] * 3 + ["flanders"] * 3,
            "in_reception": [10.0, 11, 12, 2000, 2100, 2200],
        }
    )
    sc = d.Scenario("a", frame({"x": [[1, 2, 3]]}), by_region)
    fig = d.region_figure([sc], "in_reception")
    small, large = fig.axes[:2]
    assert small.get_ylim()[1] < 20 and large.get_ylim()[1] > 2000


def test_group_views_show_one_panel_per_group_of_their_grouping():
    dates = pd.date_range("2024-01-01", periods=3)
    rows = []
    for grouping, group, waiting in (
        ("household_type", "single_man", [50.0, 60, 70]),
        ("household_type", "family", [5.0, 6, 7]),
        ("nationality_group", "alpha", [40.0, 50, 60]),
    ):
        for i, date in enumerate(dates):
            rows.append(
                {
                    "replication": 0,
                    "date": date,
                    "grouping": grouping,
                    "group": group,
                    "without_reception": waiting[i],
                    "cgrs_median_days_waited": [np.nan, 100.0, 200.0][i],
                }
            )
    sc = d.Scenario("a", frame({"x": [[1, 2, 3]]}), by_group=pd.DataFrame(rows))
    households = d.BREAKDOWNS["By household type"]
    fig = d.breakdown_figure([sc], households, "without_reception")
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert titles == ["Single men", "Families"]  # nationality groups are another view
    table = d.breakdown_table([sc], households, "without_reception")
    assert set(table.group) == {"single_man", "family"}
    assert table[table.group == "single_man"].q50.tolist() == [50.0, 60.0, 70.0]
    # median waits are noisy day to day (none on days nobody is decided): a rolling mean
    waits = d.breakdown_table([sc], households, "cgrs_median_days_waited")
    assert waits[waits.group == "family"].q50.tolist()[1:] == [100.0, 150.0]
    nationalities = d.breakdown_table(
        [sc], d.BREAKDOWNS["By nationality group"], "without_reception"
    )
    assert set(nationalities.group) == {"alpha"}
    # a scenario without results by group (a sweep point) gives a message, not a crash
    bare = d.Scenario("b", frame({"x": [[1, 2, 3]]}))
    with pytest.raises(d.DashboardError, match="no results by group"):
        d.breakdown_figure([bare], households, "without_reception")


# --- folders kept between picks -----------------------------------------------------------


def _count_reads(monkeypatch) -> list[str]:
    """Every parquet file the dashboard reads from now on, by name (a run store's parts by
    their folder and name: ``rows/part-000001.parquet``)."""
    from flowsim.results import loading, store

    reads: list[str] = []
    real, real_table = loading._read_parquet, store.pq.read_table

    def counting(path):
        reads.append(path.name)
        return real(path)

    def counting_table(path, *args, **kwargs):
        if Path(path).parent.parent.name == "store":  # (pandas reads through it too)
            reads.append("/".join(Path(path).parts[-2:]))
        return real_table(path, *args, **kwargs)

    monkeypatch.setattr(loading, "_read_parquet", counting)
    monkeypatch.setattr(store.pq, "read_table", counting_table)
    return reads


def _rewrite(path, change) -> None:
    """Rewrite a parquet file as a run writing its results does: a new file renamed into
    place, with ``change`` applied to the table."""
    table = change(pd.read_parquet(path))
    table.to_parquet(path.with_suffix(".tmp"))
    path.with_suffix(".tmp").replace(path)


def test_a_loaded_run_is_not_read_again_until_its_files_change(root, tmp_path, monkeypatch):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(root / RUNS[0], run)
    d.CACHE.clear()
    reads = _count_reads(monkeypatch)
    first = d.load_run(run)
    assert sorted(reads) == [
        "events.parquet",
        "series.parquet",
        "series_by_group.parquet",
        "series_by_region.parquet",
    ]
    reads.clear()
    assert d.load_run(run) is first and d.load_run(str(run)) is first and reads == []
    # whole views drawn again for another pick read nothing either
    folders = [d.classify(run)]
    d.show("Main series", folders)
    d.show("Procedure", folders)
    assert reads == []
    # a finished run rewrites its folder: read again, with the new values
    _rewrite(run / "series.parquet", lambda t: t.assign(in_reception=t["in_reception"] + 1000))
    again = d.load_run(run)
    assert reads == [
        "series.parquet",
        "series_by_region.parquet",
        "series_by_group.parquet",
        "events.parquet",
    ]
    assert (again.frame["in_reception"] - first.frame["in_reception"] == 1000).all()
    # a file that appears (or vanishes) counts as a change too
    reads.clear()
    (run / "series_by_group.parquet").unlink()
    assert d.load_run(run).by_group is None and "series.parquet" in reads


def test_a_loaded_sweep_and_its_series_are_not_read_again_until_rewritten(
    root, tmp_path, monkeypatch
):
    import shutil

    folder = tmp_path / "sweep"
    shutil.copytree(root / "tiny-sweep", folder)
    d.CACHE.clear()
    reads = _count_reads(monkeypatch)
    sweep = d.load_sweep(folder)
    kept = d.sweep_scenarios(sweep)
    # the runs table, then the store's index and the one part holding the 8 runs' series
    assert reads == ["runs.parquet", "rows/part-000001.parquet", "series/part-000001.parquet"]
    reads.clear()
    assert d.load_sweep(folder) is sweep and d.sweep_scenarios(sweep) is kept
    d.show(d.SWEEP_VIEWS[0], [d.classify(folder)])
    assert reads == []
    _rewrite(folder / "runs.parquet", lambda t: t.assign(backlog_end=-1.0))
    rerun = d.load_sweep(folder)
    assert reads == ["runs.parquet"] and (rerun.runs["backlog_end"] == -1).all()
    # its kept series are read again with it (the runs table names the runs) ...
    store_reads = ["rows/part-000001.parquet", "series/part-000001.parquet"]
    reads.clear()
    d.sweep_scenarios(rerun)
    assert reads == store_reads
    # ... and when the store changes
    series = sorted((folder / "store" / "series").glob("*.parquet"))[0]
    _rewrite(series, lambda t: t.assign(cgrs_backlog=0.0))
    reads.clear()
    assert all((s.frame["cgrs_backlog"] == 0).all() for s in d.sweep_scenarios(rerun))
    assert reads == store_reads


def test_the_folder_cache_keeps_the_most_recently_used_entries(tmp_path):
    cache = d.FolderCache(size=2)
    loads = []

    def load(name):
        return lambda: loads.append(name) or name

    file = tmp_path / "x"
    for name in ("a", "b", "a", "c", "a", "b"):
        assert cache.get(name, [file], load(name)) == name
    # a and b loaded; a used again; c pushes out b (least recently used); b again pushes c
    assert loads == ["a", "b", "c", "b"] and len(cache) == 2


# --- several sweeps, scenario discovery ---------------------------------------------------


def write_sweep(
    folder,
    factors: dict[str, list],
    outcomes: dict[str, list],
    replications: int = 1,
    discovery: dict | None = None,
):
    """A hand-made finished sweep: one point per row of ``factors``, ``replications`` runs
    each (the outcome values given per run, points in order); returns its folder."""
    points = len(next(iter(factors.values())))
    runs = pd.DataFrame({name: np.repeat(values, replications) for name, values in factors.items()})
    runs["point"] = np.repeat(np.arange(points), replications)
    runs["replication"] = np.tile(np.arange(replications), points)
    runs["status"] = "ok"
    runs["run_id"] = [f"run{i}" for i in range(len(runs))]
    for name, values in outcomes.items():
        runs[name] = np.asarray(values, float)
    folder.mkdir(parents=True)
    runs.to_parquet(folder / "runs.parquet")
    spec = {"name": folder.name, "levers": [], "uncertainties": [{"name": f} for f in factors]}
    if discovery:
        spec["discovery"] = discovery
    manifest = {
        "manifest_version": d.MANIFEST_VERSION,
        "experiment": folder.name,
        "runs": len(runs),
        "spec": spec,
        "outcomes": {name: {"series": "without_reception", "stat": "max"} for name in outcomes},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def cutoff_sweep(folder, runs: int = 300, discovery: dict | None = None):
    """A sweep of two uncertainties where ``peak`` is high exactly when ``x > 0.5``
    (``inert`` plays no part), with a little noise."""
    rng = np.random.default_rng(7)
    x, inert = rng.uniform(0, 1, runs), rng.uniform(0, 1, runs)
    peak = np.where(x > 0.5, 100.0, 10.0) + rng.normal(0, 1, runs)
    return write_sweep(folder, {"x": x, "inert": inert}, {"peak": peak}, discovery=discovery)


def test_prim_view_finds_the_box_where_the_outcome_is_high(tmp_path):
    from flowsim.experiments.spec import Discovery

    folders = [d.classify(cutoff_sweep(tmp_path / "cutoff"))]
    rule = Discovery(outcome="peak", above=50, threshold=0.9)
    shown = d.show(d.PRIM_VIEW, folders, option="peak", rule=rule)
    assert shown.message == "" and shown.figure is not None
    box = shown.table.set_index("factor")
    assert list(box.index) == ["x"]  # inert is left free
    # PRIM peels 5% of the runs at a time: it stops within a peel of the edge
    assert box.loc["x", "min"] == pytest.approx(0.5, abs=0.05)
    assert box.loc["x", "max"] == pytest.approx(1.0, abs=0.01)
    assert box.loc["x", "range_min"] < 0.01 and box.loc["x", "range_max"] > 0.99
    assert box["density"].iloc[0] >= 0.9 and box["coverage"].iloc[0] >= 0.9
    assert (box["rule"] == "peak > 50").all()
    trade, limits = shown.figure.axes[:2]
    assert trade.get_xlabel().startswith("coverage") and trade.get_ylabel().startswith("density")
    assert len(trade.collections[0].get_offsets()) > 3  # every box on the trajectory
    (tick,) = [t.get_text() for t in limits.get_yticklabels()]
    assert tick.startswith("x\n0.4") and tick.endswith(" to 0.9968")  # in the factor's unit
    assert "flowsim-prim" in shown.html and "flowsim-prim-trajectory" in shown.html
    # the page's chart: every box of the trajectory, the kept range with its text
    boxes = shown.chart.data[0]
    assert len(boxes.x) == len(trade.collections[0].get_offsets())
    (kept,) = [t for t in shown.chart.data if t.name == "kept range"]
    assert (
        list(kept.y) == ["x"]
        and kept.text[0].startswith("0.4")
        and kept.text[0].endswith(" to 0.9968")
    )
    # below a threshold: the other half of the factor
    low = d.show(d.PRIM_VIEW, folders, rule=Discovery(outcome="peak", below=50, threshold=0.9))
    assert low.table.set_index("factor").loc["x", "max"] == pytest.approx(0.5, abs=0.05)
    # every run (or none) of interest: nothing to tell apart
    none = d.show(d.PRIM_VIEW, folders, rule=Discovery(outcome="peak", above=1000))
    assert none.figure is None and "0 of 300" in none.message and "both kinds" in none.message


def test_prim_view_starts_from_the_experiments_rule_else_the_median(tmp_path):
    rule = {"outcome": "peak", "above": 50, "threshold": 0.95}
    named = d.load_sweep(cutoff_sweep(tmp_path / "named", discovery=rule))
    start = d.default_discovery(named, "peak")
    assert (start.above, start.below, start.threshold) == (50, None, 0.95)
    shown = d.show(d.PRIM_VIEW, [d.classify(named.path)])
    assert (shown.table["rule"] == "peak > 50").all()
    bare = d.load_sweep(cutoff_sweep(tmp_path / "bare"))
    median = d.default_discovery(bare, "peak")
    assert median.above == pytest.approx(float(bare.runs["peak"].median()))
    assert median.threshold == d.DENSITY


def test_sweep_outcomes_of_several_sweeps_side_by_side(tmp_path):
    a = write_sweep(tmp_path / "a", {"officers": [10, 20, 30]}, {"peak": [5, 6, 4, 3, 2, 1]}, 2)
    b = write_sweep(
        tmp_path / "b", {"officers": [15, 25]}, {"peak": [9, 8, 7, 6], "cost": [1, 2, 3, 4]}, 2
    )
    folders = [d.classify(a), d.classify(b)]
    colours = d.colour_map(folders)
    assert len(colours) == 5  # three points of a, two of b
    shown = d.show(d.SWEEP_VIEWS[0], folders, option="peak")
    assert shown.message == ""
    assert set(shown.table["sweep"]) == {"a", "b"} and len(shown.table) == 3 + 2 * 2
    assert shown.html.count("<tr") == 1 + 5  # header, one row per scenario
    marks = [line.get_color() for line in shown.figure.axes[0].lines if line.get_marker() == "o"]
    assert marks == list(colours.values())  # both sweeps, each point in its colour
    ticks = [t.get_text() for t in shown.figure.axes[0].get_yticklabels()]
    assert ticks[0] == "a: officers=10 (point 0)" and ticks[-1] == "b: officers=25 (point 1)"
    # an outcome only one sweep has: shown for it, the other named
    cost = d.show(d.SWEEP_VIEWS[0], folders, option="cost")
    assert "a has no outcome cost" in cost.message
    assert len([ln for ln in cost.figure.axes[0].lines if ln.get_marker() == "o"]) == 2
    # each run against a factor: both sweeps' runs, one marker shape per sweep
    scatter = d.show(d.SWEEP_VIEWS[1], folders, option="peak", second="officers")
    assert scatter.table.groupby("sweep").size().to_dict() == {"a": 6, "b": 4}
    ax = scatter.figure.axes[0]
    assert len(ax.collections) == 4  # runs and means, per sweep
    means_a, means_b = ax.collections[1], ax.collections[3]
    assert means_a.get_paths()[0] != means_b.get_paths()[0]  # circle against square
    assert [tuple(c) for c in means_b.get_facecolors()] == [
        matplotlib_rgba(colours["b: officers=15"]),
        matplotlib_rgba(colours["b: officers=25"]),
    ]


def matplotlib_rgba(colour: str) -> tuple:
    from matplotlib.colors import to_rgba

    return to_rgba(colour)


def test_views_of_one_sweep_at_a_time_say_which_and_follow_the_pick(tmp_path):
    a = cutoff_sweep(tmp_path / "a", runs=60)
    b = cutoff_sweep(tmp_path / "b", runs=80)
    folders = [d.classify(a), d.classify(b)]
    first = d.show(d.PRIM_VIEW, folders)
    assert "shows one sweep at a time: a (2 sweeps picked; choose under Sweep)" in first.message
    assert (first.table["sweep"] == "a").all()
    other = d.show(d.PRIM_VIEW, folders, single="b")
    assert (other.table["sweep"] == "b").all() and "shows one sweep at a time: b" in other.message
    alone = d.show(d.PRIM_VIEW, folders[:1])
    assert alone.message == ""


def test_the_page_offers_the_prim_view_with_its_pickers(tmp_path):
    pytest.importorskip("ipywidgets")
    root = tmp_path / "results"
    cutoff_sweep(root / "a", runs=60, discovery={"outcome": "peak", "above": 50})
    cutoff_sweep(root / "b", runs=60)
    app = d.build_app(root)
    widgets = widgets_by_class(app)
    widgets["folders"].value = (0, 1)
    widgets["view"].value = d.PRIM_VIEW
    assert widgets["single"].options == ("a", "b") and widgets["single"].layout.display == ""
    assert widgets["direction"].value == "above" and widgets["threshold"].value == 50
    extra = next(c for c in app.children if "flowsim-prim" in str(getattr(c, "value", "")))
    assert "peak &gt; 50" in extra.value
    # another sweep: its own starting threshold (the median); a typed one is kept
    widgets["single"].value = "b"
    median = float(d.load_sweep(root / "b").runs["peak"].median())
    assert widgets["threshold"].value == pytest.approx(median)
    widgets["direction"].value = "below"
    widgets["threshold"].value = 50.0
    assert widgets["threshold"].value == 50.0 and "peak &lt; 50" in extra.value
    assert "Peeling trajectory" in widgets["chart"].outputs[0]["data"]["text/html"]


def test_an_interrupted_sweep_is_labelled_incomplete(tmp_path):
    folder = tmp_path / "extended"
    folder.mkdir()
    (folder / "runs.parquet").write_bytes(b"")
    manifest = {"manifest_version": d.MANIFEST_VERSION, "spec": {}, "runs": 8}
    (folder / "manifest.json").write_text(json.dumps({**manifest, "state": "running"}))
    shown = d.classify(folder)
    assert shown.kind == "sweep" and "INCOMPLETE: running" in shown.label
    (folder / "manifest.json").write_text(json.dumps({**manifest, "state": "complete"}))
    assert "INCOMPLETE" not in d.classify(folder).label


def test_a_run_against_a_baseline_shows_paired_differences_and_totals(root):
    """small-b (40 officers) against small-a (20), same seeds: the backlog difference is
    the median of the paired differences per date, the totals table gives paired and
    unpaired intervals, and the page says that two replications are few."""
    from flowsim.dashboard.comparison_view import show_comparison
    from flowsim.experiments.comparison import pair, paired_series

    folders = {f.path.name: f for f in d.discover(root) if f.ok}
    picked = [folders[RUNS[1]], folders[RUNS[0]]]
    shown = d.show(d.COMPARISON_VIEW, picked, option="cgrs_backlog", single=RUNS[0])
    assert shown.figure is not None, shown.message
    assert "only 2 paired replications" in shown.message
    a, b = d.load_run(folders[RUNS[0]].path), d.load_run(folders[RUNS[1]].path)
    wide = paired_series(a.frame, b.frame, "cgrs_backlog", pair(a.manifest, b.manifest))
    table = shown.table.set_index("date")
    assert (table["scenario"] == RUNS[1]).all()
    np.testing.assert_allclose(table["q50"].to_numpy(), wide.median(axis=1).to_numpy())
    assert table["q50"].iloc[-1] < 0  # twice the officers: a smaller backlog
    assert "paired difference (mean, 95%)" in shown.html and "CGRS backlog at the end" in shown.html
    # one run only, or a sweep: the view says what to pick
    assert "Pick two or more runs" in show_comparison([folders[RUNS[0]]], {}).message


def test_a_measures_dates_and_trigger_events_are_marked():
    from flowsim.dashboard.comparison_view import event_marks, measure_marks

    change = {"date": "2024-03-01", "field": "cgrs.case_officers_fte", "add": 10}
    shared = {"date": "2024-02-01", "field": "reception.centres.north.places", "add": 5}
    base = d.Scenario("base", pd.DataFrame(), manifest={"config": {"changes": [shared]}})
    plan = d.Scenario(
        "plan",
        pd.DataFrame(),
        manifest={"config": {"changes": [shared, change]}},
        events=pd.DataFrame(
            {
                "replication": [0, 1, 1],
                "date": pd.to_datetime(["2024-04-01", "2024-04-11", "2024-06-01"]),
                "trigger": ["buffer"] * 3,
                "event": ["fired"] * 3,
            }
        ),
    )
    assert measure_marks(base, plan) == [(pd.Timestamp("2024-03-01"), "cgrs.case_officers_fte")]
    # first firing per replication (1 April, 11 April): median 6 April
    assert event_marks(plan) == [(pd.Timestamp("2024-04-06"), "buffer: fired")]


def test_the_sweep_outcomes_view_pairs_each_scenario_with_its_reference(root):
    """The tiny sweep (officers x extra tents, both levers): every scenario against the
    baseline point, paired; the table is in the view's HTML."""
    folders = {f.path.name: f for f in d.discover(root) if f.ok}
    sweep = d.load_sweep(folders["tiny-sweep"].path)
    table = d.difference_display(sweep)
    assert len(table) == 3 and "against" in table.columns
    assert f"{sweep.outcomes[0]}: paired" in table.columns
    shown = d.show(d.SWEEP_VIEWS[0], [folders["tiny-sweep"]])
    assert "flowsim-differences" in shown.html and "under the same uncertainties" in shown.html
    assert "class='flowsim-help'" in shown.html and "highest without a place" in shown.html


def test_the_comparisons_totals_cover_the_period_picked(root):
    folders = {f.path.name: f for f in d.discover(root) if f.ok}
    picked = [folders[RUNS[0]], folders[RUNS[1]]]
    period = (pd.Timestamp("2024-01-10").date(), pd.Timestamp("2024-01-20").date())
    shown = d.show(d.COMPARISON_VIEW, picked, option="cgrs_backlog", period=period)
    assert "2024-01-10 to 2024-01-20" in shown.html
    # a period the runs do not cover: no totals, the chart still drawn
    outside = d.show(d.COMPARISON_VIEW, picked, period=(pd.Timestamp("2030-01-01"), None))
    assert outside.figure is not None and "flowsim-totals" not in outside.html
    assert "flowsim-help" in outside.html  # what the series counts, always


# --- interactive charts -------------------------------------------------------------------


def _quantile_rows(scenario: str, panel: str, trace: str, medians: list[float]) -> pd.DataFrame:
    dates = pd.date_range("2024-01-01", periods=len(medians))
    m = np.array(medians)
    return pd.DataFrame(
        {
            "scenario": scenario,
            "panel": panel,
            "trace": trace,
            "date": dates,
            "q05": m - 2,
            "q25": m - 1,
            "q50": m,
            "q75": m + 1,
            "q95": m + 2,
        }
    )


def test_a_fan_chart_draws_each_trace_with_its_bands_and_hover_values():
    """Per trace: the 90% and 50% bands (two edges each, hidden from the legend) and the
    median, all in the scenario's colour and one legend group, so a click hides them
    together; hovering the median gives its 90% band in the panel's unit."""
    from flowsim.dashboard.interactive import Mark, fan_chart

    table = pd.concat(
        [
            _quantile_rows("a", "Backlog", "a: pending", [10.0, 11, 12]),
            _quantile_rows("b", "Backlog", "b: pending", [20.0, 21, 22]),
        ]
    )
    observed = pd.DataFrame(
        {
            "panel": ["Backlog"],
            "date": pd.to_datetime(["2024-01-02"]),
            "value": [15.0],
            "start": pd.to_datetime(["2024-01-02"]),
            "end": pd.to_datetime(["2024-01-02"]),
        }
    )
    colours = {"a": "#1f77b4", "b": "#ff7f0e"}
    mark = Mark(pd.Timestamp("2024-01-02"), "officers", "#ff7f0e")
    fig = fan_chart(
        table,
        {"Backlog": "persons", "Waiting": "persons"},
        colours,
        ["Backlog", "Waiting"],
        observed,
        [mark],
    )
    medians = [t for t in fig.data if t.showlegend and t.name != "observed (Belgium)"]
    assert [t.name for t in medians] == ["a: pending", "b: pending"]
    assert [t.line.color for t in medians] == ["#1f77b4", "#ff7f0e"]
    assert list(medians[1].y) == [20.0, 21.0, 22.0]
    assert "persons" in medians[0].hovertemplate and "90% band" in medians[0].hovertemplate
    bands = [t for t in fig.data if t.legendgroup == "a: pending" and not t.showlegend]
    assert len(bands) == 4 and sum(t.fill == "tonexty" for t in bands) == 2
    (seen,) = [t for t in fig.data if t.name == "observed (Belgium)"]
    assert list(seen.y) == [15.0] and "02 Jan 2024" in seen.text[0]
    texts = [a.text for a in fig.layout.annotations]
    assert "not recorded in these results" in texts  # the Waiting panel has no rows
    assert "officers" in texts and len(fig.layout.shapes) == 2  # the mark on both panels
    assert fig.layout.yaxis.title.text == "persons" and fig.layout.yaxis.rangemode == "tozero"
    # a calibrated run's predictive band: two dotted lines in the trace's group
    wider = table.assign(predictive_q05=table["q05"] - 5, predictive_q95=table["q95"] + 5)
    fig = fan_chart(wider, {"Backlog": "persons"}, colours)
    dotted = [t for t in fig.data if t.line.dash == "dot"]
    assert len(dotted) == 4 and {t.legendgroup for t in dotted} == {"a: pending", "b: pending"}
    assert list(dotted[1].y) == [17.0, 18.0, 19.0]  # a's q95 (12, 13, 14) + 5


def test_views_of_daily_series_come_with_their_interactive_chart(root):
    """The chart shows the table behind the view: one median per scenario and line, in
    the page's colours; the comparison charts the paired differences."""
    folders = {f.path.name: f for f in d.discover(root) if f.ok}
    runs = [folders[RUNS[0]], folders[RUNS[1]]]
    shown = d.show("Main series", runs)
    colours = d.colour_map(runs)
    medians = {t.name: t for t in shown.chart.data if t.showlegend}
    backlog = shown.table[(shown.table["panel"] == "Pending at the CGRS")]
    for scenario in RUNS:
        trace = medians[f"{scenario}: pending"]
        assert trace.line.color == colours[scenario]
        expected = backlog[backlog["scenario"] == scenario]["q50"].to_numpy()
        np.testing.assert_allclose(np.asarray(trace.y, float), expected)
    compared = d.show(d.COMPARISON_VIEW, [runs[1], runs[0]], option="cgrs_backlog", single=RUNS[0])
    (difference,) = [t for t in compared.chart.data if t.showlegend]
    assert difference.name == f"{RUNS[1]} - {RUNS[0]}"
    np.testing.assert_allclose(np.asarray(difference.y, float), compared.table["q50"].to_numpy())
    assert compared.chart.layout.yaxis.rangemode == "normal"  # differences may be negative


def test_every_line_of_every_view_says_what_it_counts():
    """The help line under each chart comes from the catalogue of series (or, for what the
    page derives, from its own sentence): no line of a view is left unexplained."""
    from flowsim.dashboard.series_views import panel_help

    for view, panels in d.VIEWS.items():
        text = panel_help(panels)
        for panel in panels:
            assert f"<b>{panel.title}</b>" in text, (view, panel.title)
            for _column, label in panel.lines:
                assert f"<i>{label}</i>: " in text, (view, panel.title, label)


def test_sweep_outcomes_are_grouped_by_the_uncertainties_they_stand_under(tmp_path):
    """Two policies under two inflows: the table and the chart keep scenarios under the same
    inflow together (a dashed line between the groups), whatever the points' order."""
    rows = []
    for point, (plan, inflow) in enumerate([(0, 1.0), (0, 1.2), (1, 1.0), (1, 1.2)]):
        for rep in range(3):
            peak = 100 * inflow + 10 * plan + rep
            rows.append(
                {
                    "point": point,
                    "replication": rep,
                    "status": "ok",
                    "plan": plan,
                    "inflow": inflow,
                    "peak": peak,
                }
            )
    runs = pd.DataFrame(rows)
    spec = {"levers": [{"name": "plan"}], "uncertainties": [{"name": "inflow"}]}
    manifest = {"spec": spec, "outcomes": {"peak": {"series": "without_reception", "stat": "max"}}}
    from flowsim.results.loading import point_labels

    sweep = d.Sweep(
        tmp_path / "s",
        manifest,
        runs,
        ["plan", "inflow"],
        ["peak"],
        point_labels(runs, ["plan", "inflow"]),
    )
    summary = d.outcome_summary(sweep)
    assert summary["point"].tolist() == [0, 2, 1, 3]  # inflow 1 first, then 1.2
    assert summary["under"].tolist() == ["inflow=1"] * 2 + ["inflow=1.2"] * 2
    shown = d.outcome_display(summary)
    assert shown.columns.tolist()[:3] == ["point", "under", "scenario"]
    fig = d.outcome_interval_figure(summary, "peak")
    separators = [line for line in fig.axes[0].lines if line.get_linestyle() == "--"]
    assert len(separators) == 1 and separators[0].get_ydata()[0] == 1.5


def test_the_sweep_outcome_and_scatter_views_are_interactive(root):
    """One mark per scenario with its interval in the outcome view; one legend entry per
    scenario with every run in the scatter view, in the page's colours."""
    folders = [f for f in d.discover(root) if f.kind == "sweep" and f.ok]
    colours = d.colour_map(folders)
    outcomes = d.show(d.SWEEP_VIEWS[0], folders, option="backlog_end")
    summary = outcomes.table[outcomes.table["outcome"] == "backlog_end"]
    marks = list(outcomes.chart.data)
    assert [t.x[0] for t in marks] == pytest.approx(summary["mean"].tolist())
    assert [t.marker.color for t in marks] == [colours[s] for s in summary["scenario"]]
    first = marks[0]
    assert first.error_x.array[0] == pytest.approx(
        summary["ci_high"].iloc[0] - summary["mean"].iloc[0]
    )
    scatter = d.show(d.SWEEP_VIEWS[1], folders, option="backlog_end", second="officers")
    traces = {t.name: t for t in scatter.chart.data}
    assert set(traces) == set(scatter.table["scenario"])
    assert sum(len(t.y) for t in traces.values()) == len(scatter.table)


def test_the_page_ships_plotlys_basic_bundle_when_it_matches_the_installed_plotly(monkeypatch):
    from importlib import resources

    import plotly.offline

    from flowsim.dashboard import page

    basic = resources.files("flowsim.data").joinpath(page.BASIC_BUNDLE).read_text("utf-8")
    assert page.bundle_version(basic) is not None  # the shipped file states its version
    shipped = page.plotly_source()
    if page.bundle_version(basic) == plotly.offline.get_plotlyjs_version():
        assert shipped == basic  # a quarter of the full bundle
        assert len(shipped) < len(plotly.offline.get_plotlyjs()) / 3
    # another plotly.js version: the installed package's full bundle, never a mismatch
    monkeypatch.setattr(plotly.offline, "get_plotlyjs_version", lambda: "0.0.1")
    assert page.plotly_source() == plotly.offline.get_plotlyjs()
    assert page.plotly_script().startswith('<script type="text/javascript">')
    assert page.bundle_version("/** plotly.js (basic - minified) v4.1.1 */") == "4.1.1"
    assert page.bundle_version("no header") is None


def test_every_trace_the_dashboard_draws_is_in_the_basic_bundle():
    """The basic bundle has scatter, bar and pie traces only: a view drawing another kind
    would show an empty chart."""
    import ast

    dashboard = Path(d.__file__).parent
    used = set()
    for path in dashboard.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "go"
                and node.attr[0].isupper()
                and node.attr not in ("Figure", "FigureWidget")
            ):
                used.add(node.attr)
    assert used and used <= {"Scatter", "Bar", "Pie"}, used
