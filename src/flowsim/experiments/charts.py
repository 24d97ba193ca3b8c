"""Drawing sweep results: each run's outcome against a factor, an outcome's mean per
scenario with its 95% interval, the sensitivity charts of every design and scenario
discovery (PRIM), shown by the dashboard (``flowsim report`` draws its sensitivity and
PRIM charts with :func:`sensitivity_figure` and :func:`prim_figure` too). matplotlib
``Figure`` objects, no pyplot state.
"""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from flowsim.experiments.analysis import limit_text
from flowsim.results.colours import PALETTE, scenario_colours

MAX_INTERVAL_ROWS = 40  # the interval chart shows this many scenarios; the table has all
MARKERS = ("o", "s", "^", "D", "v", "P")  # one shape per sweep on a scatter of several


def scatter_figure(
    table: pd.DataFrame,
    factor: str,
    outcome: str,
    colours: dict[str, str] | None = None,
    title: str = "",
    ylabel: str = "",
) -> Figure:
    """Each run's outcome against one factor's value, with the mean over replications of
    each scenario as a larger mark, from :func:`~flowsim.dashboard.sweep_tables.scatter_table`
    (of one or several sweeps). Coloured by scenario (``colours``, by point label), or by
    sweep when there are more scenarios than :data:`PALETTE` has colours; one marker shape
    per sweep. Categorical factors are spread along the x axis."""
    fig = Figure(figsize=(8, 4.5), layout="constrained")
    ax = fig.subplots()
    x = table[factor]
    if not pd.api.types.is_numeric_dtype(x):
        order = {v: i for i, v in enumerate(sorted(x.astype(str).unique()))}
        x = x.astype(str).map(order)
        ax.set_xticks(list(order.values()), list(order))
    sweeps = list(dict.fromkeys(table["sweep"]))
    if colours and table["scenario"].nunique() <= len(PALETTE):
        colour = table["scenario"].map(colours).fillna(PALETTE[0])
    else:  # too many scenarios to tell apart by colour: tell the sweeps apart
        colour = table["sweep"].map(scenario_colours(sweeps))
    marked = table.assign(_x=x, _colour=colour)
    for k, name in enumerate(sweeps):
        part = marked[marked["sweep"] == name]
        marker = MARKERS[k % len(MARKERS)]
        whose = f"{name}: " if len(sweeps) > 1 else ""
        ax.scatter(
            part["_x"], part[outcome], s=12, alpha=0.5, c=part["_colour"].tolist(),
            marker=marker, label=f"{whose}run",
        )  # fmt: skip
        means = part.groupby("scenario", sort=False).agg(
            _x=("_x", "mean"), value=(outcome, "mean"), _colour=("_colour", "first")
        )
        ax.scatter(
            means["_x"], means["value"], s=45, c=means["_colour"].tolist(), marker=marker,
            edgecolors="black", label=f"{whose}mean over a scenario's replications",
        )  # fmt: skip
    ax.set_xlabel(factor)
    ax.set_ylabel(ylabel or outcome)
    ax.grid(alpha=0.3)
    legend = ax.legend(fontsize=8)
    for handle in legend.legend_handles:  # the marks' shapes, not one scenario's colour
        handle.set_facecolor("0.6")
    ax.set_title(title or f"{outcome} against {factor}")
    return fig


def sensitivity_figure(kind: str, found: pd.DataFrame, outcome: str) -> Figure:
    """The sensitivity chart of one outcome from
    :func:`flowsim.experiments.analysis.sensitivity_table`: Sobol first-order and total indices,
    Morris mu* and sigma, factorial main effects (tornado) or rank correlations (Latin hypercube),
    with their 95% intervals."""
    fig = Figure(figsize=(7, 1.5 + 0.45 * max(1, len(found))), layout="constrained")
    ax = fig.subplots()
    y_pos = np.arange(len(found))
    if kind == "sobol":
        ax.barh(y_pos - 0.2, found["S1"], 0.4, xerr=found["S1_conf"], label="first order")
        ax.barh(y_pos + 0.2, found["ST"], 0.4, xerr=found["ST_conf"], label="total")
        ax.set_xlabel("Sobol index (share of variance, 95% interval)")
        ax.legend(fontsize=8)
        title = f"Sobol indices: {outcome}"
    elif kind == "morris":
        ax.barh(y_pos, found["mu_star"], 0.6, xerr=found["mu_star_conf"], label="mu*")
        ax.plot(found["sigma"], y_pos, "kd", label="sigma")
        ax.set_xlabel(f"mu* of {outcome}, in its unit (95% interval)")
        ax.legend(fontsize=8)
        title = f"Morris indices: {outcome}"
    elif kind == "factorial":
        ax.barh(y_pos, found["high"] - found["low"], left=found["low"], color=PALETTE[0])
        ax.set_xlabel(f"mean {outcome} over the factor's values (others averaged)")
        title = f"Main effects: {outcome}"
    else:
        ax.barh(y_pos, found["spearman"], color=PALETTE[0])
        ax.set_xlim(-1, 1)
        ax.set_xlabel(f"rank correlation with {outcome}")
        title = f"Rank correlations: {outcome}"
    ax.set_yticks(y_pos, list(found["factor"]))
    ax.set_title(title)
    ax.grid(alpha=0.3, axis="x")
    return fig


