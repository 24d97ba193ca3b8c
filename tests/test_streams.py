"""Counter-based random draws: range, determinism, dependence on every input, uniformity."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from flowsim.engine import streams

SEED = np.uint64(20240101)
KEY = streams.key_of("test", "case", 7)


def draw(seed=SEED, key=KEY, decision=streams.CGRS_OUTCOME, occurrence=0) -> float:
    return streams.uniform(np.uint64(seed), np.uint64(key), decision, occurrence)


def test_uniform_is_strictly_inside_unit_interval_even_at_extreme_inputs():
    extremes = [0, 1, 2**63, 2**64 - 1]
    values = [
        draw(seed=s, key=k, decision=d, occurrence=o)
        for s in extremes
        for k in extremes
        for d in (0, streams.ARRIVAL_COUNT, streams.ABSCOND, 255)
        for o in (0, 1, 1000)
    ]
    values = np.array(values)
    assert np.all(values > 0.0)
    assert np.all(values < 1.0)


def test_uniform_is_deterministic():
    assert draw() == draw()
    keys = streams.child_keys(KEY, 100)
    np.testing.assert_array_equal(
        streams.uniforms(SEED, keys, streams.APPEAL, 3),
        streams.uniforms(SEED, keys, streams.APPEAL, 3),
    )


@pytest.mark.parametrize(
    "changed",
    [
        {"seed": SEED + np.uint64(1)},
        {"key": KEY + np.uint64(1)},
        {"decision": streams.APPEAL},
        {"occurrence": 1},
    ],
    ids=["seed", "key", "decision", "occurrence"],
)
def test_uniform_depends_on_each_input(changed):
    # One input changed, over many base points: the draw must change every time.
    keys = streams.child_keys(streams.key_of("dependence"), 200)
    for key in keys:
        base = {"seed": SEED, "key": key, "decision": streams.CGRS_OUTCOME, "occurrence": 0}
        other = dict(base)
        for name, value in changed.items():
            other[name] = value if name != "key" else key + np.uint64(1)
        assert draw(**base) != draw(**other)


def test_uniforms_matches_scalar_uniform():
    keys = streams.child_keys(streams.key_of("vector"), 50)
    vector = streams.uniforms(SEED, keys, streams.DUBLIN_CASE, 2)
    scalar = [draw(key=k, decision=streams.DUBLIN_CASE, occurrence=2) for k in keys]
    np.testing.assert_array_equal(vector, scalar)


@pytest.mark.parametrize(
    "name, values",
    [
        ("child keys", lambda: streams.uniforms(SEED, streams.child_keys(KEY, 20000), 9, 0)),
        (
            "consecutive integer keys",
            lambda: streams.uniforms(SEED, np.arange(20000, dtype=np.uint64), 9, 0),
        ),
        (
            "consecutive occurrences",
            lambda: np.array([draw(occurrence=o) for o in range(5000)]),
        ),
        (
            "consecutive seeds",
            lambda: np.array([draw(seed=s) for s in range(5000)]),
        ),
    ],
)
def test_draws_are_roughly_uniform(name, values):
    u = values()
    result = stats.kstest(u, "uniform")
    assert result.pvalue > 1e-4, f"{name}: KS p={result.pvalue:.2g}"
    # and the bins are populated evenly (chi-square over 20 bins)
    counts = np.histogram(u, bins=20, range=(0.0, 1.0))[0]
    assert stats.chisquare(counts).pvalue > 1e-4, name


def test_streams_of_different_decisions_are_uncorrelated():
    keys = streams.child_keys(streams.key_of("correlation"), 20000)
    a = streams.uniforms(SEED, keys, streams.CGRS_OUTCOME, 0)
    b = streams.uniforms(SEED, keys, streams.APPEAL, 0)
    c = streams.uniforms(SEED, keys, streams.CGRS_OUTCOME, 1)
    limit = 5.0 / np.sqrt(len(keys))
    assert abs(np.corrcoef(a, b)[0, 1]) < limit
    assert abs(np.corrcoef(a, c)[0, 1]) < limit


def test_key_of_is_stable_and_distinguishes_inputs():
    assert streams.key_of("arrivals", "2024-01", "alpha", "family") == streams.key_of(
        "arrivals", "2024-01", "alpha", "family"
    )
    assert isinstance(streams.key_of("x"), np.uint64)
    variants = [
        ("arrivals", "2024-01", "alpha", "family"),
        ("arrivals", "2024-02", "alpha", "family"),
        ("arrivals", "2024-01", "beta", "family"),
        ("arrivals", "2024-01", "alpha", "single_man"),
        ("alpha", "arrivals", "2024-01", "family"),  # order matters
        ("arrivals", "2024-01", "alpha"),  # a prefix is not the same key
        ("arrivals2024-01", "alpha", "family"),  # nor is a concatenation
        ("initial", "cgrs"),
        ("initial", "call"),
        (1,),
        (2,),
        ("1",),  # a string is not its integer
        (1, 2),
        (2, 1),
    ]
    keys = [streams.key_of(*v) for v in variants]
    assert len(set(keys)) == len(keys)


def test_key_of_does_not_depend_on_pythons_hash_seed():
    parts = ("arrivals", "2024-01", "alpha", "family", 42)
    code = f"from flowsim.engine import streams; print(int(streams.key_of(*{parts!r})))"
    here = int(streams.key_of(*parts))
    for hash_seed in ("1", "987654"):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed)
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        assert int(out.stdout.strip()) == here


def test_python_mix_matches_the_kernel_mix():
    # key_of uses a pure-Python copy of mix64; the docstring promises the same result.
    rng = np.random.default_rng(5)
    for z in rng.integers(0, 2**63, size=200, dtype=np.uint64):
        assert streams._mix64_py(int(z)) == int(streams.mix64(np.uint64(z)))


def test_child_keys_are_distinct_and_prefix_stable():
    ten = streams.child_keys(KEY, 10)
    hundred = streams.child_keys(KEY, 100)
    np.testing.assert_array_equal(ten, hundred[:10])  # the k-th child does not depend on n
    assert len(set(hundred.tolist())) == 100
    assert not set(hundred.tolist()) & set(streams.child_keys(KEY + np.uint64(1), 100).tolist())


@given(
    u=st.floats(min_value=1e-9, max_value=1 - 1e-9),
    mean=st.floats(min_value=0.0, max_value=200.0),
)
@settings(max_examples=300, deadline=None)
def test_poisson_ppf_matches_scipy(u, mean):
    got = streams.poisson_ppf(np.array([u]), np.array([mean]))[0]
    expected = 0 if mean == 0 else int(stats.poisson.ppf(u, mean))
    assert got == expected
