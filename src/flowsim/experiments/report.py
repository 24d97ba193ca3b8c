"""The report of a sweep: outcome tables, paired differences, charts, scenario discovery.

``flowsim report DIR`` reads ``DIR/runs.parquet`` and ``DIR/manifest.json`` (written by
:mod:`flowsim.experiments.sweep`) and writes ``DIR/report/``:

- ``outcomes.csv``: per design point and outcome, the mean over replications with its 95%
  confidence interval (Student t);
- ``differences.csv`` (factorial designs): per point and outcome, the mean paired difference
  against its reference point, the baseline policy under the point's own uncertainties
  (:func:`flowsim.experiments.spec.reference_points`), with its 95% interval (replication ``k``
  of both points used the same random numbers), and the unpaired (Welch) interval for
  comparison; rows grouped by reference (by uncertainty);
- ``figures/fan_<series>.png``: median, 50% and 90% bands of each kept series, one colour
  per point (drawn by :func:`flowsim.dashboard.fan_figure`, as in the dashboard);
- ``figures/sobol_<outcome>.png`` (Sobol: first-order and total indices with 95% intervals),
  ``figures/morris_<outcome>.png`` (Morris: mu* with 95% interval, and sigma), or
  ``figures/tornado_<outcome>.png`` (factorial: main effects; Latin hypercube: rank
  correlations);
- ``discovery.csv`` and ``figures/prim_tradeoff.png``: the PRIM box (EMA workbench)
  describing the runs where the experiment's ``discovery`` outcome crosses its threshold,
  and the coverage/density trade-off of the peeling (drawn by
  :func:`flowsim.dashboard.prim_figure`, as in the dashboard);
- ``report.md``: all of the above in one page, linking the figures.
"""

from __future__ import annotations

import inspect
import json
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from flowsim.experiments.intervals import (
    CONFIDENCE,
    interval_text,
    mean_interval,
    number_text,
    welch_interval,
)
from flowsim.experiments.spec import Discovery, Spec, reference_points, salib_problem
from flowsim.results.catalogue import outcome_meaning
from flowsim.results.markdown import table
from flowsim.results.runs import atomic_path

# --- tables -------------------------------------------------------------------------------


def point_labels(runs: pd.DataFrame, factors: list[str]) -> dict[int, str]:
    """A readable label per point: ``factor=value, ...``."""
    first = runs.drop_duplicates("point").set_index("point")[factors]
    return {
        int(p): ", ".join(f"{f}={_fmt(row[f])}" for f in factors) for p, row in first.iterrows()
    }


def _fmt(value: Any) -> str:
    if isinstance(value, int | float | np.floating | np.integer):
        return f"{float(value):.4g}"
    return str(value)


def outcome_table(runs: pd.DataFrame, outcomes: list[str]) -> pd.DataFrame:
    """Per point and outcome: replications used, mean, 95% interval (runs with status ok)."""
    ok = runs[runs["status"] == "ok"]
    rows = []
    for point, group in ok.groupby("point", sort=True):
        for name in outcomes:
            mean, low, high = mean_interval(group[name].to_numpy())
            rows.append(
                {
                    "point": int(point),
                    "outcome": name,
                    "n": int(group[name].notna().sum()),
                    "mean": mean,
                    "ci_low": low,
                    "ci_high": high,
                }
            )
    return pd.DataFrame(rows, columns=["point", "outcome", "n", "mean", "ci_low", "ci_high"])


