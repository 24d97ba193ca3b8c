"""The applicants: an array-backed population, one row per case and one per person.

A case is a household: its members arrive together, share a reception place and get one CGRS
decision. Case-level arrays carry the state, dates, place and case facts; person-level arrays
map every person to their case, so every person is in exactly one state by construction.
The whole population of a run is generated when the model starts (arrivals are an exogenous
schedule: :mod:`flowsim.engine.arrivals`); a case enters the model on its arrival day.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd
from numba import njit

from flowsim.engine import states
from flowsim.engine.compiled import borrowed
from flowsim.engine.states import HOUSEHOLD_TYPES

if TYPE_CHECKING:  # annotations only: a profile table reads the scenario's profiles
    from flowsim.scenario.scenario import Scenario


# Days are kept in 16 bits wherever a day of the run or a day before its start is stored per
# case or per decision (Cases' days, the Dublin desk's acceptances, the CGRS decision log, the
# calendars): a run lasts at most 50 years and any wait or term given in days at most ten
# (flowsim.scenario.ranges), under 22,000 days either way against 32,767.
DAY = np.int16
MAX_DAY = int(np.iinfo(DAY).max)


def as_days(days: np.ndarray) -> np.ndarray:
    """``days`` (integers) as :data:`DAY`; a ValueError if one does not fit (a scenario
    within its ranges never has one)."""
    days = np.asarray(days)
    if len(days) and (days.min() < -MAX_DAY or days.max() > MAX_DAY):
        raise ValueError(
            f"days from {days.min()} to {days.max()} do not fit in 16 bits (+-{MAX_DAY:,})"
        )
    return days.astype(DAY)


class Cases(NamedTuple):
    """Case-level arrays (one row per household), passed as one argument to kernels."""

    key: np.ndarray  # uint64: stable key for random draws
    profile: np.ndarray  # int16: index into :class:`ProfileTable`
    size: np.ndarray  # int16: persons in the household
    arrival_day: np.ndarray  # int16 (DAY): day the case enters (negative: before the start)
    state: np.ndarray  # int8: see :mod:`flowsim.engine.states`
    housing: np.ndarray  # int8: see :mod:`flowsim.engine.states`
    centre: np.ndarray  # int16: index of the centre, -1 when none
    lodged_day: np.ndarray  # int16 (DAY): day first lodged with the CGRS, -1 before
    n_cgrs: np.ndarray  # int16: CGRS decisions taken so far (draw occurrence)
    n_call: np.ndarray  # int16: CALL judgments so far
    status: np.ndarray  # int8: protection granted (states.NO_STATUS, REFUGEE, SUBSIDIARY)
    status_day: np.ndarray  # int16 (DAY): day protection was granted
    overstaying: np.ndarray  # bool: status holder in reception beyond the transition period
    municipality: np.ndarray  # int16: municipality that housed the case, -1 when none
    origin: np.ndarray  # int8: states.ASYLUM, RESETTLED or TEMPORARY_PROTECTION
    counselled: np.ndarray  # bool: met a return counsellor after the order to leave
    region: np.ndarray  # int8: region of the last centre the case was placed in (REGION_*)
    # A case's mark on each reception clock (leaving for private housing, absconding), by
    # where it lives (see set_housing): in a centre, the clock's level at which it leaves;
    # elsewhere, the hazard its earlier stays used up. One field for both: a case is never
    # in and out of a centre at once, and each is read only on its side.
    mark_private: np.ndarray  # float64: in a centre a level, elsewhere a hazard used up
    mark_abscond: np.ndarray  # float64: the same for absconding
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
    Its marks (:class:`Cases`) turn from the levels at which it would leave into the hazards
    used up when it leaves a centre, and back when it enters one.
    """
    n = cases.size[c]
    was_in, goes_in = cases.housing[c] == states.IN_CENTRE, housing == states.IN_CENTRE
    if was_in and not goes_in:  # level -> hazard used up: the threshold less what is left
        cases.mark_private[c] = cases.threshold_private[c] - (
            cases.mark_private[c] - tally.clock[0]
        )
        cases.mark_abscond[c] = cases.threshold_abscond[c] - (
            cases.mark_abscond[c] - tally.clock[1]
        )
    elif goes_in and not was_in:  # hazard used up -> level: today's clock plus what is left
        cases.mark_private[c] = tally.clock[0] + cases.threshold_private[c] - cases.mark_private[c]
        cases.mark_abscond[c] = tally.clock[1] + cases.threshold_abscond[c] - cases.mark_abscond[c]
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


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
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
