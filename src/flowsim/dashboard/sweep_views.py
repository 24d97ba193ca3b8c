"""The views of a sweep's outcomes for a pick of folders: outcomes per scenario with
their intervals, each run's outcome against a factor, and the design's sensitivity chart.
Each returns a :class:`~flowsim.dashboard.views.Shown`; problems come back as its message.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flowsim.dashboard.colours import PALETTE
from flowsim.dashboard.folders import DashboardError, Folder
from flowsim.dashboard.loading import Sweep, load_sweep, point_label
from flowsim.dashboard.sweep_charts import (
    outcome_interval_figure,
    scatter_figure,
    sensitivity_figure,
)
from flowsim.dashboard.sweep_tables import (
    outcome_axis,
    outcome_display,
    outcome_summary,
    scatter_table,
)
from flowsim.dashboard.views import SWEEP_VIEWS, Shown


def show_sweep(
    view: str,
    folders: Sequence[Folder],
    colours: dict[str, str],
    option: str | None,
    second: str | None,
) -> Shown:
    """A sweep view (:data:`~flowsim.dashboard.views.SWEEP_VIEWS`) of the sweeps picked:
    ``option`` the outcome, ``second`` the factor (scatter); ``colours`` by point label."""
    sweeps = [f for f in folders if f.kind == "sweep"]
    if not sweeps:
        return Shown(message="This view is for sweeps: pick a sweep folder.")
    try:
        sweep = load_sweep(sweeps[0].path)
    except DashboardError as err:
        return Shown(message=str(err))
    note = "showing the first sweep picked" if len(sweeps) > 1 else ""
    if not sweep.outcomes:
        return Shown(message=f"{sweep.name}: the sweep defines no outcomes")
    outcome = option if option in sweep.outcomes else sweep.outcomes[0]
    if view == SWEEP_VIEWS[0]:
        summary = outcome_summary(sweep)
        html = "<p>Mean over replications [95% interval of the mean], per scenario:</p>"
        html += outcome_display(summary).to_html(index=False, classes="flowsim-outcomes")
        keys = {p: point_label(sweep, p) for p in summary["point"].unique()}
        point_colours = {p: colours.get(k, PALETTE[0]) for p, k in keys.items()}
        fig = outcome_interval_figure(summary, outcome, point_colours, outcome_axis(sweep, outcome))
        return Shown(fig, summary, note, html=html)
    if view == SWEEP_VIEWS[1]:
        if not sweep.factors:
            return Shown(message=f"{sweep.name}: the sweep has no factors")
        factor = second if second in sweep.factors else sweep.factors[0]
        table = scatter_table(sweep, factor, outcome)
        points = table["point"].unique()
        point_colours = {p: colours.get(point_label(sweep, p), PALETTE[0]) for p in points}
        axis = outcome_axis(sweep, outcome)
        fig = scatter_figure(table, factor, outcome, point_colours, sweep.name, axis)
        return Shown(fig, table, note)
    from flowsim.report import sensitivity_table

    try:
        spec = _spec(sweep)
        kind, found = sensitivity_table(sweep.runs, spec, outcome)
    except DashboardError as err:
        return Shown(message=str(err))
    if found is None:
        return Shown(message=f"{outcome}: some points have no successful run; no indices")
    return Shown(sensitivity_figure(kind, found, outcome), found.assign(outcome=outcome), note)


def _spec(sweep: Sweep) -> Any:
    """The sweep's experiment spec, validated (the sensitivity methods need its design)."""
    from pydantic import ValidationError

    from flowsim.experiments import Spec

    try:
        return Spec.model_validate(sweep.manifest["spec"])
    except (KeyError, ValidationError) as err:
        raise DashboardError(f"{sweep.name}: its experiment spec cannot be read: {err}") from err
