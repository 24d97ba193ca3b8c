"""The views of daily series for a pick of folders: the series views and breakdowns (fan
charts of runs and of the series sweeps kept per point) and the hindcast (a run against the
observed Belgian figures). Each returns a :class:`~flowsim.dashboard.views.Shown`; problems
come back as its message.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd

from flowsim.dashboard.interactive import fan_chart
from flowsim.dashboard.series_charts import breakdown_figure
from flowsim.dashboard.series_tables import breakdown_table, fan_table
from flowsim.dashboard.views import (
    BREAKDOWNS,
    HINDCAST_VIEW,
    VIEWS,
    Breakdown,
    Shown,
    one_folder_note,
)
from flowsim.results.catalogue import entry
from flowsim.results.fan_charts import Panel, fan_figure
from flowsim.results.folders import DashboardError, Folder
from flowsim.results.frames import observed_points
from flowsim.results.loading import (
    CACHE,
    MAX_SCENARIOS,
    Scenario,
    load_run,
    load_sweep,
    run_files,
    sweep_scenarios,
)


def load_scenarios(folders: Sequence[Folder]) -> tuple[list[Scenario], list[str]]:
    """Scenarios from the picked folders (a run: one; a sweep: its points with kept series,
    at most :data:`MAX_SCENARIOS` in all) and one note per folder that gave none."""
    scenarios: list[Scenario] = []
    notes = []
    for folder in folders:
        try:
            if folder.kind == "run":
                scenarios.append(load_run(folder.path))
            elif folder.kind == "sweep":
                found = sweep_scenarios(load_sweep(folder.path))
                if not found:
                    notes.append(f"{folder.path.name}: the sweep kept no daily series")
                scenarios.extend(found)
            else:
                notes.append(f"{folder.path.name}: {folder.problem}")
        except DashboardError as err:
            notes.append(str(err))
    if len(scenarios) > MAX_SCENARIOS:
        notes.append(f"showing the first {MAX_SCENARIOS} of {len(scenarios)} scenarios")
        scenarios = scenarios[:MAX_SCENARIOS]
    return scenarios, notes


def show_series(
    view: str,
    folders: Sequence[Folder],
    colours: dict[str, str],
    observed: pd.DataFrame | None = None,
    option: str | None = None,
) -> Shown:
    """A series view (:data:`~flowsim.dashboard.views.VIEWS`) or a breakdown
    (:data:`~flowsim.dashboard.views.BREAKDOWNS`; ``option``: its series) of the picked
    runs and sweep points, one colour per scenario (``colours``, by label)."""
    scenarios, notes = load_scenarios(folders)
    note = "; ".join(notes)
    if not scenarios:
        return Shown(message=note or "Nothing to show for these folders.")
    if view in BREAKDOWNS:
        breakdown = BREAKDOWNS[view]
        column = option if option in breakdown.series else next(iter(breakdown.series))
        try:
            fig = breakdown_figure(scenarios, breakdown, column, colours)
        except DashboardError as err:
            return Shown(message=str(err))
        table = breakdown_table(scenarios, breakdown, column)
        chart = breakdown_chart(table, breakdown, column, colours)
        return Shown(fig, table, note, chart=chart)
    panels = VIEWS[view]
    fig = fan_figure(scenarios, panels, colours, observed, title=view)
    table = fan_table(scenarios, panels)
    chart = series_chart(scenarios, panels, table, colours, observed, view)
    return Shown(fig, table, note, html=panel_help(panels), chart=chart)


def panel_help(panels: Sequence[Panel]) -> str:
    """One help line per chart: what each of its lines counts, from the catalogue of series
    (:mod:`flowsim.results.catalogue`); lines the page derives (rates, means, totals) say how."""
    lines = []
    for panel in panels:
        parts = []
        for column, label in panel.lines:
            try:
                meaning = entry(column).meaning
            except KeyError:
                continue
            parts.append(f"<i>{escape(label)}</i>: {escape(meaning)}")
        if parts:
            head = f"<b>{escape(panel.title)}</b> ({escape(panel.unit)})"
            lines.append(f"<li>{head}: {'; '.join(parts)}</li>")
    return f"<ul class='flowsim-help'>{''.join(lines)}</ul>" if lines else ""


def series_chart(
    scenarios: Sequence[Scenario],
    panels: Sequence[Panel],
    table: pd.DataFrame,
    colours: dict[str, str],
    observed: pd.DataFrame | None,
    title: str,
):
    """The interactive version of :func:`fan_figure`, drawn from its table (:func:`fan_table`):
    a legend entry per line (``scenario: line`` when several scenarios are shown), observed
    figures where they fall within the runs' dates."""
    several = len(scenarios) > 1
    rows = table.assign(
        trace=[
            f"{s}: {line}" if several else line
            for s, line in zip(table["scenario"], table["line"], strict=True)
        ]
    )
    dates = pd.concat([sc.frame["date"] for sc in scenarios])
    seen = []
    for panel in panels:
        for series in panel.observed:
            points = observed_points(observed, series, dates.min(), dates.max(), panel.per_day)
            seen.append(points.assign(panel=panel.title))
    return fan_chart(
        rows,
        {p.title: p.unit for p in panels},
        colours,
        [p.title for p in panels],
        pd.concat(seen, ignore_index=True) if seen else None,
        title=title,
    )


