"""A calendar of cases due on a given day (the end of a Dublin procedure, a departure).

One doubly linked list per day of the run: scheduling, moving and collecting the cases due
today cost O(1) per case, so nothing scans the population. A case is on at most one day's
list of a calendar; scheduling it again moves it. All functions are numba kernels.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit


class Calendar(NamedTuple):
    """Per-day lists of cases."""

    head: np.ndarray  # int64 per day, -1 when nobody is due
    nxt: np.ndarray  # int32 per case (int32: a run stays far below 2**31 cases or days)
    prv: np.ndarray  # int32 per case
    day_of: np.ndarray  # int32 per case: the day it is on, -1 when on no list


def new_calendar(n_days: int, n_cases: int) -> Calendar:
    """An empty calendar for a run of ``n_days`` days and ``n_cases`` cases."""
    return Calendar(
        head=np.full(n_days, -1, np.int64),
        # links are written by schedule before they are read (empty: pages of cases never
        # scheduled are never touched, which matters at millions of cases)
        nxt=np.empty(n_cases, np.int32),
        prv=np.empty(n_cases, np.int32),
        day_of=np.full(n_cases, -1, np.int32),
    )


@njit(cache=True, inline="always")
def unschedule(cal: Calendar, case: int) -> None:
    """Take a case off the list it is on (no-op when on none)."""
    day = cal.day_of[case]
    if day < 0:
        return
    if cal.prv[case] >= 0:
        cal.nxt[cal.prv[case]] = cal.nxt[case]
    else:
        cal.head[day] = cal.nxt[case]
    if cal.nxt[case] >= 0:
        cal.prv[cal.nxt[case]] = cal.prv[case]
    cal.day_of[case] = -1


@njit(cache=True, inline="always")
def schedule(cal: Calendar, case: int, day: int) -> None:
    """Put a case on a day's list (moving it if it was on another); after the run: nowhere."""
    unschedule(cal, case)
    if day < 0 or day >= cal.head.shape[0]:
        return
    first = cal.head[day]
    cal.nxt[case] = first
    cal.prv[case] = -1
    if first >= 0:
        cal.prv[first] = case
    cal.head[day] = case
    cal.day_of[case] = day


@njit(cache=True, nogil=True)
def take_due(cal: Calendar, day: int) -> np.ndarray:
    """Remove and return the cases on a day's list, in case order (deterministic)."""
    n = 0
    c = cal.head[day]
    while c >= 0:
        n += 1
        c = cal.nxt[c]
    out = np.empty(n, np.int64)
    c = cal.head[day]
    for i in range(n):
        out[i] = c
        nxt = cal.nxt[c]
        cal.day_of[c] = -1
        cal.nxt[c] = -1
        cal.prv[c] = -1
        c = nxt
    cal.head[day] = -1
    out.sort()
    return out
