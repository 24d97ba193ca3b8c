"""Fedasil's reception network: centres, the dispatching rule, and people leaving on their own."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import mesa
import numpy as np
from numba import njit

from flowsim.engine import series, states, streams
from flowsim.engine.calendar import Calendar, new_calendar, schedule, take_due, unschedule
from flowsim.engine.chain import Chain
from flowsim.engine.compiled import borrowed, direct
from flowsim.engine.population import (
    Cases,
    ProfileTable,
    Tally,
    Window,
    set_housing,
    window_case,
    window_size,
)
from flowsim.engine.procedure import finalise, request_place
from flowsim.engine.queues import (
    FIRST_IN_LINE,
    Queue,
    best_class,
    entry_case,
    entry_since,
    first_entry,
    head_case,
    head_since,
    in_day_order,
    next_entry,
    pop,
    push_front,
    unlink,
)
from flowsim.engine.rates import daily_hazard, daily_share
from flowsim.engine.states import HOUSEHOLD_TYPES
from flowsim.scenario.sections import Dispatch

if TYPE_CHECKING:
    from flowsim.model import ProtectionSystem


def dispatch_ranks(table: ProfileTable, rule: Dispatch) -> np.ndarray:
    """Waiting-list rank of every profile under Fedasil's rule (lower is served first)."""
    order = {name: i for i, name in enumerate(rule.priority)}
    ranks = np.empty(len(table))
    for p in range(len(table)):
        rank = 2.0 * order[HOUSEHOLD_TYPES[table.household_type[p]]]
        if rule.vulnerable_first and not table.vulnerable[p]:
            rank += 1.0
        ranks[p] = rank
    return ranks


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def enforce_capacity(
    cases: Cases, tally: Tally, waiting: Queue, capacity: np.ndarray, window: Window, day: int
) -> None:
    """Residents of centres now above capacity go back to the front of the waiting list.

    The most recent arrivals move first. They are served before every waiting case of the same
    rank (the dispatch rule still comes first); Fedasil relocates them in today's dispatch.
    """
    cases, tally, waiting, window = borrowed((cases, tally, waiting, window))
    excess = tally.occupancy - capacity
    if np.all(excess <= 0):
        return
    for i in range(window_size(window) - 1, -1, -1):
        c = window_case(window, i)
        k = cases.centre[c]
        if k >= 0 and excess[k] > 0:
            excess[k] -= cases.size[c]
            set_housing(cases, tally, c, states.WAITING, -1)
            push_front(waiting, c, cases.profile[c], FIRST_IN_LINE)


@njit(cache=True, inline="always")
def _days_to(level: float, clock: float, hazard: float) -> float:
    """Days until a clock growing by ``hazard`` a day reaches ``level`` (inf if never)."""
    if hazard <= 0.0:
        return np.inf
    return (level - clock) / hazard


