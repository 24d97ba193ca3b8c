"""The views of sweeps' outcomes for a pick of folders: outcomes per scenario with their
intervals and each run's outcome against a factor (every sweep picked, side by side), the
design's sensitivity chart and scenario discovery (PRIM) (one sweep at a time). Each returns
a :class:`~flowsim.dashboard.views.Shown`; problems come back as its message.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

import pandas as pd

from flowsim.dashboard.interactive import (
    interval_chart,
    prim_chart,
    scatter_chart,
    sensitivity_chart,
)
from flowsim.dashboard.sweep_tables import (
    default_discovery,
    difference_display,
    ok_runs,
    outcome_axis,
    outcome_definitions_differ,
    outcome_display,
    outcome_summary,
    scatter_table,
)
from flowsim.dashboard.views import PRIM_VIEW, SWEEP_VIEWS, Shown, one_folder_note
from flowsim.experiments.charts import (
    MAX_INTERVAL_ROWS,
    outcome_interval_figure,
    prim_figure,
    scatter_figure,
    sensitivity_figure,
)
from flowsim.experiments.spec import Discovery
from flowsim.results.catalogue import outcome_meaning
from flowsim.results.folders import DashboardError, Folder
from flowsim.results.loading import Sweep, load_sweep


def load_sweeps(folders: Sequence[Folder]) -> tuple[list[Sweep], list[str]]:
    """The sweeps among the picked folders, in the order picked, and one note per sweep
    that cannot be read."""
    sweeps, notes = [], []
    for folder in folders:
        if folder.kind == "sweep":
            try:
                sweeps.append(load_sweep(folder.path))
            except DashboardError as err:
                notes.append(str(err))
    return sweeps, notes


def sweep_choices(folders: Sequence[Folder]) -> tuple[list[str], list[str]]:
    """The outcomes and the factors of the picked sweeps (each once, in order): what the
    page's Outcome and Factor pickers offer."""
    sweeps, _ = load_sweeps(folders)
    outcomes = [o for s in sweeps for o in s.outcomes]
    factors = [f for s in sweeps for f in s.factors]
    return list(dict.fromkeys(outcomes)), list(dict.fromkeys(factors))


def show_sweep(
    view: str,
    folders: Sequence[Folder],
    colours: dict[str, str],
    option: str | None = None,
    second: str | None = None,
    single: str | None = None,
    rule: Discovery | None = None,
) -> Shown:
    """A sweep view (:data:`~flowsim.dashboard.views.SWEEP_VIEWS`) of the sweeps picked.

    ``option``: the outcome; ``second``: the factor (scatter); ``single``: the folder name of
    the sweep a one-sweep view shows (sensitivity, PRIM; default the first picked);
    ``rule``: PRIM's runs of interest (default :func:`default_discovery`); ``colours``: one
    per scenario, by point label.
    """
    sweeps, notes = load_sweeps(folders)
    if not sweeps:
        return Shown(message="; ".join(notes) or "This view is for sweeps: pick a sweep folder.")
    outcomes, factors = sweep_choices(folders)
    if not outcomes:
        return Shown(message="The sweeps picked define no outcomes.")
    outcome = option if option in outcomes else outcomes[0]
    if view in (SWEEP_VIEWS[2], PRIM_VIEW):
        sweep = next((s for s in sweeps if s.path.name == single), sweeps[0])
        if len(sweeps) > 1:
            notes.append(one_folder_note(view, sweep.path.name, len(sweeps)))
        if outcome not in sweep.outcomes:
            return Shown(message=f"{sweep.path.name} has no outcome {outcome}")
        if view == PRIM_VIEW:
            return _with_notes(_show_prim(sweep, rule or default_discovery(sweep, outcome)), notes)
        return _with_notes(_show_sensitivity(sweep, outcome), notes)
    showing = [s for s in sweeps if outcome in s.outcomes]
    notes += [f"{s.path.name} has no outcome {outcome}" for s in sweeps if s not in showing]
    if len(showing) > 1 and outcome_definitions_differ(showing, outcome):
        notes.append(f"the sweeps define {outcome} differently: compare with care")
    axis = outcome_axis(showing[0], outcome)
    if view == SWEEP_VIEWS[0]:
        summary = pd.concat([outcome_summary(s) for s in sweeps], ignore_index=True)
        html = outcome_help(showing[0], outcome)
        html += "<p>Mean over replications [95% interval of the mean], per scenario:</p>"
        html += outcome_display(summary).to_html(index=False, classes="flowsim-outcomes")
        for sweep in sweeps:
            differences = difference_display(sweep)
            if differences.empty:
                continue
            html += (
                f"<p>{escape(sweep.path.name)}: each scenario against the baseline policy "
                "under the same uncertainties (<i>against</i>), paired replication by "
                "replication: mean difference [95% interval], beside the unpaired interval:</p>"
            )
            html += differences.to_html(index=False, classes="flowsim-differences")
        scenarios = summary.loc[summary["outcome"] == outcome, "scenario"].nunique()
        if scenarios > MAX_INTERVAL_ROWS:
            notes.append(f"the chart shows {MAX_INTERVAL_ROWS} of {scenarios} scenarios")
        fig = outcome_interval_figure(summary, outcome, colours, axis)
        chart = interval_chart(summary, outcome, colours, axis, MAX_INTERVAL_ROWS)
        return Shown(fig, summary, "; ".join(notes), html=html, chart=chart)
    if not factors:
        return Shown(message="The sweeps picked have no factors.")
    factor = second if second in factors else factors[0]
    with_factor = [s for s in showing if factor in s.factors]
    notes += [f"{s.path.name} has no factor {factor}" for s in showing if s not in with_factor]
    if not with_factor:
        return Shown(message="; ".join(notes))
    table = pd.concat([scatter_table(s, factor, outcome) for s in with_factor], ignore_index=True)
    title = ", ".join(s.name for s in with_factor)
    fig = scatter_figure(table, factor, outcome, colours, title, axis)
    chart = scatter_chart(table, factor, outcome, colours, axis)
    help_line = outcome_help(with_factor[0], outcome)
    return Shown(fig, table, "; ".join(notes), html=help_line, chart=chart)


