"""The order in which cases stand in a queue by the day they joined."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from flowsim.engine.entries import capacity, in_use
from flowsim.engine.queues import (
    FIRST_IN_LINE,
    NOT_QUEUED,
    best_class,
    days_joined,
    entry_case,
    first_entry,
    head_case,
    head_since,
    in_day_order,
    new_queue,
    next_entry,
    pop,
    push,
    push_front,
    unlink,
)

days = st.one_of(
    arrays(np.int32, st.integers(0, 400), elements=st.integers(-800, 800)),
    arrays(np.int64, st.integers(0, 400), elements=st.integers(-(2**20), 2**20)),
)


@settings(deadline=None)  # the first example of each integer type compiles the kernel
@given(days)
def test_cases_stand_by_day_then_by_index(joined):
    order = in_day_order(joined)
    # the stable sort's order: ascending days, equal days in index order
    assert np.array_equal(order, np.argsort(joined, kind="mergesort"))
    assert sorted(order.tolist()) == list(range(len(joined)))


@settings(deadline=None)  # the first example compiles the kernels
@given(
    st.lists(st.integers(0, 2), min_size=0, max_size=30),
    st.lists(st.booleans(), min_size=30, max_size=30),
)
def test_unlinking_cases_keeps_the_others_in_order(classes, removed):
    """Cases unlinked anywhere in their class (head, middle, tail) leave the queue; the
    others are served in the order they joined, and unlinked cases may join again."""
    q = new_queue(np.array([0.0, 1.0, 2.0]), 30, capacity=4)  # grows on the way
    for c, cls in enumerate(classes):
        push(q, c, cls, c)
    for cls in range(3):
        before, e = -1, first_entry(q, cls)
        while e >= 0:
            if removed[entry_case(q, e)]:
                e = unlink(q, cls, before, e)
            else:
                before, e = e, next_entry(q, e)
    kept = [c for c in range(len(classes)) if not removed[c]]
    assert [bool(q.queued[c]) for c in range(len(classes))] == [
        not r for r in removed[: len(classes)]
    ]
    served = []
    while (cls := best_class(q)) >= 0:
        served.append(pop(q, cls))
    assert served == sorted(kept, key=lambda c: (classes[c], c))
    if len(classes) > 0 and removed[0]:  # an unlinked case joins again, at the back
        push(q, 0, classes[0], 99)
        assert pop(q, classes[0]) == 0 and q.head[classes[0]] < 0


# --- the queue against a plain Python model ------------------------------------------------

RANKS = np.array([1.0, 0.0, 1.0])  # class 1 first; classes 0 and 2 by day joined
N_CASES = 12

operations = st.lists(
    st.one_of(
        st.tuples(
            st.sampled_from(["push", "push_front"]),
            st.integers(0, N_CASES - 1),  # case
            st.integers(0, len(RANKS) - 1),  # class
            st.one_of(st.integers(-3, 40), st.just(FIRST_IN_LINE)),  # day joined
        ),
        st.tuples(st.just("pop")),
        st.tuples(st.just("unlink"), st.integers(0, len(RANKS) - 1), st.integers(0, N_CASES)),
    ),
    max_size=60,
)


def model_best(lists: list[list[tuple[int, int]]]) -> int:
    """The class served next: the head with the lowest (rank, day joined, case); -1."""
    heads = [(RANKS[k], lst[0][1], lst[0][0], k) for k, lst in enumerate(lists) if lst]
    return min(heads)[3] if heads else -1


@settings(deadline=None)  # the first example compiles the kernels
@given(operations, st.integers(1, 5))
def test_queue_matches_a_plain_model(ops, room):
    """Any sequence of pushes (back or front, linked cases ignored), pops of the class served
    next and removals from anywhere leaves the queue as a list per class would: the same
    heads, order, days joined, linked flags; given-back entries are reused and the pool
    grows (from ``room`` entries) without losing any."""
    q = new_queue(RANKS, N_CASES, capacity=room)
    lists: list[list[tuple[int, int]]] = [[] for _ in RANKS]  # (case, day) per class
    for op in ops:
        linked = {c for lst in lists for c, _ in lst}
        if op[0] in ("push", "push_front"):
            _, c, cls, day = op
            (push if op[0] == "push" else push_front)(q, c, cls, day)
            if c not in linked:
                lists[cls].insert(len(lists[cls]) if op[0] == "push" else 0, (c, day))
        elif op[0] == "pop":
            cls = best_class(q)
            assert cls == model_best(lists)
            if cls >= 0:
                assert (head_case(q, cls), head_since(q, cls)) == lists[cls][0]
                assert pop(q, cls) == lists[cls].pop(0)[0]
        else:
            _, cls, k = op
            if k < len(lists[cls]):
                before, e = -1, first_entry(q, cls)
                for _ in range(k):
                    before, e = e, next_entry(q, e)
                after = unlink(q, cls, before, e)
                if k + 1 < len(lists[cls]):  # the entry that followed it
                    assert entry_case(q, after) == lists[cls][k + 1][0]
                else:
                    assert after == -1
                lists[cls].pop(k)
    joined = days_joined(q)
    expected = np.full(N_CASES, NOT_QUEUED, np.int64)
    for lst in lists:
        for c, day in lst:
            expected[c] = day
    assert np.array_equal(joined, expected)
    assert np.array_equal(q.queued, expected != NOT_QUEUED)
    assert in_use(q) == sum(map(len, lists)) <= capacity(q)
    served = []
    while (cls := best_class(q)) >= 0:
        served.append(pop(q, cls))
    order = []
    while (cls := model_best(lists)) >= 0:
        order.append(lists[cls].pop(0)[0])
    assert served == order
    assert in_use(q) == 0 and not q.queued.any()


def test_first_in_line_is_served_before_any_day_of_its_rank():
    q = new_queue(np.zeros(2), 5)
    push(q, 0, 0, -(2**29))  # joined long before the start
    push_front(q, 1, 1, FIRST_IN_LINE)
    assert best_class(q) == 1 and head_since(q, 1) == FIRST_IN_LINE
