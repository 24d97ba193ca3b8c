"""The sweep report: intervals against hand computation, common random numbers, Sobol and
Morris through the same machinery on known functions, PRIM on a known box, the files."""

from __future__ import annotations

import copy
import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from experiment_helpers import TINY_SPEC, local_client, write_spec
from flowsim.cli import main
from flowsim.experiments.analysis import (
    morris_indices,
    outcome_table,
    paired_differences,
    prim_boxes,
    sobol_indices,
)
from flowsim.experiments.design import design_matrix
from flowsim.experiments.intervals import mean_interval
from flowsim.experiments.report import write_report
from flowsim.experiments.spec import Spec, load_experiment
from flowsim.experiments.sweep import run_sweep


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """The tiny experiment (4 points x 3 replications) swept once."""
    folder = tmp_path_factory.mktemp("swept")
    with local_client(workers=2) as client:
        run_sweep(load_experiment(write_spec(folder)), folder / "out", client, progress=False)
    return folder / "out"


def test_paired_differences_and_means_match_hand_computation():
    y_base = [10.0, 14.0, 9.0, 13.0]
    y_other = [12.0, 17.0, 10.0, 16.0]
    runs = pd.DataFrame(
        {
            "point": [0] * 4 + [1] * 4,
            "replication": [0, 1, 2, 3] * 2,
            "status": ["ok"] * 8,
            "y": y_base + y_other,
        }
    )
    diffs = paired_differences(runs, references=0, outcomes=["y"]).iloc[0]
    d = np.array(y_other) - np.array(y_base)  # 2, 3, 1, 3
    half = stats.t.ppf(0.975, 3) * d.std(ddof=1) / 2  # sqrt(4) = 2
    assert diffs["mean_difference"] == pytest.approx(2.25)
    assert (diffs["ci_low"], diffs["ci_high"]) == pytest.approx((2.25 - half, 2.25 + half))
    assert diffs["pairs"] == 4
    # unpaired (Welch): both samples have variance 5.667 and 9.667 over n = 4
    va, vb = np.var(y_other, ddof=1) / 4, np.var(y_base, ddof=1) / 4
    df = (va + vb) ** 2 / (va**2 / 3 + vb**2 / 3)
    u_half = stats.t.ppf(0.975, df) * math.sqrt(va + vb)
    assert (diffs["unpaired_ci_low"], diffs["unpaired_ci_high"]) == pytest.approx(
        (2.25 - u_half, 2.25 + u_half)
    )
    table = outcome_table(runs, ["y"]).set_index("point")
    base_half = stats.t.ppf(0.975, 3) * np.std(y_base, ddof=1) / 2
    assert table.loc[0, "mean"] == pytest.approx(11.5)
    assert table.loc[0, "ci_high"] - table.loc[0, "mean"] == pytest.approx(base_half)


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(
        st.tuples(
            st.integers(0, 4),  # point
            st.sampled_from(["ok", "ok", "ok", "error"]),
            st.one_of(st.floats(-1e6, 1e6), st.just(math.nan)),
            st.one_of(st.floats(-1e6, 1e6), st.just(math.nan)),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_the_outcome_table_is_each_points_mean_interval(values):
    """Computed for every point at once, the table holds what :func:`mean_interval` gives
    point by point: failed runs and NaN left out, no interval under two values."""
    runs = pd.DataFrame(values, columns=["point", "status", "y", "z"])
    table = outcome_table(runs, ["y", "z"])
    ok = runs[runs["status"] == "ok"]
    expected = [
        (point, name, int(group[name].notna().sum()), *mean_interval(group[name].to_numpy()))
        for point, group in ok.groupby("point", sort=True)
        for name in ("y", "z")
    ]
    assert list(zip(table["point"], table["outcome"], table["n"], strict=True)) == [
        row[:3] for row in expected
    ]
    for column, k in (("mean", 3), ("ci_low", 4), ("ci_high", 5)):
        np.testing.assert_allclose(
            table[column].to_numpy(), [row[k] for row in expected], rtol=1e-9, atol=1e-6
        )


def test_a_failed_run_drops_its_pair():
    runs = pd.DataFrame(
        {
            "point": [0, 0, 0, 1, 1, 1],
            "replication": [0, 1, 2, 0, 1, 2],
            "status": ["ok", "ok", "ok", "ok", "error", "ok"],
            "y": [1.0, 2.0, 3.0, 2.0, math.nan, 5.0],
        }
    )
    row = paired_differences(runs, 0, ["y"]).iloc[0]
    assert row["pairs"] == 2 and row["mean_difference"] == pytest.approx(1.5)


def test_common_random_numbers_give_exact_zeros_and_narrower_intervals(swept):
    runs = pd.read_parquet(swept / "runs.parquet")
    diffs = paired_differences(runs, 0, ["applications", "backlog_end"]).set_index(
        ["point", "outcome"]
    )
    # officers and tents cannot change who applies: exactly zero, with a zero-width interval
    for point in (1, 2, 3):
        row = diffs.loc[(point, "applications")]
        assert row["mean_difference"] == 0.0
        assert row["ci_low"] == row["ci_high"] == 0.0
        assert row["unpaired_ci_high"] > row["unpaired_ci_low"]  # replications do differ
    # more officers (point 2) shrink the backlog; pairing narrows the interval
    row = diffs.loc[(2, "backlog_end")]
    assert row["ci_high"] < 0
    assert row["ci_high"] - row["ci_low"] < row["unpaired_ci_high"] - row["unpaired_ci_low"]


def test_report_writes_tables_figures_and_markdown(swept, capsys):
    assert main(["report", str(swept)]) == 0
    assert "report.md" in capsys.readouterr().out
    report = swept / "report"
    for name in ("report.md", "outcomes.csv", "differences.csv", "sensitivity.csv"):
        assert (report / name).is_file()
    for figure in ("fan_without_reception", "tornado_backlog_end", "tornado_cost"):
        assert (report / "figures" / f"{figure}.png").stat().st_size > 1000
    text = (report / "report.md").read_text()
    assert "## Differences from the baseline" in text
    # each outcome said in words, from the catalogue of series
    assert "- `peak_without`: highest without a place (persons entitled to a place" in text
    assert "- `cost`: total cost (" in text and "euros), from 2024-02-01 to the end" in text
    assert "![without_reception](figures/fan_without_reception.png)" in text
    table = pd.read_csv(report / "outcomes.csv")
    assert len(table) == 4 * len(TINY_SPEC["outcomes"])


def _analytic_spec(kind: str, samples: int, names: list[str], bounds: list[float]) -> Spec:
    raw = copy.deepcopy(TINY_SPEC)
    raw["levers"] = [
        {"name": n, "field": "inflow.scale", "range": [bounds[0], bounds[1]]} for n in names
    ]
    raw["design"] = {"kind": kind, "samples": samples}
    return Spec.model_validate(raw)


def test_sobol_indices_of_the_ishigami_function_match_their_analytic_values():
    spec = _analytic_spec("sobol", 1024, ["x1", "x2", "x3"], [-math.pi, math.pi])
    x = pd.DataFrame(design_matrix(spec)).to_numpy()
    y = np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])
    found = sobol_indices(spec, y).set_index("factor")
    # Ishigami (a=7, b=0.1): S1 = 0.3139, 0.4424, 0; ST = 0.5576, 0.4424, 0.2437
    assert found["S1"].to_numpy() == pytest.approx([0.3139, 0.4424, 0.0], abs=0.04)
    assert found["ST"].to_numpy() == pytest.approx([0.5576, 0.4424, 0.2437], abs=0.04)
    assert (found["S1_conf"] > 0).all()


