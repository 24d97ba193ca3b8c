"""Return: open return places, return counsellors, assisted voluntary return, forced return,
subsequent applications and irregular stay.

After a final negative outcome, a resident stays in an open return place for a configured
stay and may meet a return counsellor (a caseload capacity per month). At the end of the stay
the case decides: assisted voluntary return (more likely when counselled and when the
reintegration package is larger), a subsequent application (back to the CGRS), or neither,
in which case it leaves reception and waits for a forced return within the Immigration
Office's removal capacity; not removed within the removal window, it stays irregularly.
While on the removal list it may be guided by an ICAM coach (a caseload capacity per month)
towards assisted return or a right to stay.

Return counsellors are Mesa agents, one per counsellor (the last one part-time when the FTE
is fractional), each taking a new case whenever its caseload allows.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import mesa
import numpy as np
from numba import njit

from flowsim.engine import series, states, streams
from flowsim.engine.calendar import new_calendar, schedule, take_due
from flowsim.engine.chain import Chain
from flowsim.engine.compiled import borrowed, direct
from flowsim.engine.population import Cases, ProfileTable, Tally, set_housing, set_state
from flowsim.engine.procedure import (
    CgrsDesk,
    ReturnDesk,
    finalise,
    initial_due_day,
    order_to_leave,
    transmit_to_cgrs,
)
from flowsim.engine.queues import Queue, best_class, new_queue, pop, push
from flowsim.engine.rates import DAYS_PER_MONTH
from flowsim.engine.states import FAMILY, HOUSEHOLD_TYPES

if TYPE_CHECKING:
    from flowsim.model import ProtectionSystem

MINOR = HOUSEHOLD_TYPES.index("unaccompanied_minor")

# Indices of the package/uptake parameters passed to the kernel (euros, shares).
ADULT, MINOR_EUR, CASE_TOP_UP, VULNERABLE_TOP_UP, REFERENCE, ELASTICITY = range(6)
UPTAKE_COUNSELLED, UPTAKE_NOT_COUNSELLED, SUBSEQUENT = 6, 7, 8
ICAM_RETURN, ICAM_LEGAL_STAY = 9, 10
N_INPUTS = 11

# The day's budgets passed to :func:`returns_day`, which leaves in them what is unused
# (negative: carried debt): ICAM guidance (cases) and forced returns (persons).
COACHING, REMOVALS = 0, 1


def new_return_desk(n_days: int, n_cases: int) -> ReturnDesk:
    """Nobody with an order to leave yet."""
    return ReturnDesk(
        decisions=new_calendar(n_days, n_cases),
        counselling=new_queue(np.zeros(1), n_cases),
        removals=new_queue(np.zeros(1), n_cases),
        removal_deadlines=new_calendar(n_days, n_cases),
        coaching=new_queue(np.zeros(1), n_cases),
        days=np.zeros(2, np.int64),
    )


@njit(cache=True, inline="always")
def package_eur(size: int, household_type: int, vulnerable: bool, p: np.ndarray) -> float:
    """Reintegration package of one case (euros): adults, accompanied minors, top-ups."""
    if household_type == FAMILY:
        adults = 1 if size <= 2 else 2
    elif household_type == MINOR:
        adults = 0
    else:
        adults = 1
    minors = size - adults
    total = adults * p[ADULT] + minors * p[MINOR_EUR] + p[CASE_TOP_UP]
    if vulnerable:
        total += p[VULNERABLE_TOP_UP]
    return total


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def counsel(cases: Cases, counselling: Queue, budgets: np.ndarray, caseloads: np.ndarray) -> None:
    """Return counsellors meet waiting cases first come first served.

    ``budgets`` holds each counsellor's capacity left today (cases; negative: carried debt):
    the next case goes to the counsellor with the most left, while anyone has some.
    ``caseloads`` counts each counsellor's cases.
    """
    cases, counselling = borrowed((cases, counselling))
    if budgets.shape[0] == 0:
        return
    while True:
        j = np.argmax(budgets)
        if budgets[j] <= 0.0:
            return
        cls = best_class(counselling)
        if cls < 0:
            return
        c = pop(counselling, cls)
        if cases.state[c] != states.ORDER_TO_LEAVE:
            continue
        cases.counselled[c] = True
        budgets[j] -= 1.0
        caseloads[j] += 1


@njit(cache=True, inline="always")
def case_package_eur(
    cases: Cases, c: int, household_type: np.ndarray, vulnerable: np.ndarray, p: np.ndarray
) -> float:
    """Reintegration package of case ``c`` (euros), from its profile."""
    prof = cases.profile[c]
    return package_eur(cases.size[c], household_type[prof], vulnerable[prof], p)


@njit(cache=True, inline="always")
def assisted_return(cases: Cases, tally: Tally, c: int, euros: float, flows) -> None:
    """The case returns with AVR and its reintegration package of ``euros``."""
    flows[series.AVR_DEPARTURES] += cases.size[c]
    flows[series.REINTEGRATION_EUR] += euros
    finalise(cases, tally, c, states.AVR_DEPARTED, flows)


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def decide_returns(
    cases: Cases,
    tally: Tally,
    desk: ReturnDesk,
    cgrs: CgrsDesk,
    day: int,
    seed: np.uint64,
    household_type: np.ndarray,
    vulnerable: np.ndarray,
    p: np.ndarray,
    flows,
) -> None:
    """Cases at the end of their open return place stay choose how they go on."""
    cases, tally, desk, cgrs = borrowed((cases, tally, desk, cgrs))
    for c in take_due(desk.decisions, day):
        if cases.state[c] != states.ORDER_TO_LEAVE:
            continue
        n = cases.size[c]
        euros = case_package_eur(cases, c, household_type, vulnerable, p)
        uptake = p[UPTAKE_COUNSELLED] if cases.counselled[c] else p[UPTAKE_NOT_COUNSELLED]
        uptake = min(1.0, uptake * (euros / n / p[REFERENCE]) ** p[ELASTICITY])
        u = streams.uniform(seed, cases.key[c], streams.RETURN_CHOICE, cases.n_cgrs[c])
        if u < uptake:
            assisted_return(cases, tally, c, euros, flows)
        elif u < uptake + p[SUBSEQUENT]:
            flows[series.SUBSEQUENT_APPLICATIONS] += n
            cases.counselled[c] = False
            transmit_to_cgrs(cases, tally, cgrs, c, day, flows)
        else:
            join_removal_list(cases, tally, desk, c, day)


@njit(cache=True, inline="always")
def join_removal_list(cases: Cases, tally: Tally, desk: ReturnDesk, c: int, day: int) -> None:
    """A case with an order to leave goes on the removal list on ``day``: it lives privately,
    waits for a forced return and an ICAM coach, and stays irregularly when its removal
    window (days) ends first."""
    if cases.housing[c] != states.PRIVATE:
        set_housing(cases, tally, c, states.PRIVATE, -1)
    push(desk.removals, c, 0, day)
    push(desk.coaching, c, 0, day)
    schedule(desk.removal_deadlines, c, day + max(desk.days[1], 1))


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def open_initial_returns(
    chain: Chain, first: int, n_return_place: int, n_removal_list: int, seed: np.uint64
) -> None:
    """Orders to leave on the start date (cases from ``first`` on), each somewhere in its
    current step, the day it ends drawn evenly over the step's length (the start date's
    terms, days; :func:`flowsim.engine.procedure.initial_due_day`):

    - ``n_return_place`` in an open return place (placed beforehand): ordered to leave within
      the last ``open_return_place_days``, they decide within the next ones; one that found
      no place on the start date is outside reception and decides on day 0;
    - then ``n_removal_list`` on the removal list (private housing), their removal windows
      ending within the next ``removal_window_days``.

    Their arrival day becomes the day they entered the step (ordered to leave, listed).
    """
    cases, tally, desk = borrowed((chain.cases, chain.tally, chain.returns))
    stay = max(desk.days[0], 1)  # as order_to_leave reckons it
    window = max(desk.days[1], 1)  # as join_removal_list reckons it
    for c in range(first, first + n_return_place):
        ordered = initial_due_day(seed, cases.key[c], stay) - stay
        cases.arrival_day[c] = ordered
        placed = cases.housing[c] == states.IN_CENTRE
        order_to_leave(cases, tally, desk, c, ordered if placed else -1)
    for c in range(first + n_return_place, first + n_return_place + n_removal_list):
        listed = initial_due_day(seed, cases.key[c], window) - window
        cases.arrival_day[c] = listed
        cases.status[c] = states.REFUSED  # ordered to leave, decided already: no decision due
        set_state(cases, tally, c, states.ORDER_TO_LEAVE)
        join_removal_list(cases, tally, desk, c, listed)


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def coach(
    cases: Cases,
    tally: Tally,
    desk: ReturnDesk,
    budget: float,
    seed: np.uint64,
    household_type: np.ndarray,
    vulnerable: np.ndarray,
    p: np.ndarray,
    flows,
) -> float:
    """ICAM coaches guide cases on the removal list, first come first served, within
    ``budget`` (cases): each returns with AVR, obtains a right to stay, or stays on the
    list. Returns the unused budget (negative: carried debt)."""
    cases, tally, desk = borrowed((cases, tally, desk))
    while budget > 0.0:
        cls = best_class(desk.coaching)
        if cls < 0:
            break
        c = pop(desk.coaching, cls)
        if cases.state[c] != states.ORDER_TO_LEAVE:
            continue
        budget -= 1.0
        n = cases.size[c]
        flows[series.ICAM_COACHED] += n
        u = streams.uniform(seed, cases.key[c], streams.ICAM_CHOICE, cases.n_cgrs[c])
        if u < p[ICAM_RETURN]:
            euros = case_package_eur(cases, c, household_type, vulnerable, p)
            assisted_return(cases, tally, c, euros, flows)
        elif u < p[ICAM_RETURN] + p[ICAM_LEGAL_STAY]:
            flows[series.REGULARISED] += n
            finalise(cases, tally, c, states.REGULARISED, flows)
    return budget


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def remove(cases: Cases, tally: Tally, desk: ReturnDesk, budget: float, day: int, flows):
    """Forced returns first come first served within ``budget`` (persons); cases whose
    removal window ends today stay irregularly. Returns the unused budget."""
    cases, tally, desk = borrowed((cases, tally, desk))
    while budget > 0.0:
        cls = best_class(desk.removals)
        if cls < 0:
            break
        c = pop(desk.removals, cls)
        if cases.state[c] != states.ORDER_TO_LEAVE:
            continue
        budget -= cases.size[c]
        flows[series.FORCED_RETURNS] += cases.size[c]
        finalise(cases, tally, c, states.FORCED_RETURN, flows)
    for c in take_due(desk.removal_deadlines, day):
        if cases.state[c] == states.ORDER_TO_LEAVE:
            flows[series.IRREGULAR_STAY] += cases.size[c]
            finalise(cases, tally, c, states.IRREGULAR_STAY, flows)
    return budget


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def returns_day(
    chain: Chain,
    counsellor_budgets: np.ndarray,
    caseloads: np.ndarray,
    budgets: np.ndarray,
    day: int,
    seed: np.uint64,
    household_type: np.ndarray,
    vulnerable: np.ndarray,
    p: np.ndarray,
    flows,
) -> None:
    """One day of the return service, in order: counselling (``counsellor_budgets``, cases
    per counsellor), return decisions at the end of the open return place stay, ICAM
    guidance (``budgets[COACHING]``, cases), forced returns (``budgets[REMOVALS]``, persons)
    and removal windows ending. Unused budgets are left in the arrays (negative: debt)."""
    cases, tally, desk, cgrs = borrowed((chain.cases, chain.tally, chain.returns, chain.cgrs))
    counsel(cases, desk.counselling, counsellor_budgets, caseloads)
    decide_returns(cases, tally, desk, cgrs, day, seed, household_type, vulnerable, p, flows)
    budgets[COACHING] = coach(
        cases, tally, desk, budgets[COACHING], seed, household_type, vulnerable, p, flows
    )
    budgets[REMOVALS] = remove(cases, tally, desk, budgets[REMOVALS], day, flows)


class ReturnCounsellor(mesa.Agent):
    """A return counsellor (Fedasil and partners) with a caseload capacity.

    The service keeps every counsellor's figures in arrays (one entry per seat) so that a
    day's counselling is one kernel call; the agent reads its own entry.
    """

    def __init__(self, model: ProtectionSystem, service: ReturnService, seat: int):
        super().__init__(model)
        self.service = service
        self.seat = seat

    @property
    def fte(self) -> float:
        """1 for a full-time counsellor."""
        return float(self.service.fte[self.seat])

    @property
    def caseload(self) -> int:
        """Cases counselled so far."""
        return int(self.service.caseload[self.seat])

    def capacity_cases_per_day(self) -> float:
        """New cases this counsellor can take on today (cases per day)."""
        per_month = self.model.params["returns.cases_per_counsellor_per_month"]
        return self.fte * per_month / DAYS_PER_MONTH


class ReturnService(mesa.Agent):
    """Return counsellors, ICAM coaches and the Immigration Office's removals."""

    def __init__(self, model: ProtectionSystem, profiles: ProfileTable):
        super().__init__(model)
        self.household_type = profiles.household_type
        self.vulnerable = profiles.vulnerable
        self.counsellors: list[ReturnCounsellor] = []
        self.fte = np.zeros(0)  # per counsellor seat
        self.carry = np.zeros(0)  # cases taken beyond capacity, worked off later (<= 0)
        self.caseload = np.zeros(0, np.int64)  # cases counselled so far
        self.staffed_for = -1.0  # the FTE the seats were last sized for
        self.coaching_carry = 0.0
        self.removal_carry = 0.0
        self.inputs = np.zeros(N_INPUTS)
        self.budgets = np.zeros(2)  # today's ICAM and removal budgets
        self.refresh()

    def staff_counsellors(self) -> None:
        """Hire or let go counsellors so that their FTE adds up to ``returns.counsellors_fte``
        (the last one part-time); the longest-serving stay."""
        fte = self.model.params["returns.counsellors_fte"]
        if fte == self.staffed_for:
            return
        self.staffed_for = fte
        wanted = math.ceil(fte - 1e-9)
        while len(self.counsellors) > wanted:
            self.counsellors.pop().remove()
        kept = len(self.counsellors)
        grow = wanted - kept
        self.carry = np.concatenate([self.carry[:kept], np.zeros(grow)])
        self.caseload = np.concatenate([self.caseload[:kept], np.zeros(grow, np.int64)])
        self.fte = np.minimum(1.0, fte - np.arange(wanted))
        self.counsellors += [ReturnCounsellor(self.model, self, k) for k in range(kept, wanted)]

    def set_deadlines(self) -> None:
        """Today's open return place stay and removal window (days)."""
        p = self.model.params
        self.model.return_desk.days[0] = int(p["returns.open_return_place_days"])
        self.model.return_desk.days[1] = int(p["returns.removal_window_days"])

    def refresh(self) -> None:
        """Read today's staffing, packages (euros), uptake and choice shares, capacities
        (cases or persons per day) and deadlines (days); the model calls this whenever a
        parameter changes."""
        p = self.model.params
        self.set_deadlines()
        self.staff_counsellors()
        x = self.inputs
        x[ADULT] = p["returns.package.adult_eur"]
        x[MINOR_EUR] = p["returns.package.accompanied_minor_eur"]
        x[CASE_TOP_UP] = p["returns.package.case_top_up_eur"]
        x[VULNERABLE_TOP_UP] = p["returns.package.vulnerable_top_up_eur"]
        x[REFERENCE] = p["returns.reference_package_eur_per_person"]
        x[ELASTICITY] = p["returns.package_elasticity"]
        x[UPTAKE_COUNSELLED] = p["returns.avr_uptake_counselled"]
        x[UPTAKE_NOT_COUNSELLED] = p["returns.avr_uptake_not_counselled"]
        x[SUBSEQUENT] = p["returns.subsequent_application_share"]
        x[ICAM_RETURN] = p["returns.icam_return_share"]
        x[ICAM_LEGAL_STAY] = p["returns.icam_legal_stay_share"]
        per_day = p["returns.cases_per_counsellor_per_month"] / DAYS_PER_MONTH
        self.counselling_cases_per_day = self.fte * per_day  # per counsellor
        coaching = p["returns.icam_coaches_fte"] * p["returns.icam_cases_per_coach_per_month"]
        self.coaching_cases_per_day = coaching / DAYS_PER_MONTH
        self.removals_persons_per_day = p["returns.removals_persons_per_month"] / DAYS_PER_MONTH

    def step(self) -> None:
        """One day: counselling, return decisions, ICAM guidance, forced returns and
        expired removal windows."""
        m = self.model
        counsellor_budgets = self.carry + self.counselling_cases_per_day
        budgets = self.budgets
        budgets[COACHING] = self.coaching_carry + self.coaching_cases_per_day
        budgets[REMOVALS] = self.removal_carry + self.removals_persons_per_day
        direct(returns_day)(
            m.chain,
            counsellor_budgets,
            self.caseload,
            budgets,
            m.day,
            m.seed,
            self.household_type,
            self.vulnerable,
            self.inputs,
            m.flows_today,
        )
        self.carry = np.minimum(counsellor_budgets, 0.0)
        self.coaching_carry = min(budgets[COACHING], 0.0)
        self.removal_carry = min(budgets[REMOVALS], 0.0)
