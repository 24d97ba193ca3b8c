"""The posterior of a calibration's parameters: prior, likelihood and the sampler's steps.

Pure numpy; :mod:`flowsim.validation.calibration` runs the simulations and calls these.

**Prior.** Each parameter is uniform on its range (or on the logarithm of it, ``log``). The
sampler works on unbounded coordinates ``z = logit(u)``, ``u`` the position in the range
(0 to 1), where the prior density is ``u (1 - u)``.

**Likelihood.** For an observed point ``y`` and the model's mean ``mu`` over replications,
the error is on the log scale, ``e = log(y / mu)``, normal with a standard deviation
``sigma_s`` of its own for each series ``s`` (a series and a resolution: monthly and yearly
figures of one series are separate series). ``sigma_s`` is not known: it is integrated out
under its scale-invariant (Jeffreys) prior. The errors of one series are not independent
(a model that misses a year misses its months alike), so a series counts by its *effective*
number of points, ``m_s``: a point counts as much as the share of a year since the series'
previous point (the first one fully), so a series counts one point a year at most, whatever
its resolution. The weights depend on the observed dates only (errors estimated at each
parameter set would let a set that misses a series persistently discount that series).
With ``MSE_s`` the mean squared error of the ``n_s`` points::

    log L = - sum_s (m_s / 2) log(MSE_s + floor^2)

``floor`` is the smallest relative error any point is believed to have (rounding and
reporting, 2% by default): it keeps a series that a parameter set happens to hit exactly from
dominating. Nothing weights the series by hand: a series counts by the years its points
span and by how well the model can follow it. The forecast bands are checked out of sample
(``flowsim backtest``).

**Sampler** (sequential Monte Carlo with adaptive tempering and Metropolis moves: Chopin
2002, Del Moral, Doucet & Jasra 2006): ``N`` parameter sets are first drawn from the prior (a
scrambled Sobol sequence). The target is then the posterior tempered by ``beta`` (the
likelihood raised to ``beta``), raised from 0 to 1 in steps: each step takes ``beta`` as high
as keeps the effective sample size of the sets' incremental weights (``L^(beta - previous)``)
at ``ESS_FRACTION`` of ``N``, resamples the sets by those weights (systematic resampling),
then moves each set by random-walk Metropolis steps (a normal step with ``2.38^2 / d`` times
the sets' covariance, accepted with the tempered posterior's ratio; the current set keeps its
likelihood estimate, as in pseudo-marginal MCMC; with ``prior_redraw_share``, that share of
the proposals redraws one parameter from its prior instead, :func:`prior_redraws`) until
half of them have moved
(``(1 - acceptance)^steps < STAY``), ``MOST_MOVES`` steps at most. Each round of
simulations (the first draw, or one move step) runs every set once. The sampler stops after
the moves at ``beta = 1`` (the sets are then a sample of the posterior) or after its last
round (a tempered posterior: the calibration says so). Every draw depends only on the seed
and on the results of earlier rounds, so a calibration interrupted and run again draws the
same sets and finds their simulations stored.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import special
from scipy.stats import qmc

ESS_FRACTION = 0.5  # effective sample size kept when tempering, as a share of the sets
STAY = 0.5  # moves go on while more than this share of the sets would not have moved
MOST_MOVES = 4  # Metropolis steps at one tempering at most (each is a round of simulations)
_U_EDGE = 1e-9  # positions in a range are kept off its ends (logit finite)


def _unbounded(u: np.ndarray) -> np.ndarray:
    """Unbounded coordinates ``logit(u)`` of positions ``u`` (0 to 1) in the ranges."""
    return special.logit(np.clip(u, _U_EDGE, 1 - _U_EDGE))


def _log_prior_1d(z: np.ndarray) -> np.ndarray:
    """Log prior density of single coordinates (``log u (1 - u)``)."""
    return -np.logaddexp(0.0, z) - np.logaddexp(0.0, -z)


@dataclass(frozen=True)
class Prior:
    """Uniform (or log-uniform) ranges of the parameters, in a fixed order."""

    keys: tuple[str, ...]
    low: np.ndarray
    high: np.ndarray
    log: np.ndarray  # bool

    @property
    def dim(self) -> int:
        """Number of parameters."""
        return len(self.keys)

    def _scale(self, x: np.ndarray) -> np.ndarray:
        return np.where(self.log, np.log(np.where(self.log, x, 1.0)), x)

    def to_unit(self, values: np.ndarray) -> np.ndarray:
        """Positions (0 to 1) in the ranges of parameter values, shape (sets, parameters)."""
        lo, hi = self._scale(self.low), self._scale(self.high)
        return (self._scale(np.asarray(values, float)) - lo) / (hi - lo)

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        """Parameter values (in their units) at positions ``u`` (0 to 1) in the ranges."""
        lo, hi = self._scale(self.low), self._scale(self.high)
        x = lo + np.asarray(u, float) * (hi - lo)
        return np.where(self.log, np.exp(x), x)

    def to_z(self, values: np.ndarray) -> np.ndarray:
        """Unbounded coordinates of parameter values."""
        return _unbounded(self.to_unit(values))

    def from_z(self, z: np.ndarray) -> np.ndarray:
        """Parameter values at unbounded coordinates ``z``."""
        return self.from_unit(special.expit(np.asarray(z, float)))

    def log_density(self, z: np.ndarray) -> np.ndarray:
        """Log prior density at ``z`` (one value per set): sum of ``log u (1 - u)``."""
        z = np.atleast_2d(z)
        return np.sum(_log_prior_1d(z), axis=1)


def sobol_sets(prior: Prior, n: int, seed: int) -> np.ndarray:
    """``n`` sets from the prior (a scrambled Sobol sequence), unbounded coordinates."""
    with warnings.catch_warnings():  # balance is best for a power of two; any n is fine
        warnings.simplefilter("ignore", UserWarning)
        u = qmc.Sobol(prior.dim, scramble=True, seed=seed).random(n)
    return _unbounded(u)


def point_weights(series: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Each point's share in its series' effective number of points: the years since the
    series' previous point, at most 1 (the first point of a series: 1). ``ends`` are the
    points' dates (``datetime64``), each series' points in time order."""
    series, ends = np.asarray(series), np.asarray(ends, "datetime64[D]")
    out = np.ones(len(series))
    for code in np.unique(series):
        where = np.flatnonzero(series == code)
        gaps = np.diff(ends[where]).astype(float) / 365.25
        out[where[1:]] = np.clip(gaps, 0.0, 1.0)
    return out


