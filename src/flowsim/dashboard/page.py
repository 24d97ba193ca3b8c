"""The page: one view for whatever folders are picked (:func:`show`), its download links,
and the ipywidgets page around it (:func:`build_app`; ipywidgets is imported only there, so
the rest of the dashboard works without the ``.[dashboard]`` extra). Nothing here writes
into a results folder.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Sequence
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from flowsim.dashboard.comparison_view import comparison_series, show_comparison
from flowsim.dashboard.series_views import hindcast_options, show_hindcast, show_series
from flowsim.dashboard.sweep_tables import default_discovery
from flowsim.dashboard.sweep_views import load_sweeps, show_sweep, sweep_choices
from flowsim.dashboard.views import (
    BREAKDOWNS,
    COMPARISON_VIEW,
    HINDCAST_VIEW,
    ONE_FOLDER_VIEWS,
    PRIM_VIEW,
    SWEEP_VIEWS,
    Shown,
    view_names,
)
from flowsim.experiments.spec import Discovery
from flowsim.results.colours import scenario_colours
from flowsim.results.folders import DashboardError, Folder, default_root, discover
from flowsim.results.loading import load_sweep, point_label, sweep_points


def figure_png(fig: Figure, dpi: int = 100) -> bytes:
    """The figure as PNG bytes (nothing written to disk)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def download_links(png: bytes | None, table: pd.DataFrame, stem: str) -> str:
    """HTML links downloading the figure (PNG; without one, a pointer to the interactive
    chart's camera) and the table behind it (CSV) from data URIs, so the page needs no
    server-side file."""
    stem = _stem(stem)
    csv64 = base64.b64encode(table.to_csv(index=False).encode("utf-8")).decode("ascii")
    style = "margin-right:1.5em"
    if png is None:
        figure = f'<span style="{style}">The camera above the chart saves it as PNG.</span>'
    else:
        png64 = base64.b64encode(png).decode("ascii")
        figure = (
            f'<a download="{stem}.png" href="data:image/png;base64,{png64}" style="{style}">'
            "Download the figure (PNG)</a>"
        )
    return (
        f'{figure}<a download="{stem}.csv" href="data:text/csv;base64,{csv64}">'
        "Download the table behind it (CSV)</a>"
    )


def chart_html(figure: Any, stem: str) -> str:
    """A Plotly figure as HTML for the page: it fills the page's width and follows it
    (responsive), hover, zoom and legend clicks work in the browser without a round trip
    to Python, and the camera saves ``<stem>.png``. plotly.js itself is put in the page
    once (:func:`plotly_script`)."""
    import plotly.io as pio

    config = {
        "responsive": True,
        "displaylogo": False,
        "toImageButtonOptions": {"filename": _stem(stem), "scale": 2},
    }
    return pio.to_html(figure, full_html=False, include_plotlyjs=False, config=config)


def put_figure(shown: Shown, image: Any, chart: Any, stem: str) -> str:
    """Show a view's figure in the page's widgets: its interactive chart in ``chart`` (an
    ipywidgets Output) when it has one, else its image in ``image``; returns the download
    links (the PNG of the figure, the CSV of the table behind it; empty without a figure)."""
    from IPython.display import HTML

    links = ""
    interactive = shown.chart is not None
    table = shown.table if shown.table is not None else pd.DataFrame()
    if interactive:  # the chart's camera saves the PNG: no matplotlib drawing on each pick
        links = download_links(None, table, stem)
    elif shown.figure is not None:
        png = figure_png(shown.figure)
        image.value = png
        links = download_links(png, table, stem)
    # set, not displayed into: the what-if draws from a worker thread, where an Output
    # widget captures nothing
    chart.outputs = ()
    if interactive:
        chart.append_display_data(HTML(chart_html(shown.chart, stem)))
    chart.layout.display = "" if interactive else "none"
    image.layout.display = "" if shown.figure is not None and not interactive else "none"
    return links


# plotly.js's "basic" partial bundle (scatter, bar and pie traces: all this page draws),
# from npm's plotly.js-basic-dist-min, MIT licence beside it: a quarter of the full bundle,
# so the browser parses it in about a second less before the first chart.
BASIC_BUNDLE = "plotly-basic.min.js"


