"""Results by region: Flanders, Wallonia, Brussels-Capital.

Reception places count in a region when their centre names one (centres spanning several
regions count as ``unassigned``); housing found for status holders and people under
temporary protection counts in the region of the municipality that found it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowsim.municipalities import REGIONS

CENTRE_REGIONS = (*REGIONS, "unassigned")
IN_RECEPTION, CAPACITY, CUM_HOUSED = 0, 1, 2
N_ROWS = 3


def centre_regions(regions: list[str | None]) -> np.ndarray:
    """Index into CENTRE_REGIONS of each centre's region."""
    return np.array([CENTRE_REGIONS.index(r if r else "unassigned") for r in regions])


def snapshot(
    occupancy: np.ndarray,
    capacity: np.ndarray,
    centre_region: np.ndarray,
    housed: np.ndarray,
    municipality_region: np.ndarray,
) -> np.ndarray:
    """Today's counts by region, shape (N_ROWS, len(CENTRE_REGIONS)) (persons, places)."""
    n = len(CENTRE_REGIONS)
    return np.stack(
        [
            np.bincount(centre_region, weights=occupancy, minlength=n),
            np.bincount(centre_region, weights=capacity, minlength=n),
            np.bincount(municipality_region, weights=housed, minlength=n),
        ]
    )


def by_region(dates: pd.DatetimeIndex, daily: np.ndarray) -> pd.DataFrame:
    """Long table, one row per date and region (``daily``: days x N_ROWS x regions)."""
    housed = np.diff(daily[:, CUM_HOUSED, :], axis=0, prepend=0)
    frames = [
        pd.DataFrame(
            {
                "date": dates,
                "region": region,
                "in_reception": daily[:, IN_RECEPTION, r],
                "reception_capacity": daily[:, CAPACITY, r],
                "housed_by_municipalities": housed[:, r],
            }
        )
        for r, region in enumerate(CENTRE_REGIONS)
    ]
    return pd.concat(frames, ignore_index=True)
