"""Rates as the kernels use them: a scenario's shares and capacities per calendar month
(``_per_month`` fields) turned into hazards and amounts per day."""

from __future__ import annotations

import math

DAYS_PER_MONTH = 365.25 / 12  # days in an average calendar month


def daily_hazard(share_per_month: float) -> float:
    """Daily hazard (per day) equivalent to a share of residents leaving per month."""
    # A share of 1 per month is capped at a share of 1 - 1e-12, and the daily hazard at 50,
    # so the reception clocks stay finite.
    return min(-math.log1p(-min(share_per_month, 1.0 - 1e-12)) / DAYS_PER_MONTH, 50.0)


def daily_share(share_per_month: float) -> float:
    """Share leaving on a given day (a probability) for a share leaving per month."""
    return -math.expm1(-daily_hazard(share_per_month))
