"""A calendar of cases due on a given day (the end of a Dublin procedure, a departure).

One list per day of the run, of pooled entries (:mod:`flowsim.engine.entries`); per case
the calendar keeps only the day it is due (int16). Scheduling, moving and collecting the
cases due today cost O(1) per case, so nothing scans the population. A case is due on at
most one day of a calendar; scheduling it again moves it.

Moving or unscheduling a case only changes its day: its old entry stays on the old day's
list until that day comes, when :func:`take_due` drops it (its case is due another day, or
none) and gives it back. So the lists need no backward links, and a case costs the calendar
two bytes whether it is ever scheduled or not. All functions are numba kernels.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from flowsim.engine.entries import Entries, allocate, arrays, initial_capacity, new_entries, release

# A calendar holds at most MAX_DAY days: its days are int16 (:data:`DAY`), which the
# scenario's ranges keep every run within (at most 50 years).
from flowsim.engine.population import DAY, MAX_DAY


class Calendar(NamedTuple):
    """Per-day lists of cases."""

    head: np.ndarray  # int64 per day: first entry of the day's list, -1 when empty
    day_of: np.ndarray  # int16 (DAY) per case: the day it is due, -1 when on no list
    entries: Entries  # the lists' entries: case, next entry (possibly stale, see above)


def new_calendar(n_days: int, n_cases: int, capacity: int | None = None) -> Calendar:
    """An empty calendar for a run of ``n_days`` days (at most
    :data:`~flowsim.engine.population.MAX_DAY`) and ``n_cases`` cases, with room for
    ``capacity`` entries before its pool first grows (by default
    :func:`~flowsim.engine.entries.initial_capacity`)."""
    if n_days > MAX_DAY:
        raise ValueError(f"a calendar holds at most {MAX_DAY} days (int16), not {n_days}")
    return Calendar(
        head=np.full(n_days, -1, np.int64),
        day_of=np.full(n_cases, -1, DAY),
        entries=new_entries(capacity or initial_capacity(n_cases), with_days=False),
    )


@njit(cache=True, inline="always")
def unschedule(cal: Calendar, case: int) -> None:
    """Take a case off the calendar (no-op when it is due on no day): its entry is dropped
    when its day comes."""
    cal.day_of[case] = -1


@njit(cache=True, inline="always")
def schedule(cal: Calendar, case: int, day: int) -> None:
    """Make a case due on ``day`` (moving it if it was due another day); after the run or
    before its start: due on no day."""
    if cal.day_of[case] == day:
        return  # already on that day's list
    cal.day_of[case] = -1
    if day < 0 or day >= cal.head.shape[0]:
        return
    e = allocate(cal)
    cases, nxt, _ = arrays(cal)
    cases[e] = case
    nxt[e] = cal.head[day]
    cal.head[day] = e
    cal.day_of[case] = day


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def take_due(cal: Calendar, day: int) -> np.ndarray:
    """Remove and return the cases due on a day, in case order (deterministic). Entries of
    cases moved or unscheduled since are dropped; every entry of the day is given back."""
    cases, nxt, _ = arrays(cal)
    n = 0
    e = cal.head[day]
    while e >= 0:
        n += 1
        e = nxt[e]
    out = np.empty(n, np.int64)
    k = 0
    e = cal.head[day]
    while e >= 0:
        after = nxt[e]
        c = cases[e]
        if cal.day_of[c] == day:  # not moved since, and not already taken (a duplicate)
            out[k] = c
            k += 1
            cal.day_of[c] = -1
        release(cal, e)
        e = after
    cal.head[day] = -1
    out = out[:k]
    out.sort()
    return out