def breakdown_chart(
    table: pd.DataFrame, breakdown: Breakdown, column: str, colours: dict[str, str]
):
    """The interactive version of :func:`breakdown_figure`, from its table: a panel per
    category (its own scale), a legend entry per scenario."""
    names = breakdown.names
    category = breakdown.category
    rows = table.assign(
        panel=[names.get(c, str(c).replace("_", " ")) for c in table[category]],
        trace=table["scenario"],
    )
    panels = list(dict.fromkeys(rows["panel"]))
    if breakdown.alphabetical:
        order = sorted(dict.fromkeys(table[category]))
        panels = [names.get(c, str(c).replace("_", " ")) for c in order]
    unit = breakdown.series.get(column, column)
    return fan_chart(
        rows,
        dict.fromkeys(panels, unit),
        colours,
        panels,
        title=f"{unit}, {breakdown.view.lower()}",
    )


def hindcast_points(path: str | Path, observed: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """The observed figures the run in ``path`` covers next to the run's values over their
    periods (:func:`flowsim.validation.hindcast.compare`; with the predictive band when the run's
    scenario is calibrated), kept in the folder cache like the run itself: the page asks
    for them again at every pick."""
    from flowsim.validation.hindcast import compare
    from flowsim.validation.observed import ModelRun
    from flowsim.validation.predictive import add_predictive, manifest_scales

    path = Path(path)
    # the observed figures are part of the key: another table gives other points
    digest = int(pd.util.hash_pandas_object(observed, index=False).sum())
    key = ("hindcast", path.resolve(), digest)

    def points() -> tuple[pd.DataFrame, np.ndarray]:
        scenario = load_run(path)
        found, samples = compare(ModelRun(scenario.frame), observed)
        scales = manifest_scales(scenario.manifest)
        if not scales.empty:  # a calibrated scenario: the predictive band too
            found, _ = add_predictive(found, samples, scales)
        return found, samples

    return CACHE.get(key, run_files(path), points)


def hindcast_groups(points: pd.DataFrame) -> list[str]:
    """``series (resolution)`` of every group of observed points, in order."""
    pairs = points[["series", "resolution"]].drop_duplicates()
    return sorted(f"{s} ({r})" for s, r in zip(pairs["series"], pairs["resolution"], strict=True))


def hindcast_options(
    folders: Sequence[Folder], observed: pd.DataFrame | None, single: str | None = None
) -> list[str]:
    """The groups of observed points the run compared can be compared with (the picked run
    named ``single``, else the first run picked)."""
    run = _one_run(folders, single)
    if run is None or observed is None:
        return []
    try:
        points, _ = hindcast_points(run.path, observed)
    except DashboardError:
        return []
    return hindcast_groups(points)


def _one_run(folders: Sequence[Folder], single: str | None) -> Folder | None:
    """The picked run named ``single``, else the first run picked (None: no run)."""
    runs = [f for f in folders if f.kind == "run"]
    return next((f for f in runs if f.path.name == single), runs[0] if runs else None)


def show_hindcast(
    folders: Sequence[Folder],
    observed: pd.DataFrame | None,
    colours: dict[str, str],
    option: str | None = None,
    single: str | None = None,
) -> Shown:
    """One run (``single``, else the first run picked) against the observed figures it
    covers: the figures of one series and resolution (``option``) against the run's median
    and bands over their periods, and the summary of every group as a table."""
    from flowsim.validation.figures import hindcast_figure
    from flowsim.validation.hindcast import summarise

    run = _one_run(folders, single)
    if run is None:
        return Shown(message="This view compares single runs with observed figures: pick a run.")
    if observed is None:
        return Shown(message="The observed figures could not be loaded.")
    try:
        scenario = load_run(run.path)
        points, samples = hindcast_points(run.path, observed)
    except DashboardError as err:
        return Shown(message=str(err))
    groups = hindcast_groups(points)
    if not groups:
        return Shown(message=f"{scenario.label}: no observed figure falls within its dates.")
    chosen = option if option in groups else groups[0]
    series, res = chosen[:-1].split(" (")
    group = points[(points["series"] == series) & (points["resolution"] == res)]
    reps = int(scenario.frame["replication"].nunique())
    fig = hindcast_figure(group, f"{scenario.label}: {chosen}", reps, colours[scenario.label])
    chart = hindcast_chart(group, scenario.label, chosen, colours)
    summary = summarise(points, samples)
    html = summary.to_html(index=False, float_format=lambda v: f"{v:.3g}", na_rep="-")
    runs = sum(f.kind == "run" for f in folders)
    note = one_folder_note(HINDCAST_VIEW, run.path.name, runs) if runs > 1 else ""
    return Shown(fig, group.reset_index(drop=True), note, html=html, chart=chart)


def hindcast_chart(group: pd.DataFrame, label: str, title: str, colours: dict[str, str]):
    """The interactive version of the hindcast figure: the run's median and bands over the
    observed periods (and its predictive band for a calibrated run) against the observed
    figures, each at the middle of its period."""
    middle = group["start"] + (group["end"] - group["start"]) / 2
    rows = group.rename(
        columns={"model_median": "q50", **{f"model_{q}": q for q in ("q05", "q25", "q75", "q95")}}
    )
    rows = rows.assign(panel=title, trace=label, scenario=label, date=middle)
    seen = group[["observed", "start", "end"]].rename(columns={"observed": "value"})
    seen = seen.assign(panel=title, date=middle)
    unit = str(group["unit"].iloc[0])
    per = f" per {group['resolution'].iloc[0]}" if group["kind"].iloc[0] == "flow" else ""
    return fan_chart(
        rows,
        {title: unit + per},
        colours,
        [title],
        seen,
        title=f"{label} against observed figures",
        columns=1,
    )
