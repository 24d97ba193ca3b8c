"""Kernels called directly from the daily loop give the same results as through numba, and
arrays borrowed inside a kernel are the caller's arrays, with their reference counts intact."""

from __future__ import annotations

import sys
from typing import NamedTuple

import numpy as np
import pytest
from numba import njit

from flowsim.engine.compiled import borrowed, direct


@njit(cache=True)
def _add_into(out, values, scale):
    out += values * scale
    return out.sum()


def test_direct_calls_match_dispatched_calls_and_fall_back_on_other_types():
    kernel = direct(_add_into)
    assert direct(_add_into) is kernel  # one wrapper per kernel
    out = np.zeros(3)
    assert kernel(out, np.arange(3.0), 2.0) == 6.0  # first call: through numba
    assert kernel.entry is not None
    assert kernel(out, np.arange(3.0), 1.0) == 9.0  # then straight to the compiled code
    np.testing.assert_array_equal(out, [0.0, 3.0, 6.0])
    # other argument kinds go through numba's dispatcher (and compile for them)
    ints = np.zeros(3, np.int64)
    assert kernel(ints, np.arange(3, dtype=np.int64), 3) == 9
    assert ints.dtype == np.int64 and list(ints) == [0, 3, 6]


def test_direct_accepts_plain_functions():
    def plain(x):
        return x + 1

    assert direct(plain)(1) == 2 and direct(plain).entry is None


def test_the_model_gives_identical_results_with_and_without_direct_calls(
    small_scenario, monkeypatch
):
    import importlib

    from flowsim.model import ProtectionSystem

    scenario = small_scenario()
    fast = ProtectionSystem(scenario, 9).run_to_end()
    for name in ("immigration_office", "reception", "cgrs", "call", "temporary_protection"):
        module = importlib.import_module(f"flowsim.institutions.{name}")
        monkeypatch.setattr(module, "direct", lambda k: k)
    for name in ("institutions.housing", "institutions.returns", "model"):
        monkeypatch.setattr(importlib.import_module(f"flowsim.{name}"), "direct", lambda k: k)
    slow = ProtectionSystem(scenario, 9).run_to_end()
    assert fast.equals(slow)


class _Inner(NamedTuple):
    counts: np.ndarray
    scale: float


class _Outer(NamedTuple):
    values: np.ndarray
    inner: _Inner


@njit(cache=True, inline="always")
def _bump(outer: _Outer, i: int) -> None:
    outer.inner.counts[i] += outer.values[i] * outer.inner.scale


@njit(cache=True)
def _bump_all(outer: _Outer, extra: np.ndarray) -> float:
    outer, extra = borrowed((outer, extra))
    for i in range(outer.values.shape[0]):
        _bump(outer, i)
        extra[i] += 1.0
    return outer.inner.counts.sum()


def test_borrowed_arrays_are_the_callers_arrays_and_keep_their_reference_counts():
    values, counts, extra = np.arange(4.0), np.zeros(4), np.zeros(4)
    outer = _Outer(values, _Inner(counts, 2.0))
    before = [sys.getrefcount(a) for a in (values, counts, extra)]
    for _ in range(3):
        assert _bump_all(outer, extra) == pytest.approx(sum(range(4)) * 2.0 * (_ + 1))
    # writes through the borrowed views land in the caller's arrays
    np.testing.assert_array_equal(counts, np.arange(4.0) * 6.0)
    np.testing.assert_array_equal(extra, np.full(4, 3.0))
    assert [sys.getrefcount(a) for a in (values, counts, extra)] == before
