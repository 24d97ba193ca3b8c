"""Shaping a sweep's runs table into what the sweep views show (pure functions): outcomes
per scenario with their 95% intervals, outcome units, and each run's outcome against a
factor.

Units: an outcome is in the unit of its definition (:func:`outcome_unit`); intervals are
95% Student-t intervals of the mean over replications.
"""

from __future__ import annotations

import math

import pandas as pd

from flowsim.dashboard.loading import Sweep


def outcome_summary(sweep: Sweep) -> pd.DataFrame:
    """Per point and outcome: replications, mean and 95% interval of the mean, with the
    point's label (see :func:`flowsim.report.outcome_table`)."""
    from flowsim.report import outcome_table

    table = outcome_table(sweep.runs, sweep.outcomes)
    return table.assign(scenario=table["point"].map(sweep.labels))


def outcome_display(summary: pd.DataFrame) -> pd.DataFrame:
    """:func:`outcome_summary` as one row per scenario and one ``mean [low, high]`` cell per
    outcome, for reading."""

    def cell(r: pd.Series) -> str:
        return f"{_num(r['mean'])} [{_num(r['ci_low'])}, {_num(r['ci_high'])}]"

    if summary.empty:
        return pd.DataFrame()
    cells = summary.assign(cell=summary.apply(cell, axis=1))
    wide = cells.pivot_table(
        index=["point", "scenario"], columns="outcome", values="cell", aggfunc="first"
    )
    return wide.rename_axis(columns=None).reset_index()


def _num(value: float) -> str:
    """A number for a table cell: thousands separated above 10,000, else 4 digits."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.0f}" if abs(value) >= 1e4 else f"{value:.4g}"


def outcome_unit(definition: dict | None) -> str:
    """The unit of a sweep outcome from its definition in the manifest (``series``,
    ``stat``): days for ``days_above``/``longest_above``, the series' total for ``sum``, the
    series' own unit (per day for a flow) otherwise; empty when unknown."""
    from flowsim.observed import model_unit
    from flowsim.series import FLOW_NAMES

    if not definition or "series" not in definition:
        return ""
    series, stat = definition["series"], definition.get("stat", "")
    if stat in ("days_above", "longest_above"):
        return "days"
    if series in ("occupancy_rate", "lri_occupancy"):
        return "share of places"
    unit = model_unit(series)
    if stat == "sum":
        return f"{unit}, total over the period"
    return f"{unit} per day" if series in FLOW_NAMES else unit


def outcome_axis(sweep: Sweep, outcome: str) -> str:
    """An axis label for ``outcome``: its name and unit (``name (unit)``)."""
    unit = outcome_unit(sweep.manifest.get("outcomes", {}).get(outcome))
    return f"{outcome} ({unit})" if unit else outcome


def scatter_table(sweep: Sweep, factor: str, outcome: str) -> pd.DataFrame:
    """Successful runs' ``factor`` value and ``outcome``: the numbers behind the scatter."""
    ok = sweep.runs[sweep.runs["status"] == "ok"]
    return ok[["point", "replication", factor, outcome]].reset_index(drop=True)
