"""Drawing the breakdowns of daily series: one panel per category (regions, household
types, nationality groups), one colour per scenario, median and bands over replications.
matplotlib ``Figure`` objects, no pyplot state; the fan charts themselves are
:mod:`flowsim.results.fan_charts` (``flowsim report`` and a run's overview draw with them
too).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from matplotlib.figure import Figure

from flowsim.dashboard.series_tables import category_table
from flowsim.dashboard.views import BREAKDOWNS, REGION_VIEW, Breakdown
from flowsim.results.colours import scenario_colours
from flowsim.results.fan_charts import date_axis, draw_fan
from flowsim.results.folders import DashboardError
from flowsim.results.frames import WINDOW, fan_quantiles
from flowsim.results.loading import Scenario


def breakdown_figure(
    scenarios: Sequence[Scenario],
    breakdown: Breakdown,
    column: str,
    colours: dict[str, str] | None = None,
) -> Figure:
    """One panel per category (region, household type, ...) of ``column``, one colour per
    scenario, median and bands over replications."""
    colours = colours or scenario_colours(sc.label for sc in scenarios)
    tables = [(sc, t) for sc in scenarios if (t := category_table(sc, breakdown)) is not None]
    categories = list(dict.fromkeys(c for _, t in tables for c in t[breakdown.category]))
    if breakdown.alphabetical:
        categories.sort()
    if not categories:
        raise DashboardError(breakdown.absent)
    unit = breakdown.series.get(column, column)
    window = WINDOW if column in breakdown.smoothed else None
    cols = 2
    rows = math.ceil(len(categories) / cols)
    fig = Figure(figsize=(13, 3.3 * rows + 0.6), layout="constrained")
    # each category on its own scale: regions differ by two orders of magnitude
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, category in zip(axes, categories, strict=False):
        for sc, table in tables:
            part = table[table[breakdown.category] == category]
            if len(part):
                q = fan_quantiles(part, column, window)
                draw_fan(ax, q, colours.get(sc.label), sc.label)
        ax.set_title(breakdown.names.get(category, category.replace("_", " ")))
        ax.set_ylabel(unit)
        date_axis(ax)
        ax.grid(alpha=0.3)
        ax.set_ylim(bottom=0)
    axes[0].legend(loc="best", fontsize=7)
    for ax in axes[len(categories) :]:
        ax.set_visible(False)
    fig.suptitle(f"{unit}, {breakdown.view.lower()}: median, 50% and 90% bands over replications")
    return fig


def region_figure(
    scenarios: Sequence[Scenario], column: str, colours: dict[str, str] | None = None
) -> Figure:
    """One panel per region of ``column`` (from ``series_by_region``)."""
    return breakdown_figure(scenarios, BREAKDOWNS[REGION_VIEW], column, colours)
