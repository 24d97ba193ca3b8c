"""The applicants: an array-backed population, one row per case and one per person.

A case is a household: its members arrive together, share a reception place and get one CGRS
decision. Case-level arrays carry the state, dates, place and case facts; person-level arrays
map every person to their case, so every person is in exactly one state by construction.
The whole population of a run is generated when the model starts (arrivals are an exogenous
schedule); a case enters the model on its arrival day.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
from numba import njit

from flowsim.engine import states, streams
from flowsim.engine.compiled import borrowed
from flowsim.scenario.config import HOUSEHOLD_TYPES, Scenario, Timeline


class Cases(NamedTuple):
    """Case-level arrays (one row per household), passed as one argument to kernels."""

    key: np.ndarray  # uint64: stable key for random draws
    profile: np.ndarray  # int16: index into :class:`ProfileTable`
    size: np.ndarray  # int16: persons in the household
    arrival_day: np.ndarray  # int32: day the case enters (negative: before the start)
    state: np.ndarray  # int8: see :mod:`flowsim.engine.states`
    housing: np.ndarray  # int8: see :mod:`flowsim.engine.states`
    centre: np.ndarray  # int16: index of the centre, -1 when none
    lodged_day: np.ndarray  # int32: day first lodged with the CGRS
    n_cgrs: np.ndarray  # int16: CGRS decisions taken so far (draw occurrence)
    n_call: np.ndarray  # int16: CALL judgments so far
    status: np.ndarray  # int8: protection granted (states.NO_STATUS, REFUGEE, SUBSIDIARY)
    status_day: np.ndarray  # int32: day protection was granted
    overstaying: np.ndarray  # bool: status holder in reception beyond the transition period
    municipality: np.ndarray  # int16: municipality that housed the case, -1 when none
    origin: np.ndarray  # int8: states.ASYLUM, RESETTLED or TEMPORARY_PROTECTION
    counselled: np.ndarray  # bool: met a return counsellor after the order to leave
    region: np.ndarray  # int8: region of the last centre the case was placed in (REGION_*)
    hazard_private: np.ndarray  # float64: hazard of leaving for private housing used up
    hazard_abscond: np.ndarray  # float64: hazard of absconding used up (earlier stays)
    level_private: np.ndarray  # float64: reception clock at which a resident leaves for
    level_abscond: np.ndarray  # float64:   private housing / absconds (inf outside a centre)
    threshold_private: np.ndarray  # float64: Exp(1) threshold, drawn once per case
    threshold_abscond: np.ndarray  # float64


class Tally(NamedTuple):
    """Running counts kept up to date by every transition (persons unless stated)."""

    state_persons: np.ndarray  # int64 per state
    state_cases: np.ndarray  # int64 per state
    housing_persons: np.ndarray  # int64 per housing code
    occupancy: np.ndarray  # int64 per centre: persons placed
    clock: np.ndarray  # float64[2]: cumulative daily hazards of leaving (private, abscond)
    overstaying: np.ndarray  # int64[1]: status holders in reception past the transition period
    state_housing: np.ndarray  # int64 (state, housing): persons
    state_by_profile: np.ndarray  # int64 (state, profile): persons
    housing_by_profile: np.ndarray  # int64 (housing, profile): persons
    outcomes_by_profile: np.ndarray  # int64 (GRANTED/DECIDED/DAYS_WAITED/REFUSED, profile)
    centre_region: np.ndarray  # int8 per centre: its region (REGION_*), fixed
    state_by_region: np.ndarray  # int64 (state, region of the case): persons
    outcomes_by_region: np.ndarray  # int64 (GRANTED/DECIDED/DAYS_WAITED/REFUSED, region)
    in_crisis_housing: np.ndarray  # int64 per municipality: persons in its crisis housing


# Rows of Tally.outcomes_by_profile (cumulative persons, or person-days for DAYS_WAITED).
GRANTED, DECIDED, DAYS_WAITED, REFUSED = 0, 1, 2, 3

# A case's region: that of the last centre it was placed in, kept after it leaves, so that
# results by region follow people placed there. Never placed (or placed in a centre spanning
# regions): unassigned. Same order as flowsim.engine.regions.CENTRE_REGIONS.
REGION_FLANDERS, REGION_WALLONIA, REGION_BRUSSELS, REGION_UNASSIGNED = 0, 1, 2, 3
N_REGIONS = 4


@njit(cache=True, inline="always")
def set_state(cases: Cases, tally: Tally, c: int, new_state: int) -> None:
    """Move case ``c`` (all its members) to ``new_state``, keeping the tally exact."""
    old = cases.state[c]
    n = cases.size[c]
    p = cases.profile[c]
    tally.state_persons[old] -= n
    tally.state_cases[old] -= 1
    tally.state_by_profile[old, p] -= n
    tally.state_housing[old, cases.housing[c]] -= n
    tally.state_housing[new_state, cases.housing[c]] += n
    tally.state_persons[new_state] += n
    tally.state_cases[new_state] += 1
    tally.state_by_profile[new_state, p] += n
    tally.state_by_region[old, cases.region[c]] -= n
    tally.state_by_region[new_state, cases.region[c]] += n
    cases.state[c] = new_state


@njit(cache=True, inline="always")
def set_housing(cases: Cases, tally: Tally, c: int, housing: int, centre: int) -> None:
    """Move case ``c`` to a housing situation (and centre, or -1), keeping the tally exact.

    Also keeps the case's hazards of leaving reception on its own: they are used up while
    in a centre and paused outside one (see :func:`flowsim.institutions.reception.leave`).
    """
    n = cases.size[c]
    was_in, goes_in = cases.housing[c] == states.IN_CENTRE, housing == states.IN_CENTRE
    if was_in and not goes_in:
        cases.hazard_private[c] = cases.threshold_private[c] - (
            cases.level_private[c] - tally.clock[0]
        )
        cases.hazard_abscond[c] = cases.threshold_abscond[c] - (
            cases.level_abscond[c] - tally.clock[1]
        )
        cases.level_private[c] = np.inf
        cases.level_abscond[c] = np.inf
    elif goes_in and not was_in:
        cases.level_private[c] = (
            tally.clock[0] + cases.threshold_private[c] - cases.hazard_private[c]
        )
        cases.level_abscond[c] = (
            tally.clock[1] + cases.threshold_abscond[c] - cases.hazard_abscond[c]
        )
    tally.housing_persons[cases.housing[c]] -= n
    tally.housing_by_profile[cases.housing[c], cases.profile[c]] -= n
    tally.housing_by_profile[housing, cases.profile[c]] += n
    tally.state_housing[cases.state[c], cases.housing[c]] -= n
    tally.state_housing[cases.state[c], housing] += n
    if cases.centre[c] >= 0:
        tally.occupancy[cases.centre[c]] -= n
    if centre >= 0 and tally.centre_region[centre] != cases.region[c]:
        tally.state_by_region[cases.state[c], cases.region[c]] -= n
        cases.region[c] = tally.centre_region[centre]
        tally.state_by_region[cases.state[c], cases.region[c]] += n
    cases.housing[c] = housing
    cases.centre[c] = centre
    tally.housing_persons[housing] += n
    if centre >= 0:
        tally.occupancy[centre] += n


class Window(NamedTuple):
    """The cases still in the model: ``active`` (from the last rebuild) then ``[new_lo, hi)``.

    Daily kernels that must look at every case in a state (departures, Dublin deadlines) scan
    this window instead of the whole population; it is rebuilt every few days.
    """

    active: np.ndarray  # int64 case indices, in the model and not exited at the last rebuild
    new_lo: int  # first case that arrived after the last rebuild
    hi: int  # one past the last case that has arrived


@njit(cache=True, inline="always")
def window_size(w: Window) -> int:
    """Number of cases to scan in the window."""
    return w.active.shape[0] + w.hi - w.new_lo


@njit(cache=True, inline="always")
def window_case(w: Window, i: int) -> int:
    """The ``i``-th case of the window."""
    n = w.active.shape[0]
    return w.active[i] if i < n else w.new_lo + i - n


@njit(cache=True, nogil=True)
def rebuild_window(cases: Cases, w: Window) -> Window:
    """A fresh window holding only the cases that have not exited."""
    cases, w = borrowed((cases, w))
    keep = np.empty(window_size(w), np.int64)
    n = 0
    for i in range(window_size(w)):
        c = window_case(w, i)
        if cases.state[c] < states.FIRST_EXIT:
            keep[n] = c
            n += 1
    return Window(keep[:n].copy(), w.hi, w.hi)


@dataclass(frozen=True)
class ProfileTable:
    """Applicant profiles: nationality group x household type x vulnerability."""

    groups: tuple[str, ...]
    group: np.ndarray  # int16 per profile
    household_type: np.ndarray  # int8 per profile, index into HOUSEHOLD_TYPES
    vulnerable: np.ndarray  # bool per profile
    cgrs_outcome_cdf: np.ndarray  # float64 (profiles, 4): refugee, subsidiary, refusal, inadm.
    case_effort: np.ndarray  # float64 per profile

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> ProfileTable:
        """Build the cross product of the scenario's groups, household types and vulnerability."""
        groups = tuple(scenario.profiles.nationality_groups)
        group, htype, vuln, cdf, effort = [], [], [], [], []
        for g, name in enumerate(groups):
            spec = scenario.profiles.nationality_groups[name]
            o = spec.cgrs_outcomes
            shares = [o.refugee_status, o.subsidiary_protection, o.refusal, o.inadmissible]
            for h in range(len(HOUSEHOLD_TYPES)):
                for v in (False, True):
                    group.append(g)
                    htype.append(h)
                    vuln.append(v)
                    cdf.append(np.cumsum(shares))
                    effort.append(spec.case_effort)
        return cls(
            groups=groups,
            group=np.array(group, np.int16),
            household_type=np.array(htype, np.int8),
            vulnerable=np.array(vuln, np.bool_),
            cgrs_outcome_cdf=np.array(cdf, np.float64),
            case_effort=np.array(effort, np.float64),
        )

    def __len__(self) -> int:
        return len(self.group)

    def index(self, group: int, household_type: int, vulnerable: bool) -> int:
        """Profile index of a (group, household type, vulnerability) combination."""
        return (group * len(HOUSEHOLD_TYPES) + household_type) * 2 + int(vulnerable)

    def names(self) -> list[str]:
        """Readable profile names, e.g. ``afghanistan/family/vulnerable``."""
        return [
            f"{self.groups[g]}/{HOUSEHOLD_TYPES[h]}/{'vulnerable' if v else 'not_vulnerable'}"
            for g, h, v in zip(self.group, self.household_type, self.vulnerable, strict=True)
        ]


