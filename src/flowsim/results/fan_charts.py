"""Fan charts of daily series: per scenario and series, the median over replications with
its 50% and 90% bands, and observed Belgian figures as black marks (a horizontal bar spans
a figure's period). matplotlib ``Figure`` objects, no pyplot state: ``flowsim run``'s
overview, ``flowsim report``, the validation figures and the dashboard draw with these.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from flowsim.results.colours import LINESTYLES, scenario_colours
from flowsim.results.frames import derive, fan_quantiles, observed_points

if TYPE_CHECKING:
    from flowsim.results.loading import Scenario


@dataclass(frozen=True)
class Panel:
    """One chart: ``lines`` are (column, label); ``window`` days of rolling mean for flows;
    ``observed`` the name of the matching observed series (:mod:`flowsim.validation.observed`)."""

    title: str
    unit: str
    lines: tuple[tuple[str, str], ...]
    window: int | None = None
    observed: tuple[str, ...] = ()

    @property
    def per_day(self) -> bool:
        return self.window is not None


BANDS = ((0.05, 0.95), (0.25, 0.75))  # 90% and 50% bands over replications


def draw_fan(
    ax: Axes,
    q: pd.DataFrame,
    colour: str | None = None,
    label: str | None = None,
    linestyle: str = "-",
    bands: Sequence[tuple[float, float]] = BANDS,
) -> str:
    """Median line and shaded bands of ``q`` (quantiles over replications per date, from
    :func:`~flowsim.results.frames.fan_quantiles`, in the series' unit); returns
    the colour used. Wider bands are lighter."""
    (line,) = ax.plot(q.index, q[0.5], color=colour, lw=1.4, ls=linestyle, label=label)
    colour = line.get_color()
    for i, (low, high) in enumerate(bands):
        ax.fill_between(q.index, q[low], q[high], color=colour, alpha=0.12 + 0.12 * i, lw=0)
    return colour


def _tick(value: float, _position: Any = None) -> str:
    """A y tick readable at a glance: 1.5 M, 12,000, 0.25 (no offset or 1e6 above the axis)."""
    size = abs(value)
    if size >= 1e6:
        return f"{value / 1e6:.4g} M"
    if size >= 1e4:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def date_axis(ax: Axes) -> None:
    """Calendar dates on x (concise labels), readable numbers on y."""
    import matplotlib.dates as mdates
    from matplotlib.ticker import FuncFormatter

    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.yaxis.set_major_formatter(FuncFormatter(_tick))
    ax.set_xlabel("date")


def fan_figure(
    scenarios: Sequence[Scenario],
    panels: Sequence[Panel],
    colours: dict[str, str] | None = None,
    observed: pd.DataFrame | None = None,
    title: str = "",
    columns: int = 2,
) -> Figure:
    """A grid of fan charts, one panel per :class:`Panel`: per scenario (one colour each)
    and series (one line style each), the median over replications with its 50% and 90%
    bands; observed Belgian figures as black marks where they fall within the dates shown
    (a horizontal bar spans a figure's period). Panels with no data say so."""
    colours = colours or scenario_colours(sc.label for sc in scenarios)
    derived = [(sc, derive(sc.frame)) for sc in scenarios]
    rows = max(1, math.ceil(len(panels) / columns))
    fig = Figure(figsize=(6.5 * columns, 3.4 * rows + 0.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, columns, squeeze=False).ravel())
    for ax, panel in zip(axes, panels, strict=False):
        drawn = False
        for sc, frame in derived:
            for k, (column, label) in enumerate(panel.lines):
                if column not in frame or frame[column].isna().all():
                    continue
                q = fan_quantiles(frame, column, panel.window)
                name = label if len(scenarios) == 1 else f"{sc.label}: {label}"
                ls = LINESTYLES[k % len(LINESTYLES)]
                legend = len(panel.lines) > 1 or len(scenarios) > 1
                draw_fan(ax, q, colours.get(sc.label), name if legend else None, ls)
                drawn = True
        if drawn and derived:
            dates = pd.concat([f["date"] for _, f in derived])
            _draw_observed(ax, observed, panel, dates.min(), dates.max())
        if not drawn:
            ax.text(
                0.5,
                0.5,
                "not recorded in these results",
                ha="center",
                va="center",
                transform=ax.transAxes,
                color="0.4",
            )
        ax.set_title(panel.title)
        ax.set_ylabel(panel.unit)
        date_axis(ax)
        ax.grid(alpha=0.3)
        if drawn:
            ax.set_ylim(bottom=0)
            if ax.get_legend_handles_labels()[0]:
                ax.legend(loc="best", fontsize=7)
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    fig.suptitle((title + ": " if title else "") + "median, 50% and 90% bands over replications")
    return fig


def _draw_observed(
    ax: Axes, observed: pd.DataFrame | None, panel: Panel, start: Any, end: Any
) -> None:
    """Black marks of the panel's observed series within ``[start, end]``, a horizontal
    bar spanning each figure's period."""
    labelled = False
    for series in panel.observed:
        pts = observed_points(observed, series, start, end, panel.per_day)
        if pts.empty:
            continue
        draw_observed(
            ax,
            pts["date"],
            pts["value"],
            (pts["end"] - pts["start"]) / 2,
            None if labelled else "observed (Belgium)",
        )
        labelled = True


def draw_observed(
    ax: Axes, middle: Any, values: Any, half: Any, label: str | None, size: float = 3.5
) -> None:
    """Observed figures as black marks at the middle of their periods (dates), with a
    horizontal bar ``half`` (a duration) each side spanning the period; marker ``size``."""
    ax.errorbar(
        middle,
        values,
        xerr=[half, half],
        fmt="o",
        color="black",
        ms=size,
        lw=0.8,
        capsize=2,
        label=label,
    )
