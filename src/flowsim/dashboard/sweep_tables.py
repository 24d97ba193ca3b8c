"""Shaping sweeps' runs tables into what the sweep views show (pure functions): outcomes
per scenario with their 95% intervals, outcome units, each run's outcome against a factor,
and the runs of interest a scenario discovery (PRIM) describes. Tables of several sweeps
are stacked, told apart by their ``sweep`` (folder name) and ``scenario`` (point label,
:func:`~flowsim.results.loading.point_label`) columns.

Units: an outcome is in the unit of its definition (:func:`outcome_unit`); intervals are
95% Student-t intervals of the mean over replications.
"""

from __future__ import annotations

import math

import pandas as pd

from flowsim.experiments.spec import Discovery
from flowsim.results.loading import Sweep, point_label

DENSITY = 0.8  # PRIM's least density of the box when the experiment names none


def ok_runs(sweep: Sweep) -> pd.DataFrame:
    """The sweep's successful runs, with columns added for its folder name (``sweep``) and
    each run's point label (``scenario``)."""
    ok = sweep.runs[sweep.runs["status"] == "ok"]
    labels = ok["point"].map(lambda p: point_label(sweep, int(p)))
    return ok.assign(sweep=sweep.path.name, scenario=labels)


def outcome_summary(sweep: Sweep) -> pd.DataFrame:
    """Per point and outcome: replications, mean and 95% interval of the mean (see
    :func:`flowsim.experiments.analysis.outcome_table`), with the sweep's folder name, the point's
    label (``scenario``), the outcome's unit and the values of the uncertainties the point stands
    under (``under``; empty without uncertainties), grouped by them."""
    from flowsim.experiments.analysis import outcome_table
    from flowsim.results.loading import point_labels

    table = outcome_table(sweep.runs, sweep.outcomes)
    labels = table["point"].map(lambda p: point_label(sweep, int(p)))
    definitions = sweep.manifest.get("outcomes", {})
    units = table["outcome"].map(lambda o: outcome_unit(definitions.get(o)))
    # the uncertainties each point stands under: scenarios are read against their own group
    names = [u["name"] for u in sweep.manifest.get("spec", {}).get("uncertainties", [])]
    under = point_labels(sweep.runs, [n for n in names if n in sweep.runs]) if names else {}
    groups = table["point"].map(lambda p: under.get(int(p), ""))
    table = table.assign(sweep=sweep.path.name, scenario=labels, unit=units, under=groups)
    table = table.sort_values("under", kind="stable").reset_index(drop=True)
    first = ["sweep", "point", "scenario", "under"]
    return table[first + [c for c in table.columns if c not in first]]


FEW_REPLICATIONS = 5  # an interval of the mean from fewer runs is marked (n=...)


def outcome_display(summary: pd.DataFrame) -> pd.DataFrame:
    """:func:`outcome_summary` (of one or several sweeps) as one row per scenario, in the
    order given, and one ``mean [low, high]`` cell per outcome, for reading: euros as
    ``EUR 2.28 bn``, counts with separators; ``(n=2)`` after an interval of fewer than
    :data:`FEW_REPLICATIONS` replications; ``-`` where a sweep lacks the outcome."""
    from flowsim.experiments.intervals import amount_interval_text, interval_text

    if summary.empty:
        return pd.DataFrame()
    units = summary["unit"] if "unit" in summary else pd.Series("", index=summary.index)
    cells = []
    for r, unit in zip(summary.itertuples(), units, strict=True):
        if str(unit).startswith("EUR"):
            cell = amount_interval_text(r.mean, r.ci_low, r.ci_high, "euros")
        else:
            cell = interval_text(r.mean, r.ci_low, r.ci_high)
        if 0 < r.n < FEW_REPLICATIONS:
            cell += f" (n={r.n})"
        cells.append(cell)
    cells = summary.assign(cell=cells)
    wide = cells.pivot(index="scenario", columns="outcome", values="cell")
    wide = wide.reindex(
        index=list(dict.fromkeys(summary["scenario"])),
        columns=list(dict.fromkeys(summary["outcome"])),
    ).fillna("-")
    first = summary.drop_duplicates("scenario").set_index("scenario")
    shown = wide.rename_axis(columns=None).reset_index()
    shown.insert(0, "point", shown["scenario"].map(first["point"]))
    if "under" in first and (first["under"] != "").any():
        shown.insert(1, "under", shown["scenario"].map(first["under"]))
    return shown