def log_likelihood(
    model: np.ndarray,
    observed: np.ndarray,
    series: np.ndarray,
    floor: float,
    weights: np.ndarray | None = None,
) -> tuple[float, dict[int, float]]:
    """The log likelihood (module docstring) of model means ``model`` against ``observed``
    (both positive, one per point) with each point's series code ``series`` and its share in
    the series' effective points ``weights`` (:func:`point_weights`; default: every point
    counts fully); returns it and each series' sum of squared log errors. A model mean that
    is 0, negative or NaN counts as a factor 1e-9 off (the worst fit, not an error)."""
    model, observed = np.asarray(model, float), np.asarray(observed, float)
    weights = np.ones(len(observed)) if weights is None else np.asarray(weights, float)
    ratio = np.where(np.isfinite(model) & (model > 0), model, observed * 1e-9) / observed
    errors = np.log(ratio)
    total, sse = 0.0, {}
    for code in np.unique(series):
        mine = series == code
        e = errors[mine]
        sse[int(code)] = float(np.sum(e * e))
        effective = float(np.sum(weights[mine]))
        total -= 0.5 * effective * np.log(sse[int(code)] / len(e) + floor * floor)
    return float(total), sse


def normalised(log_weights: np.ndarray) -> np.ndarray:
    """Weights summing to 1 from log weights (-inf: weight 0)."""
    log_weights = np.asarray(log_weights, float)
    top = np.max(log_weights)
    if not np.isfinite(top):
        return np.full(len(log_weights), 1.0 / len(log_weights))
    w = np.exp(log_weights - top)
    return w / w.sum()


def effective_size(weights: np.ndarray) -> float:
    """Effective sample size of normalised weights, ``1 / sum w^2``."""
    return float(1.0 / np.sum(np.square(weights)))


