"""The calendar of a run's days: each day's date, month and length of month.

Several parts of a run turn monthly figures into daily ones or key draws by the date
(arrivals, temporary protection, the resettlement pipeline). They read this one calendar,
computed once per scenario (:attr:`flowsim.scenario.Scenario.run_days`) and shared by its
replications, rather than each building its own dates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class RunDays:
    """Day ``d`` of a run (0 = the start date) is ``dates[d]``."""

    dates: np.ndarray  # datetime64[D] per day
    month: np.ndarray  # "YYYY-MM" per day (str)
    year: np.ndarray  # int64 per day
    new_year: np.ndarray  # bool per day: 1 January
    days_in_month: np.ndarray  # float64 per day: days of the day's calendar month
    ordinal: np.ndarray  # uint64 per day: the proleptic Gregorian ordinal (date.toordinal())

    @classmethod
    def of(cls, start: dt.date, days: int) -> RunDays:
        """The calendar of ``days`` days from ``start``."""
        first = np.datetime64(start, "D")
        dates = np.arange(first, first + np.timedelta64(days, "D"))
        months = dates.astype("datetime64[M]")
        years = months.astype("datetime64[Y]")
        next_month = months + np.timedelta64(1, "M")
        month_length = next_month.astype("datetime64[D]") - months.astype("datetime64[D]")
        epoch = np.datetime64(dt.date(1, 1, 1), "D")
        return cls(
            dates=dates,
            month=months.astype(str),
            year=years.astype(np.int64) + 1970,
            new_year=dates == years.astype("datetime64[D]"),
            days_in_month=month_length.astype(np.float64),
            ordinal=((dates - epoch).astype(np.int64) + 1).astype(np.uint64),
        )

    def __len__(self) -> int:
        return len(self.dates)

    def per_day(self, monthly: Mapping[str, float]) -> np.ndarray:
        """Persons (or places) per day from figures per calendar month (``YYYY-MM``), each
        month's figure spread evenly over its days; a month not given has none."""
        labels, first = np.unique(self.month, return_inverse=True)
        values = np.array([float(monthly.get(label, 0.0)) for label in labels])
        return values[first] / self.days_in_month