def paired_differences(
    runs: pd.DataFrame, references: int | Mapping[int, int], outcomes: list[str]
) -> pd.DataFrame:
    """Per point and outcome: the mean of the differences point - reference over the
    replications both ran (paired by replication: common random numbers) with its 95%
    interval, and the unpaired Welch interval for comparison. ``references``: each point's
    reference point (:func:`flowsim.experiments.spec.reference_points`), or one point every
    other point is compared with."""
    ok = runs[runs["status"] == "ok"]
    if not isinstance(references, Mapping):
        references = {int(p): references for p in ok["point"].unique() if p != references}
    by_point = {int(p): g.set_index("replication") for p, g in ok.groupby("point", sort=True)}
    rows = []
    for point in sorted(references):
        reference = references[point]
        if point not in by_point or reference not in by_point:
            continue
        other, base = by_point[point], by_point[reference]
        shared = other.index.intersection(base.index)
        for name in outcomes:
            diff = other.loc[shared, name].to_numpy() - base.loc[shared, name].to_numpy()
            mean, low, high = mean_interval(diff)
            u_low, u_high = welch_interval(other[name].to_numpy(), base[name].to_numpy())
            rows.append(
                {
                    "point": int(point),
                    "reference": int(reference),
                    "outcome": name,
                    "pairs": int(np.count_nonzero(~np.isnan(diff))),
                    "mean_difference": mean,
                    "ci_low": low,
                    "ci_high": high,
                    "unpaired_ci_low": u_low,
                    "unpaired_ci_high": u_high,
                }
            )
    columns = ["point", "reference", "outcome", "pairs", "mean_difference", "ci_low", "ci_high"]
    return pd.DataFrame(rows, columns=[*columns, "unpaired_ci_low", "unpaired_ci_high"])


def sweep_references(runs: pd.DataFrame, spec: Spec) -> dict[int, int]:
    """Each point's reference (:func:`flowsim.experiments.spec.reference_points`) from the
    factor values a sweep's runs table records."""
    factors = [f.name for f in spec.factors]
    first = runs.drop_duplicates("point").set_index("point").sort_index()
    if first.empty or not set(factors) <= set(first.columns):
        return {}
    points = [
        {f: first.at[p, f] if p in first.index else None for f in factors}
        for p in range(int(first.index.max()) + 1)
    ]
    return reference_points(spec, points)


# --- sensitivity --------------------------------------------------------------------------


def point_means(runs: pd.DataFrame, outcome: str, points: int) -> np.ndarray | None:
    """Mean of an outcome over replications for every point 0..points-1, or None when a
    point has no successful run (SALib needs the whole sample)."""
    ok = runs[runs["status"] == "ok"]
    means = ok.groupby("point")[outcome].mean().reindex(range(points))
    return None if means.isna().any() else means.to_numpy(np.float64)


def sobol_indices(spec: Spec, y: np.ndarray) -> pd.DataFrame:
    """First-order (S1) and total (ST) Sobol indices with 95% intervals (SALib)."""
    from SALib.analyze import sobol

    problem = salib_problem(spec)
    found = sobol.analyze(
        problem,
        y,
        calc_second_order=spec.design.second_order,
        conf_level=CONFIDENCE,
        seed=spec.seed,
    )
    return pd.DataFrame(
        {
            "factor": problem["names"],
            "S1": found["S1"],
            "S1_conf": found["S1_conf"],
            "ST": found["ST"],
            "ST_conf": found["ST_conf"],
        }
    )