@njit(cache=True, inline="always")
def schedule_departure(
    cases: Cases, tally: Tally, departures: Calendar, c: int, day: int, hp: float, ha: float
) -> None:
    """Put a resident on the calendar for the day its first reception clock may reach its level.

    Scheduled a day early (float rounding); :func:`leave` checks and reschedules.
    """
    wait = min(
        _days_to(cases.mark_private[c], tally.clock[0], hp),  # a resident's marks: levels
        _days_to(cases.mark_abscond[c], tally.clock[1], ha),
    )
    if wait > departures.head.shape[0]:
        unschedule(departures, c)
        return
    schedule(departures, c, day + max(1, int(np.ceil(wait)) - 1))


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def leave(
    cases: Cases,
    tally: Tally,
    departures: Calendar,
    day: int,
    hazard_private: float,
    hazard_abscond: float,
    flows,
) -> None:
    """Advance the reception clocks by a day's hazards; residents whose level is reached leave.

    The clocks are cumulative hazards shared by all residents. A resident's level is the clock
    at entry plus a threshold drawn once (Exp(1)) minus what earlier stays used up, so a policy
    that changes a rate moves the same person's departure date rather than re-drawing who
    leaves (common random numbers). Only residents on today's calendar are looked at.
    """
    cases, tally, departures = borrowed((cases, tally, departures))
    tally.clock[0] += hazard_private
    tally.clock[1] += hazard_abscond
    for c in take_due(departures, day):
        if cases.housing[c] != states.IN_CENTRE:
            continue  # left reception some other way since it was scheduled
        absconds = cases.mark_abscond[c] <= tally.clock[1]  # a resident's marks: levels
        if absconds or cases.mark_private[c] <= tally.clock[0]:
            flows[series.LEFT_RECEPTION] += cases.size[c]
            if cases.state[c] == states.STATUS_HOLDER:  # leaves with the status
                finalise(cases, tally, c, states.LEFT_WITH_STATUS, flows)
            elif absconds:
                finalise(cases, tally, c, states.ABSCONDED, flows)
            else:
                set_housing(cases, tally, c, states.PRIVATE, -1)
        else:
            schedule_departure(cases, tally, departures, c, day, hazard_private, hazard_abscond)


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def reschedule_departures(
    cases: Cases, tally: Tally, departures: Calendar, window: Window, day: int, hp: float, ha: float
) -> None:
    """Recompute every resident's departure day after the departure rates changed."""
    cases, tally, departures, window = borrowed((cases, tally, departures, window))
    for i in range(window_size(window)):
        c = window_case(window, i)
        if cases.housing[c] == states.IN_CENTRE:
            schedule_departure(cases, tally, departures, c, day, hp, ha)


@njit(cache=True, inline="always")
def place(
    cases: Cases,
    tally: Tally,
    departures: Calendar,
    c: int,
    centre: int,
    day: int,
    hp: float,
    ha: float,
) -> None:
    """Give case ``c`` a place in ``centre`` and put its own departure on the calendar."""
    set_housing(cases, tally, c, states.IN_CENTRE, centre)
    schedule_departure(cases, tally, departures, c, day, hp, ha)


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def dispatch(
    cases: Cases,
    tally: Tally,
    waiting: Queue,
    capacity: np.ndarray,
    departures: Calendar,
    day: int,
    hp: float,
    ha: float,
    flows,
) -> None:
    """Give free places to waiting cases in rank order; a household is never split.

    A case goes to the centre with the most free places. Dispatch stops at the first case that
    fits nowhere, so nobody jumps the queue (persons, places). Placements count as admissions
    to the network except relocations of residents displaced by a capacity cut.
    """
    cases, tally, waiting, departures = borrowed((cases, tally, waiting, departures))
    while True:
        cls = best_class(waiting)
        if cls < 0:
            return
        c = head_case(waiting, cls)
        if cases.housing[c] != states.WAITING:
            pop(waiting, cls)
            continue
        free = capacity - tally.occupancy
        k = np.argmax(free)
        if free[k] < cases.size[c]:
            return
        relocated = (
            head_since(waiting, cls) == FIRST_IN_LINE and cases.origin[c] != states.RESETTLED
        )
        pop(waiting, cls)
        place(cases, tally, departures, c, k, day, hp, ha)
        if not relocated:
            flows[series.RECEPTION_ADMISSIONS] += cases.size[c]


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def stop_waiting(
    cases: Cases,
    tally: Tally,
    waiting: Queue,
    seed: np.uint64,
    day: int,
    share: float,
    flows,
) -> None:
    """People waiting for a place since before ``day`` stop waiting, each with the
    probability ``share`` today (one keyed draw per case and day), and live privately; their
    procedure goes on. Resettled refugees, whom Fedasil houses on arrival, always wait."""
    cases, tally, waiting = borrowed((cases, tally, waiting))
    for cls in range(waiting.head.shape[0]):
        before, e = -1, first_entry(waiting, cls)
        while e >= 0:
            c = entry_case(waiting, e)
            if (
                cases.housing[c] == states.WAITING
                and entry_since(waiting, e) < day  # FIRST_IN_LINE (relocated residents) included
                and cases.origin[c] != states.RESETTLED
                and streams.uniform(seed, cases.key[c], streams.LEAVE_WAITING_LIST, day) < share
            ):
                flows[series.LEFT_WAITING_LIST] += cases.size[c]
                set_housing(cases, tally, c, states.PRIVATE, -1)
                e = unlink(waiting, cls, before, e)
            else:
                before, e = e, next_entry(waiting, e)


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def reception_day(
    chain: Chain,
    capacity: np.ndarray,
    day: int,
    seed: np.uint64,
    hp: float,
    ha: float,
    give_up: float,
    flows,
) -> None:
    """One day of Fedasil's network: residents leaving on their own (daily hazards ``hp`` of
    leaving for private housing, ``ha`` of absconding), people waiting for a place giving up
    (the share ``give_up`` of them today), then free places (``capacity``, places per
    centre) given to waiting cases."""
    cases, tally, waiting, departures = borrowed(
        (chain.cases, chain.tally, chain.waiting, chain.departures)
    )
    leave(cases, tally, departures, day, hp, ha, flows)
    if give_up > 0.0 and tally.housing_persons[states.WAITING] > 0:
        stop_waiting(cases, tally, waiting, seed, day, give_up, flows)
    dispatch(cases, tally, waiting, capacity, departures, day, hp, ha, flows)


