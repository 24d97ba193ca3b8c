"""The what-if panel of the page: pick a ready scenario and a date, move a few levers, run
R replications in the background (progress shown, the page stays usable), then see the
what-if against the unchanged scenario at once and download it as a scenario file.

The levers, the scenario file and the runs are :mod:`flowsim.dashboard.what_if`'s; the
picture is the comparison view's (:mod:`flowsim.dashboard.comparison_view`). ipywidgets is
imported only in :func:`what_if_panel`.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import threading
from html import escape
from pathlib import Path
from typing import Any

from flowsim.dashboard.comparison_view import comparison_series
from flowsim.dashboard.views import COMPARISON_VIEW
from flowsim.dashboard.what_if import (
    WhatIfError,
    WhatIfRuns,
    levers,
    ready_scenarios,
    run_what_if,
)
from flowsim.results.folders import classify
from flowsim.scenario.errors import ConfigError
from flowsim.scenario.loading import load_config

DEFAULT_SERIES = "without_reception"


def default_configs(root: Path) -> Path:
    """The ready scenarios' folder: ``$FLOWSIM_CONFIGS``, else ``configs/`` beside the
    results root."""
    if os.environ.get("FLOWSIM_CONFIGS"):
        return Path(os.environ["FLOWSIM_CONFIGS"])
    return root.resolve().parent / "configs"


def scenario_link(document: str, name: str) -> str:
    """An HTML link downloading the what-if's scenario file (YAML, from a data URI)."""
    data = base64.b64encode(document.encode("utf-8")).decode("ascii")
    return (
        f'<a download="{escape(name)}.yaml" href="data:text/yaml;base64,{data}">'
        "Download the what-if as a scenario file (YAML) for <code>flowsim run</code></a>"
    )


def what_if_panel(root: Path, configs: Path | None = None) -> Any:
    """The what-if panel (an ipywidgets box). Runs write into ``root`` (both appear in the
    page's folder picker after "Look for new results"). Needs ``.[dashboard]``."""
    import ipywidgets as w

    from flowsim.dashboard.page import put_figure, show

    configs = configs if configs is not None else default_configs(root)
    files = ready_scenarios(configs) if configs.is_dir() else []
    if not files:
        return w.HTML(
            f"<p>No ready scenario found in <code>{escape(str(configs))}</code> "
            "(set FLOWSIM_CONFIGS to the folder holding them).</p>"
        )
    names = [p.name for p in files]
    ready = w.Dropdown(
        options=names,
        value="belgium-baseline.yaml" if "belgium-baseline.yaml" in names else names[0],
        description="Start from",
    )
    when = w.DatePicker(description="Levers from")
    sliders = w.VBox()
    replications = w.IntSlider(value=10, min=2, max=40, description="Replications")
    replications.add_class("flowsim-what-if-replications")
    seed = w.IntText(value=0, description="Seed")
    series_names = comparison_series()
    series = w.Dropdown(
        options=[(label, name) for name, (label, _unit, _window) in series_names.items()],
        value=DEFAULT_SERIES if DEFAULT_SERIES in series_names else next(iter(series_names)),
        description="Series",
    )
    go = w.Button(description="Run the what-if", button_style="primary")
    go.add_class("flowsim-what-if-run")
    bar = w.IntProgress(value=0, min=0, max=1, layout=w.Layout(width="30em"))
    status = w.HTML()
    status.add_class("flowsim-what-if-status")
    image = w.Image(format="png", layout=w.Layout(max_width="100%", display="none"))
    chart = w.Output(layout=w.Layout(width="100%", display="none"))  # the interactive chart
    chart.add_class("flowsim-what-if-chart")
    result = w.HTML()
    state: dict[str, Any] = {}

    def load_levers(_change: Any = None) -> None:
        """Sliders at the picked scenario's values on the picked date."""
        try:
            scenario = load_config(configs / ready.value)
        except ConfigError as err:
            status.value = f"<p style='color:#a33'>{escape(err.problems[0])}</p>"
            sliders.children = ()
            return
        start, end = scenario.start_date, scenario.end_date
        if when.value is None or not start <= when.value <= end:
            when.value = start  # observing this reloads the sliders
            return
        state["levers"] = levers(scenario, when.value)
        made = []
        for lever in state["levers"]:
            slider = w.FloatSlider(
                value=lever.value,
                min=lever.low,
                max=lever.high,
                step=lever.step,
                description=f"{lever.label} ({lever.unit})",
                style={"description_width": "22em"},
                layout=w.Layout(width="48em"),
                readout_format=".2f" if lever.op == "multiply" else ",.0f",
            )
            slider.add_class(f"flowsim-lever-{lever.key}")
            made.append(slider)
        sliders.children = tuple(made)

    def chosen() -> dict[str, float]:
        return {
            lever.key: s.value for lever, s in zip(state["levers"], sliders.children, strict=True)
        }

    def progress(which: str, done: int, total: int) -> None:
        bar.max = total
        bar.value = done
        status.value = f"<i>running the {which}: {done} of {total} replications</i>"

    def draw(runs: WhatIfRuns) -> None:
        state["runs"] = runs
        folders = [classify(runs.baseline), classify(runs.what_if)]
        shown = show(COMPARISON_VIEW, folders, option=series.value, single=runs.baseline.name)
        links = put_figure(shown, image, chart, runs.what_if.name)
        note = f"<p style='color:#a33'>{escape(shown.message)}</p>" if shown.message else ""
        result.value = (
            note
            + f"<p>{links}</p><p>{scenario_link(runs.document, runs.what_if.name)}</p>"
            + shown.html
        )

    def work(picked: dict[str, float], date: dt.date) -> None:
        try:
            runs = run_what_if(
                configs / ready.value, picked, date, replications.value, seed.value, root, progress
            )
            status.value = (
                f"Done: <code>{escape(runs.what_if.name)}</code> against "
                f"<code>{escape(runs.baseline.name)}</code> (both under the results folder)."
            )
            draw(runs)
        except (WhatIfError, ConfigError, OSError) as err:
            text = "; ".join(err.problems) if isinstance(err, ConfigError) else str(err)
            status.value = f"<p style='color:#a33'>{escape(text)}</p>"
        finally:
            go.disabled = False

    def start(_button: Any) -> None:
        if "levers" not in state:
            return
        go.disabled = True
        result.value = ""
        # a thread: the page keeps answering while the runs (child processes) go on
        threading.Thread(target=work, args=(chosen(), when.value), daemon=True).start()

    def redraw(_change: Any) -> None:
        if "runs" in state and not go.disabled:
            draw(state["runs"])

    ready.observe(load_levers, names="value")
    when.observe(load_levers, names="value")
    series.observe(redraw, names="value")
    go.on_click(start)
    load_levers()
    intro = w.HTML(
        "<p>Move a lever from a date; the what-if runs beside the unchanged scenario with the "
        "same seeds, and the chart shows the difference replication by replication.</p>"
    )
    return w.VBox(
        [
            intro,
            w.HBox([ready, when]),
            sliders,
            w.HBox([replications, seed]),
            w.HBox([go, bar]),
            status,
            series,
            chart,
            image,
            result,
        ]
    )
