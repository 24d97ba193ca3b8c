"""Predictive bands: what the calibrated model says an *observed* figure will be.

The calibration's likelihood (:mod:`flowsim.validation.posterior`) states how an observed figure
``y`` relates to the model: ``log(y / mu) = e``, ``e`` normal with a standard deviation ``sigma_s``
of its own for each series ``s`` (a series and a resolution). The ensemble's runs carry the
parameters' uncertainty (and the seed's); the error ``e`` is the rest: what the model, at its best
parameters, still misses. A band meant to hold the observed figure must carry both, or it claims a
precision the fit never had.

Under the likelihood's Jeffreys prior on ``sigma_s``, with ``m_s`` effective points (the
likelihood's own count) and the fit's mean squared log error ``MSE_s`` (plus the error
floor), a new point's error is Student-t with ``m_s`` degrees of freedom and scale
``sqrt(MSE_s + floor^2)``: few points, heavy tails. The scales are estimated on the
calibration's own points only (:func:`error_scales`; ``errors.csv`` in a calibration's
folder), so a forecast's band never sees what it forecasts.

A scale measured on fewer than :data:`MIN_EFFECTIVE_POINTS` effective points is no
measurement: one observed year gives a Student-t with one degree of freedom (a Cauchy), whose
90% band runs to hundreds of times the median. Such a series gets no predictive band of its
own (:func:`measured`).

A forecast point on a series (and resolution) the calibration did not fit, or did not
measure, takes the scale of the same series at another resolution (the largest, to be
safe), else, when the series was fitted nowhere, the median scale of the measured series;
a series fitted but measured nowhere gets no band (:func:`scale_of`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from flowsim.validation.posterior import point_weights

if TYPE_CHECKING:
    from flowsim.scenario.scenario import Scenario

ERROR_COLUMNS = ["series", "resolution", "points", "effective_points", "scale"]
PREDICTIVE_QUANTILES = (0.05, 0.25, 0.75, 0.95)  # columns predictive_q05 ... predictive_q95
DRAWS_PER_RUN = 50  # error draws per run: bands from runs x draws samples
MOST_LOG_ERROR = 10.0  # draws of the log error are clipped to +-this
MIN_EFFECTIVE_POINTS = 2.0  # the fewest effective points (years) that measure an error


def error_scales(points: pd.DataFrame, floor: float) -> pd.DataFrame:
    """Per series and resolution, the fit's log-error scale (:data:`ERROR_COLUMNS`).

    ``points`` are a fit's points (``series``, ``resolution``, ``end``, ``observed``,
    ``model_median``; rows with ``split`` other than ``fit``, ``role`` other than
    ``outcome`` or ``scope`` ``wider`` are left out, as the likelihood leaves them out).
    ``scale`` is ``sqrt(mean squared log error + floor^2)`` (relative, no unit);
    ``effective_points`` counts as the likelihood does (a year at most per point)."""
    keep = (points["observed"] > 0) & (points["model_median"] > 0)
    for column, value in (("split", "fit"), ("role", "outcome")):
        if column in points:
            keep &= points[column] == value
    if "scope" in points:
        keep &= points["scope"] != "wider"
    fit = points[keep].sort_values(["series", "resolution", "end"]).reset_index(drop=True)
    if fit.empty:
        return pd.DataFrame(columns=ERROR_COLUMNS)
    codes = fit.groupby(["series", "resolution"], sort=False).ngroup().to_numpy()
    weights = point_weights(codes, fit["end"].to_numpy("datetime64[D]"))
    errors = np.log(fit["observed"].to_numpy(float) / fit["model_median"].to_numpy(float))
    rows = []
    for code in np.unique(codes):
        mine = codes == code
        first = fit[mine].iloc[0]
        rows.append(
            {
                "series": first["series"],
                "resolution": first["resolution"],
                "points": int(mine.sum()),
                "effective_points": float(weights[mine].sum()),
                "scale": float(np.sqrt(np.mean(errors[mine] ** 2) + floor * floor)),
            }
        )
    return pd.DataFrame(rows, columns=ERROR_COLUMNS)


def measured(scales: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``scales`` measured on at least :data:`MIN_EFFECTIVE_POINTS` effective
    points: the errors a predictive band may use."""
    return scales[scales["effective_points"] >= MIN_EFFECTIVE_POINTS]


