"""The calendar of cases due on a day: against a plain Python model, and at the limits of
its 16-bit days."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowsim.engine.calendar import new_calendar, schedule, take_due, unschedule
from flowsim.engine.entries import capacity, in_use
from flowsim.engine.population import MAX_DAY

N_DAYS, N_CASES = 8, 10

operations = st.lists(
    st.one_of(
        st.tuples(st.just("schedule"), st.integers(0, N_CASES - 1), st.integers(-2, N_DAYS + 1)),
        st.tuples(st.just("unschedule"), st.integers(0, N_CASES - 1)),
        st.tuples(st.just("take"), st.integers(0, N_DAYS - 1)),
    ),
    max_size=80,
)


@settings(deadline=None)  # the first example compiles the kernels
@given(operations, st.integers(1, 4))
def test_calendar_matches_a_plain_model(ops, room):
    """Scheduling, moving (to the same day, another, one outside the run), unscheduling and
    taking a day's cases in any order give what a day per case would: each case at most once,
    on the day it was last scheduled, in case order; moved and unscheduled cases' entries are
    dropped when their old day is taken, and every entry comes back once all days are."""
    cal = new_calendar(N_DAYS, N_CASES, capacity=room)
    due: dict[int, int] = {}  # case -> the day it is due
    for op in ops:
        if op[0] == "schedule":
            _, c, day = op
            schedule(cal, c, day)
            due.pop(c, None)
            if 0 <= day < N_DAYS:
                due[c] = day
        elif op[0] == "unschedule":
            unschedule(cal, op[1])
            due.pop(op[1], None)
        else:
            day = op[1]
            expected = sorted(c for c, d in due.items() if d == day)
            assert take_due(cal, day).tolist() == expected
            for c in expected:
                del due[c]
        assert [int(d) for d in cal.day_of] == [due.get(c, -1) for c in range(N_CASES)]
    assert in_use(cal) <= capacity(cal)
    for day in range(N_DAYS):
        assert take_due(cal, day).tolist() == sorted(c for c, d in due.items() if d == day)
    assert in_use(cal) == 0 and (cal.day_of == -1).all()


def test_a_calendar_holds_days_up_to_the_16_bit_limit():
    cal = new_calendar(MAX_DAY, 3)
    assert cal.day_of.dtype == np.int16
    schedule(cal, 0, MAX_DAY - 1)  # the last day of the longest run
    schedule(cal, 1, MAX_DAY)  # after the run: on no day
    schedule(cal, 2, 2**16 + 5)  # would wrap around in 16 bits: still on no day
    assert cal.day_of.tolist() == [MAX_DAY - 1, -1, -1]
    assert take_due(cal, MAX_DAY - 1).tolist() == [0]
    assert take_due(cal, 5).tolist() == []
    with pytest.raises(ValueError, match="at most 32767 days"):
        new_calendar(MAX_DAY + 1, 3)
