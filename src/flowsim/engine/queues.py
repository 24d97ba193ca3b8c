"""Priority queues of cases: one FIFO list per class, classes served by rank.

A queue holds case indices in linked lists (one per class, e.g. one per profile). The next
case served is the head with the lowest (class rank, day queued, case index): with equal ranks
that is first-in-first-out across all classes. Cases that left the queue's state are removed
lazily: the caller skips them when they come up. All functions are numba kernels.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

# Queue day that puts a case ahead of everyone of its rank (e.g. residents displaced by a
# capacity cut, resettled refugees on arrival).
FIRST_IN_LINE = -(2**30)


@njit(cache=True, nogil=True)
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
    """Array-backed queue; ``since[c]`` is the day case ``c`` joined it."""

    head: np.ndarray  # int64 per class, -1 when empty
    tail: np.ndarray  # int64 per class
    rank: np.ndarray  # float64 per class: lower is served first
    nxt: np.ndarray  # int32 per case (half the memory of int64): next case in its class
    queued: np.ndarray  # bool per case: linked in this queue
    since: np.ndarray  # int32 per case: day the case joined


def new_queue(class_ranks: np.ndarray, n_cases: int) -> Queue:
    """An empty queue for ``n_cases`` cases and one class per rank."""
    n_classes = len(class_ranks)
    return Queue(
        head=np.full(n_classes, -1, np.int64),
        tail=np.full(n_classes, -1, np.int64),
        rank=np.asarray(class_ranks, np.float64),
        nxt=np.empty(n_cases, np.int32),  # written by push before it is read
        queued=np.zeros(n_cases, np.bool_),
        since=np.zeros(n_cases, np.int32),
    )


@njit(cache=True, inline="always")
def push(q: Queue, case: int, cls: int, day: int) -> None:
    """Append a case at the back of its class (no-op if it is still linked)."""
    if q.queued[case]:
        return
    q.queued[case] = True
    q.since[case] = day
    q.nxt[case] = -1
    if q.tail[cls] < 0:
        q.head[cls] = case
    else:
        q.nxt[q.tail[cls]] = case
    q.tail[cls] = case


@njit(cache=True, inline="always")
def push_front(q: Queue, case: int, cls: int, day: int) -> None:
    """Put a case at the front of its class (e.g. a resident whose centre closed)."""
    if q.queued[case]:
        return
    q.queued[case] = True
    q.since[case] = day
    q.nxt[case] = q.head[cls]
    q.head[cls] = case
    if q.tail[cls] < 0:
        q.tail[cls] = case


@njit(cache=True, inline="always")
def best_class(q: Queue) -> int:
    """The class whose head is served next, or -1 when the queue is empty."""
    best = -1
    for cls in range(q.head.shape[0]):
        c = q.head[cls]
        if c < 0:
            continue
        if best < 0:
            best = cls
            continue
        b = q.head[best]
        if q.rank[cls] < q.rank[best] or (
            q.rank[cls] == q.rank[best]
            and (q.since[c] < q.since[b] or (q.since[c] == q.since[b] and c < b))
        ):
            best = cls
    return best


@njit(cache=True, inline="always")
def overdue_class(q: Queue, day: int, days: int) -> int:
    """The class whose head has waited longest, if it joined more than ``days`` days before
    ``day``; -1 when no head has. Within a class the head has waited longest (first in, first
    out), so no case of another class has waited longer than the heads do."""
    best = -1
    for cls in range(q.head.shape[0]):
        c = q.head[cls]
        if c < 0 or day - q.since[c] <= days:
            continue
        if best < 0 or q.since[c] < q.since[q.head[best]]:
            best = cls
    return best


@njit(cache=True, inline="always")
def unlink(q: Queue, cls: int, before: int, case: int) -> int:
    """Remove ``case`` from its class, ``before`` being the case ahead of it (-1 at the
    head); returns the case that followed it (-1 at the tail)."""
    after = q.nxt[case]
    if before < 0:
        q.head[cls] = after
    else:
        q.nxt[before] = after
    if q.tail[cls] == case:
        q.tail[cls] = before
    q.nxt[case] = -1
    q.queued[case] = False
    return after


@njit(cache=True, inline="always")
def pop(q: Queue, cls: int) -> int:
    """Remove and return the head of a class."""
    c = q.head[cls]
    q.head[cls] = q.nxt[c]
    if q.head[cls] < 0:
        q.tail[cls] = -1
    q.nxt[c] = -1
    q.queued[c] = False
    return c