# --- generation ---------------------------------------------------------------------------


def household_sizes(scenario: Scenario, household_type: int, u: np.ndarray) -> np.ndarray:
    """Persons per household for uniform draws ``u``: 1, or 2 + Poisson for families."""
    if HOUSEHOLD_TYPES[household_type] != "family":
        return np.ones(len(u), np.int16)
    mean = scenario.profiles.household_types.family.mean_size_persons
    extra = streams.poisson_ppf(u, mean - 2.0) if mean > 2.0 else np.zeros(len(u))
    return (2 + extra).astype(np.int16)


def _profiles_of(scenario: Scenario, table: ProfileTable, keys: np.ndarray, seed) -> np.ndarray:
    """Draw a profile per case from the inflow shares (converted to shares of cases)."""
    groups = scenario.profiles.nationality_groups
    g_cdf = np.cumsum([g.inflow_share for g in groups.values()])
    htypes = scenario.profiles.household_types
    per_case = np.array(
        [
            getattr(htypes, h).inflow_share / getattr(htypes, h).mean_size_persons
            for h in HOUSEHOLD_TYPES
        ]
    )
    h_cdf = np.cumsum(per_case / per_case.sum())
    u = streams.uniforms(seed, keys, streams.INITIAL_PROFILE, 0)
    g = np.minimum(np.searchsorted(g_cdf, u, side="right"), len(groups) - 1)
    u2 = streams.uniforms(seed, keys, streams.INITIAL_PROFILE, 1)
    h = np.minimum(np.searchsorted(h_cdf, u2, side="right"), len(HOUSEHOLD_TYPES) - 1)
    v = streams.uniforms(seed, keys, streams.VULNERABLE, 0) < scenario.profiles.vulnerable_share
    return ((g * len(HOUSEHOLD_TYPES) + h) * 2 + v).astype(np.int16)


