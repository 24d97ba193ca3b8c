"""The tables behind the fan charts and the breakdowns (the CSV a user downloads): quantiles
over replications per scenario, panel line or category, and date. The shaping itself
(derived rates, quantiles, observed figures within the dates shown) is
:mod:`flowsim.results.frames`.

Units: counts are persons unless named; flows are persons per day, shown as
:data:`~flowsim.results.frames.WINDOW`-day means; rates in percent; dates calendar days.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from flowsim.dashboard.views import BREAKDOWNS, REGION_VIEW, Breakdown
from flowsim.results.fan_charts import Panel
from flowsim.results.frames import WINDOW, derive, fan_quantiles
from flowsim.results.loading import Scenario


def quantile_columns(q: pd.DataFrame) -> pd.DataFrame:
    """Quantile columns of :func:`fan_quantiles` named for a table: 0.05 -> ``q05``."""
    return q.rename(columns=lambda c: f"q{round(100 * c):02d}")


def fan_table(scenarios: Sequence[Scenario], panels: Sequence[Panel]) -> pd.DataFrame:
    """The numbers behind :func:`fan_figure`: one row per scenario, panel line and date
    with the quantiles over replications (``q05 ... q95``) in the panel's unit."""
    parts = []
    for sc in scenarios:
        frame = derive(sc.frame)
        for panel in panels:
            for column, label in panel.lines:
                if column not in frame or frame[column].isna().all():
                    continue
                q = quantile_columns(fan_quantiles(frame, column, panel.window))
                parts.append(
                    q.reset_index().assign(
                        scenario=sc.label,
                        panel=panel.title,
                        series=column,
                        line=label,
                        unit=panel.unit,
                    )
                )
    if not parts:
        return pd.DataFrame(columns=["scenario", "panel", "series", "line", "unit", "date"])
    table = pd.concat(parts, ignore_index=True)
    first = ["scenario", "panel", "series", "line", "unit", "date"]
    return table[first + [c for c in table.columns if c not in first]]


def category_table(sc: Scenario, breakdown: Breakdown) -> pd.DataFrame | None:
    """The scenario's table of ``breakdown`` (by region, by group), cut to its grouping;
    None when the scenario has no such table (a sweep point)."""
    table = getattr(sc, breakdown.table)
    if table is not None and breakdown.grouping is not None:
        table = table[table["grouping"] == breakdown.grouping]
    return table


def breakdown_table(
    scenarios: Sequence[Scenario], breakdown: Breakdown, column: str
) -> pd.DataFrame:
    """The numbers behind :func:`breakdown_figure`: scenario, category, date, quantiles."""
    parts = []
    window = WINDOW if column in breakdown.smoothed else None
    for sc in scenarios:
        table = category_table(sc, breakdown)
        if table is None:
            continue
        for category, part in table.groupby(breakdown.category):
            q = quantile_columns(fan_quantiles(part, column, window))
            parts.append(
                q.reset_index().assign(
                    scenario=sc.label, **{breakdown.category: category}, series=column
                )
            )
    if not parts:
        return pd.DataFrame(columns=["scenario", breakdown.category, "series", "date"])
    return pd.concat(parts, ignore_index=True)


def region_table(scenarios: Sequence[Scenario], column: str) -> pd.DataFrame:
    """The numbers behind :func:`region_figure`: scenario, region, date, quantiles."""
    return breakdown_table(scenarios, BREAKDOWNS[REGION_VIEW], column)
