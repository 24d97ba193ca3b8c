"""Housing for status holders: the municipalities' supply and the search from reception.

A resident granted protection keeps the reception place during the transition period and
looks for housing. Each municipality (its OCMW/CPAS) finds housing for a number of persons per
month; status holders are housed first-granted first-housed, in the municipality with the
most housing available. Those still in reception after the transition period are counted
(the outflow problem); after the maximum stay they leave reception whether housed or not.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import mesa
import numpy as np
from numba import njit

from flowsim.engine import series, states
from flowsim.engine.calendar import new_calendar, schedule, take_due
from flowsim.engine.chain import Chain
from flowsim.engine.compiled import borrowed, direct
from flowsim.engine.population import REGION_UNASSIGNED, Cases, Tally, set_housing, set_state
from flowsim.engine.procedure import (
    StatusHolders,
    finalise,
    leave_crisis_housing,
    start_housing_search,
    under_restrictions,
)
from flowsim.engine.queues import best_class, head_case, in_day_order, new_queue, pop, push
from flowsim.engine.rates import DAYS_PER_MONTH
from flowsim.scenario.municipalities import (
    REGIONS,
    MunicipalityTable,
    read_capacity_table,
    share_places_by_region,
)
from flowsim.scenario.scenario import Scenario
from flowsim.scenario.sections import MUNICIPAL_TABLE_COLUMNS

if TYPE_CHECKING:
    from flowsim.model import ProtectionSystem


def new_status_holders(n_days: int, n_cases: int) -> StatusHolders:
    """No status holders yet."""
    return StatusHolders(
        queue=new_queue(np.zeros(1), n_cases),
        transition_ends=new_calendar(n_days, n_cases),
        stay_limits=new_calendar(n_days, n_cases),
        ready=new_calendar(n_days, n_cases),
        days=np.zeros(3, np.int64),
    )


def housing_weights(scenario: Scenario, table: MunicipalityTable) -> np.ndarray:
    """Each municipality's share of the national housing supply (shares sum to 1)."""
    spec = scenario.municipalities
    if spec.table_file is not None:
        column = read_capacity_table(Path(spec.table_file), table, MUNICIPAL_TABLE_COLUMNS)
        weights = column["housing_persons_per_month"].astype(np.float64)
    elif spec.distribution_key == "population":
        weights = table.population.astype(np.float64)
    else:
        weights = np.ones(len(table))
    total = weights.sum()
    return weights / total if total > 0 else np.full(len(table), 1.0 / len(table))


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def open_initial_status_holders(
    cases: Cases, tally: Tally, holders: StatusHolders, n_status: int
) -> None:
    """Cases ``[0, n_status)`` were granted refugee status before the start date.

    Their (negative) arrival day is the day of the decision. Those who found no place on the
    start date have left with their status.
    """
    cases, tally, holders = borrowed((cases, tally, holders))
    for c in in_day_order(cases.arrival_day[:n_status]):
        cases.status[c] = states.REFUGEE
        cases.status_day[c] = cases.arrival_day[c]
        if cases.housing[c] != states.IN_CENTRE:
            set_state(cases, tally, c, states.LEFT_WITH_STATUS)
            continue
        set_state(cases, tally, c, states.STATUS_HOLDER)
        push(holders.queue, c, 0, cases.status_day[c])
        transition_end = cases.status_day[c] + holders.days[0]
        if transition_end <= 0:
            cases.overstaying[c] = True
            tally.overstaying[0] += cases.size[c]
        else:
            schedule(holders.transition_ends, c, transition_end)
        schedule(holders.stay_limits, c, max(cases.status_day[c] + holders.days[1], 0))


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def mark_overstaying(cases: Cases, tally: Tally, holders: StatusHolders, day: int) -> None:
    """Status holders whose transition period ends today and who are still in reception."""
    cases, tally, holders = borrowed((cases, tally, holders))
    for c in take_due(holders.transition_ends, day):
        if cases.state[c] == states.STATUS_HOLDER and not cases.overstaying[c]:
            cases.overstaying[c] = True
            tally.overstaying[0] += cases.size[c]


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def enforce_stay_limit(cases: Cases, tally: Tally, holders: StatusHolders, day: int, flows):
    """Status holders at the end of their maximum stay leave reception, housed or not."""
    cases, tally, holders = borrowed((cases, tally, holders))
    for c in take_due(holders.stay_limits, day):
        if cases.state[c] == states.STATUS_HOLDER:
            finalise(cases, tally, c, states.LEFT_WITH_STATUS, flows)


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def find_housing(
    cases: Cases,
    tally: Tally,
    holders: StatusHolders,
    available: np.ndarray,
    housed: np.ndarray,
    flows,
) -> None:
    """House status holders (and households under temporary protection in crisis housing) in
    the order they asked, while municipalities have housing.

    ``available`` is each municipality's housing not yet taken (persons); a household goes to
    the municipality with the most, which may go below zero (a large family), so the supply
    is respected on average. ``housed`` counts persons housed per municipality (cumulative).
    """
    cases, tally, holders = borrowed((cases, tally, holders))
    while True:
        cls = best_class(holders.queue)
        if cls < 0:
            return
        c = head_case(holders.queue, cls)
        tp = cases.state[c] == states.TP_CRISIS_HOUSING
        if cases.state[c] != states.STATUS_HOLDER and not tp:
            pop(holders.queue, cls)
            continue
        k = np.argmax(available)
        if available[k] < 1.0:
            return
        pop(holders.queue, cls)
        leave_crisis_housing(cases, tally, c)
        available[k] -= cases.size[c]
        cases.municipality[c] = k
        housed[k] += cases.size[c]
        flows[series.HOUSED_BY_MUNICIPALITIES] += cases.size[c]
        if tp:  # temporary protection: sustainable housing, still in the model
            set_state(cases, tally, c, states.TP_SUSTAINABLE_HOUSING)
        else:
            finalise(cases, tally, c, states.HOUSED, flows)