class ReceptionCentre(mesa.Agent):
    """A reception centre (or a network of alike centres) with a capacity schedule and cost."""

    def __init__(
        self,
        model: ProtectionSystem,
        index: int,
        name: str,
        centre_type: str,
        reserved_for: str | None = None,
    ):
        super().__init__(model)
        self.index = index
        self.name = name
        self.centre_type = centre_type
        self.reserved_for = reserved_for  # "resettled": partner municipalities' places

    def capacity_places(self) -> int:
        """Places open today (places = persons)."""
        return int(math.floor(self.model.params[f"reception.centres.{self.name}.places"]))

    def cost_eur_per_night(self) -> float:
        """Price of one occupied place for one night (euros)."""
        return self.model.params[f"reception.centres.{self.name}.cost_eur_per_night"]


class Fedasil(mesa.Agent):
    """Runs the network: adjusts to capacity changes, lets residents go, dispatches places."""

    def __init__(self, model: ProtectionSystem, centres: list[ReceptionCentre]):
        super().__init__(model)
        self.centres = centres
        self.capacity = np.zeros(len(centres), np.int64)  # places per centre, today
        # places Fedasil may give to anyone who asks; reserved centres count as having none
        self.reserved = np.array([c.reserved_for is not None for c in centres], np.bool_)
        self.dispatchable = np.zeros(len(centres), np.int64)  # fillable with nobody waiting
        self.dispatchable_when_full = np.zeros(len(centres), np.int64)  # with people waiting
        self.partner_places = np.zeros(len(centres), np.int64)  # reserved for the resettled
        self.cost = np.zeros(len(centres))  # euros per occupied place per night, today
        # whether anyone was left without a place after yesterday's dispatch (or in the
        # start state): the network is full, and Fedasil uses its slack today
        self.left_waiting = False
        self.departures = new_calendar(model.n_days, len(model.cases.key))
        self.refresh()
        self._scheduled_with = self.today_hazards  # rates the calendar was computed with

    def refresh(self) -> None:
        """Read every centre's capacity (places) and the places Fedasil may fill in it (its
        usable share, and more while people wait for a place; none in reserved centres), its
        price, and the hazards of leaving; the model calls this whenever a parameter
        changes."""
        p = self.model.params
        self.capacity = np.array([c.capacity_places() for c in self.centres], np.int64)
        usable = p["reception.usable_place_share"]
        self.dispatchable = self._fillable(usable)
        self.dispatchable_when_full = self._fillable(
            usable + p["reception.slack_used_when_full"] * (1.0 - usable)
        )
        self.partner_places = np.where(self.reserved, self.capacity, 0)
        self.cost = np.array([c.cost_eur_per_night() for c in self.centres])
        self.today_hazards = self.hazards()
        self.give_up_share = daily_share(p["reception.leave_waiting_list_per_month"])

    def _fillable(self, share: float) -> np.ndarray:
        """Places Fedasil may fill in each centre at ``share`` of its places (none in
        reserved centres)."""
        places = np.floor(self.capacity * share).astype(np.int64)
        return np.where(self.reserved, 0, places)

    def hazards(self) -> tuple[float, float]:
        """Today's daily hazards of leaving for private housing and of absconding (per day).

        Residents who work and leave once code 207 is lifted add a competing hazard of
        leaving for private housing.
        """
        p = self.model.params
        return (
            daily_hazard(p["reception.leave_to_private_housing_per_month"])
            + daily_hazard(p["reception.code_207_lifted_leave_per_month"]),
            daily_hazard(p["reception.abscond_per_month"]),
        )

    def step(self) -> None:
        """One day: enforce today's capacities, departures, then dispatch free places."""
        m = self.model
        hp, ha = self.today_hazards
        if (hp, ha) != self._scheduled_with:
            direct(reschedule_departures)(
                m.cases, m.tally, self.departures, m.window, m.day, hp, ha
            )
            self._scheduled_with = (hp, ha)
        if (m.tally.occupancy > self.capacity).any():  # a cut: only then scan the residents
            direct(enforce_capacity)(
                m.cases, m.tally, m.queues.waiting, self.capacity, m.window, m.day
            )
        # not today's waiting count: it holds today's registrations, who have not been
        # offered a place yet, and would open the slack on any day anyone registers
        direct(reception_day)(
            m.chain,
            self.dispatchable_when_full if self.left_waiting else self.dispatchable,
            m.day,
            m.seed,
            hp,
            ha,
            self.give_up_share,
            m.flows_today,
        )
        self.left_waiting = bool(m.tally.housing_persons[states.WAITING] > 0)


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def place_initial_residents(
    cases: Cases,
    tally: Tally,
    waiting: Queue,
    targets: np.ndarray,
    residents: np.ndarray,
    others: np.ndarray,
    waiting_persons: int,
    departures: Calendar,
    hp: float,
    ha: float,
) -> None:
    """Place the cases in the system on the start date in centres until each holds its target
    (persons): first ``residents`` (in order; groups who all live in reception), then ``others`` (in
    order; groups who fill the places left; see
    :class:`flowsim.scenario.initial_state.InitialState`). A household goes to the first centre with
    room for all of it (households are not split).

    A resident that finds no room is left without housing for its group's opener to deal
    with (a status holder has left with its status, an order to leave is outside
    reception). Of the others that find no room, the most recently lodged (most recently in
    their step) are on the waiting list (``waiting_persons`` persons, a few fewer when no
    household fits the rest); the others live in private housing on the start date.
    """
    cases, tally, waiting, departures = borrowed((cases, tally, waiting, departures))
    remaining = targets.copy()
    for c in residents:
        place_first_fit(cases, tally, departures, remaining, c, hp, ha)
    unplaced = np.empty(others.shape[0], np.int64)
    n_unplaced = 0
    for c in others:
        if not place_first_fit(cases, tally, departures, remaining, c, hp, ha):
            unplaced[n_unplaced] = c
            n_unplaced += 1
    unplaced = unplaced[:n_unplaced]
    # most recently lodged first (stable: among equals, in placing order)
    recent = unplaced[in_day_order(-cases.arrival_day[unplaced])]
    left = waiting_persons
    for c in recent:
        if cases.size[c] <= left:
            left -= cases.size[c]
            request_place(cases, tally, waiting, c, cases.arrival_day[c])
        else:
            set_housing(cases, tally, c, states.PRIVATE, -1)


@njit(cache=True, inline="always")
def place_first_fit(
    cases: Cases,
    tally: Tally,
    departures: Calendar,
    remaining: np.ndarray,
    c: int,
    hp: float,
    ha: float,
) -> bool:
    """Place case ``c`` on the start date in the first centre whose ``remaining`` places
    (persons still to place there) hold it; whether it was placed."""
    for k in range(remaining.shape[0]):
        if remaining[k] >= cases.size[c]:
            remaining[k] -= cases.size[c]
            place(cases, tally, departures, c, k, -1, hp, ha)
            return True
    return False