def bundle_version(text: str) -> str | None:
    """The plotly.js version a bundle states in its header (``v4.1.1``), None if none."""
    found = re.search(r"plotly\.js \(basic - minified\) v(\d+\.\d+\.\d+)", text[:300])
    return found.group(1) if found else None


def plotly_source() -> str:
    """plotly.js for the page, from files installed with flowsim and plotly (nothing
    fetched at run time): the basic bundle shipped with flowsim when it is the version the
    installed plotly package writes figures for, else plotly's own full bundle."""
    from plotly.offline import get_plotlyjs, get_plotlyjs_version

    basic = resources.files("flowsim.data").joinpath(BASIC_BUNDLE).read_text(encoding="utf-8")
    if bundle_version(basic) == get_plotlyjs_version():
        return basic
    return get_plotlyjs()


def plotly_script() -> str:
    """plotly.js as a script element (:func:`plotly_source`): the page shows it once,
    every chart after uses it."""
    return f'<script type="text/javascript">{plotly_source()}</script>'


def _stem(text: str) -> str:
    """A file name stem from a view's name."""
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in text.lower())
    return stem or "figure"


def colour_map(folders: Sequence[Folder]) -> dict[str, str]:
    """One colour per scenario of the picked folders (a run, or a sweep's points in
    :func:`~flowsim.results.loading.sweep_points` order), the same in every view of one pick."""
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
    single: str | None = None,
    rule: Discovery | None = None,
    period: tuple[Any, Any] | None = None,
) -> Shown:
    """Build one view (:func:`~flowsim.dashboard.views.view_names`) for the picked folders.

    ``option``: the series (the views by region and by group, the hindcast, the comparison),
    the outcome (sweep views); ``second``: the factor (scatter); ``single``: the folder name
    of the run or sweep a view of one folder at a time shows (hindcast, sensitivity, PRIM;
    the baseline of the comparison; default the first picked); ``rule``: the runs of
    interest of the PRIM view (default: the experiment's, else above the outcome's median);
    ``period``: the first and last day of the comparison's totals (None: the runs').
    Problems come back as a message, never as an exception of ours.
    """
    if not folders:
        return Shown(message="Pick one or more results folders.")
    colours = colour_map(folders)
    if view == HINDCAST_VIEW:
        return show_hindcast(folders, observed, colours, option, single)
    if view == COMPARISON_VIEW:
        return show_comparison(folders, colours, option, single, period)
    if view in SWEEP_VIEWS:
        return show_sweep(view, folders, colours, option, second, single, rule)
    return show_series(view, folders, colours, observed, option)


def prim_start(folders: Sequence[Folder], single: str | None, outcome: str) -> Discovery | None:
    """The runs of interest the PRIM view starts with for ``outcome`` in the sweep it shows
    (``single``, else the first sweep picked): see
    :func:`~flowsim.dashboard.sweep_tables.default_discovery`. None without such a sweep."""
    sweeps, _ = load_sweeps(folders)
    sweep = next((s for s in sweeps if s.path.name == single), sweeps[0] if sweeps else None)
    if sweep is None or outcome not in sweep.outcomes:
        return None
    return default_discovery(sweep, outcome)


def problems_html(problems: Sequence[Folder]) -> str:
    """The folders the page cannot show, each with its one-line reason (HTML; empty when
    there are none)."""
    if not problems:
        return ""
    items = "".join(f"<li><b>{escape(f.label)}</b>: {escape(f.problem)}</li>" for f in problems)
    return f"<p>Not shown:</p><ul>{items}</ul>"


