"""Why a measure changes nothing: the capacities that bind (or sit idle) in a run.

A lever acts through a flow that some capacity may cap: a larger resettlement pledge adds
nobody while transfers are capped and selected refugees queue for one; more reception
places house nobody while nobody waits for a place; more CGRS officers decide little when
the workload is nearly empty. Each :class:`Constraint` names the scenario fields whose
levers it caps and reads, from a run's daily series (median over replications), whether it
binds. :func:`binding_constraints` lists those that bind in a run; :func:`why_unchanged`
says, for a scenario whose paired differences are all zero, which of them explain it
(:func:`unchanged_reason`: as one sentence).

Units: persons; the series are those of :mod:`flowsim.engine.series` (stocks at the end of the day,
flows per day).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Constraint:
    """A capacity that can make a lever idle: ``fields`` are scenario field prefixes whose
    levers it caps; ``binds`` returns a sentence when it binds in a run's series (every
    replication's days), else None."""

    name: str
    fields: tuple[str, ...]
    binds: Callable[[pd.DataFrame], str | None]


def _median_by_date(frame: pd.DataFrame, column: str) -> pd.Series:
    return frame.groupby("date")[column].median()


def _resettlement_transfers(frame: pd.DataFrame) -> str | None:
    if "resettlement_awaiting_transfer" not in frame:
        return None
    waiting = _median_by_date(frame, "resettlement_awaiting_transfer")
    if waiting.iloc[-1] <= 0:
        return None
    return (
        f"resettlement transfers are capped (resettlement.transfer_persons_per_month): "
        f"{waiting.iloc[-1]:,.0f} selected refugees still wait for a transfer at the end, so "
        "a larger pledge or more selection only lengthens that queue"
    )


def _idle_places(frame: pd.DataFrame) -> str | None:
    if "without_reception" not in frame:
        return None
    waiting = _median_by_date(frame, "without_reception")
    if waiting.max() > 0:
        return None
    occupancy = (
        _median_by_date(frame, "occupancy_rate").max() if "occupancy_rate" in frame else None
    )
    peak = f" (occupancy peaks at {occupancy:.0%})" if occupancy is not None else ""
    return f"nobody waits for a reception place in this run{peak}, so more places stay empty"


def _idle_cgrs(frame: pd.DataFrame) -> str | None:
    if not {"cgrs_backlog", "cgrs_decisions"} <= set(frame):
        return None
    backlog = _median_by_date(frame, "cgrs_backlog")
    month = _median_by_date(frame, "cgrs_decisions").iloc[-30:].sum()
    if backlog.iloc[-1] > month:
        return None
    return (
        f"the CGRS's workload ends below one month of decisions ({backlog.iloc[-1]:,.0f} "
        "persons pending), so more officers have little left to decide"
    )


CONSTRAINTS: tuple[Constraint, ...] = (
    Constraint(
        "resettlement transfers",
        ("resettlement.pledges_persons", "resettlement.selection_persons_per_month"),
        _resettlement_transfers,
    ),
    Constraint(
        "idle reception places",
        ("reception.centres", "reception.usable_place_share"),
        _idle_places,
    ),
    Constraint(
        "idle CGRS",
        ("cgrs.case_officers_fte", "cgrs.decisions_per_officer_per_month"),
        _idle_cgrs,
    ),
)


def binding_constraints(frame: pd.DataFrame) -> dict[str, str]:
    """The constraints that bind in a run (``frame``: its daily series, every replication):
    name -> the sentence saying how."""
    found = {}
    for constraint in CONSTRAINTS:
        if (sentence := constraint.binds(frame)) is not None:
            found[constraint.name] = sentence
    return found


def why_unchanged(frame: pd.DataFrame, fields: Iterable[str]) -> list[str]:
    """For a scenario that changes nothing against its baseline: the sentences of the
    constraints that bind in its run (``frame``) and cap one of the changed ``fields``
    (scenario field paths). Empty when the model knows no such constraint."""
    fields = list(fields)
    return [
        sentence
        for constraint in CONSTRAINTS
        if any(f.startswith(constraint.fields) for f in fields)
        and (sentence := constraint.binds(frame)) is not None
    ]


def unchanged_reason(frame: pd.DataFrame, fields: Iterable[str]) -> str:
    """:func:`why_unchanged` as one sentence for a reader, saying so when the model knows no
    constraint that explains it."""
    reasons = why_unchanged(frame, fields)
    return "; ".join(reasons) if reasons else "no binding constraint the model knows explains it"
