"""Return: open return places, return counsellors, assisted voluntary return, forced return,
subsequent applications and irregular stay.

After a final negative outcome, a resident stays in an open return place for a configured
stay and may meet a return counsellor (a caseload capacity per month). At the end of the stay
the case decides: assisted voluntary return (more likely when counselled and when the
reintegration package is larger), a subsequent application (back to the CGRS), or neither,
in which case it leaves reception and waits for a forced return within the Immigration
Office's removal capacity; not removed within the removal window, it stays irregularly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np
from numba import njit

from flowsim import series, states, streams
from flowsim.calendar import new_calendar, schedule, take_due
from flowsim.config import DAYS_PER_MONTH, HOUSEHOLD_TYPES
from flowsim.population import Cases, ProfileTable, Tally, set_housing
from flowsim.procedure import ReturnDesk, finalise, lodge_at_cgrs
from flowsim.queues import Queue, best_class, new_queue, pop, push

if TYPE_CHECKING:
    from flowsim.model import ProtectionSystem

FAMILY = HOUSEHOLD_TYPES.index("family")
MINOR = HOUSEHOLD_TYPES.index("unaccompanied_minor")

# Indices of the package/uptake parameters passed to the kernel (euros, shares).
ADULT, MINOR_EUR, CASE_TOP_UP, VULNERABLE_TOP_UP, REFERENCE, ELASTICITY = range(6)
UPTAKE_COUNSELLED, UPTAKE_NOT_COUNSELLED, SUBSEQUENT = 6, 7, 8


def new_return_desk(n_days: int, n_cases: int) -> ReturnDesk:
    """Nobody with an order to leave yet."""
    return ReturnDesk(
        decisions=new_calendar(n_days, n_cases),
        counselling=new_queue(np.zeros(1), n_cases),
        removals=new_queue(np.zeros(1), n_cases),
        removal_deadlines=new_calendar(n_days, n_cases),
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


@njit(cache=True)
def counsel(cases: Cases, counselling: Queue, budget: float) -> float:
    """Return counsellors meet waiting cases first come first served within ``budget``."""
    while budget > 0.0:
        cls = best_class(counselling)
        if cls < 0:
            break
        c = pop(counselling, cls)
        if cases.state[c] != states.ORDER_TO_LEAVE:
            continue
        cases.counselled[c] = True
        budget -= 1.0
    return budget


@njit(cache=True)
def decide_returns(
    cases: Cases,
    tally: Tally,
    desk: ReturnDesk,
    cgrs_queue: Queue,
    day: int,
    seed: np.uint64,
    household_type: np.ndarray,
    vulnerable: np.ndarray,
    p: np.ndarray,
    flows,
) -> None:
    """Cases at the end of their open return place stay choose how they go on."""
    for c in take_due(desk.decisions, day):
        if cases.state[c] != states.ORDER_TO_LEAVE:
            continue
        n = cases.size[c]
        prof = cases.profile[c]
        euros = package_eur(n, household_type[prof], vulnerable[prof], p)
        uptake = p[UPTAKE_COUNSELLED] if cases.counselled[c] else p[UPTAKE_NOT_COUNSELLED]
        uptake = min(1.0, uptake * (euros / n / p[REFERENCE]) ** p[ELASTICITY])
        u = streams.uniform(seed, cases.key[c], streams.RETURN_CHOICE, cases.n_cgrs[c])
        if u < uptake:
            flows[series.AVR_DEPARTURES] += n
            flows[series.REINTEGRATION_EUR] += euros
            finalise(cases, tally, c, states.AVR_DEPARTED, flows)
        elif u < uptake + p[SUBSEQUENT]:
            flows[series.SUBSEQUENT_APPLICATIONS] += n
            cases.counselled[c] = False
            lodge_at_cgrs(cases, tally, cgrs_queue, c, day)
        else:
            if cases.housing[c] != states.PRIVATE:
                set_housing(cases, tally, c, states.PRIVATE, -1)
            push(desk.removals, c, 0, day)
            schedule(desk.removal_deadlines, c, day + max(desk.days[1], 1))


@njit(cache=True)
def remove(cases: Cases, tally: Tally, desk: ReturnDesk, budget: float, day: int, flows):
    """Forced returns first come first served within ``budget`` (persons); cases whose
    removal window ends today stay irregularly. Returns the unused budget."""
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


class ReturnService(mesa.Agent):
    """Return counsellors (Fedasil and partners) and the Immigration Office's removals."""

    def __init__(self, model: ProtectionSystem, profiles: ProfileTable):
        super().__init__(model)
        self.household_type = profiles.household_type
        self.vulnerable = profiles.vulnerable
        self.counselling_carry = 0.0
        self.removal_carry = 0.0
        self.inputs = np.zeros(9)

    def set_deadlines(self) -> None:
        """Today's open return place stay and removal window (days)."""
        p = self.model.params
        self.model.return_desk.days[0] = int(p["returns.open_return_place_days"])
        self.model.return_desk.days[1] = int(p["returns.removal_window_days"])

    def step(self) -> None:
        """One day: counselling, return decisions, forced returns and expired windows."""
        m = self.model
        p = m.params
        self.set_deadlines()
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
        caseload = p["returns.counsellors_fte"] * p["returns.cases_per_counsellor_per_month"]
        left = counsel(
            m.cases, m.return_desk.counselling, self.counselling_carry + caseload / DAYS_PER_MONTH
        )
        self.counselling_carry = min(left, 0.0)
        decide_returns(
            m.cases,
            m.tally,
            m.return_desk,
            m.queues.cgrs,
            m.day,
            m.seed,
            self.household_type,
            self.vulnerable,
            x,
            m.flows_today,
        )
        removals = p["returns.removals_persons_per_month"] / DAYS_PER_MONTH
        left = remove(
            m.cases, m.tally, m.return_desk, self.removal_carry + removals, m.day, m.flows_today
        )
        self.removal_carry = min(left, 0.0)
