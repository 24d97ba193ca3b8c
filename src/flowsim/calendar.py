"""A calendar of cases due on a given day (e.g. the end of a Dublin procedure).

One first-in-first-out linked list per day of the run; scheduling and collecting the cases
due today cost O(1) per case, so nothing scans the population. A case is on at most one
day's list. All functions are numba kernels.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit


class Calendar(NamedTuple):
    """Per-day FIFO lists of cases."""

    head: np.ndarray  # int64 per day, -1 when nobody is due
    tail: np.ndarray  # int64 per day
    nxt: np.ndarray  # int64 per case


def new_calendar(n_days: int, n_cases: int) -> Calendar:
    """An empty calendar for a run of ``n_days`` days and ``n_cases`` cases."""
    return Calendar(
        head=np.full(n_days, -1, np.int64),
        tail=np.full(n_days, -1, np.int64),
        nxt=np.full(n_cases, -1, np.int64),
    )


@njit(cache=True, inline="always")
def schedule(cal: Calendar, case: int, day: int) -> None:
    """Put a case on a day's list; days after the end of the run are never due."""
    if day < 0 or day >= cal.head.shape[0]:
        return
    cal.nxt[case] = -1
    if cal.tail[day] < 0:
        cal.head[day] = case
    else:
        cal.nxt[cal.tail[day]] = case
    cal.tail[day] = case


@njit(cache=True)
def due(cal: Calendar, day: int) -> np.ndarray:
    """The cases on a day's list, in the order they were scheduled."""
    n = 0
    c = cal.head[day]
    while c >= 0:
        n += 1
        c = cal.nxt[c]
    out = np.empty(n, np.int64)
    c = cal.head[day]
    for i in range(n):
        out[i] = c
        c = cal.nxt[c]
    return out