def difference_display(sweep: Sweep) -> pd.DataFrame:
    """Each scenario of a factorial sweep against the baseline policy under the same uncertainties
    (:func:`flowsim.experiments.analysis.sweep_references`), grouped by reference: one row per
    scenario with its reference, and per outcome the paired difference ``mean [low, high]`` over
    replications beside the unpaired interval (95%). Empty for designs without reference points."""
    from flowsim.experiments.analysis import paired_differences, sweep_references
    from flowsim.experiments.intervals import interval_text, number_text
    from flowsim.experiments.spec import Spec

    try:
        spec = Spec.model_validate(sweep.manifest.get("spec", {}))
    except ValueError:
        return pd.DataFrame()
    references = sweep_references(sweep.runs, spec)
    if not references:
        return pd.DataFrame()
    diffs = paired_differences(sweep.runs, references, sweep.outcomes)
    if diffs.empty:
        return pd.DataFrame()
    diffs = diffs.assign(
        scenario=diffs["point"].map(lambda p: point_label(sweep, int(p))),
        reference_scenario=diffs["reference"].map(lambda p: point_label(sweep, int(p))),
        paired=[interval_text(r.mean_difference, r.ci_low, r.ci_high) for r in diffs.itertuples()],
        unpaired=[
            f"[{number_text(r.unpaired_ci_low)}, {number_text(r.unpaired_ci_high)}]"
            for r in diffs.itertuples()
        ],
    )
    wide = diffs.pivot_table(
        index=["reference", "point", "scenario", "reference_scenario"],
        columns="outcome",
        values=["paired", "unpaired"],
        aggfunc="first",
    )
    wide.columns = [f"{outcome}: {kind}" for kind, outcome in wide.columns]
    order = [f"{o}: {k}" for o in sweep.outcomes for k in ("paired", "unpaired")]
    wide = wide[[c for c in order if c in wide.columns]].reset_index()
    return wide.drop(columns="reference").rename(columns={"reference_scenario": "against"})


def outcome_unit(definition: dict | None) -> str:
    """The unit of a sweep outcome from its definition in the manifest (``series``,
    ``stat``): days for ``days_above``/``longest_above``, the series' total for ``sum``, the
    series' own unit (per day for a flow) otherwise; empty when unknown."""
    from flowsim.engine.series import FLOW_NAMES
    from flowsim.validation.observed import model_unit

    if not definition or "series" not in definition:
        return ""
    series, stat = definition["series"], definition.get("stat", "")
    if stat in ("days_above", "longest_above"):
        return "days"
    if series in ("occupancy_rate", "lri_occupancy"):
        return "share of places"
    unit = model_unit(series)
    if stat == "sum":
        return f"{unit}, total over the period"
    return f"{unit} per day" if series in FLOW_NAMES else unit


def outcome_axis(sweep: Sweep, outcome: str) -> str:
    """An axis label for ``outcome``: its name and unit (``name (unit)``)."""
    unit = outcome_unit(sweep.manifest.get("outcomes", {}).get(outcome))
    return f"{outcome} ({unit})" if unit else outcome


def scatter_table(sweep: Sweep, factor: str, outcome: str) -> pd.DataFrame:
    """Successful runs' ``factor`` value and ``outcome``, with their sweep, point, scenario
    and replication: the numbers behind the scatter."""
    columns = ["sweep", "point", "scenario", "replication", factor, outcome]
    return ok_runs(sweep)[columns].reset_index(drop=True)


def outcome_definitions_differ(sweeps: list[Sweep], outcome: str) -> bool:
    """Whether sweeps define ``outcome`` differently (another series or statistic): their
    values are then not comparable side by side."""
    found = [s.manifest.get("outcomes", {}).get(outcome) for s in sweeps if outcome in s.outcomes]
    return any(d != found[0] for d in found[1:])


def default_discovery(sweep: Sweep, outcome: str) -> Discovery:
    """The runs of interest the PRIM view starts with for ``outcome``: the experiment's own
    ``discovery`` rule when it is about this outcome, else the runs above the outcome's
    median over successful runs (half of them, ties aside); the least density of the box
    is the experiment's, else :data:`DENSITY`."""
    raw = sweep.manifest.get("spec", {}).get("discovery") or {}
    density = float(raw.get("threshold", DENSITY))
    if raw.get("outcome") == outcome:
        return Discovery(
            outcome=outcome, above=raw.get("above"), below=raw.get("below"), threshold=density
        )
    median = float(ok_runs(sweep)[outcome].median())
    return Discovery(
        outcome=outcome, above=0.0 if math.isnan(median) else median, threshold=density
    )