def outcome_help(sweep: Sweep, outcome: str) -> str:
    """The help line of a sweep view: what the outcome is (:func:`outcome_meaning`)."""
    text = outcome_meaning(sweep.manifest.get("outcomes", {}).get(outcome) or {})
    if not text:
        return ""
    return f"<p class='flowsim-help'><b>{escape(outcome)}</b>: {escape(text)}</p>"


def _with_notes(shown: Shown, notes: list[str]) -> Shown:
    """``shown`` with ``notes`` before its own message."""
    shown.message = "; ".join([*notes, shown.message] if shown.message else notes)
    return shown


def _show_sensitivity(sweep: Sweep, outcome: str) -> Shown:
    from flowsim.experiments.analysis import sensitivity_table

    try:
        kind, found = sensitivity_table(sweep.runs, _spec(sweep), outcome)
    except DashboardError as err:
        return Shown(message=str(err))
    if found is None:
        return Shown(message=f"{outcome}: some points have no successful run; no indices")
    chart = sensitivity_chart(kind, found, outcome)
    return Shown(
        sensitivity_figure(kind, found, outcome), found.assign(outcome=outcome), chart=chart
    )


def _show_prim(sweep: Sweep, rule: Discovery) -> Shown:
    """The PRIM box describing the sweep's runs of interest (``rule``), with the peeling
    trajectory; the table behind it is the box's limits with its statistics."""
    from flowsim.experiments.analysis import (
        describe_box,
        limit_text,
        prim_boxes,
        rule_text,
        runs_of_interest,
    )

    if not sweep.factors:
        return Shown(message=f"{sweep.path.name}: the sweep has no factors to describe")
    ok = ok_runs(sweep)
    hit = runs_of_interest(ok, rule)
    found = f"{int(hit.sum())} of {len(hit)} successful runs have {rule_text(rule)}"
    if hit.all() or not hit.any():
        return Shown(message=f"{found}: PRIM needs runs of both kinds; change the threshold.")
    limits, trajectory = prim_boxes(ok[sweep.factors].reset_index(drop=True), hit, rule.threshold)
    title = f"{sweep.path.name}: runs with {rule_text(rule)}"
    fig = prim_figure(limits, trajectory, rule.threshold, title)
    stats = {k: limits.attrs[k] for k in ("box", "coverage", "density", "mass")}
    table = limits.assign(sweep=sweep.path.name, rule=rule_text(rule), **stats)
    shown_limits = limits.assign(
        **{c: limits[c].map(limit_text) for c in ("min", "max", "range_min", "range_max")}
    ).rename(columns={"min": "from", "max": "to", "range_min": "sampled from",
                      "range_max": "sampled to"})  # fmt: skip
    html = (
        f"<p>{escape(found)}. {describe_box(limits)} The least density asked for: "
        f"{rule.threshold:g}.</p>"
        + shown_limits.to_html(index=False, classes="flowsim-prim")
        + "<p>Peeling trajectory (one row per box):</p>"
        + trajectory.rename_axis("box")
        .reset_index()
        .to_html(index=False, classes="flowsim-prim-trajectory", float_format=lambda v: f"{v:.3f}")
    )
    chart = prim_chart(limits, trajectory, rule.threshold, title)
    return Shown(fig, table, html=html, chart=chart)


def _spec(sweep: Sweep) -> Any:
    """The sweep's experiment spec, validated (the sensitivity methods need its design)."""
    from pydantic import ValidationError

    from flowsim.experiments.spec import Spec

    try:
        return Spec.model_validate(sweep.manifest["spec"])
    except (KeyError, ValidationError) as err:
        raise DashboardError(f"{sweep.name}: its experiment spec cannot be read: {err}") from err
