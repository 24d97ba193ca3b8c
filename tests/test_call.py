"""CALL: appeals are judged only once ready, then first come first served."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import wrap_step
from flowsim.engine import states
from flowsim.engine.queues import days_joined
from flowsim.model import ProtectionSystem

# Every refusal is appealed; the CGRS decides quickly so appeals keep coming; nobody refused
# applies again.
APPEALS = {
    "cgrs.case_officers_fte": 80,
    "returns.subsequent_application_share": 0.0,
    "call.appeal_share_refusal": 1.0,
    "call.appeal_share_inadmissible": 1.0,
}


def judged_waits(model: ProtectionSystem) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Run ``model`` to its end; per day, the days waited (since lodging the appeal) by the
    appeals judged that day and by those still pending after it (days)."""
    c, queue = model.cases, model.queues.call
    judged, left, pending = [], [], []

    def before() -> None:  # the day each appeal joined the queue, before CALL judges
        pending.append((c.state == states.PENDING_CALL, days_joined(queue)))

    def after() -> None:
        was, joined = pending.pop()
        judged.append(model.day - joined[was & (c.state != states.PENDING_CALL)])
        left.append(model.day - days_joined(queue)[c.state == states.PENDING_CALL])

    wrap_step(model.call, before=before, after=after)
    model.run_to_end()
    return judged, left


@pytest.mark.parametrize("days", [0, 45, 120])
def test_with_ample_capacity_every_appeal_is_judged_the_day_it_is_ready(small_scenario, days):
    scenario = small_scenario(
        years=2, **{**APPEALS, "call.decisions_per_month": 1e6, "call.days_before_judgment": days}
    )
    judged, left = judged_waits(ProtectionSystem(scenario, 3))
    waits = np.concatenate(judged)
    assert waits.size > 500
    assert waits.min() >= days  # none before it is ready
    # none ready is left over (the appeals pending at the start are all ready on day 0)
    assert all((w < days).all() for w in left)
    # appeals lodged in the run (not pending at its start) wait exactly that long
    in_run = [w[w <= day] for day, w in enumerate(judged)]
    assert (np.concatenate(in_run) == days).all()


def test_a_binding_capacity_judges_the_longest_waiting_ready_appeals(small_scenario):
    days = 60
    scenario = small_scenario(
        years=2, **{**APPEALS, "call.decisions_per_month": 40, "call.days_before_judgment": days}
    )
    judged, left = judged_waits(ProtectionSystem(scenario, 4))
    assert min(w.min() for w in judged if w.size) >= days
    # first come first served among the ready: every appeal judged waited at least as long
    # as every one left pending
    for today, still in zip(judged, left, strict=True):
        if today.size and still.size:
            assert today.min() >= still.max()
    assert max(w.max() for w in left if w.size) > days + 100  # a backlog built up


def test_waiting_before_judgment_keeps_appellants_in_reception(small_scenario):
    """The same draws, judged later: more appellants pending, so more persons in reception
    (places to spare; nobody absconds, so every appellant is judged or still pending)."""
    frames, appellants = {}, {}
    for days in (0, 150):
        scenario = small_scenario(
            years=2,
            **{
                **APPEALS,
                "reception.centres.north.places": 5000,
                "reception.abscond_per_month": 0.0,
                "call.decisions_per_month": 1e6,
                "call.days_before_judgment": days,
            },
        )
        model = ProtectionSystem(scenario, 5)
        frames[days] = model.run_to_end()
        c = model.cases
        appellants[days] = np.sum((c.n_call > 0) | (c.state == states.PENDING_CALL))
    assert frames[0]["call_backlog"].iloc[200:].max() < frames[150]["call_backlog"].iloc[200:].min()
    assert (
        frames[150]["in_reception"].iloc[200:].mean() > frames[0]["in_reception"].iloc[200:].mean()
    )
    # the same cases appeal: judged later, not more often
    assert abs(appellants[150] - appellants[0]) <= 0.02 * appellants[0]
