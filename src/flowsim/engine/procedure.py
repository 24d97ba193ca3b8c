"""Transitions of the asylum procedure shared by several institutions.

Lodging a case with the CGRS, lodging an appeal at CALL, asking Fedasil for a place and
ending a case in an exit state each have one implementation here, used by registration,
the CGRS, CALL and reception alike. All functions are numba kernels on one case. The
registers the institutions keep for their cases (the desks the chain carries,
:mod:`flowsim.engine.chain`) are defined here too, so that the engine knows every register
without importing an institution.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from flowsim.engine import series, states, streams
from flowsim.engine.calendar import Calendar, schedule
from flowsim.engine.compiled import borrowed
from flowsim.engine.population import GRANTED, REFUSED, Cases, Tally, set_housing, set_state
from flowsim.engine.queues import FIRST_IN_LINE, Queue, in_day_order, push, push_front


class StatusHolders(NamedTuple):
    """Status holders in reception: their housing search queue and their deadlines."""

    queue: Queue  # first granted, first housed
    transition_ends: Calendar  # the day the legal transition period ends
    stay_limits: Calendar  # the day they must leave reception at the latest
    ready: Calendar  # resettled refugees: the day their centre stay ends and the search starts
    days: np.ndarray  # int64[3]: transition period, maximum stay, resettled centre stay (days)


class CgrsDesk(NamedTuple):
    """Cases pending at the CGRS: the queue and the day each would withdraw its application."""

    queue: Queue  # in the order the CGRS's rule decides them
    # examined, their decision held under a suspension (cgrs.suspended_groups), by queue
    # class, in the order examined, each with the day it joined the queue
    held: Queue
    # bool per case: examined under a suspension (part of its effort spent), not yet decided
    examined: np.ndarray
    withdrawals: Calendar  # the day a pending case withdraws or abandons its application
    hazard: np.ndarray  # float64[1]: today's daily hazard of withdrawing (per day)
    seed: np.ndarray  # uint64[1]: the run's seed, for the keyed withdrawal draw


class DublinDesk(NamedTuple):
    """The Office's desk. Dublin cases (EU Regulation 604/2013): the day of each case's next
    step and what it is, the day its request was accepted, and the accepted cases waiting for
    a transfer. Files waiting to be sent to the CGRS (while the Office's capacity to send them
    binds), first ready first sent, and the day each of their applicants would leave."""

    calendar: Calendar  # the day of each Dublin case's next step
    step: np.ndarray  # int8 per case: SEND_REQUEST, REPLY, ABSCOND, WINDOW_CLOSES, ...
    accepted_day: np.ndarray  # int16 (DAY) per case: the day the other state accepted
    transfers: Queue  # accepted cases waiting for a transfer, first accepted first
    files: Queue  # files waiting to be sent to the CGRS, first ready first
    leaving: Calendar  # the day an applicant waiting for their file to be sent leaves


@njit(cache=True, inline="always")
def cgrs_class(queue: Queue, cases: Cases, c: int) -> int:
    """The CGRS queue class of a case: its profile's, or the last class (examined before any other,
    see :func:`flowsim.institutions.cgrs.queue_ranks`) for a subsequent application (a case refused
    before)."""
    if cases.status[c] == states.REFUSED:
        return queue.rank.shape[0] - 1
    return cases.profile[c]


@njit(cache=True, inline="always")
def lodge_at_cgrs(cases: Cases, tally: Tally, cgrs: CgrsDesk, c: int, day: int, flows) -> None:
    """The case joins the CGRS queue (first lodging, after Dublin, after an annulment or as a
    subsequent application, examined first: :func:`cgrs_class`) and draws the day it would
    withdraw (keyed by lodging). Counted in the CGRS's workload entries (persons and
    cases)."""
    flows[series.CGRS_LODGED] += cases.size[c]
    flows[series.CGRS_LODGED_CASES] += 1
    set_state(cases, tally, c, states.PENDING_CGRS)
    if cases.lodged_day[c] < 0 and day >= 0:
        cases.lodged_day[c] = day
    push(cgrs.queue, c, cgrs_class(cgrs.queue, cases, c), day)
    if cgrs.hazard[0] > 0.0:
        u = streams.uniform(cgrs.seed[0], cases.key[c], streams.WITHDRAWAL, cases.n_cgrs[c])
        wait = -np.log(u) / cgrs.hazard[0]
        if wait < cgrs.withdrawals.head.shape[0]:
            schedule(cgrs.withdrawals, c, max(day, 0) + max(1, int(np.ceil(wait))))


@njit(cache=True, inline="always")
def transmit_to_cgrs(cases: Cases, tally: Tally, cgrs: CgrsDesk, c: int, day: int, flows) -> None:
    """The Immigration Office sends the case to the CGRS (after registration, after Dublin,
    or a subsequent application): counted as a transmission (cases and persons), then
    lodged."""
    flows[series.IO_TRANSMISSIONS_CASES] += 1
    flows[series.IO_TRANSMISSIONS] += cases.size[c]
    lodge_at_cgrs(cases, tally, cgrs, c, day, flows)


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


def subsequent_place_shares(params) -> tuple[float, float]:
    """The shares of subsequent applicants who ask Fedasil for a place at registration and
    once the CGRS finds their application admissible (both use one keyed draw per case
    against ``reception.place_request_share``; only one of them is not zero).

    While ``reception.subsequent_place_after_admissibility`` is above 0 (a switch, like the
    other ``..._in_force`` inputs), Fedasil gives them no place before admissibility.
    """
    share = float(params["reception.place_request_share"])
    if params["reception.subsequent_place_after_admissibility"] > 0:
        return 0.0, share
    return share, 0.0


class ReturnDesk(NamedTuple):
    """Persons with an order to leave: their return decisions, counselling and removal."""

    decisions: Calendar  # the day each case decides (end of the open return place stay)
    counselling: Queue  # waiting for a return counsellor, first come first served
    removals: Queue  # waiting for a forced return, first come first served
    removal_deadlines: Calendar  # the end of each case's removal window
    coaching: Queue  # on the removal list, waiting for an ICAM coach, first come first served
    days: np.ndarray  # int64[2]: open return place stay and removal window today (days)


class TemporaryProtectionDesk(NamedTuple):
    """Households in emergency reception waiting for crisis housing, and their departures."""

    crisis_queue: Queue  # first come first served
    departures: Calendar  # the day each household leaves Belgium
    own_housing: Calendar  # the day each household finds housing by itself


@njit(cache=True, inline="always")
def start_housing_search(holders: StatusHolders, c: int, day: int) -> None:
    """A status holder starts looking for housing today: queue and deadlines."""
    push(holders.queue, c, 0, day)
    schedule(holders.transition_ends, c, day + holders.days[0])
    schedule(holders.stay_limits, c, day + holders.days[1])


@njit(cache=True, inline="always")
def welcome_resettled(
    cases: Cases, tally: Tally, holders: StatusHolders, waiting: Queue, c: int, day: int, flows
) -> None:
    """A resettled household arrives recognised as refugees and gets the first free place;
    after its centre stay it moves to a partner municipality's place if one is free (see
    :func:`flowsim.institutions.housing.move_to_partner_place`) and looks for housing (persons).

    Its application is lodged with the CGRS and granted refugee status the day it arrives:
    the CGRS counts resettled refugees among its applications, and (an assumption) among
    its decisions (they take weeks, not the months of the queue), so its workload passes
    through unchanged; they add no days waited.
    """
    flows[series.RESETTLEMENT_ARRIVALS] += cases.size[c]
    flows[series.ENTRIES] += cases.size[c]
    flows[series.CGRS_LODGED] += cases.size[c]
    flows[series.CGRS_LODGED_CASES] += 1
    flows[series.CGRS_DECISIONS] += cases.size[c]
    flows[series.CGRS_DECISIONS_CASES] += 1
    flows[series.CGRS_POSITIVE_DECISIONS] += cases.size[c]
    cases.status[c] = states.REFUGEE
    cases.status_day[c] = day
    set_state(cases, tally, c, states.STATUS_HOLDER)
    set_housing(cases, tally, c, states.WAITING, -1)
    push_front(waiting, c, cases.profile[c], FIRST_IN_LINE)
    schedule(holders.ready, c, day + holders.days[2])


@njit(cache=True, inline="always")
def welcome_temporary_protection(
    cases: Cases, tally: Tally, crisis_queue: Queue, c: int, day: int, flows
) -> None:
    """Registered for temporary protection: emergency reception, then in line for crisis
    housing (see :mod:`flowsim.institutions.temporary_protection`)."""
    flows[series.TP_REGISTRATIONS] += cases.size[c]
    flows[series.ENTRIES] += cases.size[c]
    set_state(cases, tally, c, states.TP_EMERGENCY)
    push(crisis_queue, c, 0, day)


@njit(cache=True, inline="always")
def refuse(cases: Cases, tally: Tally, desk: ReturnDesk, c: int, day: int, flows) -> None:
    """A final negative outcome: an order to leave (persons; see :func:`order_to_leave`)."""
    n = cases.size[c]
    flows[series.FINAL_NEGATIVE] += n
    tally.outcomes_by_profile[REFUSED, cases.profile[c]] += n
    tally.outcomes_by_region[REFUSED, cases.region[c]] += n
    order_to_leave(cases, tally, desk, c, day)


@njit(cache=True, inline="always")
def order_to_leave(cases: Cases, tally: Tally, desk: ReturnDesk, c: int, day: int) -> None:
    """The case is ordered to leave on ``day``.

    A resident moves to an open return place (keeps a place) for the configured stay and
    can meet a return counsellor; someone outside reception decides the next day.
    """
    cases.status[c] = states.REFUSED
    set_state(cases, tally, c, states.ORDER_TO_LEAVE)
    if cases.housing[c] == states.IN_CENTRE:
        push(desk.counselling, c, 0, day)
        schedule(desk.decisions, c, day + max(desk.days[0], 1))
    else:
        set_housing(cases, tally, c, states.PRIVATE, -1)
        schedule(desk.decisions, c, day + 1)


@njit(cache=True, inline="always")
def leave_crisis_housing(cases: Cases, tally: Tally, c: int) -> None:
    """A household under temporary protection leaves its municipality's crisis housing (if it
    is in it); call before it changes state."""
    if cases.state[c] == states.TP_CRISIS_HOUSING:
        tally.in_crisis_housing[cases.municipality[c]] -= cases.size[c]
        cases.municipality[c] = -1


@njit(cache=True, inline="always")
def finalise(cases: Cases, tally: Tally, c: int, exit_state: int, flows) -> None:
    """End the case in an exit state; its reception place, if any, is freed (persons).

    A case pending at the CGRS leaves its workload without a decision (counted as closed).
    """
    n = cases.size[c]
    if exit_state == states.DUBLIN_TRANSFERRED:
        flows[series.DUBLIN_TRANSFERS] += n
    if cases.state[c] == states.PENDING_CGRS:
        flows[series.CGRS_CLOSED] += n
        flows[series.CGRS_CLOSED_CASES] += 1
    if cases.overstaying[c]:
        cases.overstaying[c] = False
        tally.overstaying[0] -= n
    leave_crisis_housing(cases, tally, c)
    set_housing(cases, tally, c, states.NO_HOUSING, -1)
    set_state(cases, tally, c, exit_state)


@njit(cache=True, inline="always")
def grant_status(
    cases: Cases, tally: Tally, holders: StatusHolders, c: int, status: int, day: int, flows
) -> None:
    """Protection granted (by the CGRS or CALL): a final positive outcome (persons).

    A resident keeps the place during the transition period and looks for housing; someone
    without a place leaves the model with their status.
    """
    flows[series.FINAL_POSITIVE] += cases.size[c]
    tally.outcomes_by_profile[GRANTED, cases.profile[c]] += cases.size[c]
    tally.outcomes_by_region[GRANTED, cases.region[c]] += cases.size[c]
    cases.status[c] = status
    cases.status_day[c] = day
    set_state(cases, tally, c, states.STATUS_HOLDER)  # decided: no longer in a workload
    if cases.housing[c] != states.IN_CENTRE:
        finalise(cases, tally, c, states.LEFT_WITH_STATUS, flows)
        return
    start_housing_search(holders, c, day)


@njit(cache=True)
def under_restrictions(in_force: float, share: float) -> float:
    """A rate's factor under COVID-19 restrictions: ``share`` of the normal rate while they
    are in force (``in_force`` 1), the normal rate otherwise (0); in between, the share of
    the period under them. Used for the CGRS's output, Dublin absconding and the housing
    status holders find."""
    return 1.0 - in_force * (1.0 - share)


@njit(cache=True, inline="always")
def initial_due_day(seed: np.uint64, key: np.uint64, days: int) -> int:
    """The day (0 to ``days`` - 1) on which a step of ``days`` days (a Dublin reply, a
    transfer window, a stay in an open return place, ...) ends for a case in that step on the
    start date: drawn evenly (keyed), as the case may have started it on any of the ``days``
    days before the start."""
    u = streams.uniform(seed, key, streams.INITIAL_WAIT, 2)  # 0: waited, 1: placing order
    return min(int(u * days), days - 1)


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def open_initial_cases(
    cases: Cases,
    tally: Tally,
    cgrs: CgrsDesk,
    call_queue: Queue,
    first: int,
    n_cgrs: int,
    n_call: int,
) -> None:
    """Put the cases pending on the start date in their queues, longest-waiting first.

    Cases ``[first, first + n_cgrs)`` are pending at the CGRS and the next ``n_call`` at CALL;
    their (negative) arrival day is the day they joined their queue.
    """
    cases, tally, cgrs, call_queue = borrowed((cases, tally, cgrs, call_queue))
    before_start = np.zeros(series.N_FLOWS)  # lodged before the run: not counted as its flows
    pending = first + in_day_order(cases.arrival_day[first : first + n_cgrs])
    for c in pending:
        lodge_at_cgrs(cases, tally, cgrs, c, cases.arrival_day[c], before_start)
    start = first + n_cgrs
    call = start + in_day_order(cases.arrival_day[start : start + n_call])
    for c in call:
        lodge_appeal(cases, tally, call_queue, c, cases.arrival_day[c])
