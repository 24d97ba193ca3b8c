"""Every case of a run, drawn when it starts: arrivals are an exogenous schedule.

The cases in the system on the start date come first, one group of the scenario's initial
state after the other (:data:`INITIAL_GROUPS`), then the cases arriving during the run: first
and subsequent applications from the monthly schedules (persons a month, spread over the
days), and the cases of other origins the institutions draw (resettled refugees, people
under temporary protection). Each draw is keyed (:mod:`flowsim.engine.streams`), so a
change to one day or one cell of the schedule leaves every other case as it was. A case
enters the model on its arrival day (:mod:`flowsim.engine.population` holds the arrays).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from flowsim.engine import states, streams
from flowsim.engine.population import DAY, REGION_UNASSIGNED, Cases, ProfileTable, as_days
from flowsim.engine.queues import in_day_order
from flowsim.engine.states import FAMILY, HOUSEHOLD_TYPES

if TYPE_CHECKING:  # annotations only: the scenario is read, never imported to run
    from flowsim.scenario.scenario import Scenario
    from flowsim.scenario.timeline import Timeline


def household_sizes(scenario: Scenario, household_type: int, u: np.ndarray) -> np.ndarray:
    """Persons per household for uniform draws ``u``: 1, or 2 + Poisson for families."""
    if HOUSEHOLD_TYPES[household_type] != "family":
        return np.ones(len(u), np.int16)
    mean = scenario.profiles.household_types.family.mean_size_persons
    extra = streams.poisson_ppf(u, mean - 2.0) if mean > 2.0 else np.zeros(len(u))
    return (2 + extra).astype(np.int16)


def _category(cdf: np.ndarray, u: np.ndarray) -> np.ndarray:
    """The category (0 .. len(cdf) - 1) of each uniform draw ``u`` under the cumulative
    shares ``cdf``: how many of the first len(cdf) - 1 shares it reaches (the last category
    takes the rest, whatever rounding left in ``cdf[-1]``). For a handful of categories,
    one comparison per category is faster than a binary search per draw."""
    out = np.zeros(len(u), np.int64)
    for bound in cdf[:-1]:
        out += u >= bound
    return out


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
    g = _category(g_cdf, u)
    u2 = streams.uniforms(seed, keys, streams.INITIAL_PROFILE, 1)
    h = _category(h_cdf, u2)
    v = streams.uniforms(seed, keys, streams.VULNERABLE, 0) < scenario.profiles.vulnerable_share
    return ((g * len(HOUSEHOLD_TYPES) + h) * 2 + v).astype(np.int16)


def _sizes_for(scenario: Scenario, table: ProfileTable, profile, keys, seed) -> np.ndarray:
    """Persons per case: 1, or a family's drawn size (draws keyed by case, so only the
    families need one)."""
    size = np.ones(len(keys), np.int16)
    family = table.household_type[profile] == FAMILY
    if family.any():
        u = streams.uniforms(seed, keys[family], streams.HOUSEHOLD_SIZE, 0)
        size[family] = household_sizes(scenario, FAMILY, u)
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


def _arrivals(scenario: Scenario, timeline: Timeline, table: ProfileTable, seed):
    """Cases applying during the run: first applications from the monthly inflow schedule
    (times ``inflow.scale``), then subsequent applications of people the run did not refuse
    (``inflow.subsequent_monthly_persons``). Returns one part per kind, in that order."""
    calendar = scenario.run_days
    first = calendar.per_day(scenario.inflow.monthly_persons)
    first *= timeline.daily("inflow.scale", scenario.days)
    subsequent = calendar.per_day(scenario.inflow.subsequent_monthly_persons)
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
    ordinals = scenario.run_days.ordinal[day_idx]
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
    """How many days before the start the cases of a group joined their queue, at most (spread
    evenly up to this). Status holders: since the decision. Dublin cases and orders to leave: none
    here; their clocks are drawn when they are opened (e.g.
    :func:`flowsim.institutions.immigration_office.open_initial_dublin`), from the start date's
    terms."""
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
    assert day.dtype == np.int32 and size.dtype == np.int16, "inconsistent generated arrays"
    origin = np.concatenate(origins)
    n_initial = sum(counts) + n_other
    # 16-bit days before they are ordered: the type the kernels order days of (one compiled
    # in_day_order instead of two, issue 19: compile time); as_days refuses days that do
    # not fit
    day = as_days(day)
    order = np.concatenate([np.arange(n_initial), n_initial + in_day_order(day[n_initial:])])
    keys, profile, size, arrival_day = keys[order], profile[order], size[order], day[order]
    origin = origin[order]
    n = len(keys)
    lodged = np.full(n, -1, DAY)
    pending = slice(sum(counts[:CGRS]), sum(counts[: CALL + 1]))
    lodged[pending] = arrival_day[pending]  # pending at the CGRS or CALL: lodged when they joined
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
        status_day=np.full(n, -1, DAY),
        overstaying=np.zeros(n, np.bool_),
        municipality=np.full(n, -1, np.int16),
        origin=origin,
        counselled=np.zeros(n, np.bool_),
        region=np.full(n, REGION_UNASSIGNED, np.int8),
        mark_private=np.zeros(n),  # nobody starts in a centre: no hazard used up yet
        mark_abscond=np.zeros(n),
        threshold_private=-np.log(streams.uniforms(seed, keys, streams.LEAVE_PRIVATE, 0)),
        threshold_abscond=-np.log(streams.uniforms(seed, keys, streams.ABSCOND, 0)),
    )
    return Generated(cases=cases, initial_counts=tuple(counts), n_initial_other=n_other)


def expected_persons(scenario: Scenario) -> float:
    """Expected persons applying over the run (before Poisson noise), for sizing checks."""
    inflow = scenario.inflow
    months = scenario.months()
    first = math.fsum(inflow.monthly_persons[m] for m in months) * inflow.scale
    return first + math.fsum(inflow.subsequent_monthly_persons.get(m, 0.0) for m in months)