def _sizes_for(scenario: Scenario, table: ProfileTable, profile, keys, seed) -> np.ndarray:
    u = streams.uniforms(seed, keys, streams.HOUSEHOLD_SIZE, 0)
    size = np.ones(len(keys), np.int16)
    for h in range(len(HOUSEHOLD_TYPES)):
        mask = table.household_type[profile] == h
        size[mask] = household_sizes(scenario, h, u[mask])
    return size


def households_within(size: np.ndarray, persons: int) -> tuple[int, int]:
    """How many of the households (``size``: persons each, in order) fit in ``persons``
    taken in order until the next would overshoot, and the persons left over."""
    m = int(np.searchsorted(np.cumsum(size), persons, side="right"))
    return m, persons - int(size[:m].sum())


def _initial_cases(scenario, table, seed, kind: str, persons: float, max_wait: float):
    """Cases pending on the start date, totalling exactly ``persons`` persons.

    Households are drawn until the next would overshoot; the few persons left over are single
    adults (of the more common single type), so no family is cut below two persons.
    """
    target = int(round(persons))
    if target == 0:
        return None
    keys = streams.child_keys(streams.key_of("initial", kind), target)  # <= persons cases
    profile = _profiles_of(scenario, table, keys, seed)
    size = _sizes_for(scenario, table, profile, keys, seed)
    m, rest = households_within(size, target)
    keys, profile, size = keys[:m], profile[:m], size[:m]
    if rest > 0:
        htypes = scenario.profiles.household_types
        single = max(("single_man", "single_woman"), key=lambda h: getattr(htypes, h).inflow_share)
        fill_keys = streams.child_keys(streams.key_of("initial", kind, "rest"), rest)
        drawn = _profiles_of(scenario, table, fill_keys, seed)
        n_h = len(HOUSEHOLD_TYPES)
        group, vulnerable = drawn // (2 * n_h), drawn % 2
        fill = ((group * n_h + HOUSEHOLD_TYPES.index(single)) * 2 + vulnerable).astype(np.int16)
        keys = np.concatenate([keys, fill_keys])
        profile = np.concatenate([profile, fill])
        size = np.concatenate([size, np.ones(rest, np.int16)])
    waited = np.floor(streams.uniforms(seed, keys, streams.INITIAL_WAIT, 0) * (max_wait + 1))
    return keys, profile, size, -waited.astype(np.int32) - 1


