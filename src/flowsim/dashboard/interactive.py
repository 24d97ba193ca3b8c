"""Interactive fan charts for the page (Plotly): hover a line for its value and band on a
day, zoom on a period, click a legend entry to hide a scenario; the camera button saves a
PNG. Drawn from the same tidy tables as the CSV download (:func:`fan_chart`), so the chart
shows what the table holds. The PNG link and ``flowsim report`` keep the matplotlib figures
(:mod:`flowsim.dashboard.series_charts`).

Units: the panels' own (persons, persons per day as 30-day means, places, euros per day,
per cent); dates are days.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from flowsim.experiments.intervals import number_text
from flowsim.results.colours import PALETTE

QUANTILE_COLUMNS = ("q05", "q25", "q50", "q75", "q95")
DASHES = ("solid", "dash", "dot", "dashdot", "longdashdot")  # lines of one scenario
PANEL_HEIGHT = 300  # pixels per row of panels
OBSERVED = "observed (Belgium)"


@dataclass(frozen=True)
class Mark:
    """A vertical line on a day of every panel, with its text (a measure's date, a trigger)."""

    day: pd.Timestamp
    text: str
    colour: Any  # any matplotlib colour
    dash: str = "dash"


def _hex(colour: Any) -> str:
    """Any matplotlib colour (a name, ``#rrggbb``, an RGB tuple) as ``#rrggbb``."""
    from matplotlib.colors import to_hex

    return to_hex(colour)


def _rgba(colour: Any, alpha: float) -> str:
    """A colour with transparency, as Plotly takes it."""
    hexed = _hex(colour)
    r, g, b = (int(hexed[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _value_format(values: np.ndarray) -> str:
    """A d3 format for hover values: whole numbers with separators from 100 up, else four
    significant digits."""
    finite = np.abs(values[np.isfinite(values)])
    return ",.0f" if finite.size and np.nanmax(finite) >= 100 else ",.4~r"


def fan_chart(
    table: pd.DataFrame,
    units: dict[str, str],
    colours: dict[str, str],
    panels: Sequence[str] | None = None,
    observed: pd.DataFrame | None = None,
    marks: Sequence[Mark] = (),
    title: str = "",
    columns: int = 2,
    from_zero: bool = True,
):
    """A grid of fan charts from a tidy table: one row per ``panel``, ``trace`` (a legend
    entry), ``scenario`` (its colour, from ``colours``) and ``date``, with the quantiles
    over replications :data:`QUANTILE_COLUMNS`. Each trace is a median line with its 50%
    and 90% bands (and the predictive 90% band, dotted, where the table has
    ``predictive_q05`` and ``predictive_q95``), hidden together from the legend; hovering
    the line gives the day's median and 90% band in the panel's unit (``units``, by
    panel). ``panels``: their order (default: as they come; a panel without rows says it
    is not recorded). ``observed``:
    rows ``panel, date, value, start, end`` drawn as black marks (hover: value and period).
    ``marks``: vertical lines on every panel. ``from_zero``: y axes start at 0 (stocks and
    flows; not differences). Returns a ``plotly.graph_objects.Figure``."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    panels = list(panels) if panels is not None else list(dict.fromkeys(table["panel"]))
    columns = max(1, min(columns, len(panels)))
    rows = max(1, math.ceil(len(panels) / columns))
    fig = make_subplots(
        rows=rows,
        cols=columns,
        subplot_titles=panels,
        vertical_spacing=min(0.12, 0.3 / rows),
        horizontal_spacing=0.08,
    )
    in_legend: set[str] = set()
    for i, panel in enumerate(panels):
        row, col = divmod(i, columns)
        where = {"row": row + 1, "col": col + 1}
        unit = units.get(panel, "")
        part = table[table["panel"] == panel] if len(table) else table
        if part.empty:
            _empty(fig, i, "not recorded in these results")
        dashes: dict[str, int] = {}
        for trace, rows_ in part.groupby("trace", sort=False):
            scenario = rows_["scenario"].iloc[0]
            colour = _hex(colours.get(scenario, PALETTE[0]))
            dash = DASHES[dashes.setdefault(scenario, 0) % len(DASHES)]
            dashes[scenario] += 1
            rows_ = rows_.sort_values("date")
            x = rows_["date"]
            for low, high, alpha in (("q05", "q95", 0.15), ("q25", "q75", 0.3)):
                edge = {"mode": "lines", "line": {"width": 0}, "hoverinfo": "skip"}
                group = {"legendgroup": trace, "showlegend": False}
                fig.add_trace(go.Scatter(x=x, y=rows_[high], **edge, **group), **where)
                fig.add_trace(
                    go.Scatter(
                        x=x,
                        y=rows_[low],
                        fill="tonexty",
                        fillcolor=_rgba(colour, alpha),
                        **edge,
                        **group,
                    ),
                    **where,
                )
            fmt = _value_format(rows_[list(QUANTILE_COLUMNS)].to_numpy(float))
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=rows_["q50"],
                    mode="lines",
                    name=str(trace),
                    line={"color": colour, "dash": dash, "width": 1.8},
                    legendgroup=str(trace),
                    showlegend=trace not in in_legend,
                    customdata=rows_[["q05", "q95"]].to_numpy(float),
                    hovertemplate=(
                        f"{trace}<br>%{{x|%d %b %Y}}: %{{y:{fmt}}} {unit}"
                        f"<br>90% band %{{customdata[0]:{fmt}}} to %{{customdata[1]:{fmt}}}"
                        "<extra></extra>"
                    ),
                ),
                **where,
            )
            in_legend.add(trace)
            if "predictive_q05" in rows_ and rows_["predictive_q05"].notna().any():
                _predictive(fig, rows_, str(trace), colour, unit, fmt, where)
        if observed is not None and len(observed):
            seen = observed[observed["panel"] == panel]
            if len(seen):
                periods = [
                    f"{s:%d %b %Y} to {e:%d %b %Y}"
                    for s, e in zip(seen["start"], seen["end"], strict=True)
                ]
                fig.add_trace(
                    go.Scatter(
                        x=seen["date"],
                        y=seen["value"],
                        mode="markers",
                        name=OBSERVED,
                        marker={"color": "black", "size": 7},
                        legendgroup=OBSERVED,
                        showlegend=OBSERVED not in in_legend,
                        text=periods,
                        hovertemplate=f"observed: %{{y:,.4~r}} {unit}<br>%{{text}}<extra></extra>",
                    ),
                    **where,
                )
                in_legend.add(OBSERVED)
        fig.layout[f"yaxis{_axis(i)}"].update(
            title_text=unit, rangemode="tozero" if from_zero else "normal"
        )
        for mark in marks:
            _mark(fig, i, mark)
    fig.update_layout(
        title_text=(title + ": " if title else "") + "median, 50% and 90% bands over replications",
        height=PANEL_HEIGHT * rows + 140,
        autosize=True,
        hovermode="closest",
        legend={"orientation": "h", "yanchor": "top", "y": -0.08 / rows, "x": 0},
        margin={"l": 60, "r": 20, "t": 80, "b": 40},
        template="plotly_white",
    )
    return fig


def _predictive(fig, rows: pd.DataFrame, trace: str, colour: str, unit: str, fmt: str, where):
    """The predictive 90% band of a trace (the runs times the model's own error): two dotted
    lines in its colour, hidden with it."""
    import plotly.graph_objects as go

    name = f"{trace}: predictive 90% band"
    for k, column in enumerate(("predictive_q05", "predictive_q95")):
        fig.add_trace(
            go.Scatter(
                x=rows["date"],
                y=rows[column],
                mode="lines",
                name=name,
                line={"color": colour, "dash": "dot", "width": 1},
                legendgroup=trace,
                showlegend=k == 0,
                hovertemplate=f"{name}<br>%{{x|%d %b %Y}}: %{{y:{fmt}}} {unit}<extra></extra>",
            ),
            **where,
        )


def _axis(index: int) -> str:
    """The suffix of panel ``index``'s axes in a Plotly grid (``x``, ``x2``, ...)."""
    return "" if index == 0 else str(index + 1)


def _empty(fig, index: int, text: str) -> None:
    """A note in the middle of panel ``index`` (nothing drawn there)."""
    axis = _axis(index)
    fig.add_annotation(
        text=text,
        xref=f"x{axis} domain",
        yref=f"y{axis} domain",
        x=0.5,
        y=0.5,
        showarrow=False,
        font={"color": "#666"},
    )


def _mark(fig, index: int, mark: Mark) -> None:
    """A vertical line on panel ``index`` at ``mark.day``, its text along the top."""
    axis = _axis(index)
    day = pd.Timestamp(mark.day).strftime("%Y-%m-%d")
    fig.add_shape(
        type="line",
        xref=f"x{axis}",
        yref=f"y{axis} domain",
        x0=day,
        x1=day,
        y0=0,
        y1=1,
        line={"color": _hex(mark.colour), "dash": mark.dash, "width": 1},
    )
    fig.add_annotation(
        text=mark.text,
        xref=f"x{axis}",
        yref=f"y{axis} domain",
        x=day,
        y=1,
        textangle=-90,
        xanchor="right",
        yanchor="top",
        showarrow=False,
        font={"size": 9, "color": _hex(mark.colour)},
    )


def interval_chart(
    summary: pd.DataFrame, outcome: str, colours: dict[str, str], label: str, rows: int
):
    """One outcome's mean per scenario with its 95% interval (horizontal bars), from
    :func:`~flowsim.dashboard.sweep_tables.outcome_summary`: the first ``rows`` scenarios,
    in the table's order (grouped by the uncertainties they stand under); hovering a mark
    gives the scenario, its mean and interval, the replications and the uncertainties."""
    import plotly.graph_objects as go

    part = summary[summary["outcome"] == outcome].head(rows).reset_index(drop=True)
    fig = go.Figure()
    fmt = _value_format(part[["mean", "ci_low", "ci_high"]].to_numpy(float))
    for r in part.itertuples():
        under = getattr(r, "under", "")
        fig.add_trace(
            go.Scatter(
                x=[r.mean],
                y=[f"{r.scenario} (point {r.point})"],
                mode="markers",
                marker={"color": _hex(colours.get(r.scenario, PALETTE[0])), "size": 9},
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": [r.ci_high - r.mean],
                    "arrayminus": [r.mean - r.ci_low],
                },
                name=str(r.scenario),
                showlegend=False,
                hovertemplate=(
                    f"{r.scenario}<br>{outcome}: %{{x:{fmt}}} [{number_text(r.ci_low)}, "
                    f"{number_text(r.ci_high)}], {r.n} replications"
                    + (f"<br>under {under}" if under else "")
                    + "<extra></extra>"
                ),
            )
        )
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_layout(
        title_text=f"{outcome} by scenario: mean over replications, 95% interval",
        xaxis_title=label or outcome,
        height=160 + 28 * max(1, len(part)),
        margin={"l": 20, "r": 20, "t": 60, "b": 50},
        template="plotly_white",
    )
    return fig


def scatter_chart(
    table: pd.DataFrame, factor: str, outcome: str, colours: dict[str, str], label: str
):
    """Each run's outcome against one factor's value, one legend entry per scenario (click
    to hide it), from :func:`~flowsim.dashboard.sweep_tables.scatter_table`; hovering a
    mark gives its scenario, replication and value."""
    import plotly.graph_objects as go

    fig = go.Figure()
    fmt = _value_format(table[outcome].to_numpy(float))
    several = table["sweep"].nunique() > 1
    for scenario, part in table.groupby("scenario", sort=False):
        name = str(scenario)
        fig.add_trace(
            go.Scatter(
                x=part[factor],
                y=part[outcome],
                mode="markers",
                name=name,
                marker={"color": _hex(colours.get(name, PALETTE[0])), "size": 7, "opacity": 0.7},
                customdata=part[["replication"]].to_numpy(),
                hovertemplate=(
                    f"{name}{' (' + str(part['sweep'].iloc[0]) + ')' if several else ''}"
                    f"<br>replication %{{customdata[0]}}<br>{factor}: %{{x}}"
                    f"<br>{outcome}: %{{y:{fmt}}}<extra></extra>"
                ),
            )
        )
    fig.update_layout(
        title_text=f"{outcome} against {factor}: every run",
        xaxis_title=factor,
        yaxis_title=label or outcome,
        height=480,
        template="plotly_white",
        legend={"orientation": "h", "yanchor": "top", "y": -0.2, "x": 0},
    )
    return fig


def sensitivity_chart(kind: str, found: pd.DataFrame, outcome: str):
    """The sensitivity chart of one outcome from
    :func:`flowsim.experiments.analysis.sensitivity_table`, as
    :func:`~flowsim.experiments.charts.sensitivity_figure` draws it: Sobol first-order and total
    indices, Morris mu* (sigma as a mark), factorial main effects (a bar from the lowest to the
    highest mean) or rank correlations; 95% intervals where the design gives them; hovering a bar
    gives its value."""
    import plotly.graph_objects as go

    fig = go.Figure()
    factors = list(found["factor"])
    bar = {"orientation": "h", "y": factors}
    if kind == "sobol":
        for column, name in (("S1", "first order"), ("ST", "total")):
            error = {"type": "data", "array": found[f"{column}_conf"].tolist()}
            fig.add_trace(go.Bar(x=found[column], name=name, error_x=error, **bar))
        axis, title = "Sobol index (share of variance, 95% interval)", "Sobol indices"
    elif kind == "morris":
        error = {"type": "data", "array": found["mu_star_conf"].tolist()}
        fig.add_trace(go.Bar(x=found["mu_star"], name="mu*", error_x=error, **bar))
        fig.add_trace(
            go.Scatter(x=found["sigma"], y=factors, mode="markers", name="sigma",
                       marker={"symbol": "diamond", "color": "black"})
        )  # fmt: skip
        axis, title = f"mu* of {outcome}, in its unit (95% interval)", "Morris indices"
    elif kind == "factorial":
        fig.add_trace(
            go.Bar(x=found["high"] - found["low"], base=found["low"], name="main effect",
                   marker={"color": PALETTE[0]}, **bar)
        )  # fmt: skip
        axis, title = f"mean {outcome} over the factor's values (others averaged)", "Main effects"
    else:
        fig.add_trace(
            go.Bar(
                x=found["spearman"], name="rank correlation", marker={"color": PALETTE[0]}, **bar
            )
        )
        fig.update_xaxes(range=[-1, 1])
        axis, title = f"rank correlation with {outcome}", "Rank correlations"
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(
        title_text=f"{title}: {outcome}",
        xaxis_title=axis,
        barmode="group",
        height=180 + 40 * max(1, len(found)),
        template="plotly_white",
    )
    return fig


def prim_chart(limits: pd.DataFrame, trajectory: pd.DataFrame, density: float, title: str):
    """Scenario discovery (PRIM) in two panels, as
    :func:`~flowsim.experiments.charts.prim_figure` draws it: left, the peeling
    trajectory (coverage against density, coloured by factors restricted; hover a box for
    its number and statistics), the chosen box ringed and the least density asked for
    dashed; right, the chosen box's kept range of each restricted factor as a share of its
    sampled range (hover for the range in the factor's unit)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from flowsim.experiments.analysis import limit_text

    chosen = limits.attrs.get("box")
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=(
            "Peeling trajectory",
            f"Box {chosen}: coverage {limits.attrs.get('coverage', math.nan):.2f}, "
            f"density {limits.attrs.get('density', math.nan):.2f}",
        ),
        horizontal_spacing=0.22,
    )
    boxes = trajectory.reset_index(names="box")
    fig.add_trace(
        go.Scatter(
            x=boxes["coverage"],
            y=boxes["density"],
            mode="markers",
            name="boxes",
            marker={
                "color": boxes["res_dim"],
                "colorscale": "Viridis",
                "size": 9,
                "colorbar": {"title": "factors<br>restricted", "x": 0.4},
            },
            customdata=boxes[["box", "res_dim"]].to_numpy(),
            hovertemplate="box %{customdata[0]}: coverage %{x:.2f}, density %{y:.2f},"
            " %{customdata[1]} factors restricted<extra></extra>",
            showlegend=False,
        ),
        row=1,
        col=1,
    )
    if chosen is not None:
        fig.add_trace(
            go.Scatter(
                x=[trajectory.loc[chosen, "coverage"]],
                y=[trajectory.loc[chosen, "density"]],
                mode="markers",
                name=f"chosen: box {chosen}",
                marker={"size": 18, "color": "rgba(0,0,0,0)", "line": {"color": "red", "width": 2}},
                hoverinfo="skip",
            ),
            row=1,
            col=1,
        )
    fig.add_hline(y=density, line_dash="dash", line_color="#666", row=1, col=1)
    labels, lows, widths, texts = [], [], [], []
    for r in limits.itertuples():
        if isinstance(r.min, list):  # categorical: the kept categories
            low, high, text = 0.0, 1.0, limit_text(r.min)
        else:
            span = (r.range_max - r.range_min) or 1.0
            low, high = (r.min - r.range_min) / span, (r.max - r.range_min) / span
            text = f"{limit_text(r.min)} to {limit_text(r.max)}"
        labels.append(str(r.factor))
        lows.append(low)
        widths.append(high - low)
        texts.append(text)
    if labels:
        grey = {"orientation": "h", "y": labels, "showlegend": False, "hoverinfo": "skip"}
        fig.add_trace(go.Bar(x=[1.0] * len(labels), marker={"color": "#e0e0e0"}, **grey), 1, 2)
        fig.add_trace(
            go.Bar(
                x=widths,
                base=lows,
                y=labels,
                orientation="h",
                marker={"color": PALETTE[0]},
                text=texts,
                name="kept range",
                showlegend=False,
                hovertemplate="%{y}: %{text}<extra></extra>",
            ),
            1,
            2,
        )
    fig.update_xaxes(
        range=[0, 1.03], title_text="coverage (share of the runs of interest inside)", row=1, col=1
    )
    fig.update_yaxes(
        range=[0, 1.03], title_text="density (share of the box's runs of interest)", row=1, col=1
    )
    fig.update_xaxes(
        range=[-0.05, 1.05], title_text="kept share of the sampled range", row=1, col=2
    )
    fig.update_yaxes(autorange="reversed", row=1, col=2)
    fig.update_layout(
        title_text=title or "Scenario discovery (PRIM)",
        barmode="overlay",
        height=max(420, 200 + 45 * len(labels)),
        template="plotly_white",
        legend={"orientation": "h", "y": -0.2},
    )
    return fig
