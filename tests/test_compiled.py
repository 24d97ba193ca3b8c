"""Kernels called directly from the daily loop give the same results as through numba."""

from __future__ import annotations

import numpy as np
from numba import njit

from flowsim.compiled import direct


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
    for name in ("registration", "reception", "cgrs", "appeals", "temporary_protection"):
        monkeypatch.setattr(importlib.import_module(f"flowsim.{name}"), "direct", lambda k: k)
    for name in ("housing", "returns", "model"):
        monkeypatch.setattr(importlib.import_module(f"flowsim.{name}"), "direct", lambda k: k)
    slow = ProtectionSystem(scenario, 9).run_to_end()
    assert fast.equals(slow)
