"""The Immigration Office: arrivals at the Arrival Centre, registration and the Dublin
procedure with its legal clocks (request, reply, transfer window, absconding).

Kept whole, though over 500 lines: registration, the Dublin procedure and the files sent to
the CGRS are one actor's day (:func:`registration_day`) on one desk
(:class:`~flowsim.engine.procedure.DublinDesk`), reading one array of today's terms and one
of budgets; split, each part would reach into the other's constants and state."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np
from numba import njit

from flowsim.engine import series, states, streams
from flowsim.engine.calendar import new_calendar, schedule, take_due, unschedule
from flowsim.engine.chain import Chain
from flowsim.engine.compiled import borrowed, direct
from flowsim.engine.population import DAY, Cases, Tally, set_housing, set_state
from flowsim.engine.procedure import (
    CgrsDesk,
    DublinDesk,
    finalise,
    initial_due_day,
    request_place,
    subsequent_place_shares,
    transmit_to_cgrs,
    under_restrictions,
    welcome_resettled,
    welcome_temporary_protection,
)
from flowsim.engine.queues import Queue, best_class, new_queue, pop, push
from flowsim.engine.rates import DAYS_PER_MONTH, daily_hazard

if TYPE_CHECKING:
    from flowsim.model import ProtectionSystem


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def arrive(
    chain: Chain,
    first: int,
    day: int,
    flows,
) -> int:
    """Cases arriving on ``day`` (from index ``first``): applicants (first applications, and
    subsequent applications of people the run did not refuse) join the registration queue;
    resettled refugees are welcomed into reception; people fleeing Ukraine are registered for
    temporary protection and go to emergency reception.

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
            if cases.origin[c] == states.SUBSEQUENT:
                flows[series.SUBSEQUENT_APPLICATIONS] += cases.size[c]
                flows[series.SUBSEQUENT_EXTERNAL] += cases.size[c]
        c += 1
    return c


# A Dublin case's next step (DublinDesk.step).
SEND_REQUEST, REPLY, ABSCOND, WINDOW_CLOSES, ABSCONDED_WINDOW_CLOSES = 0, 1, 2, 3, 4

# Today's terms of registration and Dublin (the ``terms`` array the kernels receive; days,
# shares, per day). FILES_HELD: 1 while the capacity to send files to the CGRS binds.
REQUEST_DAYS, REPLY_DAYS, ACCEPTANCE, WINDOW_DAYS, ABSCOND_HAZARD = 0, 1, 2, 3, 4
ABSCONDED_WINDOW_DAYS, RETURN_SHARE, PLACE_REQUEST, FILES_HELD, LEAVE_HAZARD = 5, 6, 7, 8, 9
# PLACE_REQUEST_SUBSEQUENT: the share of subsequent applicants asking for a place at
# registration (0 while Fedasil waits for their admissibility: the CGRS asks then).
PLACE_REQUEST_SUBSEQUENT = 10
N_TERMS = 11

# The day's budgets (persons) the Immigration Office's kernel receives and leaves what is
# unused in (negative: carried debt).
REGISTRATION, TRANSFERS, TRANSMISSIONS = 0, 1, 2


