"""The national system as a Mesa model, stepping one calendar day at a time.

The daily loop is explicit and fixed: arrivals, the Immigration Office, Fedasil, the CGRS,
CALL, then the day's stocks are recorded. Institutions are Mesa agents; applicants live in the
array-backed population (:mod:`flowsim.engine.population`) and are moved by numba kernels.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

import mesa
import numpy as np
import pandas as pd
from numba import njit

from flowsim.engine import arrivals, groups, regions, series, states, streams
from flowsim.engine.arrivals import Generated, generate
from flowsim.engine.chain import Chain, new_chain
from flowsim.engine.compiled import borrowed, direct
from flowsim.engine.population import Applicants, ProfileTable, Window, new_tally, rebuild_window
from flowsim.engine.procedure import open_initial_cases
from flowsim.engine.queues import Queue, new_queue
from flowsim.engine.states import CENTRE_TYPES
from flowsim.institutions.call import Call
from flowsim.institutions.cgrs import Cgrs, decisions, new_cgrs_desk, queue_ranks
from flowsim.institutions.housing import (
    HousingSearch,
    new_status_holders,
    open_initial_status_holders,
)
from flowsim.institutions.immigration_office import (
    ImmigrationOffice,
    arrive,
    open_initial_dublin,
    open_initial_files,
)
from flowsim.institutions.reception import (
    Fedasil,
    ReceptionCentre,
    dispatch_ranks,
    place_initial_residents,
)
from flowsim.institutions.resettlement import pipeline, resettled_cases
from flowsim.institutions.returns import ReturnService, new_return_desk, open_initial_returns
from flowsim.institutions.start_state import state_summary
from flowsim.institutions.temporary_protection import (
    TemporaryProtectionOffice,
    initial_tp_cases,
    new_desk,
    tp_cases,
)
from flowsim.scenario.municipalities import load_municipalities
from flowsim.scenario.scenario import Scenario
from flowsim.scenario.timeline import Timeline
from flowsim.scenario.triggers import TriggerRules

WINDOW_REBUILD_DAYS = 7  # how often exited cases are dropped from the daily scans


class ConservationError(RuntimeError):
    """Persons were created or lost: a bug in a transition, never a user error."""


class Queues(NamedTuple):
    """The four queues of the chain."""

    registration: Queue  # awaiting registration at the Arrival Centre
    cgrs: Queue  # pending first-instance decisions
    call: Queue  # pending appeals
    waiting: Queue  # entitled to reception, without a place


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the block (restored after, as it was).

    A model makes few reference cycles, but its allocations trigger the collector, which
    then traverses every object of the process (pandas, numba, Dask: a full collection took
    0.13 s, a quarter of a run, once in 5 to 12 runs). Cycles made in the block are
    collected at the first collection after it.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


class ProtectionSystem(mesa.Model):
    """Belgium's international-protection chain for one scenario and one seed.

    ``step()`` simulates one day; ``run()`` simulates the whole period and returns the daily
    series (persons; euros for costs). A scenario with an ensemble (a calibrated model) runs
    its member 0, as replication 0 of ``flowsim run`` does (``scenario.member(k)`` for
    another member): its fields without the member's values are not a model of anything.
    """

    def __init__(self, scenario: Scenario, seed: int = 0):
        super().__init__(rng=seed)
        scenario = scenario.member(0)
        self.config = scenario  # not `scenario`: Mesa 3.5 models have their own
        self.seed = np.uint64(seed)
        self.timeline = Timeline(scenario)
        self.params: dict[str, float] = dict(self.timeline.base)
        self.triggers = TriggerRules(scenario)
        self.profiles = ProfileTable.from_scenario(scenario)
        self.resettlement = pipeline(scenario, self.timeline)
        others = {
            states.RESETTLED: resettled_cases(scenario, self.resettlement.transferred, self.seed),
            states.TEMPORARY_PROTECTION: tp_cases(scenario, self.seed),
        }
        tp_initial = initial_tp_cases(scenario, self.seed)
        generated = generate(
            scenario,
            self.timeline,
            self.profiles,
            self.seed,
            others,
            [(states.TEMPORARY_PROTECTION, part) for part in tp_initial],
        )
        self.cases = generated.cases
        n_cases = len(self.cases.key)
        self.day = 0
        self.n_days = scenario.days
        g = generated
        self.hi = g.n_initial_applicants + g.n_initial_other
        self._window = Window(np.arange(self.hi, dtype=np.int64), self.hi, self.hi)
        self._window_day = 0  # the day the window was last rebuilt
        equal_ranks = np.zeros(len(self.profiles))  # one class per profile
        self.queues = Queues(
            registration=new_queue(np.zeros(1), n_cases),
            cgrs=new_queue(queue_ranks(self.profiles, scenario.cgrs.prioritisation), n_cases),
            call=new_queue(equal_ranks, n_cases),
            waiting=new_queue(dispatch_ranks(self.profiles, scenario.reception.dispatch), n_cases),
        )
        self.flows = np.zeros((self.n_days, series.N_FLOWS))
        self.stocks = np.zeros((self.n_days, len(series.STOCK_NAMES)))
        self.by_profile = np.zeros((self.n_days, groups.N_ROWS, len(self.profiles)), np.int64)
        self.by_region = np.zeros((self.n_days, regions.N_ROWS, len(regions.CENTRE_REGIONS)))
        self.flows_today = self.flows[0]
        self._arrived_from = 0
        # seconds spent in each stage of the day over the run, when profiled (None: not timed)
        self.stage_seconds: dict[str, float] | None = None

        self.cgrs_desk = new_cgrs_desk(self.queues.cgrs, self.n_days, n_cases, self.seed)
        self.immigration_office = ImmigrationOffice(self)
        self.centres = [
            ReceptionCentre(self, i, name, centre.type, centre.reserved_for)
            for i, (name, centre) in enumerate(scenario.reception.centres.items())
        ]
        self.fedasil = Fedasil(self, self.centres)
        self.cgrs = Cgrs(self)
        self.call = Call(self)
        self.status_holders = new_status_holders(self.n_days, n_cases)
        self.return_desk = new_return_desk(self.n_days, n_cases)
        self.return_service = ReturnService(self, self.profiles)
        self.tp_desk = new_desk(self.n_days, n_cases)
        self.tp_office = TemporaryProtectionOffice(self)
        self.housing_search = HousingSearch(self, load_municipalities())
        centre_codes = regions.region_codes(
            [centre.region for centre in scenario.reception.centres.values()]
        )
        self.tally = new_tally(centre_codes, len(self.profiles), len(self.housing_search.table))
        self._centre_types = np.array(
            [CENTRE_TYPES.index(c.centre_type) for c in self.centres], np.int64
        )
        self._centre_regions = centre_codes
        self._municipality_regions = self.housing_search.table.region
        self.chain = new_chain(
            self.cases,
            self.tally,
            self.queues.registration,
            self.cgrs_desk,
            self.queues.call,
            self.queues.waiting,
            self.immigration_office.dublin,
            self.fedasil.departures,
            self.status_holders,
            self.return_desk,
            self.tp_desk,
        )
        self._open_initial_state(generated)
        self.tp_office.open_initial(g.n_initial_applicants, [len(part[0]) for part in tp_initial])
        # they read their parameters in refresh(), called only when one changes, not every day
        self.institutions = (
            self.immigration_office,
            self.fedasil,
            self.cgrs,
            self.call,
            self.tp_office,
            self.housing_search,
            self.return_service,
        )

    def _open_initial_state(self, g: Generated) -> None:
        """Queues, places and deadlines of the applicants in the system on the start date
        (who lives in reception: :class:`flowsim.scenario.initial_state.InitialState`)."""
        init = self.config.initial_state
        count = g.initial_counts  # cases per group of arrivals.INITIAL_GROUPS
        open_initial_cases(
            self.cases,
            self.tally,
            self.cgrs_desk,
            self.queues.call,
            g.first(arrivals.CGRS),
            count[arrivals.CGRS],
            count[arrivals.CALL],
        )
        open_initial_dublin(
            self.chain,
            g.first(arrivals.DUBLIN_REQUESTED),
            np.array(count[arrivals.DUBLIN_REQUESTED : arrivals.DUBLIN_ABSCONDED + 1]),
            self.seed,
            self.immigration_office.terms,
        )
        open_initial_files(
            self.chain,
            g.first(arrivals.TRANSMISSION),
            count[arrivals.TRANSMISSION],
            self.seed,
            self.immigration_office.terms,
        )
        targets = np.array(
            [int(init.in_reception_persons.get(c.name, 0)) for c in self.centres], np.int64
        )
        residents = g.initial_of(init.RESIDENT_FIELDS)
        others = g.initial_of(init.PLACE_FILLING_FIELDS)
        keys = self.cases.key[: g.n_initial_applicants]
        draws = streams.uniforms(self.seed, keys, streams.INITIAL_WAIT, 1)
        place_initial_residents(
            self.cases,
            self.tally,
            self.queues.waiting,
            targets,
            residents[np.argsort(draws[residents])],  # each part in a random order
            others[np.argsort(draws[others])],
            int(round(init.without_reception_persons)),
            self.fedasil.departures,
            *self.fedasil.today_hazards,
        )
        self.fedasil.left_waiting = bool(self.tally.housing_persons[states.WAITING] > 0)
        open_initial_status_holders(
            self.cases, self.tally, self.status_holders, count[arrivals.STATUS]
        )
        open_initial_returns(
            self.chain,
            g.first(arrivals.RETURN_PLACE),
            count[arrivals.RETURN_PLACE],
            count[arrivals.REMOVAL_LIST],
            self.seed,
        )

    def state_summary(self) -> dict[str, Any]:
        """The ``initial_state`` of a scenario starting the day after the last day simulated
        (persons, days): see :func:`flowsim.institutions.start_state.state_summary`."""
        return state_summary(self)

    @property
    def window(self) -> Window:
        """The cases still in the model, for the rare scans of everyone in a state (a centre
        closing, rates changing); dropping exited cases costs a pass over the window, so it
        is done only when asked and at most once every ``WINDOW_REBUILD_DAYS`` days."""
        if self.day - self._window_day >= WINDOW_REBUILD_DAYS:
            self._window = direct(rebuild_window)(self.cases, self._window._replace(hi=self.hi))
            self._window_day = self.day
        return self._window._replace(hi=self.hi)

    @property
    def applicants(self) -> Applicants:
        """The persons in the model today, as an agent-set-like view."""
        return Applicants(self.cases, self.profiles)

    @property
    def date(self) -> pd.Timestamp:
        """Calendar date of the current day."""
        return pd.Timestamp(self.config.start_date) + pd.Timedelta(days=self.day)

    def day_plan(self) -> tuple[tuple[str, Callable[[], None]], ...]:
        """The day, stage by stage in this order; each stage sees what the earlier ones did
        today (names as ``flowsim run --profile`` prints them)."""
        return (
            # today's parameters: dated changes, then triggers on yesterday's stocks
            ("dated changes and triggers", self._apply_changes),
            # applicants join the registration queue; resettled refugees and people under
            # temporary protection arrive into their reception
            ("arrivals", self._arrive),
            # registration within capacity, the Dublin clocks and transfers
            ("registration and Dublin", self.immigration_office.step),
            # places: Fedasil dispatches free places, residents leave, status holders'
            # transition periods end
            ("reception", self.fedasil.step),
            ("CGRS decisions", self.cgrs.step),
            ("CALL appeals", self.call.step),
            ("temporary protection", self._temporary_protection),
            # status holders housed through municipalities (the supply found today)
            ("housing", self.housing_search.step),
            # orders to leave: counselling, voluntary returns, removals
            ("returns", self.return_service.step),
            # today's stocks, by group and region; then triggers watching them
            ("record the day", self._record),
            ("end-of-day triggers", self._end_of_day),
        )

    def step(self) -> None:
        """Simulate one day: the stages of :meth:`day_plan` in order (timed per stage when
        :attr:`stage_seconds` is a dict)."""
        self.flows_today = self.flows[self.day]
        timing = self.stage_seconds
        # the plan is read afresh each day (under a microsecond): a tool or a test may wrap
        # an institution's step at any time
        for name, stage in self.day_plan():
            if timing is None:
                stage()
            else:
                started = time.perf_counter()
                stage()
                timing[name] = timing.get(name, 0.0) + time.perf_counter() - started
        self.day += 1
        if self.day >= self.n_days:
            self.running = False

    def _apply_changes(self) -> None:
        changes = self.timeline.changes_on(self.day)
        for change in changes:
            self.params[change.field] = change.apply(self.params[change.field])
        triggered = self.triggers.apply_due(self.day, self.params)
        if changes or triggered:
            for institution in self.institutions:
                institution.refresh()

    def _arrive(self) -> None:
        self._arrived_from = self.hi
        self.hi = direct(arrive)(self.chain, self.hi, self.day, self.flows_today)

    def _temporary_protection(self) -> None:
        self.tp_office.step(self._arrived_from)

    def _end_of_day(self) -> None:
        if self.triggers:
            self.triggers.end_of_day(self.day, self.stocks[self.day])

    def _record(self) -> None:
        direct(record_day)(
            self.stocks[self.day],
            self.by_profile[self.day],
            self.by_region[self.day],
            self.chain,
            self.fedasil.capacity,
            self.fedasil.cost,
            self._centre_types,
            self._centre_regions,
            self.housing_search.housed,
            self._municipality_regions,
            self.resettlement.today(self.day),
            self.flows_today[series.REINTEGRATION_EUR],
        )

    def run_to_end(self) -> pd.DataFrame:
        """Step to the scenario's end date, check conservation, return the daily series."""
        with paused_gc():
            while self.running:
                self.step()
        self.check_conservation()
        return self.series()

    def series(self) -> pd.DataFrame:
        """The daily series so far: one row per day, one column per series."""
        days = self.day
        frame = pd.DataFrame(
            np.hstack([self.flows[:days], self.stocks[:days]]), columns=list(series.SERIES_NAMES)
        )
        frame.insert(0, "date", pd.date_range(self.config.start_date, periods=days, freq="D"))
        return frame

    def series_by_region(self) -> pd.DataFrame:
        """The daily series by region (long format, see :mod:`flowsim.engine.regions`)."""
        dates = pd.date_range(self.config.start_date, periods=self.day, freq="D")
        return regions.by_region(dates, self.by_region[: self.day])

    def events(self) -> pd.DataFrame:
        """What the scenario's triggers did, with dates (see :mod:`flowsim.scenario.triggers`)."""
        return self.triggers.events()

    def series_by_group(self) -> pd.DataFrame:
        """The daily series by household type and by nationality group (long format)."""
        dates = pd.date_range(self.config.start_date, periods=self.day, freq="D")
        log = decisions(self.cgrs.log)
        return groups.by_group(dates, self.by_profile[: self.day], self.profiles, log)

    def check_conservation(self) -> None:
        """Recount every person from the population arrays and compare with the tally.

        Raises :class:`ConservationError` if a person was lost or counted twice.
        """
        c = self.cases
        sizes = c.size.astype(np.int64)
        by_state = np.bincount(c.state, weights=sizes, minlength=states.N_STATES)
        by_housing = np.bincount(c.housing, weights=sizes, minlength=4)
        problems = []
        if not np.array_equal(by_state[1:], self.tally.state_persons[1:]):
            problems.append(f"state counts {by_state[1:]} != tally {self.tally.state_persons[1:]}")
        if not np.array_equal(by_housing[1:], self.tally.housing_persons[1:]):
            problems.append("housing counts differ from the tally")
        entered = int(sizes[c.state != states.NOT_ARRIVED].sum())
        if entered != int(by_state[1:].sum()):
            problems.append("persons in the model differ from persons who entered")
        occupancy = np.bincount(
            c.centre[c.centre >= 0], weights=sizes[c.centre >= 0], minlength=len(self.centres)
        )
        if not np.array_equal(occupancy, self.tally.occupancy):
            problems.append("centre occupancy differs from residents")
        if self.day > 0:
            frame = self.series()
            problems += stock_flow_problems(frame) + cgrs_balance_problems(frame)
        if problems:
            raise ConservationError("; ".join(problems))


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def record_day(
    stocks: np.ndarray,
    by_profile: np.ndarray,
    by_region: np.ndarray,
    chain: Chain,
    capacity: np.ndarray,
    cost: np.ndarray,
    centre_types: np.ndarray,
    centre_regions: np.ndarray,
    housed: np.ndarray,
    municipality_regions: np.ndarray,
    resettlement: np.ndarray,
    reintegration_eur: float,
) -> None:
    """Record the end of a day: the stocks (one row of STOCK_NAMES), the counts by profile and by
    region (see :func:`flowsim.engine.series.record_stocks`, :func:`flowsim.engine.groups.record`,
    :func:`flowsim.engine.regions.record` for the arguments' units)."""
    tally = borrowed(chain.tally)
    series.record_stocks(
        stocks, tally, capacity, cost, centre_types, resettlement, reintegration_eur
    )
    groups.record(by_profile, tally)
    regions.record(by_region, tally, capacity, centre_regions, housed, municipality_regions)