@njit(cache=True, inline="always")
def move_to_partner_place(cases: Cases, tally: Tally, partner_places: np.ndarray, c: int) -> None:
    """A resettled household leaves its centre for the partner place with the most room, if
    one has room for the whole household (persons, places); otherwise it stays where it is."""
    if cases.centre[c] < 0 or partner_places[cases.centre[c]] > 0:
        return  # without a place, or already in a partner place
    free = partner_places - tally.occupancy
    k = np.argmax(free)
    if partner_places[k] > 0 and free[k] >= cases.size[c]:
        set_housing(cases, tally, c, states.IN_CENTRE, k)


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def housing_day(
    chain: Chain,
    available: np.ndarray,
    housed: np.ndarray,
    supply_per_day: np.ndarray,
    kept_days: float,
    partner_places: np.ndarray,
    day: int,
    flows,
) -> None:
    """One day of the housing search: new supply (persons, kept at most ``kept_days`` days'
    worth), resettled refugees at the end of their centre stay moving to a partner
    municipality's place, transition periods ending, housing found, maximum stays ending.

    ``partner_places`` are the places per centre kept for resettled refugees (0 elsewhere).
    """
    cases, tally, holders = borrowed((chain.cases, chain.tally, chain.holders))
    for k in range(available.shape[0]):
        cap = max(supply_per_day[k] * kept_days, 1.0)
        available[k] = min(available[k] + supply_per_day[k], cap)
    for c in take_due(holders.ready, day):
        if cases.state[c] == states.STATUS_HOLDER:
            move_to_partner_place(cases, tally, partner_places, c)
            start_housing_search(holders, c, day)
    mark_overstaying(cases, tally, holders, day)
    find_housing(cases, tally, holders, available, housed, flows)
    enforce_stay_limit(cases, tally, holders, day, flows)


def national_supply(params: dict[str, float]) -> float:
    """Housing the municipalities find for status holders today, all of Belgium (persons per
    month): the normal supply, reduced while COVID-19 restrictions keep status holders from
    visiting housing (``municipalities.restrictions_in_force``)."""
    return params["municipalities.housing_persons_per_month"] * under_restrictions(
        params["municipalities.restrictions_in_force"],
        params["municipalities.restricted_housing_share"],
    )


