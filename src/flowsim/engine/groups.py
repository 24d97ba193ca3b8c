"""Results by applicant group: household types and nationality groups.

Who waits without a place, and for how long, differs by group; researchers ask it first. The
model keeps per-profile counts (see :class:`flowsim.engine.population.Tally`); this module records
them each day and sums profiles into groups. Counts are persons; flows are per day.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numba import njit

from flowsim.engine import states
from flowsim.engine.population import DAYS_WAITED, DECIDED, GRANTED, REFUSED, ProfileTable, Tally
from flowsim.engine.states import HOUSEHOLD_TYPES

# What is recorded per profile each day (rows of the daily snapshot).
IN_RECEPTION, WITHOUT_RECEPTION, PENDING_CGRS = 0, 1, 2
CUM_GRANTED, CUM_NEGATIVE, CUM_DECIDED, CUM_DAYS_WAITED = 3, 4, 5, 6
N_ROWS = 7

GROUP_COLUMNS = (
    "in_reception",  # persons in a reception place, end of day
    "without_reception",  # persons entitled to a place without one, end of day
    "pending_cgrs",  # persons waiting for a first-instance decision, end of day
    "final_positive",  # persons granted protection that day
    "final_negative",  # persons with a final negative outcome that day
    "cgrs_decisions",  # persons decided by the CGRS that day
    "cgrs_mean_days_waited",  # mean days in the CGRS queue of those decided that day
    "cgrs_median_days_waited",  # their median (persons), days
)


@njit(cache=True, inline="always")
def record(out: np.ndarray, tally: Tally) -> None:
    """Write today's per-profile counts into ``out`` (shape (N_ROWS, profiles))."""
    out[IN_RECEPTION] = tally.housing_by_profile[states.IN_CENTRE]
    out[WITHOUT_RECEPTION] = tally.housing_by_profile[states.WAITING]
    out[PENDING_CGRS] = tally.state_by_profile[states.PENDING_CGRS]
    out[CUM_GRANTED] = tally.outcomes_by_profile[GRANTED]
    out[CUM_NEGATIVE] = tally.outcomes_by_profile[REFUSED]
    out[CUM_DECIDED] = tally.outcomes_by_profile[DECIDED]
    out[CUM_DAYS_WAITED] = tally.outcomes_by_profile[DAYS_WAITED]


def daily_medians(
    day: np.ndarray, group: np.ndarray, waited: np.ndarray, persons: np.ndarray, shape: tuple
) -> np.ndarray:
    """Median days waited of the persons decided each day in each group (NaN: none decided).

    One row per decision (its day, group, days waited and persons); ``shape`` is (days,
    groups). The median of an even number of persons is the mean of the middle two.
    """
    n_days, n_groups = shape
    key = np.repeat(group.astype(np.int64) * n_days + day, persons)
    w = np.repeat(waited, persons).astype(np.float64)
    order = np.lexsort((w, key))
    key, w = key[order], w[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else key
    counts = np.diff(np.r_[starts, len(key)])
    out = np.full(n_days * n_groups, np.nan)
    out[key[starts]] = (w[starts + (counts - 1) // 2] + w[starts + counts // 2]) / 2
    return out.reshape(n_groups, n_days).T


def by_group(
    dates: pd.DatetimeIndex,
    daily: np.ndarray,
    table: ProfileTable,
    decisions: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> pd.DataFrame:
    """Long table: one row per date and group, for household types and nationality groups.

    ``daily`` has shape (days, N_ROWS, profiles) as written by :func:`record`;
    ``decisions`` are the CGRS's decisions (day, profile, days waited, persons).
    """
    day, profile, waited, persons = decisions
    groupings = {
        "household_type": (table.household_type, HOUSEHOLD_TYPES),
        "nationality_group": (table.group, table.groups),
    }
    frames = []
    for grouping, (index, names) in groupings.items():
        summed = np.stack([daily[:, :, index == g].sum(axis=2) for g in range(len(names))], 1)
        median_wait = daily_medians(day, index[profile], waited, persons, (len(dates), len(names)))
        flows = np.diff(summed[:, :, CUM_GRANTED:], axis=0, prepend=0)
        decided = flows[:, :, CUM_DECIDED - CUM_GRANTED]
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_wait = np.where(
                decided > 0, flows[:, :, CUM_DAYS_WAITED - CUM_GRANTED] / decided, np.nan
            )
        for g, name in enumerate(names):
            frames.append(
                pd.DataFrame(
                    {
                        "date": dates,
                        "grouping": grouping,
                        "group": name,
                        "in_reception": summed[:, g, IN_RECEPTION],
                        "without_reception": summed[:, g, WITHOUT_RECEPTION],
                        "pending_cgrs": summed[:, g, PENDING_CGRS],
                        "final_positive": flows[:, g, 0],
                        "final_negative": flows[:, g, 1],
                        "cgrs_decisions": decided[:, g],
                        "cgrs_mean_days_waited": mean_wait[:, g],
                        "cgrs_median_days_waited": median_wait[:, g],
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)
