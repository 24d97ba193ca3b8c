"""Counter-based random draws keyed by seed, case and decision kind.

A case's draw for a decision depends only on the replication seed, the case's stable key,
the kind of decision and how many times that decision was taken for the case before, never on
how many other draws happened first. Two scenarios run with the same seed therefore give the
same person the same luck, and differ only where their policies differ (common random
numbers).
"""

from __future__ import annotations

import numpy as np
from numba import njit

# Decision kinds: one independent stream each. Never renumber: results depend on them.
ARRIVAL_COUNT = 1  # how many cases of a nationality group and household type arrive in a day
# 2 is retired (arrival day within a month); never reuse a retired number.
HOUSEHOLD_SIZE = 3  # persons in a family
VULNERABLE = 4  # whether a case is vulnerable
INITIAL_PROFILE = 5  # profile of a case already in the system on the start date
# such a case's days waited so far (occurrence 0), its place in the order residents are
# placed (1) and the day its current step ends (2: Dublin cases, orders to leave)
INITIAL_WAIT = 6
DUBLIN_CASE = 7  # whether another state is asked to take the case
# 8 is retired (whether a Dublin transfer happens: now a capacity, first accepted first)
CGRS_OUTCOME = 9  # the CGRS decision
APPEAL = 10  # whether a refusal is appealed
CALL_OUTCOME = 11  # the CALL judgment
LEAVE_PRIVATE = 12  # threshold of the hazard of leaving reception for private housing
ABSCOND = 13  # threshold of the hazard of absconding from reception
RETURN_CHOICE = 14  # AVR, subsequent application or neither, after an order to leave
RESETTLED_HOUSEHOLD = 15  # whether a resettled household is a family, and its type
TP_COUNT = 16  # how many temporary-protection households register on a day
TP_HOUSEHOLD = 17  # whether such a household is a family
TP_DEPARTURE = 18  # when a person under temporary protection leaves Belgium
TP_OWN_HOUSING = 19  # when they find housing by themselves
ICAM_CHOICE = 20  # return, legal stay or neither, after an ICAM coach's guidance
WITHDRAWAL = 21  # when a pending application is withdrawn or abandoned
DUBLIN_ACCEPTANCE = 22  # whether the other state accepts the Dublin request
DUBLIN_ABSCOND = 23  # when an accepted Dublin case would abscond
DUBLIN_RETURN = 24  # whether a Dublin absconder reappears when Belgium becomes responsible
PLACE_REQUEST = 25  # whether a registered applicant asks Fedasil for a place
SUBSEQUENT_ADMISSIBILITY = 26  # whether a subsequent application is declared inadmissible
LEAVE_BEFORE_TRANSMISSION = 27  # when an applicant waiting for their file to be sent leaves
LEAVE_WAITING_LIST = 28  # whether someone waiting for a place stops waiting (occurrence: day)

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_UNIT = 1.0 / 9007199254740992.0  # 2**-53


@njit(cache=True, inline="always")
def mix64(z: np.uint64) -> np.uint64:
    """SplitMix64 finaliser: a bijective avalanche of 64 bits."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(cache=True, inline="always")
def uniform(seed: np.uint64, key: np.uint64, decision: int, occurrence: int) -> float:
    """A uniform draw in (0, 1) for (seed, case key, decision kind, occurrence)."""
    inner = mix64(np.uint64(decision) * _GOLDEN + np.uint64(occurrence))
    h = mix64(seed ^ mix64(key ^ inner))
    return (float(h >> _S11) + 0.5) * _UNIT


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def uniforms(seed: np.uint64, keys: np.ndarray, decision: int, occurrence: int) -> np.ndarray:
    """Vectorised :func:`uniform` over an array of case keys."""
    out = np.empty(keys.shape[0])
    for i in range(keys.shape[0]):
        out[i] = uniform(seed, keys[i], decision, occurrence)
    return out


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def combine(a: np.uint64, b: np.uint64) -> np.uint64:
    """A stable key from two keys (e.g. a profile's key and a month)."""
    return mix64(a * _GOLDEN + mix64(b))


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def child_keys(parent: np.uint64, n: int) -> np.ndarray:
    """Keys of the ``n`` children of a key (e.g. the k-th case arriving in a month)."""
    out = np.empty(n, np.uint64)
    for k in range(n):
        out[k] = combine(parent, np.uint64(k))
    return out


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def children_of(parents: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The keys of ``counts[i]`` children of each ``parents[i]``, concatenated."""
    out = np.empty(counts.sum(), np.uint64)
    j = 0
    for i in range(parents.shape[0]):
        for k in range(counts[i]):
            out[j] = combine(parents[i], np.uint64(k))
            j += 1
    return out


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def combine_each(parents: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``combine(parents[i], values[i])`` for every i."""
    out = np.empty(parents.shape[0], np.uint64)
    for i in range(parents.shape[0]):
        out[i] = combine(parents[i], values[i])
    return out


POISSON_DIRECT_MAX_MEAN = 50.0  # above this, quantiles come from scipy


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def poisson_quantiles(u: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Poisson quantiles (inverse CDF) of draws ``u`` for means up to 50; -1 above.

    Summing the probability mass from 0 is exact and fast for the small means of daily
    arrival cells and family sizes; callers use scipy for the rest.
    """
    out = np.empty(u.shape[0], np.int64)
    for i in range(u.shape[0]):
        mu = mean[i]
        if mu > POISSON_DIRECT_MAX_MEAN:
            out[i] = -1
            continue
        if mu <= 0.0:
            out[i] = 0
            continue
        k = 0
        p = np.exp(-mu)
        cdf = p
        while cdf < u[i] and p > 0.0:
            k += 1
            p *= mu / k
            cdf += p
        out[i] = k
    return out


def poisson_ppf(u: np.ndarray, mean: np.ndarray | float) -> np.ndarray:
    """Poisson quantiles of uniform draws ``u`` (numba for small means, scipy above)."""
    from scipy import stats

    u = np.asarray(u, np.float64)
    mean = np.broadcast_to(np.asarray(mean, np.float64), u.shape)
    out = poisson_quantiles(u, np.ascontiguousarray(mean))
    big = out < 0
    if big.any():
        out[big] = stats.poisson.ppf(u[big], mean[big]).astype(np.int64)
    return out


def key_of(*parts: int | str) -> np.uint64:
    """A stable 64-bit key from integers and strings (independent of Python's hash seed)."""
    key = 0
    for part in parts:
        value = _fnv(part) if isinstance(part, str) else part & _MASK
        key = _mix64_py((key * 0x9E3779B97F4A7C15 + _mix64_py(value)) & _MASK)
    return np.uint64(key)


_MASK = 0xFFFFFFFFFFFFFFFF


def _mix64_py(z: int) -> int:
    """:func:`mix64` on Python integers (same result)."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def _fnv(text: str) -> int:
    h = 0xCBF29CE484222325
    for byte in text.encode():
        h = ((h ^ byte) * 0x100000001B3) & _MASK
    return h
