"""Anything that validates, runs: numbers drawn anywhere within their plausible ranges
(flowsim.scenario.ranges; shares within 0-1) give a scenario that either is refused with lines
naming the file, or runs to its end with people conserved (the run's own checks)."""

from __future__ import annotations

import datetime as dt
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import make_raw
from flowsim.model import ProtectionSystem
from flowsim.results import footprint
from flowsim.scenario.errors import ConfigError
from flowsim.scenario.loading import scenario_from_dict
from flowsim.scenario.ranges import ceiling, numbers

END = dt.date(2024, 2, 29)  # 60 days of the small scenario


PATHS = [
    p
    for p, _value in numbers(make_raw())
    if p.split(".")[0] not in ("changes", "triggers", "inflow", "temporary_protection")
]


@st.composite
def in_range(draw) -> dict:
    """Up to four fields set anywhere from 0 to their range's top (log-uniformly)."""
    chosen = draw(st.lists(st.sampled_from(PATHS), min_size=1, max_size=4, unique=True))
    values = {}
    for path in chosen:
        high, _unit = ceiling(path)
        exponent = draw(st.floats(-3.0, math.log10(high)))
        values[path] = draw(st.sampled_from([0.0, 10.0**exponent, float(high)]))
    return values


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(in_range())
def test_a_scenario_that_validates_runs(values):
    try:
        scenario = scenario_from_dict(make_raw(end_date=END, **values), "<s>")
    except ConfigError as err:
        assert all(line.startswith("<s>: ") for line in err.problems), err.problems
        return
    if footprint.run_problems("<s>", scenario, 1) or footprint.persons(scenario) > 200_000:
        return  # refused before it starts (or too large for a unit test)
    frame = ProtectionSystem(scenario, 1).run_to_end()
    assert len(frame) == scenario.days