def new_dublin_desk(n_days: int, n_cases: int) -> DublinDesk:
    """No Dublin case and no file waiting yet."""
    return DublinDesk(
        calendar=new_calendar(n_days, n_cases),
        step=np.zeros(n_cases, np.int8),
        accepted_day=np.full(n_cases, -1, DAY),
        transfers=new_queue(np.zeros(1), n_cases),
        files=new_queue(np.zeros(1), n_cases),
        leaving=new_calendar(n_days, n_cases),
    )


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def schedule_leaving(
    cases: Cases,
    dublin: DublinDesk,
    c: int,
    day: int,
    seed: np.uint64,
    terms: np.ndarray,
    occurrence: int,
) -> None:
    """Schedule the day the applicant of case ``c``, waiting from the end of ``day`` for
    their file to be sent, would leave: an exponential wait with the daily hazard
    ``terms[LEAVE_HAZARD]`` (draw ``occurrence`` of the case's stream); none at a zero
    hazard."""
    if terms[LEAVE_HAZARD] <= 0.0:
        unschedule(dublin.leaving, c)
        return
    u = streams.uniform(seed, cases.key[c], streams.LEAVE_BEFORE_TRANSMISSION, occurrence)
    wait = -np.log(u) / terms[LEAVE_HAZARD]
    if wait < 1e9:  # beyond any run (and beyond int32 days): never
        schedule(dublin.leaving, c, day + max(1, int(np.ceil(wait))))


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def hand_over(
    cases: Cases,
    tally: Tally,
    cgrs: CgrsDesk,
    dublin: DublinDesk,
    c: int,
    day: int,
    seed: np.uint64,
    terms: np.ndarray,
    flows,
) -> None:
    """The Office has case ``c``'s file ready for the CGRS: sent at once, or, while its
    capacity to send files binds (``terms[FILES_HELD]``), it waits its turn
    (:func:`send_files`) and the applicant may leave meanwhile."""
    if terms[FILES_HELD] <= 0.0:
        transmit_to_cgrs(cases, tally, cgrs, c, day, flows)
        return
    set_state(cases, tally, c, states.AWAITING_TRANSMISSION)
    push(dublin.files, c, 0, day)
    schedule_leaving(cases, dublin, c, day, seed, terms, 0)


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def send_files(
    cases: Cases,
    tally: Tally,
    cgrs: CgrsDesk,
    dublin: DublinDesk,
    budget: float,
    day: int,
    flows,
) -> float:
    """Send waiting files to the CGRS, first ready first, within ``budget`` (persons; every
    file when it is infinite). Returns the unused budget (negative: carried debt)."""
    while budget > 0.0:
        if dublin.files.head[0] < 0:
            break
        c = pop(dublin.files, 0)
        if cases.state[c] != states.AWAITING_TRANSMISSION:
            continue  # left while waiting
        budget -= cases.size[c]
        unschedule(dublin.leaving, c)
        transmit_to_cgrs(cases, tally, cgrs, c, day, flows)
    return budget


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def leave_before_transmission(cases: Cases, tally: Tally, dublin: DublinDesk, day: int, flows):
    """Applicants whose leaving day is today, still waiting for their file to be sent, leave
    reception and the procedure (their file never reaches the CGRS)."""
    for c in take_due(dublin.leaving, day):
        if cases.state[c] == states.AWAITING_TRANSMISSION:
            flows[series.LEFT_BEFORE_TRANSMISSION] += cases.size[c]
            finalise(cases, tally, c, states.ABSCONDED, flows)


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def redraw_leaving(
    chain: Chain, day: int, seed: np.uint64, terms: np.ndarray, occurrence: int
) -> None:
    """The hazard of leaving before transmission changed on ``day``: every applicant waiting
    for their file draws the wait again from the start of ``day`` (draw ``occurrence``; the
    wait is exponential, hence memoryless, as in :func:`redraw_absconding`)."""
    cases, dublin = borrowed((chain.cases, chain.dublin))
    for c in range(len(cases.state)):
        if cases.state[c] == states.AWAITING_TRANSMISSION:
            schedule_leaving(cases, dublin, c, day - 1, seed, terms, occurrence)


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def open_initial_files(
    chain: Chain, first: int, count: int, seed: np.uint64, terms: np.ndarray
) -> None:
    """Files waiting to be sent on the start date (cases from ``first`` on, ``count`` of
    them): first in the queue, in case order; their applicants may leave from the start.
    Housing is given afterwards (:func:`flowsim.institutions.reception.place_initial_residents`)."""
    cases, tally, dublin = borrowed((chain.cases, chain.tally, chain.dublin))
    # the day before the start as an int64 variable, not the literal -1: numba would compile
    # schedule_leaving once more for a literal argument (issue 19: compile time)
    before_start = np.int64(-1)
    for c in range(first, first + count):
        cases.arrival_day[c] = -1
        set_state(cases, tally, c, states.AWAITING_TRANSMISSION)
        push(dublin.files, c, 0, before_start)
        schedule_leaving(cases, dublin, c, before_start, seed, terms, 0)


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def register(
    cases: Cases,
    tally: Tally,
    registration: Queue,
    cgrs: CgrsDesk,
    waiting: Queue,
    dublin: DublinDesk,
    budget: float,
    day: int,
    seed: np.uint64,
    dublin_share: float,
    terms: np.ndarray,
    flows,
) -> float:
    """Register waiting arrivals first-come first-served within ``budget`` persons.

    A registered first application becomes a Dublin case (its request to another state is
    sent ``terms[REQUEST_DAYS]`` days later) or is lodged with the CGRS; a subsequent
    application of someone the run did not refuse is lodged with the CGRS at once. An
    applicant asks for a reception place with the share ``terms[PLACE_REQUEST]``, a
    subsequent applicant with ``terms[PLACE_REQUEST_SUBSEQUENT]`` (one keyed draw); the
    others live privately. Returns the unused budget (negative when a household
    overshot it, carried to the next day).
    """
    cases, tally, registration, cgrs, waiting, dublin = borrowed(
        (cases, tally, registration, cgrs, waiting, dublin)
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
        if cases.origin[c] == states.SUBSEQUENT:
            hand_over(cases, tally, cgrs, dublin, c, day, seed, terms, flows)
        elif streams.uniform(seed, cases.key[c], streams.DUBLIN_CASE, 0) < dublin_share:
            set_state(cases, tally, c, states.DUBLIN_PROCEDURE)
            dublin.step[c] = SEND_REQUEST
            schedule(dublin.calendar, c, day + int(round(terms[REQUEST_DAYS])))
        else:
            hand_over(cases, tally, cgrs, dublin, c, day, seed, terms, flows)
        subsequent = cases.origin[c] == states.SUBSEQUENT
        share = terms[PLACE_REQUEST_SUBSEQUENT] if subsequent else terms[PLACE_REQUEST]
        if streams.uniform(seed, cases.key[c], streams.PLACE_REQUEST, 0) < share:
            request_place(cases, tally, waiting, c, day)
        else:
            set_housing(cases, tally, c, states.PRIVATE, -1)
    return budget


@njit(cache=True, inline="always")
def belgium_responsible(
    cases: Cases,
    tally: Tally,
    cgrs: CgrsDesk,
    dublin: DublinDesk,
    c: int,
    day: int,
    seed: np.uint64,
    terms: np.ndarray,
    flows,
):
    """The Dublin procedure ends with Belgium responsible: the file goes to the CGRS."""
    flows[series.DUBLIN_RESPONSIBLE] += cases.size[c]
    hand_over(cases, tally, cgrs, dublin, c, day, seed, terms, flows)


@njit(cache=True, inline="always")
def clock_days(days: float) -> int:
    """A legal term in whole days (at least one): the reply, the transfer window."""
    return max(1, int(round(days)))


@njit(cache=True, inline="always")
def open_transfer_window(
    cases: Cases,
    tally: Tally,
    dublin: DublinDesk,
    c: int,
    accepted: int,
    day: int,
    seed: np.uint64,
    terms: np.ndarray,
) -> None:
    """The other state accepted case ``c`` on day ``accepted``; from the end of ``day`` on,
    its transfer window is open (``terms[WINDOW_DAYS]`` from acceptance): it waits for a
    transfer, first accepted first, and may abscond before the window closes.

    The wait to absconding is drawn from ``day`` (an exponential with the daily hazard
    ``terms[ABSCOND_HAZARD]``, one keyed draw per case): the same law whether the case is
    accepted today or was accepted before the start and has not absconded since
    (:func:`schedule_window_end`; drawn again when the hazard changes,
    :func:`redraw_absconding`).
    """
    set_state(cases, tally, c, states.DUBLIN_ACCEPTED)
    dublin.accepted_day[c] = accepted
    push(dublin.transfers, c, 0, accepted)
    schedule_window_end(cases, dublin, c, accepted, day, seed, terms, 0)


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def schedule_window_end(
    cases: Cases,
    dublin: DublinDesk,
    c: int,
    accepted: int,
    day: int,
    seed: np.uint64,
    terms: np.ndarray,
    occurrence: int,
) -> None:
    """Schedule how accepted case ``c``'s transfer window ends, from the end of ``day`` on:
    it absconds after an exponential wait (the daily hazard ``terms[ABSCOND_HAZARD]``, draw
    ``occurrence`` of the case's absconding stream) if that comes before the window closes,
    else the window closes ``terms[WINDOW_DAYS]`` after ``accepted``."""
    wait = np.inf
    if terms[ABSCOND_HAZARD] > 0.0:
        u = streams.uniform(seed, cases.key[c], streams.DUBLIN_ABSCOND, occurrence)
        wait = -np.log(u) / terms[ABSCOND_HAZARD]
    if wait < (accepted - day) + max(1.0, terms[WINDOW_DAYS]):  # days left in the window
        dublin.step[c] = ABSCOND
        schedule(dublin.calendar, c, day + max(1, int(np.ceil(wait))))
    else:
        dublin.step[c] = WINDOW_CLOSES
        schedule(dublin.calendar, c, accepted + clock_days(terms[WINDOW_DAYS]))


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def redraw_absconding(
    chain: Chain, day: int, seed: np.uint64, terms: np.ndarray, occurrence: int
) -> None:
    """The absconding hazard changed on ``day``: every accepted case waiting for a transfer
    draws its wait to absconding again from the start of ``day`` (draw ``occurrence``), with
    the new hazard. The wait is exponential, hence memoryless: redrawing what is left of it
    gives each case the law of a hazard that changed on that day, exactly."""
    cases, dublin = borrowed((chain.cases, chain.dublin))
    for c in range(len(cases.state)):
        if cases.state[c] == states.DUBLIN_ACCEPTED:
            unschedule(dublin.calendar, c)
            schedule_window_end(
                cases, dublin, c, dublin.accepted_day[c], day - 1, seed, terms, occurrence
            )


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def open_initial_dublin(
    chain: Chain, first: int, counts: np.ndarray, seed: np.uint64, terms: np.ndarray
) -> None:
    """Dublin cases in the system on the start date (cases from ``first`` on: ``counts[0]``
    waiting for a reply, ``counts[1]`` accepted, ``counts[2]`` absconded), each somewhere in
    its current step, the day that step ends drawn evenly over the step's length
    (:func:`flowsim.engine.procedure.initial_due_day`; terms of the start date, days):

    - requested: the reply comes within ``terms[REPLY_DAYS]``;
    - accepted: accepted within the last ``terms[WINDOW_DAYS]``, so the windows close over
      the run's first ``terms[WINDOW_DAYS]`` days; absconding drawn as at acceptance;
    - absconded (no housing): the extended windows close within the next
      ``terms[ABSCONDED_WINDOW_DAYS] - terms[WINDOW_DAYS]`` days (at least one).

    Their arrival day becomes the day they entered the step (request sent, accepted).
    Housing is given afterwards (:func:`flowsim.institutions.reception.place_initial_residents`).
    """
    cases, tally, dublin = borrowed((chain.cases, chain.tally, chain.dublin))
    reply = clock_days(terms[REPLY_DAYS])
    window = clock_days(terms[WINDOW_DAYS])
    extended = int(round(terms[ABSCONDED_WINDOW_DAYS]))  # as dublin_steps reckons it
    before_start = np.int64(-1)  # not the literal -1: see open_initial_files
    c = first
    for _ in range(counts[0]):
        due = initial_due_day(seed, cases.key[c], reply)
        cases.arrival_day[c] = due - reply
        set_state(cases, tally, c, states.DUBLIN_REQUESTED)
        dublin.step[c] = REPLY
        schedule(dublin.calendar, c, due)
        c += 1
    for _ in range(counts[1]):
        accepted = initial_due_day(seed, cases.key[c], window) - window
        cases.arrival_day[c] = accepted
        open_transfer_window(cases, tally, dublin, c, accepted, before_start, seed, terms)
        c += 1
    for _ in range(counts[2]):
        closes = initial_due_day(seed, cases.key[c], max(1, extended - window))
        dublin.accepted_day[c] = closes - extended
        cases.arrival_day[c] = closes - extended
        set_state(cases, tally, c, states.DUBLIN_ABSCONDED)
        dublin.step[c] = ABSCONDED_WINDOW_CLOSES
        schedule(dublin.calendar, c, closes)
        c += 1


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def dublin_steps(
    cases: Cases,
    tally: Tally,
    cgrs: CgrsDesk,
    waiting: Queue,
    dublin: DublinDesk,
    day: int,
    seed: np.uint64,
    terms: np.ndarray,
    flows,
) -> None:
    """The Dublin steps due today, by the legal clocks (days in ``terms``).

    - A request is sent: the other state replies ``terms[REPLY_DAYS]`` later.
    - A reply: accepted (or no reply, which counts as acceptance) with the share
      ``terms[ACCEPTANCE]``: the transfer window opens for ``terms[WINDOW_DAYS]`` days and the
      case waits for a transfer; it may abscond (hazard per day, drawn at acceptance), which
      extends its window to ``terms[ABSCONDED_WINDOW_DAYS]`` from acceptance. Refused: Belgium
      is responsible and the case is lodged with the CGRS.
    - The window closes without a transfer: Belgium is responsible, the case is lodged.
    - An absconder's extended window closes: with the share ``terms[RETURN_SHARE]`` the person
      reappears, is lodged with the CGRS and asks for a place again; the others have left.
    """
    cases, tally, cgrs, waiting, dublin = borrowed((cases, tally, cgrs, waiting, dublin))
    for c in take_due(dublin.calendar, day):
        state = cases.state[c]
        step = dublin.step[c]
        n = cases.size[c]
        if step == SEND_REQUEST and state == states.DUBLIN_PROCEDURE:
            flows[series.DUBLIN_REQUESTS] += n
            set_state(cases, tally, c, states.DUBLIN_REQUESTED)
            dublin.step[c] = REPLY
            schedule(dublin.calendar, c, day + clock_days(terms[REPLY_DAYS]))
        elif step == REPLY and state == states.DUBLIN_REQUESTED:
            if (
                streams.uniform(seed, cases.key[c], streams.DUBLIN_ACCEPTANCE, 0)
                >= terms[ACCEPTANCE]
            ):
                belgium_responsible(cases, tally, cgrs, dublin, c, day, seed, terms, flows)
                continue
            flows[series.DUBLIN_ACCEPTANCES] += n
            open_transfer_window(cases, tally, dublin, c, day, day, seed, terms)
        elif step == ABSCOND and state == states.DUBLIN_ACCEPTED:
            flows[series.DUBLIN_ABSCONDED] += n
            set_housing(cases, tally, c, states.NO_HOUSING, -1)
            set_state(cases, tally, c, states.DUBLIN_ABSCONDED)
            dublin.step[c] = ABSCONDED_WINDOW_CLOSES
            ends = dublin.accepted_day[c] + int(round(terms[ABSCONDED_WINDOW_DAYS]))
            schedule(dublin.calendar, c, max(day + 1, ends))
        elif step == WINDOW_CLOSES and state == states.DUBLIN_ACCEPTED:
            flows[series.DUBLIN_DEADLINE_EXPIRED] += n
            belgium_responsible(cases, tally, cgrs, dublin, c, day, seed, terms, flows)
        elif step == ABSCONDED_WINDOW_CLOSES and state == states.DUBLIN_ABSCONDED:
            if streams.uniform(seed, cases.key[c], streams.DUBLIN_RETURN, 0) < terms[RETURN_SHARE]:
                flows[series.DUBLIN_DEADLINE_EXPIRED] += n
                belgium_responsible(cases, tally, cgrs, dublin, c, day, seed, terms, flows)
                request_place(cases, tally, waiting, c, day)
            else:
                finalise(cases, tally, c, states.ABSCONDED, flows)


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def transfer(cases: Cases, tally: Tally, dublin: DublinDesk, budget: float, flows) -> float:
    """Transfer accepted cases to the responsible state, first accepted first, within
    ``budget`` (persons). Returns the unused budget (negative: carried debt)."""
    cases, tally, dublin = borrowed((cases, tally, dublin))
    while budget > 0.0:
        cls = best_class(dublin.transfers)
        if cls < 0:
            break
        c = pop(dublin.transfers, cls)
        if cases.state[c] != states.DUBLIN_ACCEPTED:
            continue  # absconded or Belgium responsible since
        budget -= cases.size[c]
        unschedule(dublin.calendar, c)
        finalise(cases, tally, c, states.DUBLIN_TRANSFERRED, flows)
    return budget


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def registration_day(
    chain: Chain,
    budgets: np.ndarray,
    day: int,
    seed: np.uint64,
    dublin_share: float,
    terms: np.ndarray,
    flows,
) -> None:
    """One day of the Immigration Office: registration within ``budgets[REGISTRATION]``
    (persons), the Dublin steps due, transfers within ``budgets[TRANSFERS]``, then those
    leaving before their file is sent, and files sent within ``budgets[TRANSMISSIONS]``
    (persons; infinite while the capacity does not bind). Unused budgets are left in
    ``budgets`` (negative: carried debt)."""
    cases, tally, registration, cgrs, waiting, dublin = borrowed(
        (chain.cases, chain.tally, chain.registration, chain.cgrs, chain.waiting, chain.dublin)
    )
    budgets[REGISTRATION] = register(
        cases,
        tally,
        registration,
        cgrs,
        waiting,
        dublin,
        budgets[REGISTRATION],
        day,
        seed,
        dublin_share,
        terms,
        flows,
    )
    dublin_steps(cases, tally, cgrs, waiting, dublin, day, seed, terms, flows)
    budgets[TRANSFERS] = transfer(cases, tally, dublin, budgets[TRANSFERS], flows)
    leave_before_transmission(cases, tally, dublin, day, flows)
    budgets[TRANSMISSIONS] = send_files(
        cases, tally, cgrs, dublin, budgets[TRANSMISSIONS], day, flows
    )


class ImmigrationOffice(mesa.Agent):
    """Registers applications (persons per day) and runs the Dublin procedure: requests,
    replies, the transfer window and transfers (persons per month)."""

    def __init__(self, model: ProtectionSystem):
        super().__init__(model)
        # today's registration, transfer and transmission budgets (persons)
        self.budgets = np.zeros(3)
        self.carry = np.zeros(3)  # persons handled ahead of capacity (<= 0)
        self.terms = np.zeros(N_TERMS)
        self.dublin = new_dublin_desk(model.n_days, len(model.cases.key))
        self.opened = False  # cases exist from here on: a new hazard redraws their waits
        self.redraws = 0  # absconding waits drawn again so far (draw keys)
        self.leaving_redraws = 0  # waits to leaving before transmission drawn again so far
        self.refresh()
        self.opened = True

    def refresh(self) -> None:
        """Read today's registration capacity, share asking for a place, Dublin share, clocks
        (days), acceptance share, absconding (per month, as a daily hazard; a share of it
        while travel restrictions are in force), transfer capacity, whether the capacity to
        send files to the CGRS binds and that capacity (persons per day), and leaving before
        transmission (per month, as a daily hazard); the model calls this whenever a
        parameter changes. A new hazard redraws the waits it governs
        (:func:`redraw_absconding`, :func:`redraw_leaving`)."""
        p = self.model.params
        self.capacity_persons_per_day = p[
            "immigration_office.registration_capacity_persons_per_day"
        ]
        self.transfers_persons_per_day = (
            p["immigration_office.dublin_transfers_persons_per_month"] / DAYS_PER_MONTH
        )
        self.dublin_share = p["immigration_office.dublin_share"]
        t = self.terms
        t[REQUEST_DAYS] = p["immigration_office.dublin_request_days"]
        t[REPLY_DAYS] = p["immigration_office.dublin_reply_days"]
        t[ACCEPTANCE] = p["immigration_office.dublin_acceptance_share"]
        t[WINDOW_DAYS] = p["immigration_office.dublin_transfer_window_days"]
        hazard = daily_hazard(
            p["immigration_office.dublin_abscond_per_month"]
            * under_restrictions(
                p["immigration_office.travel_restrictions_in_force"],
                p["immigration_office.restricted_abscond_share"],
            )
        )
        changed = self.opened and hazard != t[ABSCOND_HAZARD]
        t[ABSCOND_HAZARD] = hazard
        t[ABSCONDED_WINDOW_DAYS] = p["immigration_office.dublin_absconded_window_days"]
        t[RETURN_SHARE] = p["immigration_office.dublin_absconded_return_share"]
        t[PLACE_REQUEST] = p["reception.place_request_share"]
        t[PLACE_REQUEST_SUBSEQUENT] = subsequent_place_shares(p)[0]
        t[FILES_HELD] = 1.0 if p["immigration_office.transmission_limit_in_force"] > 0 else 0.0
        self.transmissions_persons_per_day = (
            p["immigration_office.transmissions_persons_per_month"] / DAYS_PER_MONTH
            if t[FILES_HELD] > 0
            else np.inf  # every file the day it is ready, those waiting included
        )
        leaving = daily_hazard(p["immigration_office.leave_before_transmission_per_month"])
        leaving_changed = self.opened and leaving != t[LEAVE_HAZARD]
        t[LEAVE_HAZARD] = leaving
        # with every term of today in place
        m = self.model
        if changed:
            self.redraws += 1
            redraw_absconding(m.chain, m.day, m.seed, t, self.redraws)
        if leaving_changed:
            self.leaving_redraws += 1
            redraw_leaving(m.chain, m.day, m.seed, t, self.leaving_redraws)

    def step(self) -> None:
        """One day: register within today's capacity, take the Dublin steps due, transfer,
        send the files ready (within today's capacity while it binds)."""
        m = self.model
        self.budgets[REGISTRATION] = self.carry[REGISTRATION] + self.capacity_persons_per_day
        self.budgets[TRANSFERS] = self.carry[TRANSFERS] + self.transfers_persons_per_day
        self.budgets[TRANSMISSIONS] = self.carry[TRANSMISSIONS] + self.transmissions_persons_per_day
        direct(registration_day)(
            m.chain,
            self.budgets,
            m.day,
            m.seed,
            self.dublin_share,
            self.terms,
            m.flows_today,
        )
        np.minimum(self.budgets, 0.0, out=self.carry)
