"""The Immigration Office: arrivals at the Arrival Centre, registration and Dublin checks."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np
from numba import njit

from flowsim import series, states, streams
from flowsim.calendar import Calendar, new_calendar, schedule, take_due
from flowsim.chain import Chain
from flowsim.compiled import borrowed, direct
from flowsim.population import Cases, Tally, set_state
from flowsim.procedure import (
    CgrsDesk,
    finalise,
    lodge_at_cgrs,
    request_place,
    welcome_resettled,
    welcome_temporary_protection,
)
from flowsim.queues import Queue, best_class, pop, push

if TYPE_CHECKING:
    from flowsim.model import ProtectionSystem


@njit(cache=True, nogil=True)
def arrive(
    chain: Chain,
    first: int,
    day: int,
    flows,
) -> int:
    """Cases arriving on ``day`` (from index ``first``): applicants join the registration
    queue; resettled refugees are welcomed into reception; people fleeing Ukraine are
    registered for temporary protection and go to emergency reception.

    Returns the index of the first case that has not arrived yet.
    """
    cases, tally, registration, waiting, holders, tp_crisis_queue = borrowed(
        (
            chain.cases,
            chain.tally,
            chain.registration,
            chain.waiting,
            chain.holders,
            chain.tp.crisis_queue,
        )
    )
    c = first
    n = cases.key.shape[0]
    while c < n and cases.arrival_day[c] <= day:
        if cases.origin[c] == states.RESETTLED:
            welcome_resettled(cases, tally, holders, waiting, c, day, flows)
        elif cases.origin[c] == states.TEMPORARY_PROTECTION:
            welcome_temporary_protection(cases, tally, tp_crisis_queue, c, day, flows)
        else:
            set_state(cases, tally, c, states.AWAITING_REGISTRATION)
            push(registration, c, 0, day)
            flows[series.APPLICATIONS] += cases.size[c]
            flows[series.ENTRIES] += cases.size[c]
        c += 1
    return c


@njit(cache=True, nogil=True)
def register(
    cases: Cases,
    tally: Tally,
    registration: Queue,
    cgrs: CgrsDesk,
    waiting: Queue,
    dublin_ends: Calendar,
    budget: float,
    day: int,
    seed: np.uint64,
    dublin_share: float,
    dublin_days: float,
    flows,
) -> float:
    """Register waiting arrivals first-come first-served within ``budget`` persons.

    A registered case becomes a Dublin case or is lodged with the CGRS, and asks for a
    reception place either way. Returns the unused budget (negative when a household
    overshot it, carried to the next day).
    """
    cases, tally, registration, cgrs, waiting, dublin_ends = borrowed(
        (cases, tally, registration, cgrs, waiting, dublin_ends)
    )
    while budget > 0.0:
        cls = best_class(registration)
        if cls < 0:
            break
        c = pop(registration, cls)
        if cases.state[c] != states.AWAITING_REGISTRATION:
            continue
        budget -= cases.size[c]
        flows[series.REGISTERED] += cases.size[c]
        if streams.uniform(seed, cases.key[c], streams.DUBLIN_CASE, 0) < dublin_share:
            set_state(cases, tally, c, states.DUBLIN_PROCEDURE)
            schedule(dublin_ends, c, day + int(round(dublin_days)))
        else:
            lodge_at_cgrs(cases, tally, cgrs, c, day)
        request_place(cases, tally, waiting, c, day)
    return budget


@njit(cache=True, nogil=True)
def end_dublin(
    cases: Cases,
    tally: Tally,
    cgrs: CgrsDesk,
    dublin_ends: Calendar,
    day: int,
    seed: np.uint64,
    transfer_success: float,
    flows,
) -> None:
    """Dublin procedures due today end in a transfer out or with Belgium responsible."""
    cases, tally, cgrs, dublin_ends = borrowed((cases, tally, cgrs, dublin_ends))
    for c in take_due(dublin_ends, day):
        if cases.state[c] != states.DUBLIN_PROCEDURE:
            continue  # absconded before the end of the procedure
        if streams.uniform(seed, cases.key[c], streams.DUBLIN_TRANSFER, 0) < transfer_success:
            finalise(cases, tally, c, states.DUBLIN_TRANSFERRED, flows)
        else:
            lodge_at_cgrs(cases, tally, cgrs, c, day)


@njit(cache=True, nogil=True)
def registration_day(
    chain: Chain,
    budget: float,
    day: int,
    seed: np.uint64,
    dublin_share: float,
    dublin_days: float,
    transfer_success: float,
    flows,
) -> float:
    """One day of the Immigration Office: registration within ``budget`` (persons), then the
    Dublin procedures due. Returns the unused budget (see :func:`register`)."""
    cases, tally, registration, cgrs, waiting, dublin_ends = borrowed(
        (chain.cases, chain.tally, chain.registration, chain.cgrs, chain.waiting, chain.dublin_ends)
    )
    left = register(
        cases,
        tally,
        registration,
        cgrs,
        waiting,
        dublin_ends,
        budget,
        day,
        seed,
        dublin_share,
        dublin_days,
        flows,
    )
    end_dublin(cases, tally, cgrs, dublin_ends, day, seed, transfer_success, flows)
    return left


class ImmigrationOffice(mesa.Agent):
    """Registers applications (persons per day) and runs the Dublin procedure."""

    def __init__(self, model: ProtectionSystem):
        super().__init__(model)
        self.carry = 0.0  # persons registered ahead of capacity (<= 0)
        self.dublin_ends = new_calendar(model.n_days, len(model.cases.key))
        self.refresh()

    def refresh(self) -> None:
        """Read today's capacity (persons per day) and Dublin terms (share, days, success
        rate); the model calls this whenever a parameter changes."""
        p = self.model.params
        self.capacity_persons_per_day = p[
            "immigration_office.registration_capacity_persons_per_day"
        ]
        self.dublin_share = p["immigration_office.dublin_share"]
        self.dublin_days = p["immigration_office.dublin_procedure_days"]
        self.dublin_success = p["immigration_office.dublin_transfer_success"]

    def step(self) -> None:
        """One day: register within today's capacity, then close due Dublin procedures."""
        m = self.model
        left = direct(registration_day)(
            m.chain,
            self.carry + self.capacity_persons_per_day,
            m.day,
            m.seed,
            self.dublin_share,
            self.dublin_days,
            self.dublin_success,
            m.flows_today,
        )
        self.carry = min(left, 0.0)
