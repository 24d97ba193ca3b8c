"""Intervals for differences between scenarios run over replications.

Two scenarios run with the same seeds give replication k the same random draws (common
random numbers: :mod:`flowsim.engine.streams`), so the difference of an outcome replication by
replication is paired; its interval is far narrower than the unpaired one when the
scenarios share most of their randomness. Both are given so that a reader sees the gain.
The ``*_text`` functions write numbers and intervals for people.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

CONFIDENCE = 0.95


# --- intervals ----------------------------------------------------------------------------


def mean_interval(values: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval of the mean: (mean, low, high).

    NaN values are dropped; with fewer than two values the interval is NaN.
    """
    x = np.asarray(values, np.float64)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if x.size < 2:
        return mean, math.nan, math.nan
    half = float(mean_half_width(x.std(ddof=1), x.size, confidence))
    return mean, mean - half, mean + half


def mean_half_width(
    sd: np.ndarray | float, n: np.ndarray | int, confidence: float = CONFIDENCE
) -> np.ndarray:
    """Half the Student-t confidence interval of a mean, from the samples' standard
    deviation ``sd`` (ddof 1) and size ``n``, elementwise; NaN where ``n`` < 2."""
    n = np.asarray(n, np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = stats.t.ppf(0.5 + confidence / 2, np.where(n >= 2, n - 1, np.nan))
        return t * np.asarray(sd, np.float64) / np.sqrt(n)


def welch_interval(
    a: np.ndarray, b: np.ndarray, confidence: float = CONFIDENCE
) -> tuple[float, float]:
    """Confidence interval of mean(a) - mean(b) treating the samples as independent."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    if a.size < 2 or b.size < 2:
        return math.nan, math.nan
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    diff = a.mean() - b.mean()
    if va + vb == 0:
        return float(diff), float(diff)
    df = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    half = stats.t.ppf(0.5 + confidence / 2, df) * math.sqrt(va + vb)
    return float(diff - half), float(diff + half)


def interval_text(mean: float, low: float, high: float) -> str:
    """A mean with its interval for reading: ``12,346 [12,000, 12,700]`` (``-`` for NaN)."""
    return f"{number_text(mean)} [{number_text(low)}, {number_text(high)}]"


def number_text(value: float) -> str:
    """A number for a table cell: thousands separated from 10,000 up, else four
    significant digits; ``-`` for a missing value (None or NaN)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if abs(value) >= 1e4:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def amount_text(value: float, unit: str) -> str:
    """A figure for people, with its unit: ``EUR 2.28 bn``, ``EUR 4.5 m``, ``12,300
    persons``, ``-1,250 person-days`` (three significant digits; ``-`` when missing)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if unit == "euros":
        for scale, word in ((1e9, " bn"), (1e6, " m"), (1e3, " k")):
            if abs(value) >= scale:
                return f"EUR {value / scale:.3g}{word}"
        return f"EUR {value:.0f}"
    rounded = float(f"{value:.3g}")
    return f"{rounded:,.0f} {unit}" if abs(rounded) >= 1 else f"{value:.2g} {unit}"


def amount_interval_text(value: float, low: float, high: float, unit: str) -> str:
    """A figure and its interval with the unit once: ``-845 [-962, -728] person-days``,
    ``EUR -2.05 k [EUR -4.38 k, EUR 281]`` (see :func:`amount_text`); the interval alone
    when ``value`` is None."""
    interval = [amount_text(x, unit) for x in (low, high)]
    if unit != "euros":
        interval = [text.removesuffix(f" {unit}") for text in interval]
    inside = f"[{interval[0]}, {interval[1]}]"
    if value is None:
        return inside if unit == "euros" else f"{inside} {unit}"
    head = amount_text(value, unit)
    if unit == "euros":
        return f"{head} {inside}"
    return f"{head.removesuffix(f' {unit}')} {inside} {unit}"
