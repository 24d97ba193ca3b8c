"""Priority queues of cases: one FIFO list per class, classes served by rank.

A queue holds cases in linked lists (one per class, e.g. one per profile) of pooled entries
(:mod:`flowsim.engine.entries`: case, next entry, day joined); per case it keeps only
whether the case is linked. The next case served is the head with the lowest (class rank,
day queued, case index): with equal ranks that is first-in-first-out across all classes.
Cases that left the queue's state are removed lazily: the caller skips them when they come
up. All functions are numba kernels.

Walking a class (:func:`first_entry`, :func:`next_entry`, :func:`entry_case`, ...) goes
from entry to entry; :func:`unlink` takes one out of the middle.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from flowsim.engine.entries import Entries, allocate, arrays, initial_capacity, new_entries, release

# The type of a case index handed out (pop, head_case, entry_case): int64, as every other
# case index in the kernels (ranges, take_due), although entries store int32. With int32
# cases, each compiled (not inlined) helper taking a case was compiled twice, once per type
# (issue 19: compile time).
CASE = np.int64

# Queue day that puts a case ahead of everyone of its rank (e.g. residents displaced by a
# capacity cut, resettled refugees on arrival).
FIRST_IN_LINE = -(2**30)


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def in_day_order(days: np.ndarray) -> np.ndarray:
    """Indices that put ``days`` (a day per case: joined, lodged, decided) in ascending
    order, equal days in index order: the order such cases stand in a queue. The same as
    ``np.argsort(days, kind="mergesort")``, by counting: O(cases + days spanned)."""
    n = days.shape[0]
    order = np.empty(n, np.int64)
    if n == 0:
        return order
    low, high = days.min(), days.max()
    # start[k]: where the cases of day low + k begin in the order
    start = np.zeros(np.int64(high) - np.int64(low) + 2, np.int64)
    for i in range(n):
        start[np.int64(days[i]) - low + 1] += 1
    for k in range(1, start.shape[0]):
        start[k] += start[k - 1]
    for i in range(n):
        k = np.int64(days[i]) - low
        order[start[k]] = i
        start[k] += 1
    return order


class Queue(NamedTuple):
    """Array-backed queue: lists of pooled entries, one per class."""

    head: np.ndarray  # int64 per class: its first entry, -1 when empty
    tail: np.ndarray  # int64 per class: its last entry
    rank: np.ndarray  # float64 per class: lower is served first
    queued: np.ndarray  # bool per case: linked in this queue (has an entry)
    entries: Entries  # the lists' entries: case, next entry, day the case joined


def new_queue(class_ranks: np.ndarray, n_cases: int, capacity: int | None = None) -> Queue:
    """An empty queue for ``n_cases`` cases and one class per rank, with room for
    ``capacity`` entries before its pool first grows (by default
    :func:`~flowsim.engine.entries.initial_capacity`)."""
    n_classes = len(class_ranks)
    return Queue(
        head=np.full(n_classes, -1, np.int64),
        tail=np.full(n_classes, -1, np.int64),
        rank=np.asarray(class_ranks, np.float64),
        queued=np.zeros(n_cases, np.bool_),
        entries=new_entries(capacity or initial_capacity(n_cases), with_days=True),
    )


@njit(cache=True, inline="always")
def push(q: Queue, case: int, cls: int, day: int) -> None:
    """Append a case at the back of its class, joining on ``day`` (no-op if it is still
    linked)."""
    if q.queued[case]:
        return
    q.queued[case] = True
    e = allocate(q)
    cases, nxt, since = arrays(q)
    cases[e] = case
    since[e] = day
    nxt[e] = -1
    if q.tail[cls] < 0:
        q.head[cls] = e
    else:
        nxt[q.tail[cls]] = e
    q.tail[cls] = e


@njit(cache=True, inline="always")
def push_front(q: Queue, case: int, cls: int, day: int) -> None:
    """Put a case at the front of its class (e.g. a resident whose centre closed)."""
    if q.queued[case]:
        return
    q.queued[case] = True
    e = allocate(q)
    cases, nxt, since = arrays(q)
    cases[e] = case
    since[e] = day
    nxt[e] = q.head[cls]
    q.head[cls] = e
    if q.tail[cls] < 0:
        q.tail[cls] = e


@njit(cache=True, inline="always")
def best_class(q: Queue) -> int:
    """The class whose head is served next, or -1 when the queue is empty."""
    cases, _, since = arrays(q)
    best = -1
    for cls in range(q.head.shape[0]):
        e = q.head[cls]
        if e < 0:
            continue
        if best < 0:
            best = cls
            continue
        b = q.head[best]
        if q.rank[cls] < q.rank[best] or (
            q.rank[cls] == q.rank[best]
            and (since[e] < since[b] or (since[e] == since[b] and cases[e] < cases[b]))
        ):
            best = cls
    return best


@njit(cache=True, inline="always")
def overdue_class(q: Queue, day: int, days: int) -> int:
    """The class whose head has waited longest, if it joined more than ``days`` days before
    ``day``; -1 when no head has. Within a class the head has waited longest (first in, first
    out), so no case of another class has waited longer than the heads do."""
    since = arrays(q)[2]
    best = -1
    for cls in range(q.head.shape[0]):
        e = q.head[cls]
        if e < 0 or day - since[e] <= days:
            continue
        if best < 0 or since[e] < since[q.head[best]]:
            best = cls
    return best


@njit(cache=True, inline="always")
def first_entry(q: Queue, cls: int) -> int:
    """The first entry of a class, -1 when it is empty."""
    return q.head[cls]


@njit(cache=True, inline="always")
def next_entry(q: Queue, e: int) -> int:
    """The entry after ``e`` in its class, -1 at the tail."""
    return arrays(q)[1][e]


@njit(cache=True, inline="always")
def entry_case(q: Queue, e: int) -> int:
    """The case of entry ``e`` (a :data:`CASE`)."""
    return CASE(arrays(q)[0][e])


@njit(cache=True, inline="always")
def entry_since(q: Queue, e: int) -> int:
    """The day the case of entry ``e`` joined the queue."""
    return arrays(q)[2][e]


@njit(cache=True, inline="always")
def head_case(q: Queue, cls: int) -> int:
    """The case at the head of a class (served next within it), a :data:`CASE`; the class
    must not be empty."""
    return CASE(arrays(q)[0][q.head[cls]])


@njit(cache=True, inline="always")
def head_since(q: Queue, cls: int) -> int:
    """The day the case at the head of a class joined the queue; the class must not be
    empty."""
    return arrays(q)[2][q.head[cls]]


@njit(cache=True, inline="always")
def unlink(q: Queue, cls: int, before: int, e: int) -> int:
    """Remove entry ``e`` (and its case) from its class, ``before`` being the entry ahead
    of it (-1 at the head); returns the entry that followed it (-1 at the tail)."""
    cases, nxt, _ = arrays(q)
    after = nxt[e]
    if before < 0:
        q.head[cls] = after
    else:
        nxt[before] = after
    if q.tail[cls] == e:
        q.tail[cls] = before
    q.queued[cases[e]] = False
    release(q, e)
    return after


@njit(cache=True, inline="always")
def pop(q: Queue, cls: int) -> int:
    """Remove and return the case at the head of a class (read :func:`head_since` first
    for the day it joined)."""
    cases, nxt, _ = arrays(q)
    e = q.head[cls]
    q.head[cls] = nxt[e]
    if q.head[cls] < 0:
        q.tail[cls] = -1
    c = CASE(cases[e])
    q.queued[c] = False
    release(q, e)
    return c


# The day of a case that is in no queue, in :func:`days_joined`.
NOT_QUEUED = np.iinfo(np.int64).min


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def days_joined(q: Queue) -> np.ndarray:
    """The day each case joined the queue (int64 per case; :data:`NOT_QUEUED` for a case in
    no list of it), for reports and tests: a walk of every list."""
    cases, nxt, since = arrays(q)
    out = np.full(q.queued.shape[0], NOT_QUEUED, np.int64)
    for cls in range(q.head.shape[0]):
        e = q.head[cls]
        while e >= 0:
            out[cases[e]] = since[e]
            e = nxt[e]
    return out
