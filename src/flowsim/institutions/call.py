"""CALL, the Council for Alien Law Litigation: appeals against CGRS refusals."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np
from numba import njit

from flowsim.engine import series, states, streams
from flowsim.engine.chain import Chain
from flowsim.engine.compiled import borrowed, direct
from flowsim.engine.procedure import (
    grant_status,
    lodge_at_cgrs,
    refuse,
)
from flowsim.engine.queues import best_class, head_since, pop
from flowsim.engine.rates import DAYS_PER_MONTH

if TYPE_CHECKING:
    from flowsim.model import ProtectionSystem


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def judge(
    chain: Chain,
    budget: float,
    day: int,
    ready_after_days: int,
    seed: np.uint64,
    share_confirm: float,
    share_annul: float,
    flows,
) -> float:
    """Judge pending appeals first-come first-served within ``budget`` (cases), among those
    lodged at least ``ready_after_days`` days before ``day``.

    Confirmed refusals become final; annulled decisions go back to the CGRS queue; reformed
    decisions grant refugee status. Returns the unused budget (negative: carried debt).
    """
    cases, tally, call_queue, cgrs, holders, desk = borrowed(
        (chain.cases, chain.tally, chain.call, chain.cgrs, chain.holders, chain.returns)
    )
    while budget > 0.0:
        cls = best_class(call_queue)
        # every class has the same rank, so the head served next was lodged first: when it
        # is not ready, no appeal is
        if cls < 0 or day - head_since(call_queue, cls) < ready_after_days:
            break
        c = pop(call_queue, cls)
        if cases.state[c] != states.PENDING_CALL:
            continue
        budget -= 1.0
        flows[series.CALL_DECISIONS] += cases.size[c]
        u = streams.uniform(seed, cases.key[c], streams.CALL_OUTCOME, cases.n_call[c])
        cases.n_call[c] += 1
        if u < share_confirm:
            refuse(cases, tally, desk, c, day, flows)
        elif u < share_confirm + share_annul:
            flows[series.CALL_ANNULMENTS] += cases.size[c]
            flows[series.CALL_ANNULMENTS_CASES] += 1
            lodge_at_cgrs(cases, tally, cgrs, c, day, flows)
        else:
            grant_status(cases, tally, holders, c, states.REFUGEE, day, flows)
    return budget


class Call(mesa.Agent):
    """CALL: judges appeals within a monthly capacity (cases per month)."""

    def __init__(self, model: ProtectionSystem):
        super().__init__(model)
        self.carry = 0.0
        self.refresh()

    def refresh(self) -> None:
        """Read today's capacity (cases per day) and outcome shares; the model calls this
        whenever a parameter changes."""
        p = self.model.params
        self.capacity_cases_per_day = p["call.decisions_per_month"] / DAYS_PER_MONTH
        self.share_confirm = p["call.outcomes.confirm"]
        self.share_annul = p["call.outcomes.annul"]
        self.ready_after_days = round(p["call.days_before_judgment"])

    def step(self) -> None:
        """One day of judgments."""
        m = self.model
        left = direct(judge)(
            m.chain,
            self.carry + self.capacity_cases_per_day,
            m.day,
            self.ready_after_days,
            m.seed,
            self.share_confirm,
            self.share_annul,
            m.flows_today,
        )
        self.carry = min(left, 0.0)