def outcome_interval_figure(
    summary: pd.DataFrame, outcome: str, colours: dict[str, str] | None = None, label: str = ""
) -> Figure:
    """Mean of one outcome per scenario (sweep point, of one or several sweeps) with its 95%
    interval, from :func:`~flowsim.dashboard.sweep_tables.outcome_summary`, coloured by
    scenario (``colours``, by point label), at most :data:`MAX_INTERVAL_ROWS` scenarios,
    grouped by the uncertainties they stand under (a dashed line between groups).
    ``label``: the outcome with its unit, for the axis."""
    rows = summary[summary["outcome"] == outcome].reset_index(drop=True)
    rows = rows.head(MAX_INTERVAL_ROWS)
    colours = colours or {}
    fig = Figure(figsize=(10, 1.2 + 0.4 * max(1, len(rows))), layout="constrained")
    ax = fig.subplots()
    y = np.arange(len(rows))
    for i, r in rows.iterrows():
        low, high = r["mean"] - r["ci_low"], r["ci_high"] - r["mean"]
        err = None if math.isnan(low) else [[low], [high]]
        colour = colours.get(r["scenario"], PALETTE[0])
        ax.errorbar([r["mean"]], [i], xerr=err, fmt="o", color=colour, capsize=3)
    ticks = [f"{s} (point {p})" for p, s in zip(rows["point"], rows["scenario"], strict=True)]
    ax.set_yticks(y, ticks, fontsize=7)
    # scenarios under the same uncertainties together, each group named at its top
    if "under" in rows and rows["under"].nunique() > 1:
        starts = rows.index[rows["under"] != rows["under"].shift()]
        for start in starts:
            if start > 0:
                ax.axhline(start - 0.5, color="0.5", lw=0.8, ls="--")
            ax.annotate(
                f"under {rows.loc[start, 'under']}",
                (1.0, start - 0.45),
                xycoords=("axes fraction", "data"),
                ha="right",
                va="top",
                fontsize=7,
                color="0.35",
            )
    ax.invert_yaxis()
    ax.set_xlabel(f"{label or outcome}: mean over replications, 95% interval")
    ax.grid(alpha=0.3, axis="x")
    ax.set_title(f"{outcome} by scenario")
    return fig


def prim_figure(
    limits: pd.DataFrame, trajectory: pd.DataFrame, density: float, title: str = ""
) -> Figure:
    """Scenario discovery (PRIM) in two panels, from
    :func:`flowsim.experiments.analysis.prim_boxes`.

    Left, the coverage/density trade-off of the peeling: each box on the trajectory
    (coloured by how many factors it restricts), the chosen box circled, the least density
    asked for (``density``, a share of runs) dashed. Right, the chosen box: per restricted
    factor, the kept range over the whole sampled range (grey) as a share of the sampled
    range, labelled with the kept range in the factor's own unit; a categorical factor
    lists the kept categories."""
    rows = max(1, len(limits))
    fig = Figure(figsize=(12, max(4.2, 1.6 + 0.55 * rows)), layout="constrained")
    trade, box = fig.subplots(1, 2, width_ratios=(1, 1.15))
    restricted = int(trajectory["res_dim"].max())
    marks = trade.scatter(
        trajectory["coverage"],
        trajectory["density"],
        c=trajectory["res_dim"],
        cmap=matplotlib.colormaps["viridis"].resampled(restricted + 1),
        vmin=-0.5,
        vmax=restricted + 0.5,  # one colour per whole number of factors
    )
    fig.colorbar(marks, ax=trade, label="factors restricted", ticks=range(restricted + 1))
    chosen = limits.attrs.get("box")
    if chosen is not None:
        trade.scatter(
            [trajectory.loc[chosen, "coverage"]],
            [trajectory.loc[chosen, "density"]],
            s=160,
            facecolors="none",
            edgecolors="red",
            label=f"chosen: box {chosen}",
        )
    trade.axhline(density, color="0.4", ls="--", lw=0.8, label=f"least density asked ({density:g})")
    trade.set_xlim(0, 1.03)
    trade.set_ylim(0, 1.03)
    trade.set_xlabel("coverage (share of the runs of interest inside the box)")
    trade.set_ylabel("density (share of the box's runs that are of interest)")
    trade.set_title("Peeling trajectory")
    trade.grid(alpha=0.3)
    trade.legend(loc="lower left", fontsize=8)

    y = np.arange(len(limits))
    labels = []
    for i, r in enumerate(limits.itertuples()):
        box.barh(i, 1.0, color="0.88", height=0.6)  # the whole sampled range
        if isinstance(r.min, list):  # categorical: the kept categories
            box.barh(i, 1.0, color=PALETTE[0], alpha=0.35, height=0.6)
            labels.append(f"{r.factor}\n{limit_text(r.min)}")
            continue
        span = (r.range_max - r.range_min) or 1.0
        low, high = (r.min - r.range_min) / span, (r.max - r.range_min) / span
        box.barh(i, high - low, left=low, color=PALETTE[0], height=0.6)
        labels.append(f"{r.factor}\n{limit_text(r.min)} to {limit_text(r.max)}")
    if len(limits):
        box.set_yticks(y, labels, fontsize=8)
        box.invert_yaxis()
    else:
        box.set_yticks([])
        box.text(0.5, 0.5, "no factor restricted", ha="center", va="center", color="0.4")
    box.set_xlim(-0.05, 1.05)
    box.set_xlabel("kept range, as a share of the factor's sampled range (grey)")
    stats = limits.attrs
    box.set_title(
        f"Box {chosen}: coverage {stats.get('coverage', math.nan):.2f}, "
        f"density {stats.get('density', math.nan):.2f}"
    )
    box.grid(alpha=0.3, axis="x")
    fig.suptitle(title or "Scenario discovery (PRIM)")
    return fig