def morris_indices(spec: Spec, x: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    """Morris elementary effects: mu* with its 95% interval half-width, and sigma (SALib)."""
    from SALib.analyze import morris

    problem = salib_problem(spec)
    found = morris.analyze(
        problem, x, y, conf_level=CONFIDENCE, num_levels=spec.design.levels, seed=spec.seed
    )
    return pd.DataFrame(
        {
            "factor": problem["names"],
            "mu_star": found["mu_star"],
            "mu_star_conf": found["mu_star_conf"],
            "sigma": found["sigma"],
        }
    )


def main_effects(runs: pd.DataFrame, factors: list[str], outcome: str) -> pd.DataFrame:
    """Per factor: the lowest and highest mean outcome over its values (the others
    averaged), for a tornado chart of a factorial design."""
    ok = runs[runs["status"] == "ok"]
    rows = []
    for f in factors:
        by_level = ok.groupby(f)[outcome].mean()
        rows.append({"factor": f, "low": by_level.min(), "high": by_level.max()})
    return pd.DataFrame(rows)


def rank_correlations(runs: pd.DataFrame, factors: list[str], outcome: str) -> pd.DataFrame:
    """Per numeric factor: Spearman rank correlation with the outcome over runs."""
    ok = runs[runs["status"] == "ok"]
    rows = []
    for f in factors:
        if pd.api.types.is_numeric_dtype(ok[f]) and ok[f].nunique() > 1:
            rho = stats.spearmanr(ok[f], ok[outcome]).statistic
            rows.append({"factor": f, "spearman": float(rho)})
    return pd.DataFrame(rows, columns=["factor", "spearman"])


# --- scenario discovery -------------------------------------------------------------------


def runs_of_interest(runs: pd.DataFrame, rule: Discovery) -> np.ndarray:
    """Which runs PRIM describes: those whose ``rule.outcome`` is above ``rule.above`` (or
    below ``rule.below``), as a boolean array in the rows' order; a missing value is not of
    interest."""
    values = runs[rule.outcome].to_numpy(np.float64)
    return values > rule.above if rule.above is not None else values < rule.below


def rule_text(rule: Discovery) -> str:
    """The runs of interest in words: ``peak_without > 1,200``."""
    if rule.above is not None:
        return f"{rule.outcome} > {number_text(rule.above)}"
    return f"{rule.outcome} < {number_text(rule.below)}"


def prim_boxes(
    x: pd.DataFrame, y: np.ndarray, threshold: float = 0.8
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """PRIM (EMA workbench) on factor values ``x`` and a boolean ``y`` (the runs of
    interest). Returns the box limits of the chosen box and the peeling trajectory
    (coverage, density, mass and restricted factors ``res_dim`` per box, one row per box).

    The chosen box has the highest coverage among those with density >= ``threshold``, the
    densest of them on a tie (the trajectory often keeps full coverage for several peels);
    the densest box when none reaches the threshold. Its limits: one row per restricted
    factor, ``min`` and ``max`` (for a categorical factor both are the kept categories),
    with the factor's whole sampled range ``range_min``, ``range_max``; its coverage,
    density, mass and number (``box``) are in the table's ``attrs``.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the workbench warns about optional parallel back-ends
        from ema_workbench.analysis import prim

        data = x.copy()
        for column in data.columns:
            if not pd.api.types.is_numeric_dtype(data[column]):
                data[column] = data[column].astype("category")
        # ema-workbench 2.x (Python 3.11) requires the density threshold; 3.x (Python 3.12+)
        # dropped it: the box is chosen below from the peeling trajectory either way
        accepts = inspect.signature(prim.Prim).parameters
        options = {"threshold": threshold} if "threshold" in accepts else {}
        box = prim.Prim(data, np.asarray(y, bool), **options).find_box()
    trajectory = box.peeling_trajectory[["coverage", "density", "mass", "res_dim"]].copy()
    good = trajectory[trajectory["density"] >= threshold]
    if len(good):
        chosen = int(good.sort_values(["coverage", "density"], kind="stable").index[-1])
    else:
        chosen = int(trajectory["density"].idxmax())
    limits = box.box_lims[chosen]
    initial = box.box_lims[0]  # the whole sampled range of every factor
    rows = []
    for column in limits.columns:
        low, high = limits[column].iloc[0], limits[column].iloc[1]
        first_low, first_high = initial[column].iloc[0], initial[column].iloc[1]
        if isinstance(low, set):
            if low != first_low:
                kept, every = sorted(low), sorted(first_low)
                rows.append(
                    {"factor": column, "min": kept, "max": kept, "range_min": every,
                     "range_max": every}
                )  # fmt: skip
        elif low != first_low or high != first_high:
            rows.append(
                {"factor": column, "min": float(low), "max": float(high),
                 "range_min": float(first_low), "range_max": float(first_high)}
            )  # fmt: skip
    table = pd.DataFrame(rows, columns=["factor", "min", "max", "range_min", "range_max"])
    table.attrs.update(trajectory.loc[chosen, ["coverage", "density", "mass"]].to_dict())
    table.attrs["box"] = chosen
    return table, trajectory


def describe_box(limits: pd.DataFrame) -> str:
    """The chosen box of :func:`prim_boxes` in one sentence: its coverage, density, mass."""
    a = limits.attrs
    return (
        f"Box {a['box']}: coverage {a['coverage']:.2f} (share of the runs of interest inside "
        f"it), density {a['density']:.2f} (share of the runs inside it that are of interest), "
        f"mass {a['mass']:.2f} (share of all runs inside it)."
    )


# --- the report ---------------------------------------------------------------------------


def read_sweep(folder: Path) -> tuple[dict, pd.DataFrame]:
    """A sweep folder's manifest and runs table; ValueError naming the folder and the file
    when either is missing, corrupt, or another kind of results."""
    from pydantic import ValidationError

    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(
            f"{folder / 'manifest.json'}: expected a sweep's manifest: {err}"
        ) from None
    if not isinstance(manifest, dict) or "spec" not in manifest:
        raise ValueError(f"{folder / 'manifest.json'}: expected a sweep's manifest (with its spec)")
    try:
        Spec.model_validate(manifest["spec"])
    except ValidationError:
        raise ValueError(f"{folder / 'manifest.json'}: spec: expected an experiment spec") from None
    try:
        runs = pd.read_parquet(folder / "runs.parquet")
    except Exception as err:  # pyarrow raises several kinds for a file that is no Parquet
        raise ValueError(
            f"{folder / 'runs.parquet'}: expected a Parquet runs table: {err}"
        ) from None
    missing = {"point", "status"} - set(runs.columns)
    if missing:
        raise ValueError(f"{folder / 'runs.parquet'}: expected columns {sorted(missing)}")
    return manifest, runs


def write_report(folder: str | Path) -> Path:
    """Write ``folder/report/`` (tables, figures, ``report.md``); returns the Markdown file."""
    import matplotlib

    matplotlib.use("Agg")
    folder = Path(folder)
    manifest, runs = read_sweep(folder)
    spec = Spec.model_validate(manifest["spec"])
    out = folder / "report"
    figures = out / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    factors = [f.name for f in spec.factors]
    outcomes = list(spec.outcomes)
    labels = point_labels(runs, factors)
    baseline = manifest.get("baseline_point")
    md: list[str] = [f"# {spec.name}", ""]
    if spec.description:
        md += [spec.description.strip(), ""]
    md += _overview(manifest, runs)

    table = outcome_table(runs, outcomes)
    _write_csv(table.assign(label=table["point"].map(labels)), out / "outcomes.csv")
    md += ["## Outcomes by scenario", "", "Mean over replications [95% interval of the mean].", ""]
    md += outcome_legend(manifest.get("outcomes", {}), outcomes)
    uncertainties = [u.name for u in spec.uncertainties if u.name in runs]
    under = point_labels(runs, uncertainties) if uncertainties else None
    md += _outcome_markdown(table, labels, outcomes, limit=40, under=under)

    references = sweep_references(runs, spec)
    if references:
        diffs = paired_differences(runs, references, outcomes)
        _write_csv(
            diffs.assign(
                label=diffs["point"].map(labels), reference_label=diffs["reference"].map(labels)
            ),
            out / "differences.csv",
        )
        md += [
            "## Differences from the baseline policy",
            "",
            "Each scenario against the baseline policy under the same uncertainties (the "
            "reference point). Mean of the paired differences (replication k of each against "
            "replication k of its reference: the same random numbers) [95% interval]; the "
            "unpaired interval shows what the pairing saves.",
            "",
        ]
        md += _difference_markdown(diffs, labels, limit=40)

    md += _fan_charts(folder, runs, spec, labels, baseline, figures)
    md += _sensitivity(runs, spec, factors, outcomes, figures, out)
    if spec.discovery is not None:
        md += _discovery(runs, spec, factors, figures, out)
    failed = runs[runs["status"].isin(["error", "invalid"])]
    if len(failed):
        md += ["## Runs that failed", ""]
        md += _table_lines(
            ["index", "point", "replication", "status", "error"],
            failed[["index", "point", "replication", "status", "error"]].head(20).values,
        )
    target = out / "report.md"
    with atomic_path(target) as tmp:
        tmp.write_text("\n".join(md) + "\n", encoding="utf-8")
    return target


def outcome_legend(definitions: dict, outcomes: list[str]) -> list[str]:
    """Markdown lines saying what each outcome is, from the catalogue of series."""
    lines = [
        f"- `{name}`: {text}"
        for name in outcomes
        if (text := outcome_meaning(definitions.get(name) or {}))
    ]
    return [*lines, ""] if lines else []


def incomplete_note(manifest: dict, runs: pd.DataFrame) -> str | None:
    """A sentence when the sweep's results are not its whole design: the sweep is still
    running or was interrupted (its runs table is an earlier one), or runs are missing."""
    state = manifest.get("state", "complete")
    planned = manifest.get("runs")
    if state == "running":
        return (
            f"This sweep is incomplete: it is running or was interrupted (manifest state "
            f"'running'); runs.parquet holds {len(runs)} of its {planned} runs, from an "
            f"earlier pass. Run the sweep again with --resume to finish it."
        )
    if state != "complete" or (planned is not None and len(runs) < planned):
        return (
            f"This sweep is incomplete (manifest state {state!r}): {len(runs)} of "
            f"{planned} runs. Run the sweep again with --resume to finish it."
        )
    return None


def _overview(manifest: dict, runs: pd.DataFrame) -> list[str]:
    statuses = runs["status"].value_counts().to_dict()
    note = incomplete_note(manifest, runs)
    return ([f"**{note}**", ""] if note else []) + [
        f"Design: {manifest['design']}, {manifest['points']} points x "
        f"{manifest['replications']} replications = {manifest['runs']} runs; master seed "
        f"{manifest['master_seed']}; runs by status: "
        + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items()))
        + f". Levers: {', '.join(manifest['levers']) or 'none'}; uncertainties: "
        f"{', '.join(manifest['uncertainties']) or 'none'}. flowsim "
        f"{manifest['versions'].get('flowsim')}.",
        "",
    ]


def _outcome_markdown(
    table: pd.DataFrame,
    labels: dict[int, str],
    outcomes: list[str],
    limit: int,
    under: dict[int, str] | None = None,
) -> list[str]:
    """The outcome table, one row per point; with ``under`` (the uncertainties' values per
    point), grouped by them, so that policies are read under the same uncertainties."""
    under = under or {}
    points = sorted(table["point"].unique(), key=lambda p: (under.get(int(p), ""), p))
    rows = []
    for point in points:
        group = table[table["point"] == point]
        cells = [str(point)] + ([under.get(int(point), "")] if under else [])
        cells.append(labels.get(int(point), ""))
        for name in outcomes:
            r = group[group["outcome"] == name].iloc[0]
            cells.append(interval_text(r["mean"], r["ci_low"], r["ci_high"]))
        rows.append(cells)
    header = ["point", *(["under"] if under else []), "scenario", *outcomes]
    lines = _table_lines(header, rows[:limit])
    if len(rows) > limit:
        lines += [f"({len(rows) - limit} more points in outcomes.csv)", ""]
    return lines


def _difference_markdown(diffs: pd.DataFrame, labels: dict[int, str], limit: int) -> list[str]:
    diffs = diffs.sort_values(["reference", "point"], kind="stable")  # by uncertainty
    rows = [
        [
            str(r.point),
            labels.get(int(r.point), ""),
            labels.get(int(r.reference), ""),
            r.outcome,
            interval_text(r.mean_difference, r.ci_low, r.ci_high),
            f"[{number_text(r.unpaired_ci_low)}, {number_text(r.unpaired_ci_high)}]",
        ]
        for r in diffs.itertuples()
    ]
    header = [
        "point",
        "scenario",
        "reference",
        "outcome",
        "paired difference",
        "unpaired interval",
    ]
    lines = _table_lines(header, rows[:limit])
    if len(rows) > limit:
        lines += [f"({len(rows) - limit} more rows in differences.csv)", ""]
    return lines


def _fan_charts(
    folder: Path,
    runs: pd.DataFrame,
    spec: Spec,
    labels: dict[int, str],
    baseline: int | None,
    figures: Path,
) -> list[str]:
    if not spec.series or not (folder / "series").is_dir():
        return []
    from flowsim import dashboard  # the dashboard draws the same fan charts

    sweep = dashboard.load_sweep(folder)
    scenarios = dashboard.sweep_scenarios(sweep)
    colours = dashboard.scenario_colours(sc.label for sc in scenarios)
    md = ["## Fan charts", "", "Median, 50% and 90% bands over replications, per scenario.", ""]
    for name in spec.series:
        unit = "euros per day" if name.endswith("_eur") else "persons"
        panel = dashboard.Panel(name, unit, ((name, name),))
        fig = dashboard.fan_figure(scenarios, [panel], colours, title=name, columns=1)
        _save(fig, figures / f"fan_{name}.png")
        md += [f"![{name}](figures/fan_{name}.png)", ""]
    return md


def sensitivity_table(
    runs: pd.DataFrame, spec: Spec, outcome: str
) -> tuple[str, pd.DataFrame | None]:
    """The sensitivity of one outcome to the factors, by the design's method: Sobol S1/ST,
    Morris mu*/sigma, factorial main effects or (Latin hypercube) rank correlations.

    Returns (kind, table) with the rows in chart order (largest effect on top for the
    tornado charts); the table is None when a Sobol or Morris point has no successful run.
    """
    kind = spec.design.kind
    factors = [f.name for f in spec.factors]
    if kind in ("sobol", "morris"):
        y = point_means(runs, outcome, int(runs["point"].max()) + 1)
        if y is None:
            return kind, None
        if kind == "sobol":
            return kind, sobol_indices(spec, y)
        x = runs.drop_duplicates("point").sort_values("point")[factors].to_numpy(float)
        return kind, morris_indices(spec, x, y)
    if kind == "factorial":
        found = main_effects(runs, factors, outcome)
        order = np.argsort((found["high"] - found["low"]).to_numpy())
        return kind, found.iloc[order].reset_index(drop=True)
    found = rank_correlations(runs, factors, outcome)
    order = np.argsort(found["spearman"].abs().to_numpy())
    return kind, found.iloc[order].reset_index(drop=True)


def _sensitivity(
    runs: pd.DataFrame,
    spec: Spec,
    factors: list[str],
    outcomes: list[str],
    figures: Path,
    out: Path,
) -> list[str]:
    from flowsim.dashboard import sensitivity_figure  # the dashboard draws the same charts

    md = ["## Sensitivity", ""]
    tables = []
    for name in outcomes:
        kind, found = sensitivity_table(runs, spec, name)
        if found is None:
            md += [f"{name}: some points have no successful run; no indices.", ""]
            continue
        stem = f"{kind}_{name}" if kind in ("sobol", "morris") else f"tornado_{name}"
        fig = sensitivity_figure(kind, found, name)
        title = fig.axes[0].get_title()
        _save(fig, figures / f"{stem}.png")
        tables.append(found.assign(outcome=name))  # largest effect on top of the chart
        md += [f"![{title}](figures/{stem}.png)", ""]
    if tables:
        _write_csv(pd.concat(tables, ignore_index=True), out / "sensitivity.csv")
        md += ["Values in `sensitivity.csv`.", ""]
    return md


def _discovery(
    runs: pd.DataFrame, spec: Spec, factors: list[str], figures: Path, out: Path
) -> list[str]:
    from flowsim.dashboard import prim_figure  # the dashboard draws the same chart

    rule = spec.discovery
    assert rule is not None
    ok = runs[runs["status"] == "ok"]
    hit = runs_of_interest(ok, rule)
    md = ["## Scenario discovery (PRIM)", "", f"Runs of interest: {rule_text(rule)}: "]
    if hit.all() or not hit.any():
        md[-1] += f"{int(hit.sum())} of {len(hit)} runs; PRIM needs both kinds of runs."
        return [*md, ""]
    limits, trajectory = prim_boxes(ok[factors].reset_index(drop=True), hit, rule.threshold)
    _write_csv(limits, out / "discovery.csv")
    _save(prim_figure(limits, trajectory, rule.threshold), figures / "prim_tradeoff.png")
    md[-1] += f"{int(hit.sum())} of {len(hit)} runs."
    md += ["", describe_box(limits), ""]
    md += _table_lines(
        ["factor", "from", "to"],
        [[r.factor, limit_text(r.min), limit_text(r.max)] for r in limits.itertuples()],
    )
    md += ["![PRIM trade-off](figures/prim_tradeoff.png)", ""]
    return md


def limit_text(value: Any) -> str:
    """A PRIM box limit for reading: a number, or the kept categories ``a, b``."""
    return ", ".join(value) if isinstance(value, list) else number_text(value)


def _table_lines(header: list[str], rows: Any) -> list[str]:
    """A markdown table as report lines, a blank line after it."""
    return [*table(header, rows).splitlines(), ""]


def _write_csv(frame: pd.DataFrame, target: Path) -> None:
    with atomic_path(target) as tmp:
        frame.to_csv(tmp, index=False)


def _save(fig: Any, target: Path) -> None:
    import matplotlib.pyplot as plt

    with atomic_path(target) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
