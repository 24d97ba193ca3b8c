"""Figures of a run: the main series with their spread over replications."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from flowsim.results.fan_charts import draw_fan
from flowsim.results.frames import fan_quantiles

# (title, unit, [(series, label)], rolling window in days for flows or None for stocks)
OVERVIEW_PANELS = (
    ("Applications", "persons per day (30-day mean)", [("applications", "applications")], 30),
    (
        "Reception network",
        "persons / places",
        [("in_reception", "in reception"), ("reception_capacity", "capacity")],
        None,
    ),
    (
        "Without a place, and status holders still in reception",
        "persons",
        [
            ("without_reception", "entitled, without a place"),
            ("status_holders_in_reception", "status holders in reception"),
        ],
        None,
    ),
    (
        "Backlogs",
        "persons",
        [("cgrs_backlog", "pending at the CGRS"), ("call_backlog", "pending at CALL")],
        None,
    ),
    (
        "Final outcomes",
        "persons per day (30-day mean)",
        [("final_positive", "positive"), ("final_negative", "negative")],
        30,
    ),
    (
        "After an order to leave",
        "persons per day (30-day mean)",
        [
            ("avr_departures", "assisted voluntary return"),
            ("forced_returns", "forced return"),
            ("subsequent_applications", "subsequent application"),
            ("irregular_stay", "irregular stay"),
        ],
        30,
    ),
    (
        "Housed through municipalities",
        "persons per day (30-day mean)",
        [("housed_by_municipalities", "status holders housed")],
        30,
    ),
    ("Cost", "euros per day", [("cost_eur", "reception and reintegration")], None),
)


def overview(frame: pd.DataFrame, title: str) -> Figure:
    """A grid of the main series: median line, 50% and 90% bands over replications (drawn
    by :func:`~flowsim.results.fan_charts.draw_fan`, as in the dashboard)."""
    rows = (len(OVERVIEW_PANELS) + 1) // 2
    fig = Figure(figsize=(13, 3.3 * rows), layout="constrained")
    axes = fig.subplots(rows, 2, sharex=True).ravel()
    for ax, (name, unit, lines, window) in zip(axes, OVERVIEW_PANELS, strict=True):
        for column, label in lines:
            draw_fan(ax, fan_quantiles(frame, column, window), label=label)
        ax.set_title(name)
        ax.set_ylabel(unit)
        ax.grid(alpha=0.3)
        ax.set_ylim(bottom=0)
        if len(lines) > 1:
            ax.legend(loc="best", fontsize=8)
    fig.suptitle(f"{title}: median, 50% and 90% bands over replications")
    return fig