def stock_flow_problems(frame: pd.DataFrame) -> list[str]:
    """Check the stock-flow identity on a series frame of one replication (persons).

    On every day, the change in persons in the model since the first day equals the entries
    since the first day minus the exits since the first day. Returns one line per broken day
    range (empty when it holds).
    """
    stocks = frame[list(series.STOCK_COLUMNS)].to_numpy().sum(axis=1)
    exits = frame[list(series.EXIT_COLUMNS)].to_numpy().sum(axis=1)
    entries = frame["entries"].to_numpy()
    lhs = stocks - stocks[0]
    rhs = np.cumsum(entries) - entries[0] - (exits - exits[0])
    bad = np.flatnonzero(np.abs(lhs - rhs) > 0.5)
    if len(bad) == 0:
        return []
    return [f"stock-flow identity broken on {len(bad)} days, first on day {bad[0]}"]


def cgrs_balance_problems(frame: pd.DataFrame) -> list[str]:
    """Check the CGRS's workload balance on a series frame of one replication.

    From one day to the next, the workload (cases and persons pending at the CGRS) changes by
    what was lodged minus what was decided minus what was closed without a decision. Returns
    one line per unit in which it is broken (empty when it holds).
    """
    problems = []
    for unit, stock, lodged, decided, closed in (
        (
            "cases",
            "cgrs_backlog_cases",
            "cgrs_lodged_cases",
            "cgrs_decisions_cases",
            "cgrs_closed_cases",
        ),
        ("persons", "cgrs_backlog", "cgrs_lodged", "cgrs_decisions", "cgrs_closed"),
    ):
        change = np.diff(frame[stock].to_numpy())
        net = (frame[lodged] - frame[decided] - frame[closed]).to_numpy()[1:]
        bad = np.flatnonzero(np.abs(change - net) > 0.5)
        if len(bad):
            problems.append(
                f"CGRS workload balance ({unit}) broken on {len(bad)} days, "
                f"first on day {bad[0] + 1}"
            )
    return problems


def simulate(scenario: Scenario, seed: int) -> pd.DataFrame:
    """Run one replication of a scenario with a seed; return its daily series."""
    return ProtectionSystem(scenario, seed).run_to_end()
