"""The page: one view for whatever folders are picked (:func:`show`), its download links,
and the ipywidgets page around it (:func:`build_app`; ipywidgets is imported only there, so
the rest of the dashboard works without the ``.[dashboard]`` extra). Nothing here writes
into a results folder.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from flowsim.dashboard.colours import scenario_colours
from flowsim.dashboard.folders import DashboardError, Folder, default_root, discover
from flowsim.dashboard.loading import load_sweep, point_label, sweep_points
from flowsim.dashboard.series_views import hindcast_options, show_hindcast, show_series
from flowsim.dashboard.sweep_views import show_sweep
from flowsim.dashboard.views import (
    BREAKDOWNS,
    HINDCAST_VIEW,
    SWEEP_VIEWS,
    Shown,
    view_names,
)


def figure_png(fig: Figure, dpi: int = 100) -> bytes:
    """The figure as PNG bytes (nothing written to disk)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def download_links(png: bytes, table: pd.DataFrame, stem: str) -> str:
    """HTML links downloading the figure (PNG) and the table behind it (CSV) from data URIs,
    so the page needs no server-side file."""
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in stem) or "figure"
    png64 = base64.b64encode(png).decode("ascii")
    csv64 = base64.b64encode(table.to_csv(index=False).encode("utf-8")).decode("ascii")
    style = "margin-right:1.5em"
    return (
        f'<a download="{stem}.png" href="data:image/png;base64,{png64}" style="{style}">'
        f"Download the figure (PNG)</a>"
        f'<a download="{stem}.csv" href="data:text/csv;base64,{csv64}">'
        f"Download the table behind it (CSV)</a>"
    )


def colour_map(folders: Sequence[Folder]) -> dict[str, str]:
    """One colour per scenario of the picked folders (a run, or a sweep's points in
    :func:`~flowsim.dashboard.loading.sweep_points` order), the same in every view of one pick."""
    labels: list[str] = []
    for folder in folders:
        if folder.kind == "run":
            labels.append(folder.path.name)
        elif folder.kind == "sweep":
            try:
                sweep = load_sweep(folder.path)
            except DashboardError:
                continue
            labels += [point_label(sweep, p) for p in sweep_points(sweep, limit=len(sweep.runs))]
    return scenario_colours(labels)


def show(
    view: str,
    folders: Sequence[Folder],
    observed: pd.DataFrame | None = None,
    option: str | None = None,
    second: str | None = None,
) -> Shown:
    """Build one view for the picked folders. ``option``: the series (the views by region
    and by group), the outcome (sweep views); ``second``: the factor (scatter). Problems come
    back as a message, never as an exception of ours."""
    if not folders:
        return Shown(message="Pick one or more results folders.")
    colours = colour_map(folders)
    if view == HINDCAST_VIEW:
        return show_hindcast(folders, observed, colours, option)
    if view in SWEEP_VIEWS:
        return show_sweep(view, folders, colours, option, second)
    return show_series(view, folders, colours, observed, option)


