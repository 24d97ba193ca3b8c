"""The order in which cases stand in a queue by the day they joined."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from flowsim.engine.queues import best_class, in_day_order, new_queue, pop, push, unlink

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
    q = new_queue(np.array([0.0, 1.0, 2.0]), 30)
    for c, cls in enumerate(classes):
        push(q, c, cls, c)
    for cls in range(3):
        before, c = -1, q.head[cls]
        while c >= 0:
            if removed[c]:
                c = unlink(q, cls, before, c)
            else:
                before, c = c, q.nxt[c]
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
