"""Drawing sweep results: each run's outcome against a factor, an outcome's mean per
scenario with its 95% interval, and the sensitivity charts of every design (``flowsim
report`` draws its sensitivity charts with :func:`sensitivity_figure` too). matplotlib
``Figure`` objects, no pyplot state.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from flowsim.dashboard.colours import PALETTE

MAX_INTERVAL_ROWS = 40  # the interval chart shows this many scenarios; the table has all


def scatter_figure(
    table: pd.DataFrame,
    factor: str,
    outcome: str,
    colours: dict[int, str] | None = None,
    title: str = "",
    ylabel: str = "",
) -> Figure:
    """Each run's outcome against one factor's value, with the mean over replications of
    each point as a larger mark, coloured by point (``colours``; one colour when there are
    more points than :data:`PALETTE` has colours). Categorical factors are spread along the
    x axis."""
    fig = Figure(figsize=(8, 4.5), layout="constrained")
    ax = fig.subplots()
    x = table[factor]
    if not pd.api.types.is_numeric_dtype(x):
        order = {v: i for i, v in enumerate(sorted(x.astype(str).unique()))}
        x = x.astype(str).map(order)
        ax.set_xticks(list(order.values()), list(order))
    points = table["point"]
    if not colours or points.nunique() > len(PALETTE):
        colours = dict.fromkeys(points.unique(), PALETTE[0])
    ax.scatter(x, table[outcome], s=12, alpha=0.5, c=points.map(colours).tolist(), label="run")
    means = table.assign(_x=x).groupby("point")[["_x", outcome]].mean()
    ax.scatter(
        means["_x"],
        means[outcome],
        s=45,
        c=[colours[p] for p in means.index],
        edgecolors="black",
        label="mean over a scenario's replications",
    )
    ax.set_xlabel(factor)
    ax.set_ylabel(ylabel or outcome)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(title or f"{outcome} against {factor}")
    return fig


def sensitivity_figure(kind: str, found: pd.DataFrame, outcome: str) -> Figure:
    """The sensitivity chart of one outcome from :func:`flowsim.report.sensitivity_table`:
    Sobol first-order and total indices, Morris mu* and sigma, factorial main effects
    (tornado) or rank correlations (Latin hypercube), with their 95% intervals."""
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
    summary: pd.DataFrame, outcome: str, colours: dict[int, str] | None = None, label: str = ""
) -> Figure:
    """Mean of one outcome per scenario (sweep point) with its 95% interval, coloured by
    point (``colours``), at most :data:`MAX_INTERVAL_ROWS` points."""
    rows = summary[summary["outcome"] == outcome].reset_index(drop=True)
    rows = rows.head(MAX_INTERVAL_ROWS)
    colours = colours or {}
    fig = Figure(figsize=(10, 1.2 + 0.4 * max(1, len(rows))), layout="constrained")
    ax = fig.subplots()
    y = np.arange(len(rows))
    for i, r in rows.iterrows():
        low, high = r["mean"] - r["ci_low"], r["ci_high"] - r["mean"]
        err = None if math.isnan(low) else [[low], [high]]
        colour = colours.get(int(r["point"]), PALETTE[0])
        ax.errorbar([r["mean"]], [i], xerr=err, fmt="o", color=colour, capsize=3)
    ax.set_yticks(
        y, [f"{p}: {s}" for p, s in zip(rows["point"], rows["scenario"], strict=True)], fontsize=7
    )
    ax.invert_yaxis()
    ax.set_xlabel(f"{label or outcome}: mean over replications, 95% interval")
    ax.grid(alpha=0.3, axis="x")
    ax.set_title(f"{outcome} by scenario")
    return fig