def _daily_persons(scenario: Scenario, monthly: dict[str, float]) -> np.ndarray:
    """Persons per day of the run from persons per calendar month (spread evenly; a month
    not given has nobody)."""
    dates = pd.date_range(scenario.start_date, periods=scenario.days, freq="D")
    month_of_day = dates.strftime("%Y-%m")
    return np.array([monthly.get(m, 0.0) for m in month_of_day]) / dates.days_in_month


def _arrivals(scenario: Scenario, timeline: Timeline, table: ProfileTable, seed):
    """Cases applying during the run: first applications from the monthly inflow schedule
    (times ``inflow.scale``), then subsequent applications of people the run did not refuse
    (``inflow.subsequent_monthly_persons``). Returns one part per kind, in that order."""
    first = _daily_persons(scenario, scenario.inflow.monthly_persons)
    first *= timeline.daily("inflow.scale", scenario.days)
    subsequent = _daily_persons(scenario, scenario.inflow.subsequent_monthly_persons)
    return [
        _cell_arrivals(scenario, table, seed, first, "arrivals"),
        _cell_arrivals(scenario, table, seed, subsequent, "subsequent"),
    ]


def _cell_arrivals(
    scenario: Scenario, table: ProfileTable, seed, persons_per_day: np.ndarray, stream: str
):
    """Cases arriving from a schedule of persons per day, with the inflow's profile shares.

    Each (calendar day, nationality group, household type) cell gets a Poisson number of
    cases from its own keyed draw (keys derived from ``stream``). A change to the inflow on a
    date, or to one cell, leaves every other day's and cell's people as they were (common
    random numbers).
    """
    days = scenario.days
    dates = pd.date_range(scenario.start_date, periods=days, freq="D")
    groups = list(scenario.profiles.nationality_groups.items())
    htypes = [getattr(scenario.profiles.household_types, h) for h in HOUSEHOLD_TYPES]
    n_h = len(HOUSEHOLD_TYPES)
    share = np.array(
        [[g.inflow_share * h.inflow_share / h.mean_size_persons for h in htypes] for _, g in groups]
    )  # cases per person arriving, by (group, household type)
    cell_base = np.array(
        [streams.key_of(stream, gname, h) for gname, _ in groups for h in HOUSEHOLD_TYPES],
        np.uint64,
    )
    day_idx = np.repeat(np.arange(days), len(cell_base))
    gh_idx = np.tile(np.arange(len(cell_base)), days)
    means = persons_per_day[day_idx] * share.ravel()[gh_idx]
    ordinals = np.array([d.toordinal() for d in dates.date], np.uint64)[day_idx]
    cell_keys = streams.combine_each(cell_base[gh_idx], ordinals)
    counts = np.zeros(len(means), np.int64)
    live = means > 0
    counts[live] = streams.poisson_ppf(
        streams.uniforms(seed, cell_keys[live], streams.ARRIVAL_COUNT, 0), means[live]
    )
    keys = streams.children_of(cell_keys, counts)
    day = np.repeat(day_idx, counts).astype(np.int32)
    g, h = np.divmod(np.repeat(gh_idx, counts), n_h)
    vulnerable = (
        streams.uniforms(seed, keys, streams.VULNERABLE, 0) < scenario.profiles.vulnerable_share
    )
    profile = ((g * n_h + h) * 2 + vulnerable).astype(np.int16)
    size = _sizes_for(scenario, table, profile, keys, seed)
    return keys, profile, size, day


