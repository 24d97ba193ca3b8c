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

from typing import TYPE_CHECKING, NamedTuple

import mesa
import numpy as np
import pandas as pd
from numba import njit

from flowsim import series, states, streams
from flowsim.calendar import Calendar, new_calendar, schedule, take_due
from flowsim.chain import Chain
from flowsim.compiled import borrowed, direct
from flowsim.config import HOUSEHOLD_TYPES, Scenario
from flowsim.municipalities import distribute
from flowsim.population import household_sizes, set_state
from flowsim.procedure import finalise, leave_crisis_housing
from flowsim.queues import Queue, best_class, new_queue, pop, push
from flowsim.reception import daily_hazard

if TYPE_CHECKING:
    from flowsim.model import ProtectionSystem


FAMILY = HOUSEHOLD_TYPES.index("family")


class TemporaryProtectionDesk(NamedTuple):
    """Households in emergency reception waiting for crisis housing, and their departures."""

    crisis_queue: Queue  # first come first served
    departures: Calendar  # the day each household leaves Belgium
    own_housing: Calendar  # the day each household finds housing by itself


def new_desk(n_days: int, n_cases: int) -> TemporaryProtectionDesk:
    """Nobody under temporary protection yet."""
    return TemporaryProtectionDesk(
        new_queue(np.zeros(1), n_cases),
        new_calendar(n_days, n_cases),
        new_calendar(n_days, n_cases),
    )


def tp_cases(scenario: Scenario, seed) -> tuple:
    """Households registering for temporary protection: (keys, profiles, sizes, days).

    Each day gets a Poisson number of households from its month's persons spread evenly
    over the month; households are families (size 2 + Poisson) or single women.
    """
    spec = scenario.temporary_protection
    days = scenario.days
    dates = pd.date_range(scenario.start_date, periods=days, freq="D")
    per_day = np.array(
        [spec.monthly_persons.get(m, 0.0) for m in dates.strftime("%Y-%m")]
    ) / np.asarray(dates.days_in_month)
    family_size = scenario.profiles.household_types.family.mean_size_persons
    cases_per_person = spec.family_share / family_size + (1.0 - spec.family_share)
    base = streams.key_of("temporary_protection")
    ordinals = np.array([d.toordinal() for d in dates.date], np.uint64)
    day_keys = streams.combine_each(np.full(days, base, np.uint64), ordinals)
    counts = streams.poisson_ppf(
        streams.uniforms(seed, day_keys, streams.TP_COUNT, 0), per_day * cases_per_person
    )
    keys = streams.children_of(day_keys, counts)
    day = np.repeat(np.arange(days), counts).astype(np.int32)
    share_families = (spec.family_share / family_size) / max(cases_per_person, 1e-12)
    family = streams.uniforms(seed, keys, streams.TP_HOUSEHOLD, 0) < share_families
    family_sizes = household_sizes(
        scenario, FAMILY, streams.uniforms(seed, keys, streams.HOUSEHOLD_SIZE, 0)
    )
    size = np.where(family, family_sizes, 1).astype(np.int16)
    htype = np.where(family, HOUSEHOLD_TYPES.index("family"), HOUSEHOLD_TYPES.index("single_woman"))
    profile = (htype * 2).astype(np.int16)  # first nationality group, not vulnerable
    return keys, profile, size, day


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


@njit(cache=True)
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
        c = desk.crisis_queue.head[cls]
        if cases.state[c] != states.TP_EMERGENCY:
            pop(desk.crisis_queue, cls)
            continue
        if desk.crisis_queue.since[c] + nights > day:
            return
        free = crisis_places - tally.in_crisis_housing
        k = np.argmax(free)
        if free[k] < cases.size[c]:
            return
        pop(desk.crisis_queue, cls)
        cases.municipality[c] = k
        tally.in_crisis_housing[k] += cases.size[c]
        set_state(cases, tally, c, states.TP_CRISIS_HOUSING)
        push(holders.queue, c, 0, day)  # in line for sustainable housing


class TemporaryProtectionOffice(mesa.Agent):
    """Emergency reception and the municipalities' crisis housing for temporary protection."""

    def __init__(self, model: ProtectionSystem):
        super().__init__(model)
        self._shared_for = -1.0  # the national total the places were last shared from
        self.crisis_places = np.zeros(0, np.int64)

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

    def step(self, arrived_from: int) -> None:
        """One day, for the households arrived from index ``arrived_from`` on."""
        m = self.model
        p = m.params
        direct(tp_day)(
            m.chain,
            arrived_from,
            m.hi,
            m.day,
            m.seed,
            int(p["temporary_protection.emergency_nights"]),
            self.crisis_places_by_municipality(),
            daily_hazard(p["temporary_protection.departures_per_month"]),
            daily_hazard(p["temporary_protection.own_housing_per_month"]),
            m.flows_today,
        )
