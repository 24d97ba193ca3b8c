"""The view a researcher comes for: scenarios against a baseline, paired replication by
replication (:mod:`flowsim.experiments.comparison`).

One picked run is the baseline (the first, or the one chosen under Baseline), the other
picked runs are scenarios. The chart shows, for one series, each scenario's difference from
the baseline per date: the median over paired replications with its 50% and 90% bands, a
zero line, and dashed marks at the dates of the scenario's own dated changes (those the
baseline does not have) and dotted marks at its trigger events. Below it, the figures over
the period both runs cover (person-days and peak without a place, backlog at the end,
decisions, costs) with the paired interval beside the unpaired one. A note says when seeds
differ or too few replications are paired.

Units: the series' own (persons; flows as persons per day, shown as 30-day means).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from flowsim.dashboard.interactive import Mark, fan_chart
from flowsim.dashboard.series_tables import quantile_columns
from flowsim.dashboard.views import VIEWS, Shown
from flowsim.engine.series import SERIES_NAMES
from flowsim.experiments.comparison import (
    Pairing,
    compare_totals,
    difference_bands,
    own_changes,
    pair,
)
from flowsim.experiments.constraints import unchanged_reason
from flowsim.experiments.intervals import amount_interval_text, amount_text
from flowsim.results.catalogue import entry
from flowsim.results.fan_charts import date_axis, draw_fan
from flowsim.results.folders import DashboardError, Folder
from flowsim.results.loading import Scenario, load_run


def comparison_series() -> dict[str, tuple[str, str, int | None]]:
    """The series a difference can be shown for: column -> (label from the catalogue, unit,
    window days), those of the series views' panels (derived rates left out: a difference
    of ratios misleads)."""
    found: dict[str, tuple[str, str, int | None]] = {}
    for panels in VIEWS.values():
        for panel in panels:
            for column, _label in panel.lines:
                if column in SERIES_NAMES:  # derived rates left out
                    found.setdefault(column, (entry(column).label, panel.unit, panel.window))
    return found


def measure_marks(baseline: Scenario, scenario: Scenario) -> list[tuple[pd.Timestamp, str]]:
    """The dates of the scenario's dated changes the baseline does not have, with their
    field (the measure's dates)."""
    return own_changes(baseline.manifest, scenario.manifest)


def event_marks(scenario: Scenario) -> list[tuple[pd.Timestamp, str]]:
    """Each trigger event of the scenario at its median date over the replications it
    happened in (first occurrence per replication)."""
    events = scenario.events
    if events is None or events.empty:
        return []
    first = events.sort_values("date").groupby(["trigger", "event", "replication"]).first()
    median = first.reset_index().groupby(["trigger", "event"])["date"].median()
    return [(pd.Timestamp(d), f"{t}: {e}") for (t, e), d in median.items()]


def _runs(folders: Sequence[Folder], baseline: str | None) -> tuple[Scenario, list[Scenario]]:
    runs = [f for f in folders if f.kind == "run"]
    if len(runs) < 2:
        raise DashboardError(
            "Pick two or more runs: the baseline (choose it under Baseline) and the scenarios "
            "to compare with it."
        )
    first = next((f for f in runs if f.path.name == baseline), runs[0])
    base = load_run(first.path)
    return base, [load_run(f.path) for f in runs if f is not first]


def show_comparison(
    folders: Sequence[Folder],
    colours: dict[str, str],
    option: str | None = None,
    baseline: str | None = None,
    period: tuple[Any, Any] | None = None,
) -> Shown:
    """Scenarios against the baseline for the series ``option`` (module docstring); the
    totals over ``period`` (first and last day, either None: the runs' own), clipped to the
    days both runs cover."""
    try:
        base, scenarios = _runs(folders, baseline)
    except DashboardError as err:
        return Shown(message=str(err))
    catalogue = comparison_series()
    column = option if option in catalogue else next(iter(catalogue))
    label, unit, window = catalogue[column]
    fig = Figure(figsize=(11, 4.6), layout="constrained")
    ax = fig.subplots()
    ax.axhline(0.0, color="0.3", lw=0.8)
    notes, tables, totals, marks = [], [], [], []
    for sc in scenarios:
        pairing = pair(base.manifest, sc.manifest)
        notes += [f"{sc.label}: {w}" for w in pairing.warnings]
        if column not in sc.frame or column not in base.frame:
            notes.append(f"{sc.label}: {column} is not recorded in both runs")
            continue
        bands = difference_bands(base.frame, sc.frame, column, pairing, window)
        values = bands.to_numpy()
        finite = values[np.isfinite(values)]
        if finite.size and not finite.any():  # zero on every date: the lever acted nowhere
            notes.append(unchanged_note(sc, base, label))
        if not bands.empty:
            colour = draw_fan(ax, bands, colours.get(sc.label), f"{sc.label} - {base.label}")
            for when, field in measure_marks(base, sc):
                _mark(ax, when, field, colour, "--", top=True)
                marks.append(Mark(when, field, colour, "dash"))
            for when, what in event_marks(sc):
                _mark(ax, when, what, colour, ":", top=False)
                marks.append(Mark(when, what, colour, "dot"))
            table = quantile_columns(bands).reset_index().assign(scenario=sc.label)
            tables.append(table)
        totals.append((sc, pairing))
    ax.set_title(f"{label}: scenario minus {base.label}, paired replications")
    ax.set_ylabel(f"difference ({unit})")
    if tables:
        ax.legend(loc="upper left", fontsize=8)
    date_axis(ax)
    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    title = f"{label}: scenario minus {base.label}, paired replications"
    chart = None
    if tables:
        rows = table.assign(panel=title, trace=[f"{s} - {base.label}" for s in table["scenario"]])
        unit_text = {title: f"difference ({unit})"}
        chart = fan_chart(
            rows, unit_text, colours, marks=marks, title=label, columns=1, from_zero=False
        )
    meaning = escape(entry(column).meaning) if column in SERIES_NAMES else escape(label)
    help_line = (
        f"<p class='flowsim-help'><b>{escape(label)}</b> ({escape(unit)}): {meaning}; each "
        f"line is the scenario minus {escape(base.label)} replication by replication (same "
        "seeds), its median and 50% and 90% bands over the pairs.</p>"
    )
    html = help_line + totals_html(base, totals, period)
    return Shown(fig, table, "; ".join(notes), html, chart=chart)


def unchanged_note(scenario: Scenario, baseline: Scenario, label: str) -> str:
    """One sentence for a scenario whose paired difference in ``label`` is zero on every
    date: which binding constraint explains it, when the model knows one
    (:mod:`flowsim.experiments.constraints`)."""
    fields = [field for _when, field in measure_marks(baseline, scenario)]
    return (
        f"{scenario.label} changes nothing in {label}: {unchanged_reason(scenario.frame, fields)}"
    )


def _mark(ax: Axes, when: pd.Timestamp, text: str, colour: str, style: str, top: bool) -> None:
    """A vertical line at ``when`` with ``text`` along it, at the top or the bottom."""
    ax.axvline(when, color=colour, ls=style, lw=1.0, alpha=0.8)
    ax.annotate(
        text,
        (when, 1.0 if top else 0.0),
        xycoords=("data", "axes fraction"),
        fontsize=7,
        rotation=90,
        va="top" if top else "bottom",
        ha="right",
        color=colour,
    )


def totals_html(
    base: Scenario,
    compared: Sequence[tuple[Scenario, Pairing]],
    period: tuple[Any, Any] | None = None,
) -> str:
    """The figures over ``period`` (clipped to the days both runs cover; None: all of
    them), per scenario: both medians, the mean paired difference with its 95% interval,
    and the unpaired interval."""
    first, last = period or (None, None)
    rows = []
    for sc, pairing in compared:
        start = max(base.frame["date"].min(), sc.frame["date"].min())
        end = min(base.frame["date"].max(), sc.frame["date"].max())
        start = max(start, pd.Timestamp(first)) if first is not None else start
        end = min(end, pd.Timestamp(last)) if last is not None else end
        if start > end:
            continue
        table = compare_totals(base.frame, sc.frame, pairing, start, end)
        for r in table.itertuples():
            paired = amount_interval_text(r.paired_difference, r.paired_low, r.paired_high, r.unit)
            unpaired = amount_interval_text(None, r.unpaired_low, r.unpaired_high, r.unit)
            cells = [
                f"{sc.label}<br><small>{start:%Y-%m-%d} to {end:%Y-%m-%d}</small>",
                r.label,
                amount_text(r.baseline_median, r.unit),
                amount_text(r.scenario_median, r.unit),
                paired,
                unpaired,
            ]
            rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    if not rows:
        return ""
    head = "".join(
        f"<th>{escape(h)}</th>"
        for h in (
            "scenario, period",
            "figure",
            f"{base.label} (median)",
            "scenario (median)",
            "paired difference (mean, 95%)",
            "unpaired (95%)",
        )
    )
    return f"<table class='flowsim-totals'><tr>{head}</tr>{''.join(rows)}</table>"