# The groups of applicants in the system on the start date, in the order of their cases (the
# first cases of a run, one group after the other): the kind keying their draws and their
# persons in InitialState. Which of them live in reception: InitialState.RESIDENT_FIELDS and
# PLACE_FILLING_FIELDS. A new group goes last: case indices break ties in queues and
# calendars, so moving a group changes results.
INITIAL_GROUPS = (
    ("status", "status_holders_in_reception_persons"),
    ("cgrs", "pending_cgrs_persons"),
    ("call", "pending_call_persons"),
    ("dublin_requested", "dublin_requested_persons"),
    ("dublin_accepted", "dublin_accepted_persons"),
    ("dublin_absconded", "dublin_absconded_persons"),
    ("return_place", "order_to_leave_in_reception_persons"),
    ("removal_list", "order_to_leave_removal_list_persons"),
    ("transmission", "awaiting_transmission_persons"),
)
STATUS, CGRS, CALL, DUBLIN_REQUESTED, DUBLIN_ACCEPTED, DUBLIN_ABSCONDED = 0, 1, 2, 3, 4, 5
RETURN_PLACE, REMOVAL_LIST, TRANSMISSION = 6, 7, 8


def _max_waited_days(init, group: int) -> float:
    """How many days before the start the cases of a group joined their queue, at most
    (spread evenly up to this). Status holders: since the decision. Dublin cases and orders
    to leave: none here; their clocks are drawn when they are opened (e.g.
    :func:`flowsim.institutions.immigration_office.open_initial_dublin`), from the start date's terms."""
    if group == STATUS:
        return init.status_holders_max_days_since_status
    if group == CGRS:
        return init.pending_cgrs_max_waited_days
    if group == CALL:
        return init.pending_call_max_waited_days
    return 0.0


@dataclass
class Generated:
    """A freshly generated population with the initial states of pre-existing cases."""

    cases: Cases
    initial_counts: tuple[int, ...]  # cases per group of INITIAL_GROUPS (the first cases)
    n_initial_other: int = 0  # then those of other origins (temporary protection); arrivals

    def first(self, group: int) -> int:
        """The first case of a group of INITIAL_GROUPS (where it would be, if it has none)."""
        return sum(self.initial_counts[:group])

    def initial(self, group: int) -> np.ndarray:
        """The cases (int64 indices) of a group of INITIAL_GROUPS."""
        first = self.first(group)
        return np.arange(first, first + self.initial_counts[group], dtype=np.int64)

    def initial_of(self, fields: tuple[str, ...]) -> np.ndarray:
        """The cases of the groups whose InitialState fields are named, in group order."""
        chosen = [self.initial(g) for g, (_, field) in enumerate(INITIAL_GROUPS) if field in fields]
        return np.concatenate(chosen)

    @property
    def n_initial_applicants(self) -> int:
        """Cases of the asylum procedure in the system on the start date (the first ones)."""
        return sum(self.initial_counts)