def scale_of(scales: pd.DataFrame, series: str, resolution: str) -> tuple[float, float]:
    """The error scale and degrees of freedom for one point (module docstring's fallback);
    NaN for a series fitted but measured at no resolution. Raises ``ValueError`` when no
    series is measured."""
    usable = measured(scales)
    if usable.empty:
        raise ValueError("no error scales: the calibration measured no outcome series")
    same = usable[usable["series"] == series]
    exact = same[same["resolution"] == resolution]
    if not exact.empty:
        row = exact.iloc[0]
    elif not same.empty:
        row = same.loc[same["scale"].idxmax()]
    elif (scales["series"] == series).any():
        return float("nan"), float("nan")
    else:
        return float(usable["scale"].median()), float(usable["effective_points"].median())
    return float(row["scale"]), float(row["effective_points"])


def predictive_samples(
    samples: np.ndarray, points: pd.DataFrame, scales: pd.DataFrame, seed: int = 0
) -> np.ndarray:
    """The runs' values (runs x points, in the points' units) times the model's own error:
    ``runs * DRAWS_PER_RUN`` rows, each run's value times ``exp(e)``, ``e`` Student-t with
    the point's scale and degrees of freedom (:func:`scale_of`). Deterministic in ``seed``.
    NaN stays NaN (a run that does not cover the point), and a point whose error was not
    measured is NaN throughout."""
    samples = np.atleast_2d(np.asarray(samples, float))
    if samples.shape[1] != len(points):
        raise ValueError(f"{samples.shape[1]} columns of samples for {len(points)} points")
    keys = zip(points["series"], points["resolution"], strict=True)
    pairs = [scale_of(scales, series, res) for series, res in keys]
    scale = np.array([p[0] for p in pairs])
    unmeasured = ~np.isfinite(scale)
    dof = np.array([max(p[1], 1.0) if np.isfinite(p[1]) else 1.0 for p in pairs])
    rng = np.random.default_rng(seed)
    rows = samples.shape[0] * DRAWS_PER_RUN
    errors = rng.standard_t(dof, size=(rows, len(points))) * np.where(unmeasured, 0.0, scale)
    errors[:, unmeasured] = np.nan  # no band where the error was not measured
    # t with one or two degrees of freedom has tails exp() cannot hold; a factor of e^10
    # (22,000) is past any band's end
    errors = np.clip(errors, -MOST_LOG_ERROR, MOST_LOG_ERROR)
    return np.repeat(samples, DRAWS_PER_RUN, axis=0) * np.exp(errors)


def add_predictive(
    points: pd.DataFrame, samples: np.ndarray, scales: pd.DataFrame, seed: int = 0
) -> tuple[pd.DataFrame, np.ndarray]:
    """``points`` (rows of :func:`flowsim.validation.hindcast.compare`) with the predictive
    quantiles ``predictive_q05`` ... ``predictive_q95`` (:data:`PREDICTIVE_QUANTILES`, in the
    points' units) added, and the predictive samples (:func:`predictive_samples`)."""
    draws = predictive_samples(samples, points, scales, seed)
    points = points.copy()
    banded = np.isfinite(draws).any(axis=0)  # NaN where no error was measured
    for q in PREDICTIVE_QUANTILES:
        column = f"predictive_q{round(100 * q):02d}"
        points[column] = np.nan
        if banded.any():
            points.loc[banded, column] = np.nanquantile(draws[:, banded], q, axis=0)
    return points, draws


def manifest_scales(manifest: dict) -> pd.DataFrame:
    """The error scales a run's scenario carried (its manifest's ``ensemble.errors``; empty
    when it carried none: an uncalibrated scenario)."""
    ensemble = (manifest.get("config") or {}).get("ensemble") or {}
    return pd.DataFrame(ensemble.get("errors") or [], columns=ERROR_COLUMNS)


def read_scales(path: Path) -> pd.DataFrame:
    """A calibration's ``errors.csv`` (:data:`ERROR_COLUMNS`)."""
    return pd.read_csv(path)[ERROR_COLUMNS]


def scenario_scales(scenario: Scenario) -> pd.DataFrame:
    """The error scales a calibrated scenario carries (``ensemble.errors``; empty when it
    has none)."""
    errors = scenario.ensemble.errors if scenario.ensemble is not None else []
    return pd.DataFrame([e.model_dump() for e in errors], columns=ERROR_COLUMNS)
