"""Results by region: Flanders, Wallonia, Brussels-Capital.

Reception places count in a region when their centre names one (centres spanning several
regions count as ``unassigned``). A person keeps the region of the last centre they were
placed in (:attr:`flowsim.engine.population.Cases.region`), so the people pending at the CGRS or
CALL, status holders and final outcomes count in the region where they were received; people
never placed in a centre of one region count as ``unassigned``. Housing found for status
holders and people under temporary protection counts in the region of the municipality that
found it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numba import njit

from flowsim.engine import states
from flowsim.engine.population import GRANTED, REFUSED, REGION_UNASSIGNED, Tally
from flowsim.engine.states import REGIONS

CENTRE_REGIONS = (*REGIONS, "unassigned")
assert CENTRE_REGIONS.index("unassigned") == REGION_UNASSIGNED

# What is recorded per region each day (rows of the daily snapshot).
IN_RECEPTION, CAPACITY, CUM_HOUSED, PENDING_CGRS, PENDING_CALL, STATUS_HOLDERS = range(6)
CUM_GRANTED, CUM_REFUSED = 6, 7
N_ROWS = 8

REGION_COLUMNS = (
    "in_reception",  # persons in a reception place of the region, end of day
    "reception_capacity",  # places open in the region
    "housed_by_municipalities",  # persons housed by the region's municipalities that day
    "pending_cgrs",  # persons received in the region, pending at the CGRS, end of day
    "pending_call",  # persons received in the region, appealing at CALL, end of day
    "status_holders",  # persons received in the region, granted, still in reception
    "final_positive",  # persons received in the region granted protection that day
    "final_negative",  # persons received in the region with a final refusal that day
)


def region_codes(regions: list[str | None]) -> np.ndarray:
    """Index into CENTRE_REGIONS of each centre's region (``None``: unassigned)."""
    return np.array([CENTRE_REGIONS.index(r if r else "unassigned") for r in regions], np.int8)


@njit(cache=True, inline="always")
def record(
    out: np.ndarray,
    tally: Tally,
    capacity: np.ndarray,
    centres: np.ndarray,
    housed: np.ndarray,
    municipalities: np.ndarray,
) -> None:
    """Write today's counts by region into ``out`` (shape (N_ROWS, len(CENTRE_REGIONS)));
    ``centres`` and ``municipalities`` are their region codes (persons, places)."""
    out[IN_RECEPTION] = 0.0
    out[CAPACITY] = 0.0
    out[CUM_HOUSED] = 0.0
    for k in range(centres.shape[0]):
        out[IN_RECEPTION, centres[k]] += tally.occupancy[k]
        out[CAPACITY, centres[k]] += capacity[k]
    for k in range(municipalities.shape[0]):
        out[CUM_HOUSED, municipalities[k]] += housed[k]
    out[PENDING_CGRS] = tally.state_by_region[states.PENDING_CGRS]
    out[PENDING_CALL] = tally.state_by_region[states.PENDING_CALL]
    out[STATUS_HOLDERS] = tally.state_by_region[states.STATUS_HOLDER]
    out[CUM_GRANTED] = tally.outcomes_by_region[GRANTED]
    out[CUM_REFUSED] = tally.outcomes_by_region[REFUSED]


def by_region(dates: pd.DatetimeIndex, daily: np.ndarray) -> pd.DataFrame:
    """Long table, one row per date and region (``daily``: days x N_ROWS x regions); the
    columns are REGION_COLUMNS, in the order of the rows."""
    daily = daily.astype(np.float64)
    for row in (CUM_HOUSED, CUM_GRANTED, CUM_REFUSED):  # cumulative counts -> daily flows
        daily[:, row, :] = np.diff(daily[:, row, :], axis=0, prepend=0)
    frames = [
        pd.DataFrame(
            {
                "date": dates,
                "region": region,
                **{name: daily[:, row, r] for row, name in enumerate(REGION_COLUMNS)},
            }
        )
        for r, region in enumerate(CENTRE_REGIONS)
    ]
    return pd.concat(frames, ignore_index=True)
