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


def membership(indices: np.ndarray, n: int = len(CENTRE_REGIONS)) -> np.ndarray:
    """An (items x n) 0/1 matrix from each item's index (e.g. into CENTRE_REGIONS), so that
    ``values @ matrix`` sums values by category."""
    matrix = np.zeros((len(indices), n))
    matrix[np.arange(len(indices)), indices] = 1.0
    return matrix


def centre_regions(regions: list[str | None]) -> np.ndarray:
    """Membership matrix of the centres in CENTRE_REGIONS (``None``: unassigned)."""
    return membership(np.array([CENTRE_REGIONS.index(r if r else "unassigned") for r in regions]))


def record(
    out: np.ndarray,
    occupancy: np.ndarray,
    capacity: np.ndarray,
    centres: np.ndarray,
    housed: np.ndarray,
    municipalities: np.ndarray,
) -> None:
    """Write today's counts by region into ``out`` (shape (N_ROWS, len(CENTRE_REGIONS)));
    ``centres`` and ``municipalities`` are membership matrices (persons, places)."""
    out[IN_RECEPTION] = occupancy @ centres
    out[CAPACITY] = capacity @ centres
    out[CUM_HOUSED] = housed @ municipalities


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
