"""Figures of a run against the observed Belgian figures: one series (the hindcast), every
series a calibration fits (the fit) and the forecasts from several origins (the backtest);
the model's median and bands over replications drawn under the observed marks."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from flowsim.results.fan_charts import draw_observed  # one style of observed marks


def hindcast_figure(
    points: pd.DataFrame, title: str, replications: int, colour: str = "C0"
) -> Figure:
    """One series' observed figures against the model's bands over replications.

    ``points`` are the rows of :func:`flowsim.validation.hindcast.compare` for one series and
    resolution. Each observed figure is drawn at the middle of its period (a horizontal bar spans
    the period when it is longer than a day), with the model's median and its 50% and 90% bands over
    the same periods. The y axis is in the points' unit, per period for flows. ``colour``: the
    model's (the dashboard gives each scenario its own).
    """
    fig = Figure(figsize=(8, 4), layout="constrained")
    ax = fig.subplots()
    _draw_points(ax, points, colour)
    ax.set_xlabel("date (middle of the observed period)")
    ax.set_title(f"{title}, {replications} replications")
    ax.legend(loc="best", fontsize=8)
    return fig


def _draw_points(ax, points: pd.DataFrame, colour: str = "C0") -> None:
    """Observed figures (at the middle of their periods) over the model's median and bands
    (drawn in ``colour``)."""
    points = points.sort_values(["end", "start"])
    middle = points["start"] + (points["end"] - points["start"]) / 2
    half = (points["end"] - points["start"]) / 2
    ax.fill_between(
        middle,
        points["model_q05"],
        points["model_q95"],
        alpha=0.2,
        lw=0,
        color=colour,
        label="model 90% band",
    )
    ax.fill_between(
        middle,
        points["model_q25"],
        points["model_q75"],
        alpha=0.4,
        lw=0,
        color=colour,
        label="model 50% band",
    )
    ax.plot(middle, points["model_median"], color=colour, lw=1.2, marker=".", label="model median")
    if "predictive_q05" in points:  # the runs times the model's own error (a calibrated run)
        for column in ("predictive_q05", "predictive_q95"):
            ax.plot(
                middle,
                points[column],
                ls=(0, (1, 1)),
                color=colour,
                lw=0.9,
                label="predictive 90% band",
            )
    draw_observed(ax, middle, points["observed"], half, "observed", size=4)
    kind, unit, res = points["kind"].iloc[0], points["unit"].iloc[0], points["resolution"].iloc[0]
    per = f" per {res}" if kind == "flow" and res in ("day", "month", "quarter", "year") else ""
    ax.set_ylabel(
        f"{unit}{per}" + (" (mean over the period)" if kind == "stock" and res != "day" else "")
    )
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)


def fit_figure(points: pd.DataFrame, title: str, replications: int) -> Figure:
    """The figure of fit: one panel per observed series and resolution used by a calibration.

    ``points`` are rows of :func:`flowsim.validation.hindcast.compare`; each panel is drawn as in
    :func:`hindcast_figure` (observed figures against the model's median and bands).
    """
    groups = list(points.groupby(["series", "resolution"], sort=True))
    cols = 2 if len(groups) > 1 else 1
    rows = max(1, (len(groups) + cols - 1) // cols)
    fig = Figure(figsize=(7 * cols, 3.2 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, ((series, res), group) in zip(axes, groups, strict=False):
        _draw_points(ax, group)
        ax.set_title(f"{series} ({res})", fontsize=10)
    for ax in axes[len(groups) :]:
        ax.set_visible(False)
    if groups:
        axes[0].legend(loc="best", fontsize=7)
    fig.suptitle(f"{title}: observed vs model ({replications} replications)")
    return fig


def backtest_figure(points: pd.DataFrame, title: str) -> Figure:
    """One series' backtest: for each origin, the forecast's median and bands (over members
    and seeds), the predictive 90% band (dotted: the runs times the model's own error) when
    the points have one, against the observed figures after it, and the persistence
    forecast.

    ``points`` are rows of :func:`flowsim.validation.backtest.score_points` (one series and
    resolution, every origin), each origin drawn in its own colour with a dotted line at the origin.
    """
    fig = Figure(figsize=(8, 4), layout="constrained")
    ax = fig.subplots()
    for i, (origin, group) in enumerate(points.groupby("origin", sort=True)):
        colour = f"C{i}"
        _draw_points(ax, group, colour)
        group = group.sort_values(["end", "start"])
        middle = group["start"] + (group["end"] - group["start"]) / 2
        ax.plot(middle, group["persistence"], ls="--", color=colour, lw=0.8, alpha=0.8)
        ax.axvline(origin, color=colour, ls=":", lw=0.8)
    handles, labels = ax.get_legend_handles_labels()
    keep = dict(zip(labels, handles, strict=True))  # one entry per kind of mark
    ax.legend(keep.values(), keep.keys(), loc="best", fontsize=7)
    ax.set_title(f"{title}: forecasts from each origin (dotted), persistence dashed")
    return fig
