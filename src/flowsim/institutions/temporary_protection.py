"""Temporary protection: people fleeing Ukraine, outside the asylum procedure.

They register, spend their first nights in emergency reception, move to crisis housing
offered by municipalities (each municipality's share of a national number of places, by the
municipalities' distribution key; first come first served, in the municipality with the most
free places that can take the whole household), then look
for sustainable housing in the same municipal housing supply as status holders (one queue:
who asked first is housed first). At a monthly rate they find housing by themselves (hosts,
the rental market), and they may leave Belgium at any stage. Both times are drawn at
registration from the rates of that day.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np
from numba import njit

from flowsim.engine import series, states, streams
from flowsim.engine.arrivals import household_sizes, households_within
from flowsim.engine.calendar import Calendar, new_calendar, schedule, take_due
from flowsim.engine.chain import Chain
from flowsim.engine.compiled import borrowed, direct
from flowsim.engine.population import Cases, Tally, set_state
from flowsim.engine.procedure import (
    StatusHolders,
    TemporaryProtectionDesk,
    finalise,
    leave_crisis_housing,
)
from flowsim.engine.queues import best_class, head_case, head_since, new_queue, pop, push
from flowsim.engine.rates import daily_hazard
from flowsim.engine.states import FAMILY, HOUSEHOLD_TYPES
from flowsim.scenario.municipalities import distribute
from flowsim.scenario.scenario import Scenario

if TYPE_CHECKING:
    from flowsim.model import ProtectionSystem


def new_desk(n_days: int, n_cases: int) -> TemporaryProtectionDesk:
    """Nobody under temporary protection yet."""
    return TemporaryProtectionDesk(
        new_queue(np.zeros(1), n_cases),
        new_calendar(n_days, n_cases),
        new_calendar(n_days, n_cases),
    )


def _households_per_person(scenario: Scenario) -> float:
    """Households per person registering: families in the configured share of persons (of
    the families' mean size), the others single."""
    spec = scenario.temporary_protection
    family_size = scenario.profiles.household_types.family.mean_size_persons
    return spec.family_share / family_size + (1.0 - spec.family_share)


def _households(scenario: Scenario, keys: np.ndarray, seed) -> tuple[np.ndarray, np.ndarray]:
    """Profile and size (persons) of temporary-protection households with these keys:
    families (size 2 + Poisson) in the configured share of persons, else single women."""
    spec = scenario.temporary_protection
    family_size = scenario.profiles.household_types.family.mean_size_persons
    share_families = (spec.family_share / family_size) / max(
        _households_per_person(scenario), 1e-12
    )
    family = streams.uniforms(seed, keys, streams.TP_HOUSEHOLD, 0) < share_families
    family_sizes = household_sizes(
        scenario, FAMILY, streams.uniforms(seed, keys, streams.HOUSEHOLD_SIZE, 0)
    )
    size = np.where(family, family_sizes, 1).astype(np.int16)
    htype = np.where(family, HOUSEHOLD_TYPES.index("family"), HOUSEHOLD_TYPES.index("single_woman"))
    profile = (htype * 2).astype(np.int16)  # first nationality group, not vulnerable
    return profile, size


def tp_cases(scenario: Scenario, seed) -> tuple:
    """Households registering for temporary protection: (keys, profiles, sizes, days).

    Each day gets a Poisson number of households from its month's persons spread evenly
    over the month (households as in :func:`_households`).
    """
    spec = scenario.temporary_protection
    days = scenario.days
    per_day = scenario.run_days.per_day(spec.monthly_persons)
    cases_per_person = _households_per_person(scenario)
    base = streams.key_of("temporary_protection")
    day_keys = streams.combine_each(np.full(days, base, np.uint64), scenario.run_days.ordinal)
    counts = streams.poisson_ppf(
        streams.uniforms(seed, day_keys, streams.TP_COUNT, 0), per_day * cases_per_person
    )
    keys = streams.children_of(day_keys, counts)
    day = np.repeat(np.arange(days), counts).astype(np.int32)
    profile, size = _households(scenario, keys, seed)
    return keys, profile, size, day


# Where the people under temporary protection on the start date live, in the order their
# households are generated and opened (see initial_tp_cases, open_initial_tp).
INITIAL_TP_STATES = (states.TP_EMERGENCY, states.TP_CRISIS_HOUSING, states.TP_SUSTAINABLE_HOUSING)


def initial_tp_cases(scenario: Scenario, seed) -> list[tuple]:
    """Households under temporary protection on the start date: one part (keys, profiles,
    sizes, days) per state of INITIAL_TP_STATES, each totalling exactly its persons in
    ``initial_state`` (households drawn until the next would overshoot, then single women).
    Their day is -1: they registered before the start."""
    init = scenario.initial_state
    targets = (
        init.tp_in_emergency_persons,
        init.tp_in_crisis_housing_persons,
        init.tp_in_sustainable_housing_persons,
    )
    parts = []
    for state, persons in zip(INITIAL_TP_STATES, targets, strict=True):
        target = int(round(persons))
        keys = streams.child_keys(
            streams.key_of("initial", "tp", states.STATE_NAMES[state]), target
        )
        profile, size = _households(scenario, keys, seed)
        m, rest = households_within(size, target)
        single = np.int16(HOUSEHOLD_TYPES.index("single_woman") * 2)
        profile = np.concatenate([profile[:m], np.full(rest, single, np.int16)])
        size = np.concatenate([size[:m], np.ones(rest, np.int16)])
        keys = keys[: m + rest]  # the singles take the next keys
        parts.append((keys, profile, size, np.full(len(keys), -1, np.int32)))
    return parts


@njit(cache=True, inline="always")
def _schedule_after(
    cal: Calendar, c: int, day: int, seed: np.uint64, key: np.uint64, kind: int, hazard: float
) -> None:
    """Schedule an event after an exponential wait (days) with a daily ``hazard``."""
    if hazard <= 0.0:
        return
    wait = -np.log(streams.uniform(seed, key, kind, 0)) / hazard
    if wait < cal.head.shape[0]:
        schedule(cal, c, day + max(1, int(np.ceil(wait))))


@njit(cache=True, inline="always")
def crisis_housing_for(cases: Cases, tally: Tally, c: int, crisis_places: np.ndarray) -> int:
    """The municipality with the most free crisis-housing places (``crisis_places`` per
    municipality), if it can take the whole household; -1 otherwise."""
    k, most = -1, -1
    for j in range(crisis_places.shape[0]):  # no temporary array: called per household
        free = crisis_places[j] - tally.in_crisis_housing[j]
        if free > most:
            k, most = j, free
    return k if most >= cases.size[c] else -1


@njit(cache=True, inline="always")
def enter_crisis_housing(
    cases: Cases, tally: Tally, holders: StatusHolders, c: int, k: int, day: int
) -> None:
    """The household moves into municipality ``k``'s crisis housing and is in line for
    sustainable housing (the status holders' queue: who asked first is housed first)."""
    cases.municipality[c] = k
    tally.in_crisis_housing[k] += cases.size[c]
    set_state(cases, tally, c, states.TP_CRISIS_HOUSING)
    push(holders.queue, c, 0, day)


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def open_initial_tp(
    chain: Chain,
    first: int,
    counts: np.ndarray,
    seed: np.uint64,
    crisis_places: np.ndarray,
    hazard_departure: float,
    hazard_own_housing: float,
) -> None:
    """Put the households under temporary protection on the start date (cases from ``first``
    on, ``counts`` per state of INITIAL_TP_STATES) where they live, and draw when they leave
    Belgium and, outside sustainable housing, when they find housing themselves (daily
    hazards of the start date). A household that fits in no municipality's crisis housing
    waits for it in emergency reception."""
    cases, tally, desk, holders = borrowed((chain.cases, chain.tally, chain.tp, chain.holders))
    c = first
    for j in range(counts.shape[0]):
        for _ in range(counts[j]):
            state = INITIAL_TP_STATES[j]
            if state == states.TP_SUSTAINABLE_HOUSING:
                set_state(cases, tally, c, states.TP_SUSTAINABLE_HOUSING)
            else:
                k = -1
                if state == states.TP_CRISIS_HOUSING:
                    k = crisis_housing_for(cases, tally, c, crisis_places)
                if k >= 0:
                    enter_crisis_housing(cases, tally, holders, c, k, -1)
                else:
                    set_state(cases, tally, c, states.TP_EMERGENCY)
                    push(desk.crisis_queue, c, 0, -1)
            _schedule_after(
                desk.departures, c, 0, seed, cases.key[c], streams.TP_DEPARTURE, hazard_departure
            )
            if cases.state[c] != states.TP_SUSTAINABLE_HOUSING:
                _schedule_after(
                    desk.own_housing,
                    c,
                    0,
                    seed,
                    cases.key[c],
                    streams.TP_OWN_HOUSING,
                    hazard_own_housing,
                )
            c += 1


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def tp_day(
    chain: Chain,
    arrived_from: int,
    arrived_to: int,
    day: int,
    seed: np.uint64,
    nights: int,
    crisis_places: np.ndarray,
    hazard_departure: float,
    hazard_own_housing: float,
    flows,
) -> None:
    """One day: today's arrivals draw when they will leave Belgium and when they would find
    housing by themselves (rates at registration); departures and own housing due; crisis
    housing given (``crisis_places``: places per municipality)."""
    cases, tally, desk, holders = borrowed((chain.cases, chain.tally, chain.tp, chain.holders))
    for c in range(arrived_from, arrived_to):
        if cases.origin[c] != states.TEMPORARY_PROTECTION:
            continue
        _schedule_after(
            desk.departures, c, day, seed, cases.key[c], streams.TP_DEPARTURE, hazard_departure
        )
        _schedule_after(
            desk.own_housing, c, day, seed, cases.key[c], streams.TP_OWN_HOUSING, hazard_own_housing
        )
    for c in take_due(desk.own_housing, day):
        s = cases.state[c]
        if s == states.TP_EMERGENCY or s == states.TP_CRISIS_HOUSING:
            leave_crisis_housing(cases, tally, c)
            set_state(cases, tally, c, states.TP_SUSTAINABLE_HOUSING)
    for c in take_due(desk.departures, day):
        s = cases.state[c]
        if (
            s == states.TP_EMERGENCY
            or s == states.TP_CRISIS_HOUSING
            or (s == states.TP_SUSTAINABLE_HOUSING)
        ):
            flows[series.TP_DEPARTURES] += cases.size[c]
            finalise(cases, tally, c, states.TP_DEPARTED, flows)
    while True:
        cls = best_class(desk.crisis_queue)
        if cls < 0:
            return
        c = head_case(desk.crisis_queue, cls)
        if cases.state[c] != states.TP_EMERGENCY:
            pop(desk.crisis_queue, cls)
            continue
        if head_since(desk.crisis_queue, cls) + nights > day:
            return
        k = crisis_housing_for(cases, tally, c, crisis_places)
        if k < 0:
            return
        pop(desk.crisis_queue, cls)
        enter_crisis_housing(cases, tally, holders, c, k, day)


class TemporaryProtectionOffice(mesa.Agent):
    """Emergency reception and the municipalities' crisis housing for temporary protection."""

    def __init__(self, model: ProtectionSystem):
        super().__init__(model)
        self._shared_for = -1.0  # the national total the places were last shared from
        self.crisis_places = np.zeros(0, np.int64)
        self.refresh()

    def refresh(self) -> None:
        """Read today's hazards of leaving and emergency nights; the model calls this
        whenever a parameter changes (crisis places are shared out when first asked for)."""
        self.today_hazards = self.hazards()
        self.emergency_nights = int(self.model.params["temporary_protection.emergency_nights"])

    def crisis_places_by_municipality(self) -> np.ndarray:
        """Crisis-housing places per municipality today (int64, places): the national total
        shared by ``municipalities.distribution_key``."""
        total = self.model.params["temporary_protection.crisis_housing_places"]
        if total != self._shared_for:
            table = self.model.housing_search.table
            key = self.model.config.municipalities.distribution_key
            self.crisis_places = distribute(total, table, key)
            self._shared_for = total
        return self.crisis_places

    def hazards(self) -> tuple[float, float]:
        """Today's daily hazards of leaving Belgium and of finding housing by oneself."""
        p = self.model.params
        return (
            daily_hazard(p["temporary_protection.departures_per_month"]),
            daily_hazard(p["temporary_protection.own_housing_per_month"]),
        )

    def open_initial(self, first: int, counts: list[int]) -> None:
        """Place the people under temporary protection on the start date (cases from
        ``first`` on, ``counts`` households per state of INITIAL_TP_STATES)."""
        m = self.model
        open_initial_tp(
            m.chain,
            first,
            np.array(counts, np.int64),
            m.seed,
            self.crisis_places_by_municipality(),
            *self.today_hazards,
        )

    def step(self, arrived_from: int) -> None:
        """One day, for the households arrived from index ``arrived_from`` on."""
        m = self.model
        direct(tp_day)(
            m.chain,
            arrived_from,
            m.hi,
            m.day,
            m.seed,
            self.emergency_nights,
            self.crisis_places_by_municipality(),
            *self.today_hazards,
            m.flows_today,
        )