def build_app(root: str | Path | None = None) -> Any:
    """The dashboard as one ipywidgets box: folder picker (several at once), view, option
    pickers, the figure, its download links and the table. Needs ``.[dashboard]``."""
    import ipywidgets as w

    root = Path(root) if root is not None else default_root()
    folders = discover(root)
    try:
        from flowsim.observed import load_observed

        observed = load_observed()
    except Exception:  # the observed marks are a bonus: the page works without them
        observed = None
    header = w.HTML(f"<p>Results folder: <code>{root}</code></p>")
    usable = [f for f in folders if f.ok]
    problems = [f for f in folders if not f.ok]
    problem_html = "".join(f"<li><b>{f.label}</b>: {f.problem}</li>" for f in problems)
    notes = w.HTML(f"<p>Not shown:</p><ul>{problem_html}</ul>" if problems else "")
    if not usable:
        message = (
            f"No results to show under <code>{root}</code>. Run "
            "<code>make run</code> or <code>.venv/bin/flowsim run CONFIG</code> "
            "(or <code>flowsim sweep SPEC</code>), then reload this page."
        )
        return w.VBox([header, w.HTML(f"<p class='flowsim-message'>{message}</p>"), notes])

    picker = w.SelectMultiple(
        options=[(f.label, i) for i, f in enumerate(usable)],
        value=(0,),
        rows=min(8, max(3, len(usable))),
        description="Results",
        layout=w.Layout(width="60%"),
    )
    picker.add_class("flowsim-folders")
    view = w.Dropdown(options=view_names(), value=view_names()[0], description="View")
    view.add_class("flowsim-view")
    option = w.Dropdown(options=[], description="Series")
    option.add_class("flowsim-option")
    second = w.Dropdown(options=[], description="Factor")
    second.add_class("flowsim-factor")
    image = w.Image(format="png", layout=w.Layout(max_width="100%"))
    image.add_class("flowsim-figure")
    message = w.HTML()
    message.add_class("flowsim-message")
    links = w.HTML()
    extra = w.HTML()
    status = w.HTML()
    status.add_class("flowsim-status")

    def picked() -> list[Folder]:
        return [usable[i] for i in picker.value]

    def refresh_options() -> None:
        """The option pickers follow the view and the sweeps picked."""
        name = view.value
        opts: list[str] = []
        factors: list[str] = []
        if name in BREAKDOWNS:
            opts = list(BREAKDOWNS[name].series)
        elif name == HINDCAST_VIEW:
            opts = hindcast_options(picked(), observed)
        elif name in SWEEP_VIEWS:
            sweeps = [f for f in picked() if f.kind == "sweep"]
            if sweeps:
                try:
                    s = load_sweep(sweeps[0].path)
                    opts, factors = s.outcomes, s.factors
                except DashboardError:
                    pass
        option.description = "Outcome" if name in SWEEP_VIEWS else "Series"
        option.layout.width = "28em" if name == HINDCAST_VIEW else ""
        # a new list of options leaves no value picked (ipywidgets 8): pick the first
        for picker_, choices in ((option, opts), (second, factors)):
            if list(picker_.options) != choices:
                picker_.options = choices
            if choices and picker_.value not in choices:
                picker_.value = choices[0]
        option.layout.display = "" if opts else "none"
        second.layout.display = "" if name == SWEEP_VIEWS[1] and factors else "none"

    busy = []  # set while drawing: changing the option lists must not draw again

    def render(_change: Any = None) -> None:
        if busy:
            return
        busy.append(True)
        try:
            _render()
        finally:
            busy.clear()

    def _render() -> None:
        status.value = "<i>drawing...</i>"
        refresh_options()
        try:
            shown = show(view.value, picked(), observed, option.value, second.value)
        except Exception as err:  # shown in the page: never a stack trace
            shown = Shown(message=f"Could not draw this view: {type(err).__name__}: {err}")
        message.value = f"<p style='color:#a33'>{shown.message}</p>" if shown.message else ""
        extra.value = shown.html
        if shown.figure is not None:
            png = figure_png(shown.figure)
            image.value = png
            image.layout.display = ""
            table = shown.table if shown.table is not None else pd.DataFrame()
            links.value = download_links(png, table, view.value.lower().replace(" ", "_"))
        else:
            image.layout.display = "none"
            links.value = ""
        # a marker the browser test waits for: how many times the page was drawn
        status.value = f"<span data-renders='{len(drawn)}'></span>"
        drawn.append(view.value)

    drawn: list[str] = []
    for widget in (picker, view, option, second):
        widget.observe(render, names="value")
    render()
    help_html = w.HTML(
        "<p>Pick one or several folders (Ctrl/Cmd-click). Lines: median over replications; "
        "shaded: 50% (darker) and 90% bands; black marks: observed Belgian figures over their "
        "period (flows as a daily mean over it). One colour per scenario on every chart.</p>"
    )
    return w.VBox(
        [
            header,
            help_html,
            picker,
            w.HBox([view, option, second]),
            message,
            image,
            links,
            extra,
            status,
            notes,
        ]
    )