def build_app(root: str | Path | None = None) -> Any:
    """The dashboard as one ipywidgets box: folder picker (several at once), view, option
    pickers, the figure, its download links and the table. Needs ``.[dashboard]``."""
    import ipywidgets as w
    from IPython.display import HTML, display

    root = Path(root) if root is not None else default_root()
    folders = discover(root)
    try:
        from flowsim.validation.observed import load_observed

        observed = load_observed()
    except Exception:  # the observed marks are a bonus: the page works without them
        observed = None
    header = w.HTML(f"<p>Results folder: <code>{escape(str(root))}</code></p>")
    usable = [f for f in folders if f.ok]
    problems = [f for f in folders if not f.ok]
    notes = w.HTML(problems_html(problems))
    if not usable:
        message = (
            f"No results to show under <code>{escape(str(root))}</code>. Run "
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
    view = w.Dropdown(
        options=view_names(),
        value=view_names()[0],
        description="View",
        layout=w.Layout(width="30em"),  # the longest view name in full
    )
    view.add_class("flowsim-view")
    option = w.Dropdown(options=[], description="Series")
    option.add_class("flowsim-option")
    second = w.Dropdown(options=[], description="Factor")
    second.add_class("flowsim-factor")
    # views of one folder at a time: which of the runs (or sweeps) picked
    single = w.Dropdown(options=[], description="Sweep")
    single.add_class("flowsim-single")
    # the PRIM view's runs of interest: the outcome above (or below) a threshold
    direction = w.Dropdown(
        options=[("outcome above", "above"), ("outcome below", "below")],
        value="above",
        description="Runs with",
    )
    direction.add_class("flowsim-direction")
    threshold = w.FloatText(description="Threshold", continuous_update=False)
    threshold.add_class("flowsim-threshold")
    # the comparison's totals: over the days picked (empty: all the runs share)
    start = w.DatePicker(description="Totals from")
    start.add_class("flowsim-start")
    end = w.DatePicker(description="to")
    end.add_class("flowsim-end")
    prim_state: dict[str, Any] = {}  # the sweep and outcome the threshold was set for
    image = w.Image(format="png", layout=w.Layout(max_width="100%"))
    image.add_class("flowsim-figure")
    # the interactive chart of the views that have one, in the image's place; plotly.js
    # goes into the page once, before any chart
    library = w.Output(layout=w.Layout(display="none"))
    with library:
        display(HTML(plotly_script()))
    chart = w.Output(layout=w.Layout(width="100%"))
    chart.add_class("flowsim-chart")
    message = w.HTML()
    message.add_class("flowsim-message")
    links = w.HTML()
    extra = w.HTML()
    status = w.HTML()
    status.add_class("flowsim-status")

    def picked() -> list[Folder]:
        return [usable[i] for i in picker.value]

    def refresh_options() -> None:
        """The option pickers follow the view and the folders picked."""
        name = view.value
        kind = ONE_FOLDER_VIEWS.get(name)
        ones = [f.path.name for f in picked() if f.kind == kind]
        opts: list[str] = []
        factors: list[str] = []
        choose(single, ones)
        single.description = "Baseline" if name == COMPARISON_VIEW else (kind or "").capitalize()
        single.layout.display = "" if len(ones) > 1 else "none"
        if name in BREAKDOWNS:
            opts = list(BREAKDOWNS[name].series)
        elif name == HINDCAST_VIEW:
            opts = hindcast_options(picked(), observed, single.value)
        elif name == COMPARISON_VIEW:
            opts = list(comparison_series())
        elif name in SWEEP_VIEWS:
            opts, factors = sweep_choices(picked())
        option.description = "Outcome" if name in SWEEP_VIEWS else "Series"
        option.layout.width = "28em" if name == HINDCAST_VIEW else ""
        choose(option, opts)
        choose(second, factors)
        option.layout.display = "" if opts else "none"
        second.layout.display = "" if name == SWEEP_VIEWS[1] and factors else "none"
        prim = name == PRIM_VIEW and option.value is not None
        direction.layout.display = threshold.layout.display = "" if prim else "none"
        start.layout.display = end.layout.display = "" if name == COMPARISON_VIEW else "none"
        # a new sweep or outcome starts from its default runs of interest; the same ones
        # keep what the user typed
        if prim and prim_state.get("for") != (single.value, option.value):
            begun = prim_start(picked(), single.value, option.value)
            if begun is not None:
                direction.value = "above" if begun.above is not None else "below"
                threshold.value = float(begun.above if begun.above is not None else begun.below)
                prim_state.update({"for": (single.value, option.value), "density": begun.threshold})

    def choose(picker_: Any, choices: list[str]) -> None:
        """Offer ``choices``; a new list leaves no value picked (ipywidgets 8): the first."""
        if list(picker_.options) != choices:
            picker_.options = choices
        if choices and picker_.value not in choices:
            picker_.value = choices[0]

    def rule() -> Discovery | None:
        """The PRIM view's runs of interest as picked."""
        if view.value != PRIM_VIEW or option.value is None or "density" not in prim_state:
            return None
        limit = {direction.value: threshold.value}
        return Discovery(outcome=option.value, threshold=prim_state["density"], **limit)

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
            shown = show(
                view.value,
                picked(),
                observed,
                option.value,
                second.value,
                single.value,
                rule(),
                (start.value, end.value),
            )
        except Exception as err:  # shown in the page: never a stack trace
            shown = Shown(message=f"Could not draw this view: {type(err).__name__}: {err}")
        # messages are plain text: an outcome's rule reads "peak > 50"
        text = escape(shown.message)
        message.value = f"<p style='color:#a33'>{text}</p>" if shown.message else ""
        extra.value = shown.html
        links.value = put_figure(shown, image, chart, view.value.lower().replace(" ", "_"))
        # a marker the browser test waits for: how many times the page was drawn
        status.value = f"<span data-renders='{len(drawn)}'></span>"
        drawn.append(view.value)

    drawn: list[str] = []
    for widget in (picker, view, option, second, single, direction, threshold, start, end):
        widget.observe(render, names="value")
    render()

    # the page was built when its kernel started (Voila prepares one ahead): folders written
    # since appear when asked for, the ones picked stay picked
    rescan = w.Button(
        description="Look for new results",
        tooltip="list the results folders again (those written since the page was prepared)",
        layout=w.Layout(width="auto"),
    )
    rescan.add_class("flowsim-rescan")

    def look_again(_button: Any = None) -> None:
        kept = {usable[i].path for i in picker.value}
        found = discover(root)
        fresh = [f for f in found if f.ok]
        if not fresh:
            return  # nothing readable any more: keep showing what the page has
        busy.append(True)  # one drawing after the swap, not one per widget change
        try:
            usable[:] = fresh
            picker.options = [(f.label, i) for i, f in enumerate(usable)]
            picker.rows = min(8, max(3, len(usable)))
            picker.value = tuple(i for i, f in enumerate(usable) if f.path in kept) or (0,)
            notes.value = problems_html([f for f in found if not f.ok])
        finally:
            busy.clear()
        render()

    rescan.on_click(look_again)
    help_text = w.HTML(
        "<p>Pick one or several folders (Ctrl/Cmd-click). Lines: median over replications; "
        "shaded: 50% (darker) and 90% bands; black marks: observed Belgian figures over their "
        "period (flows as a daily mean over it). One colour per scenario on every chart. "
        "Charts: hover a line for its value, drag to zoom (double-click to reset), click a "
        "legend entry to hide it; the camera saves the view as PNG. "
        "The sweep views show every sweep picked side by side; the sensitivity, PRIM and "
        "hindcast views one sweep or run at a time (choose it under Sweep or Run).</p>"
    )
    # folded, like the what-if: on a laptop the first chart shows without scrolling
    help_html = w.Accordion(children=[help_text], selected_index=None)
    help_html.set_title(0, "How to read the charts")
    from flowsim.dashboard.what_if_panel import what_if_panel

    # folded: the results come first; unfolding it offers levers and a run. Built when first
    # unfolded: its widgets would double what the browser renders before the first chart
    what_if = w.Accordion(children=[w.HTML("<p><i>preparing the levers...</i></p>")])
    what_if.selected_index = None
    what_if.set_title(0, "What-if: move a lever from a date and run it against a scenario")
    what_if.add_class("flowsim-what-if")

    built: list[bool] = []

    def unfold_what_if(change: Any) -> None:
        if change["new"] is not None and not built:
            built.append(True)
            what_if.children = [what_if_panel(root)]

    what_if.observe(unfold_what_if, names="selected_index")
    return w.VBox(
        [
            header,
            what_if,
            help_html,
            w.HBox([picker, rescan]),
            w.HBox([view, option, second]),
            w.HBox([single, direction, threshold, start, end]),
            library,
            message,
            chart,
            image,
            links,
            extra,
            status,
            notes,
        ]
    )
