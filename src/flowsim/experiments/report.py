"""The report of a sweep: outcome tables, paired differences, charts, scenario discovery.

``flowsim report DIR`` reads ``DIR/runs.parquet`` and ``DIR/manifest.json`` (written by
:mod:`flowsim.experiments.sweep`) and writes ``DIR/report/``:

- ``outcomes.csv``: per design point and outcome, the mean over replications with its 95%
  confidence interval (Student t);
- ``differences.csv`` (factorial designs): per point and outcome, the mean paired difference
  against its reference point, the baseline policy under the point's own uncertainties
  (:func:`flowsim.experiments.design.reference_points`), with its 95% interval (replication ``k``
  of both points used the same random numbers), and the unpaired (Welch) interval for
  comparison; rows grouped by reference (by uncertainty);
- ``figures/fan_<series>.png``: median, 50% and 90% bands of each kept series, one colour
  per point (drawn by :func:`flowsim.results.fan_charts.fan_figure`, as in the dashboard);
- ``figures/sobol_<outcome>.png`` (Sobol: first-order and total indices with 95% intervals),
  ``figures/morris_<outcome>.png`` (Morris: mu* with 95% interval, and sigma), or
  ``figures/tornado_<outcome>.png`` (factorial: main effects; Latin hypercube: rank
  correlations);
- ``discovery.csv`` and ``figures/prim_tradeoff.png``: the PRIM box (EMA workbench)
  describing the runs where the experiment's ``discovery`` outcome crosses its threshold,
  and the coverage/density trade-off of the peeling (drawn by
  :func:`flowsim.experiments.charts.prim_figure`, as in the dashboard);
- ``report.md``: all of the above in one page, linking the figures.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from flowsim.experiments.analysis import (
    describe_box,
    limit_text,
    outcome_table,
    paired_differences,
    prim_boxes,
    rule_text,
    runs_of_interest,
    sensitivity_table,
    sweep_references,
)
from flowsim.experiments.charts import prim_figure, sensitivity_figure
from flowsim.experiments.intervals import (
    interval_text,
    number_text,
)
from flowsim.experiments.spec import Spec
from flowsim.results.catalogue import outcome_meaning
from flowsim.results.colours import scenario_colours
from flowsim.results.fan_charts import Panel, fan_figure
from flowsim.results.loading import load_sweep, point_labels, sweep_scenarios
from flowsim.results.markdown import table
from flowsim.results.runs import atomic_path
from flowsim.results.store import RunStore


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
    # only the rows shown are written out (a sweep may have 20,000 points)
    cell = table.set_index(["point", "outcome"])[["mean", "ci_low", "ci_high"]]
    rows = []
    for point in points[:limit]:
        cells = [str(point)] + ([under.get(int(point), "")] if under else [])
        cells.append(labels.get(int(point), ""))
        cells += [interval_text(*cell.loc[(point, name)]) for name in outcomes]
        rows.append(cells)
    header = ["point", *(["under"] if under else []), "scenario", *outcomes]
    lines = _table_lines(header, rows)
    if len(points) > limit:
        lines += [f"({len(points) - limit} more points in outcomes.csv)", ""]
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
    if not spec.series or not RunStore(folder).holds_runs():
        return []
    sweep = load_sweep(folder)  # read and drawn as the dashboard does
    scenarios = sweep_scenarios(sweep)
    colours = scenario_colours(sc.label for sc in scenarios)
    md = ["## Fan charts", "", "Median, 50% and 90% bands over replications, per scenario.", ""]
    for name in spec.series:
        unit = "euros per day" if name.endswith("_eur") else "persons"
        panel = Panel(name, unit, ((name, name),))
        fig = fan_figure(scenarios, [panel], colours, title=name, columns=1)
        _save(fig, figures / f"fan_{name}.png")
        md += [f"![{name}](figures/fan_{name}.png)", ""]
    return md


def _sensitivity(
    runs: pd.DataFrame,
    spec: Spec,
    factors: list[str],
    outcomes: list[str],
    figures: Path,
    out: Path,
) -> list[str]:
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
