"""Transitions of the asylum procedure shared by several institutions.

Lodging a case with the CGRS, lodging an appeal at CALL, asking Fedasil for a place and
ending a case in an exit state each have one implementation here, used by registration,
the CGRS, CALL and reception alike. All functions are numba kernels on one case.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from flowsim import series, states
from flowsim.population import Cases, Tally, set_housing, set_state
from flowsim.queues import Queue, push


@njit(cache=True, inline="always")
def lodge_at_cgrs(cases: Cases, tally: Tally, cgrs_queue: Queue, c: int, day: int) -> None:
    """The case joins the CGRS queue (first lodging, after Dublin, or after an annulment)."""
    set_state(cases, tally, c, states.PENDING_CGRS)
    if cases.lodged_day[c] < 0 and day >= 0:
        cases.lodged_day[c] = day
    push(cgrs_queue, c, cases.profile[c], day)


@njit(cache=True, inline="always")
def lodge_appeal(cases: Cases, tally: Tally, call_queue: Queue, c: int, day: int) -> None:
    """The case appeals a CGRS refusal at CALL."""
    set_state(cases, tally, c, states.PENDING_CALL)
    push(call_queue, c, cases.profile[c], day)


@njit(cache=True, inline="always")
def request_place(cases: Cases, tally: Tally, waiting: Queue, c: int, day: int) -> None:
    """The case is entitled to reception and asks Fedasil for a place."""
    set_housing(cases, tally, c, states.WAITING, -1)
    push(waiting, c, cases.profile[c], day)


@njit(cache=True, inline="always")
def finalise(cases: Cases, tally: Tally, c: int, exit_state: int, flows) -> None:
    """End the case in an exit state; its reception place, if any, is freed (persons)."""
    n = cases.size[c]
    if exit_state == states.REFUGEE_STATUS or exit_state == states.SUBSIDIARY_PROTECTION:
        flows[series.FINAL_POSITIVE] += n
    elif exit_state == states.NEGATIVE_FINAL:
        flows[series.FINAL_NEGATIVE] += n
    elif exit_state == states.DUBLIN_TRANSFERRED:
        flows[series.DUBLIN_TRANSFERS] += n
    set_housing(cases, tally, c, states.NO_HOUSING, -1)
    set_state(cases, tally, c, exit_state)


@njit(cache=True)
def open_initial_cases(
    cases: Cases, tally: Tally, cgrs_queue: Queue, call_queue: Queue, n_cgrs: int, n_call: int
) -> None:
    """Put the cases pending on the start date in their queues, longest-waiting first.

    Cases ``[0, n_cgrs)`` are pending at the CGRS and ``[n_cgrs, n_cgrs + n_call)`` at CALL;
    their (negative) arrival day is the day they joined their queue.
    """
    order = np.argsort(cases.arrival_day[:n_cgrs], kind="mergesort")
    for i in range(n_cgrs):
        c = order[i]
        lodge_at_cgrs(cases, tally, cgrs_queue, c, cases.arrival_day[c])
    order = n_cgrs + np.argsort(cases.arrival_day[n_cgrs : n_cgrs + n_call], kind="mergesort")
    for i in range(n_call):
        c = order[i]
        lodge_appeal(cases, tally, call_queue, c, cases.arrival_day[c])
