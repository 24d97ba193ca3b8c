"""A run's daily series shaped for charts (pure functions on frames): one column per
replication, quantiles over replications per date, the derived rates the charts show, and
the observed figures within the dates shown.

Units: counts are persons unless named; flows are persons per day, shown as
:data:`WINDOW`-day means; rates in percent; dates calendar days.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

WINDOW = 30  # days: flows and rates are shown as means over this window

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def by_replication(frame: pd.DataFrame, column: str, window: int | None = None) -> pd.DataFrame:
    """Date x replication of one series of a run's frame (a rolling mean over ``window``
    days first, for flows)."""
    wide = frame.pivot_table(index="date", columns="replication", values=column, dropna=False)
    return wide.rolling(window, min_periods=1).mean() if window else wide


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
