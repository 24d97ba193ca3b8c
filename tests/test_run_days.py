"""The calendar of a run's days, against Python's own dates."""

from __future__ import annotations

import calendar
import datetime as dt

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from flowsim.scenario.run_days import RunDays

starts = st.dates(min_value=dt.date(1999, 1, 1), max_value=dt.date(2040, 12, 31))


@given(start=starts, days=st.integers(min_value=1, max_value=1200))
def test_each_day_has_its_date_month_length_and_ordinal(start, days):
    run = RunDays.of(start, days)
    assert len(run) == days
    for d in (0, days // 3, days // 2, days - 1):
        date = start + dt.timedelta(days=d)
        assert run.dates[d] == np.datetime64(date)
        assert run.month[d] == f"{date.year:04d}-{date.month:02d}"
        assert run.year[d] == date.year
        assert run.new_year[d] == (date.month == 1 and date.day == 1)
        assert run.days_in_month[d] == calendar.monthrange(date.year, date.month)[1]
        assert run.ordinal[d] == date.toordinal()


@given(start=starts, days=st.integers(min_value=1, max_value=800), data=st.data())
def test_a_months_figure_is_spread_evenly_over_its_days(start, days, data):
    run = RunDays.of(start, days)
    months = sorted(set(run.month.tolist()))
    given_months = data.draw(st.lists(st.sampled_from(months), unique=True))
    monthly = {m: float(i + 1) * 31.0 for i, m in enumerate(given_months)}
    daily = run.per_day(monthly)
    for month in months:
        inside = run.month == month
        expected = monthly.get(month, 0.0) * inside.sum() / run.days_in_month[inside][0]
        assert np.isclose(daily[inside].sum(), expected)
    assert (daily[~np.isin(run.month, given_months)] == 0).all()


def test_the_scenario_computes_its_calendar_once(small_scenario):
    scenario = small_scenario()
    assert scenario.run_days is scenario.run_days
    assert len(scenario.run_days) == scenario.days