def generate(
    scenario: Scenario,
    timeline: Timeline,
    table: ProfileTable,
    seed,
    other_arrivals: dict[int, tuple] | None = None,
    other_initial: list[tuple[int, tuple]] | None = None,
) -> Generated:
    """Generate every case of a run: those in the system on the start date (applicants by
    INITIAL_GROUPS, then ``other_initial`` as (origin, part) pairs), then arrivals (first and
    subsequent applications, and ``other_arrivals`` by origin: resettled refugees, temporary
    protection).

    Cases are ordered by arrival day, so the cases in the model on day ``d`` are a prefix.
    """
    init = scenario.initial_state
    initial = [
        _initial_cases(
            scenario, table, seed, kind, getattr(init, field), _max_waited_days(init, group)
        )
        for group, (kind, field) in enumerate(INITIAL_GROUPS)
    ]
    counts = [0 if part is None else len(part[0]) for part in initial]
    parts = [p for p in initial if p is not None]
    origins = [np.zeros(len(p[0]), np.int8) for p in parts]
    for code, part in other_initial or []:
        parts.append(part)
        origins.append(np.full(len(part[0]), code, np.int8))
    n_other = sum(len(part[0]) for _, part in other_initial or [])
    first, subsequent = _arrivals(scenario, timeline, table, seed)
    parts += [first, subsequent]
    origins.append(np.full(len(first[0]), states.ASYLUM, np.int8))
    origins.append(np.full(len(subsequent[0]), states.SUBSEQUENT, np.int8))
    for code, part in (other_arrivals or {}).items():
        parts.append(part)
        origins.append(np.full(len(part[0]), code, np.int8))
    keys, profile, size, day = (np.concatenate(x) for x in zip(*parts, strict=True))
    origin = np.concatenate(origins)
    n_initial = sum(counts) + n_other
    order = np.concatenate(
        [np.arange(n_initial), n_initial + np.argsort(day[n_initial:], kind="stable")]
    )
    keys, profile, size, day = keys[order], profile[order], size[order], day[order]
    assert day.dtype == np.int32 and size.dtype == np.int16, "inconsistent generated arrays"
    origin = origin[order]
    n = len(keys)
    arrival_day = day.copy()
    lodged = np.full(n, -1, np.int32)
    pending = slice(sum(counts[:CGRS]), sum(counts[: CALL + 1]))
    lodged[pending] = day[pending]  # pending at the CGRS or CALL: lodged when they joined
    cases = Cases(
        key=keys,
        profile=profile,
        size=size,
        arrival_day=arrival_day,
        state=np.full(n, states.NOT_ARRIVED, np.int8),
        housing=np.full(n, states.NO_HOUSING, np.int8),
        centre=np.full(n, -1, np.int16),
        lodged_day=lodged,
        n_cgrs=np.zeros(n, np.int16),
        n_call=np.zeros(n, np.int16),
        # a subsequent applicant from outside the run was refused before it
        status=np.where(origin == states.SUBSEQUENT, states.REFUSED, states.NO_STATUS).astype(
            np.int8
        ),
        status_day=np.full(n, -1, np.int32),
        overstaying=np.zeros(n, np.bool_),
        municipality=np.full(n, -1, np.int16),
        origin=origin,
        counselled=np.zeros(n, np.bool_),
        region=np.full(n, REGION_UNASSIGNED, np.int8),
        hazard_private=np.zeros(n),
        hazard_abscond=np.zeros(n),
        level_private=np.full(n, np.inf),
        level_abscond=np.full(n, np.inf),
        threshold_private=-np.log(streams.uniforms(seed, keys, streams.LEAVE_PRIVATE, 0)),
        threshold_abscond=-np.log(streams.uniforms(seed, keys, streams.ABSCOND, 0)),
    )
    return Generated(cases=cases, initial_counts=tuple(counts), n_initial_other=n_other)