def next_beta(beta: float, log_lik: np.ndarray) -> float:
    """The highest tempering, from ``beta`` to 1, whose incremental weights
    ``L^(next - beta)`` over the (equally weighted) sets keep an effective sample size of at
    least ``ESS_FRACTION`` of them (a set whose run failed, ``log L = -inf``, weighs 0)."""
    log_lik = np.asarray(log_lik, float)
    target = ESS_FRACTION * len(log_lik)

    def ess(b: float) -> float:
        return effective_size(
            normalised(np.where(np.isfinite(log_lik), (b - beta) * log_lik, -np.inf))
        )

    if ess(1.0) >= target:
        return 1.0
    lo, hi = beta, 1.0
    for _ in range(60):  # bisection to well below any meaningful precision
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if ess(mid) >= target else (lo, mid)
    return lo


def incremental_weights(beta: float, following: float, log_lik: np.ndarray) -> np.ndarray:
    """Normalised weights ``L^(following - beta)`` of equally weighted sets."""
    log_lik = np.asarray(log_lik, float)
    return normalised(np.where(np.isfinite(log_lik), (following - beta) * log_lik, -np.inf))


def random_walk(z: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A Metropolis proposal for each set: a normal step with ``2.38^2 / d`` times the
    sets' covariance (a small ridge keeps it usable when the sets are few or alike)."""
    n, dim = z.shape
    cov = np.atleast_2d(np.cov(z.T)) if n > 1 else np.eye(dim)
    cov = cov * (2.38**2 / dim) + 1e-6 * np.eye(dim)
    return z + rng.multivariate_normal(np.zeros(dim), cov, n)


def prior_redraws(
    z: np.ndarray, proposed: np.ndarray, share: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Replace about ``share`` of the proposals by the current set with one parameter, drawn
    at random, redrawn from its prior. Returns the proposals and each one's log proposal
    ratio ``log q(current | proposed) - log q(proposed | current)`` for :func:`accepted`
    (0 for a random-walk step, which is symmetric).

    For a redraw the ratio cancels the change of prior, so the likelihood alone decides:
    a parameter the data leave free is always moved, and keeps its prior's spread however
    many times the sets are resampled (random-walk steps scaled by the sets' own spread
    cannot widen a spread that resampling narrowed by chance)."""
    n, dim = z.shape
    out, log_ratio = proposed.copy(), np.zeros(n)
    rows = np.flatnonzero(rng.random(n) < share)
    cols = rng.integers(dim, size=len(rows))
    fresh = _unbounded(rng.random(len(rows)))
    out[rows] = z[rows]
    out[rows, cols] = fresh
    log_ratio[rows] = _log_prior_1d(z[rows, cols]) - _log_prior_1d(fresh)
    return out, log_ratio


def accepted(
    beta: float,
    log_lik: np.ndarray,
    log_prior: np.ndarray,
    new_log_lik: np.ndarray,
    new_log_prior: np.ndarray,
    rng: np.random.Generator,
    log_proposal_ratio: np.ndarray | float = 0.0,
) -> np.ndarray:
    """Which proposals the Metropolis-Hastings rule accepts for the posterior tempered by
    ``beta`` (a proposal whose run failed never is); ``log_proposal_ratio`` is that of an
    asymmetric proposal (:func:`prior_redraws`)."""
    with np.errstate(invalid="ignore"):
        ratio = beta * (new_log_lik - log_lik) + new_log_prior - log_prior + log_proposal_ratio
    ratio = np.where(np.isfinite(new_log_lik), np.nan_to_num(ratio, nan=np.inf), -np.inf)
    return np.log(rng.random(len(ratio))) < ratio


def systematic_resample(weights: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of ``n`` draws from the weighted sets by systematic resampling: each set is
    drawn ``n w`` times, rounded up or down (less noise than independent draws)."""
    positions = (rng.random() + np.arange(n)) / n
    cumulative = np.cumsum(weights)
    cumulative[-1] = 1.0
    return np.searchsorted(cumulative, positions, side="right")


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, qs: list[float]) -> np.ndarray:
    """Quantiles ``qs`` (0 to 1) of ``values`` under normalised ``weights``."""
    keep = np.asarray(weights) > 0
    v, w = np.asarray(values, float)[keep], np.asarray(weights, float)[keep]
    order = np.argsort(v)
    v, w = v[order], w[order] / w.sum()
    midpoints = np.cumsum(w) - 0.5 * w  # each value stands at the middle of its weight
    return np.interp(qs, midpoints, v)