class Municipality(mesa.Agent):
    """A municipality and its OCMW/CPAS: finds housing for status holders (persons per month),
    offers Local Reception Initiative places and crisis housing for temporary protection
    (places)."""

    def __init__(self, model: ProtectionSystem, index: int, nis: int, name: str, region: str):
        super().__init__(model)
        self.index = index
        self.nis = nis
        self.name = name
        self.region = region

    def housing_persons_per_month(self) -> float:
        """This municipality's supply today: its share of the national total (persons/month)."""
        search = self.model.housing_search
        return search.weights[self.index] * national_supply(self.model.params)

    def lri_places(self) -> int:
        """LRI places this municipality offers today (places): its share of its region's."""
        return int(self.model.housing_search.lri_places()[self.index])

    def crisis_housing_places(self) -> int:
        """Crisis-housing places for temporary protection today (places): its share of the
        national total."""
        return int(self.model.tp_office.crisis_places_by_municipality()[self.index])

    def in_crisis_housing(self) -> int:
        """Persons under temporary protection in its crisis housing now (persons)."""
        return int(self.model.tally.in_crisis_housing[self.index])


class HousingSearch(mesa.Agent):
    """Status holders in reception looking for housing in the municipalities."""

    def __init__(self, model: ProtectionSystem, table: MunicipalityTable):
        super().__init__(model)
        self.table = table
        self.weights = housing_weights(model.config, table)
        self.available = np.zeros(len(table))  # housing not yet taken, persons
        self.housed = np.zeros(len(table), np.int64)  # persons housed so far, per municipality
        self.refresh()

    @cached_property
    def municipalities(self) -> list[Municipality]:
        """One agent per municipality of the table, in its order. They hold no state of
        their own (they read this search's arrays and the model's) and take no step, so
        they are created when first asked for: a run that never looks at one, like each run
        of a sweep, does not pay for 581 agents (about 2 ms, a tenth of building a short
        run)."""
        table, model = self.table, self.model
        return [
            Municipality(model, i, int(table.nis[i]), table.name[i], REGIONS[table.region[i]])
            for i in range(len(table))
        ]

    def lri_places(self) -> np.ndarray:
        """LRI places per municipality today (int64, places): the places of each centre of
        type ``lri`` shared among the municipalities of its region (of Belgium, for a centre
        naming none) by ``municipalities.distribution_key``."""
        m = self.model
        lri = np.array([k.index for k in m.centres if k.centre_type == "lri"], np.int64)
        places = m.fedasil.capacity[lri]
        codes = m.tally.centre_region[lri].astype(np.int64)
        regions = np.where(codes == REGION_UNASSIGNED, -1, codes)  # -1: all of Belgium
        return share_places_by_region(
            places, regions, self.table, m.config.municipalities.distribution_key
        )

    def set_deadlines(self) -> None:
        """Today's transition period and maximum stay (days), for status granted today."""
        p = self.model.params
        self.model.status_holders.days[0] = int(p["status_holders.transition_period_days"])
        self.model.status_holders.days[1] = int(p["status_holders.max_stay_days"])
        self.model.status_holders.days[2] = int(p["resettlement.centre_stay_days"])

    def refresh(self) -> None:
        """Read today's housing supply (persons per day, per municipality), how long unused
        housing stays on offer (days) and the deadlines; the model calls this whenever a
        parameter changes."""
        p = self.model.params
        self.supply_persons_per_day = self.weights * (national_supply(p) / DAYS_PER_MONTH)
        self.kept_days = p["municipalities.unused_housing_kept_months"] * DAYS_PER_MONTH
        self.set_deadlines()

    def step(self) -> None:
        """One day: new supply, transition periods ending, housing found, stays ending."""
        m = self.model
        direct(housing_day)(
            m.chain,
            self.available,
            self.housed,
            self.supply_persons_per_day,
            self.kept_days,
            m.fedasil.partner_places,
            m.day,
            m.flows_today,
        )