def new_tally(centre_region: np.ndarray, n_profiles: int, n_municipalities: int) -> Tally:
    """An all-zero tally (everyone starts as not arrived, which is not counted) for centres in
    the given regions (REGION_* codes) and ``n_municipalities`` municipalities."""
    n_centres = len(centre_region)
    return Tally(
        state_persons=np.zeros(states.N_STATES, np.int64),
        state_cases=np.zeros(states.N_STATES, np.int64),
        housing_persons=np.zeros(4, np.int64),
        occupancy=np.zeros(n_centres, np.int64),
        clock=np.zeros(2),
        overstaying=np.zeros(1, np.int64),
        state_housing=np.zeros((states.N_STATES, 4), np.int64),
        state_by_profile=np.zeros((states.N_STATES, n_profiles), np.int64),
        housing_by_profile=np.zeros((4, n_profiles), np.int64),
        outcomes_by_profile=np.zeros((4, n_profiles), np.int64),
        centre_region=np.asarray(centre_region, np.int8),
        state_by_region=np.zeros((states.N_STATES, N_REGIONS), np.int64),
        outcomes_by_region=np.zeros((4, N_REGIONS), np.int64),
        in_crisis_housing=np.zeros(n_municipalities, np.int64),
    )


# --- the population seen from Python, like a Mesa AgentSet --------------------------------


class Applicants:
    """The applicants as a read-only, agent-set-like view over the population arrays.

    ``len`` counts persons in the model; ``get(attr)`` returns one value per person;
    ``select(state=...)`` narrows the view; ``to_frame()`` gives one row per person.
    """

    def __init__(self, cases: Cases, table: ProfileTable, mask: np.ndarray | None = None):
        self._cases = cases
        self._table = table
        person_case = np.repeat(np.arange(len(cases.key)), cases.size.astype(np.int64))
        in_model = cases.state[person_case] != states.NOT_ARRIVED
        self._rows = person_case[in_model if mask is None else in_model & mask[person_case]]

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[int]:
        return iter(self._rows.tolist())

    def get(self, attr: str) -> np.ndarray:
        """One value per person of a case attribute (e.g. ``state``, ``centre``)."""
        if attr == "household":
            return self._rows.copy()
        return getattr(self._cases, attr)[self._rows]

    def select(self, **conditions: int) -> Applicants:
        """The persons whose case attributes equal the given values."""
        mask = np.ones(len(self._cases.key), np.bool_)
        for attr, value in conditions.items():
            mask &= getattr(self._cases, attr) == value
        if len(self._rows):
            current = np.zeros(len(self._cases.key), np.bool_)
            current[self._rows] = True
            mask &= current
        return Applicants(self._cases, self._table, mask)

    def count_by_state(self) -> dict[str, int]:
        """Persons per state name (states with nobody included as 0)."""
        counts = np.bincount(self.get("state"), minlength=states.N_STATES)
        return {name: int(counts[code]) for code, name in states.STATE_NAMES.items()}

    def to_frame(self) -> pd.DataFrame:
        """One row per person: household, profile, state, housing, centre and dates (days)."""
        names = np.array(self._table.names())
        return pd.DataFrame(
            {
                "household": self._rows,
                "profile": names[self._cases.profile[self._rows]],
                "state": [states.STATE_NAMES[s] for s in self._cases.state[self._rows]],
                "housing": self._cases.housing[self._rows],
                "centre": self._cases.centre[self._rows],
                "arrival_day": self._cases.arrival_day[self._rows],
                "lodged_day": self._cases.lodged_day[self._rows],
            }
        )


def expected_persons(scenario: Scenario) -> float:
    """Expected persons applying over the run (before Poisson noise), for sizing checks."""
    inflow = scenario.inflow
    months = scenario.months()
    first = math.fsum(inflow.monthly_persons[m] for m in months) * inflow.scale
    return first + math.fsum(inflow.subsequent_monthly_persons.get(m, 0.0) for m in months)