def test_morris_ranks_a_linear_function_by_its_slopes():
    spec = _analytic_spec("morris", 20, ["strong", "weak", "inert"], [0.0, 1.0])
    x = pd.DataFrame(design_matrix(spec)).to_numpy()
    y = 10 * x[:, 0] + 1 * x[:, 1]
    found = morris_indices(spec, x, y).set_index("factor")
    assert found["mu_star"].to_numpy() == pytest.approx([10, 1, 0], abs=1e-9)
    assert found["sigma"].to_numpy() == pytest.approx([0, 0, 0], abs=1e-9)


def test_prim_finds_a_known_box():
    rng = np.random.default_rng(1)
    x = pd.DataFrame(rng.uniform(0, 1, size=(2000, 3)), columns=["inflow", "officers", "inert"])
    y = (x["inflow"] > 0.6) & (x["officers"] < 0.3)
    limits, trajectory = prim_boxes(x, y.to_numpy(), threshold=0.9)
    box = limits.set_index("factor")
    assert set(box.index) == {"inflow", "officers"}
    assert box.loc["inflow", "min"] == pytest.approx(0.6, abs=0.05)
    assert box.loc["officers", "max"] == pytest.approx(0.3, abs=0.05)
    assert limits.attrs["density"] >= 0.9 and limits.attrs["coverage"] >= 0.8
    assert {"coverage", "density", "mass"} <= set(trajectory.columns)


