"""The order in which cases stand in a queue by the day they joined."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from flowsim.engine.queues import in_day_order

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
