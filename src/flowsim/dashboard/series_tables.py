"""Shaping daily series into what the charts show (pure functions on frames): derived
rates, quantiles over replications, observed figures within the dates shown, and the
tables behind the fan charts and the breakdowns (the CSV a user downloads).

Units: counts are persons unless named; flows are persons per day, shown as
:data:`~flowsim.dashboard.views.WINDOW`-day means; rates in percent; dates calendar days.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from flowsim.dashboard.views import BREAKDOWNS, REGION_VIEW, WINDOW, Breakdown, Panel
from flowsim.experiments.comparison import QUANTILES, by_replication
from flowsim.results.loading import Scenario


def _rolling_sum(frame: pd.DataFrame, column: str, window: int) -> pd.Series:
    """Per replication, the sum of ``column`` over the last ``window`` days (fewer at start)."""
    ordered = frame.sort_values(["replication", "date"])
    rolled = ordered.groupby("replication")[column].transform(
        lambda s: s.rolling(window, min_periods=1).sum()
    )
    return rolled.reindex(frame.index)


def derive(frame: pd.DataFrame, window: int = WINDOW) -> pd.DataFrame:
    """``frame`` with the derived series the dashboard shows (where their parts exist):

    - ``protection_rate_pct``: positive CGRS decisions / all, percent, over ``window`` days;
    - ``days_to_decision``: mean days since lodging of the persons decided, same window;
    - ``occupancy_pct``: residents per place, percent;
    - ``resettled_this_year``: resettlement arrivals since 1 January (persons, cumulative);
    - ``tp_total``: persons under temporary protection (emergency, crisis, sustainable).
    A ratio with no decision in the window is NaN.
    """
    out = frame.copy()
    cols = set(frame.columns)
    if {"cgrs_positive_decisions", "cgrs_decisions"} <= cols:
        den = _rolling_sum(frame, "cgrs_decisions", window)
        num = _rolling_sum(frame, "cgrs_positive_decisions", window)
        out["protection_rate_pct"] = 100.0 * num / den.where(den > 0)
        if "cgrs_days_waited" in cols:
            waited = _rolling_sum(frame, "cgrs_days_waited", window)
            out["days_to_decision"] = waited / den.where(den > 0)
    if "occupancy_rate" in cols:
        out["occupancy_pct"] = 100.0 * frame["occupancy_rate"]
    if "resettlement_arrivals" in cols:
        year = pd.to_datetime(frame["date"]).dt.year
        ordered = frame.assign(_year=year).sort_values(["replication", "date"])
        cum = ordered.groupby(["replication", "_year"])["resettlement_arrivals"].cumsum()
        out["resettled_this_year"] = cum.reindex(frame.index)
    tp = [c for c in ("tp_in_emergency", "tp_in_crisis_housing", "tp_in_sustainable_housing")]
    if set(tp) <= cols:
        out["tp_total"] = frame[tp].sum(axis=1)
    return out


def fan_quantiles(
    frame: pd.DataFrame, column: str, window: int | None = None, qs: Sequence[float] = QUANTILES
) -> pd.DataFrame:
    """Per date, quantiles over replications of one series: index ``date``, one column per
    quantile (floats). ``window``: a rolling mean over that many days first (flows)."""
    return by_replication(frame, column, window).quantile(list(qs), axis=1).T


def quantile_columns(q: pd.DataFrame) -> pd.DataFrame:
    """Quantile columns of :func:`fan_quantiles` named for a table: 0.05 -> ``q05``."""
    return q.rename(columns=lambda c: f"q{round(100 * c):02d}")


def observed_points(
    observed: pd.DataFrame | None,
    series: str,
    start: pd.Timestamp,
    end: pd.Timestamp,
    per_day: bool,
) -> pd.DataFrame:
    """Observed figures of ``series`` whose period lies within ``[start, end]``, drawn at
    the middle of their period: columns ``date, value, start, end``.

    ``per_day``: flows are divided by the days of their period, so that they read in the
    same unit as the model's daily flow (persons per day, mean over the period).
    """
    columns = ["date", "value", "start", "end"]
    if observed is None or observed.empty:
        return pd.DataFrame(columns=columns)
    rows = observed[
        (observed["series"] == series) & (observed["start"] >= start) & (observed["end"] <= end)
    ].copy()
    if rows.empty:
        return pd.DataFrame(columns=columns)
    if per_day:
        days = (rows["end"] - rows["start"]).dt.days + 1
        rows["value"] = rows["value"] / days
    rows["date"] = rows["start"] + (rows["end"] - rows["start"]) / 2
    return rows[columns].sort_values("date").reset_index(drop=True)


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