def test_prim_prefers_the_densest_of_the_boxes_covering_as_much():
    # coverage stays 1 for several peels towards x > 0.5: the box is the last of them, not
    # the first that reaches the density asked for
    rng = np.random.default_rng(2)
    x = pd.DataFrame(rng.uniform(0, 1, size=(1000, 2)), columns=["x", "inert"])
    limits, trajectory = prim_boxes(x, (x["x"] > 0.5).to_numpy(), threshold=0.8)
    assert limits.set_index("factor").loc["x", "min"] == pytest.approx(0.5, abs=0.03)
    full = trajectory[trajectory["coverage"] == 1]
    assert limits.attrs["box"] == full["density"].idxmax()
    assert limits.attrs["density"] > 0.9
    assert limits.loc[0, "range_min"] < 0.01 and limits.loc[0, "range_max"] > 0.99


@pytest.mark.parametrize(
    ("kind", "samples", "figure"),
    [
        ("morris", 15, "morris_cost"),
        ("sobol", 16, "sobol_cost"),
        ("latin_hypercube", 40, "tornado_cost"),
    ],
)
def test_report_of_a_sampling_sweep_with_scenario_discovery(tmp_path, kind, samples, figure):
    spec = _analytic_spec(kind, samples, ["a", "b"], [0.0, 1.0])
    raw = spec.model_dump(mode="json", by_alias=True)
    raw["discovery"] = {"outcome": "cost", "above": 6.0, "threshold": 0.8}
    spec = Spec.model_validate(raw)
    points = pd.DataFrame(design_matrix(spec))
    runs = points.assign(point=range(len(points))).loc[np.repeat(points.index, 2)]
    runs = runs.reset_index(drop=True).assign(replication=lambda f: f.index % 2, status="ok")
    runs["index"] = runs.index
    runs["cost"] = 10 * runs["a"] + runs["b"] + 0.01 * runs["replication"]
    for name in ("peak_without", "backlog_end", "applications"):
        runs[name] = runs["a"]
    runs.to_parquet(tmp_path / "runs.parquet")
    manifest = {
        "spec": raw,
        "design": kind,
        "points": len(points),
        "replications": 2,
        "runs": len(runs),
        "master_seed": 3,
        "levers": ["a", "b"],
        "uncertainties": [],
        "versions": {"flowsim": "test"},
        "baseline_point": None,
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    text = write_report(tmp_path).read_text()
    assert (tmp_path / "report" / "figures" / f"{figure}.png").is_file()
    assert (tmp_path / "report" / "figures" / "prim_tradeoff.png").is_file()
    assert "## Scenario discovery (PRIM)" in text and "| a |" in text
    assert "## Differences from the baseline" not in text  # no reference point
    sensitivity = pd.read_csv(tmp_path / "report" / "sensitivity.csv")
    cost = sensitivity[sensitivity["outcome"] == "cost"].set_index("factor")
    if kind == "morris":
        assert cost.loc["a", "mu_star"] == pytest.approx(10, abs=1e-6)
    elif kind == "sobol":
        assert cost.loc["a", "ST"] > cost.loc["b", "ST"]
    else:
        assert cost.loc["a", "spearman"] > 0.9


def test_an_incomplete_sweep_is_said_plainly():
    from flowsim.experiments.report import incomplete_note

    runs = pd.DataFrame({"point": [0, 0, 1], "status": ["ok", "ok", "ok"]})
    assert incomplete_note({"state": "complete", "runs": 3}, runs) is None
    running = incomplete_note({"state": "running", "runs": 8}, runs)
    assert "incomplete" in running and "3 of its 8 runs" in running and "--resume" in running
    assert "2 of 4 runs" in incomplete_note({"state": "complete", "runs": 4}, runs.iloc[:2])
    assert "'partial'" in incomplete_note({"state": "partial", "runs": 3}, runs)


def test_each_policy_is_compared_with_the_baseline_policy_under_the_same_uncertainty():
    """Two levers' values x two inflows: the plan under high inflow is compared with the
    baseline under high inflow, never with the baseline under today's inflow."""
    from flowsim.experiments.design import reference_points
    from flowsim.experiments.spec import Spec

    spec = Spec.model_validate(
        {
            "name": "plan-x-inflow",
            "base": "unused.yaml",
            "levers": [{"name": "plan", "scenarios": {"baseline": "a.yaml", "plan": "b.yaml"}}],
            "uncertainties": [{"name": "inflow", "field": "inflow.scale", "values": [1.0, 1.1]}],
            "design": {"kind": "factorial"},
            "replications": 2,
            "outcomes": {"peak": {"series": "without_reception", "stat": "max"}},
        }
    )
    points = [
        {"plan": "baseline", "inflow": 1.0},
        {"plan": "baseline", "inflow": 1.1},
        {"plan": "plan", "inflow": 1.0},
        {"plan": "plan", "inflow": 1.1},
    ]
    assert reference_points(spec, points) == {2: 0, 3: 1}
    # with hand-made runs: the plan saves 5 under either inflow; against the single baseline
    # point it would read as +45 under high inflow
    peak = {0: [100, 110], 1: [150, 160], 2: [95, 105], 3: [145, 155]}
    runs = pd.DataFrame(
        [
            {"point": p, "replication": r, "status": "ok", "peak": v}
            for p, values in peak.items()
            for r, v in enumerate(values)
        ]
    )
    diffs = paired_differences(runs, {2: 0, 3: 1}, ["peak"]).set_index("point")
    assert diffs.loc[2, "mean_difference"] == diffs.loc[3, "mean_difference"] == -5
    assert diffs.loc[3, "reference"] == 1
    assert paired_differences(runs, 0, ["peak"]).set_index("point").loc[3, "mean_difference"] == 45


def test_the_outcome_table_groups_policies_by_the_uncertainties_they_stand_under():
    """Points 0-3: two policies under two inflows; the report lists them inflow by inflow."""
    from flowsim.experiments.report import _outcome_markdown

    table = pd.DataFrame(
        {
            "point": [0, 1, 2, 3],
            "outcome": ["peak"] * 4,
            "n": [5] * 4,
            "mean": [10.0, 20.0, 11.0, 21.0],
            "ci_low": [9.0, 19.0, 10.0, 20.0],
            "ci_high": [11.0, 21.0, 12.0, 22.0],
        }
    )
    labels = {
        0: "plan=0, inflow=1",
        1: "plan=0, inflow=1.2",
        2: "plan=1, inflow=1",
        3: "plan=1, inflow=1.2",
    }
    under = {0: "inflow=1", 1: "inflow=1.2", 2: "inflow=1", 3: "inflow=1.2"}
    lines = _outcome_markdown(table, labels, ["peak"], limit=40, under=under)
    assert lines[0] == "| point | under | scenario | peak |"
    order = [line.split("|")[1].strip() for line in lines[2:6]]
    assert order == ["0", "2", "1", "3"]
    plain = _outcome_markdown(table, labels, ["peak"], limit=40)
    assert plain[0] == "| point | scenario | peak |"


def test_point_labels_name_each_points_factor_values_as_written():
    """One label per point from its first run: numbers to four significant digits, words
    and switches as they are."""
    from flowsim.results.loading import point_labels

    runs = pd.DataFrame(
        {
            "point": [0, 0, 1, 1],
            "quota": [0.25, 0.25, 1.0 / 3.0, 1.0 / 3.0],
            "plan": ["winter", "winter", "none", "none"],
            "open": [True, True, False, False],
            "places": [500, 500, 12000, 12000],
        }
    )
    assert point_labels(runs, ["quota", "plan", "open", "places"]) == {
        0: "quota=0.25, plan=winter, open=True, places=500",
        1: "quota=0.3333, plan=none, open=False, places=1.2e+04",
    }
    assert point_labels(runs, []) == {0: "", 1: ""}
