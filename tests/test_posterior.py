"""The posterior's parts by hand: prior coordinates, likelihood, weights, tempering,
proposals and resampling (:mod:`flowsim.validation.posterior`)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowsim.validation.posterior import (
    ESS_FRACTION,
    Prior,
    accepted,
    effective_size,
    incremental_weights,
    log_likelihood,
    next_beta,
    normalised,
    point_weights,
    prior_redraws,
    random_walk,
    sobol_sets,
    systematic_resample,
    weighted_quantiles,
)

PRIOR = Prior(
    keys=("a", "b"),
    low=np.array([2.0, 0.01]),
    high=np.array([8.0, 1.0]),
    log=np.array([False, True]),
)


@settings(max_examples=50, deadline=None)
@given(st.floats(0.001, 0.999), st.floats(0.001, 0.999))
def test_coordinates_round_trip_within_the_ranges(u1, u2) -> None:
    values = PRIOR.from_unit(np.array([[u1, u2]]))
    assert 2.0 <= values[0, 0] <= 8.0 and 0.01 <= values[0, 1] <= 1.0
    np.testing.assert_allclose(PRIOR.to_unit(values), [[u1, u2]])
    np.testing.assert_allclose(PRIOR.from_z(PRIOR.to_z(values)), values, rtol=1e-9)


def test_log_scale_puts_the_middle_at_the_geometric_mean() -> None:
    middle = PRIOR.from_unit(np.array([[0.5, 0.5]]))[0]
    assert middle[0] == pytest.approx(5.0)
    assert middle[1] == pytest.approx(0.1)  # sqrt(0.01 x 1)


def test_prior_density_in_unbounded_coordinates() -> None:
    # u (1 - u) per parameter: at z = 0 (u = 1/2) it is 1/4, at z = log 3 (u = 3/4) 3/16
    z = np.array([[0.0, np.log(3.0)]])
    assert PRIOR.log_density(z)[0] == pytest.approx(np.log(0.25) + np.log(3 / 16))


def test_sobol_sets_cover_the_prior_evenly() -> None:
    u = PRIOR.to_unit(PRIOR.from_z(sobol_sets(PRIOR, 64, seed=1)))
    counts = np.histogram(u[:, 0], bins=4, range=(0, 1))[0]
    assert (counts == 16).all()  # a Sobol sequence of 2^k points is balanced
    np.testing.assert_array_equal(sobol_sets(PRIOR, 8, 3), sobol_sets(PRIOR, 8, 3))


def test_log_likelihood_by_hand() -> None:
    observed = np.array([100.0, 200.0, 50.0])
    model = np.array([110.0, 180.0, 50.0])
    series = np.array([0, 0, 1])
    weights = np.array([1.0, 0.5, 1.0])
    total, sse = log_likelihood(model, observed, series, 0.02, weights)
    s0 = np.log(100 / 110) ** 2 + np.log(200 / 180) ** 2
    assert sse == {0: pytest.approx(s0), 1: 0.0}
    expected = -0.5 * 1.5 * np.log(s0 / 2 + 0.02**2) - 0.5 * np.log(0.02**2)
    assert total == pytest.approx(expected)
    # without weights every point counts fully
    plain = log_likelihood(model, observed, series, 0.02)[0]
    assert plain == pytest.approx(-np.log(s0 / 2 + 0.02**2) - 0.5 * np.log(0.02**2))


def test_points_count_by_the_years_between_them() -> None:
    ends = np.array(
        ["2019-12-31", "2020-12-31", "2021-12-31", "2020-01-31", "2020-02-29", "2020-09-30"],
        "datetime64[D]",
    )
    series = np.array([0, 0, 0, 1, 1, 1])
    weights = point_weights(series, ends)
    np.testing.assert_allclose(weights[:3], [1.0, 1.0, 1.0], atol=0.01)  # yearly: full
    np.testing.assert_allclose(weights[3:], [1.0, 29 / 365.25, 214 / 365.25])  # months apart


def test_a_closer_fit_is_more_likely_and_a_missing_value_is_the_worst() -> None:
    observed = np.array([100.0, 100.0])
    series = np.array([0, 0])
    close = log_likelihood(np.array([101.0, 99.0]), observed, series, 0.02)[0]
    far = log_likelihood(np.array([130.0, 70.0]), observed, series, 0.02)[0]
    missing = log_likelihood(np.array([np.nan, 100.0]), observed, series, 0.02)[0]
    zero = log_likelihood(np.array([0.0, 100.0]), observed, series, 0.02)[0]
    assert close > far > missing == zero


def test_weights_and_effective_size() -> None:
    w = normalised(np.array([0.0, 0.0, np.log(2.0)]))
    np.testing.assert_allclose(w, [0.25, 0.25, 0.5])
    assert effective_size(w) == pytest.approx(1 / (0.0625 + 0.0625 + 0.25))
    assert effective_size(normalised(np.zeros(10))) == pytest.approx(10)
    # a failed set (log L = -inf) weighs nothing, whatever the tempering
    np.testing.assert_allclose(incremental_weights(0.2, 0.5, np.array([-np.inf, -3.0])), [0, 1])


def test_tempering_keeps_half_the_sets_effective() -> None:
    rng = np.random.default_rng(0)
    log_lik = rng.normal(0, 20, 400)  # a sharp likelihood: not all the way to 1 at once
    beta = next_beta(0.0, log_lik)
    assert 0 < beta < 1
    ess = effective_size(incremental_weights(0.0, beta, log_lik))
    assert ess == pytest.approx(ESS_FRACTION * 400, rel=0.01)
    # from a higher beta the step is measured from there
    later = next_beta(0.5, log_lik)
    assert later - 0.5 == pytest.approx(beta, rel=1e-6)
    # a flat likelihood goes straight to the posterior
    assert next_beta(0.0, np.zeros(400)) == 1.0


def test_metropolis_accepts_by_the_tempered_ratio() -> None:
    rng = np.random.default_rng(5)
    n = 20000
    old, new = np.full(n, -10.0), np.full(n, -10.0 - np.log(4.0))  # four times less likely
    zeros = np.zeros(n)
    # at beta 1/2 the ratio is 1/2
    assert accepted(0.5, old, zeros, new, zeros, rng).mean() == pytest.approx(0.5, abs=0.02)
    assert accepted(1.0, old, zeros, new + 5, zeros, rng).all()  # better: always
    failed = np.full(n, -np.inf)
    assert not accepted(1.0, old, zeros, failed, zeros, rng).any()
    assert accepted(1.0, failed, zeros, old, zeros, rng).all()  # away from a failed set


def test_a_prior_redraw_moves_one_parameter_and_cancels_the_prior() -> None:
    """A redraw changes one parameter of the current set (not the random-walk step) and its
    proposal ratio cancels the change of prior density: the likelihood alone decides."""
    rng = np.random.default_rng(8)
    z = rng.normal(size=(4000, 3))
    walk = random_walk(z, np.random.default_rng(9))
    proposed, log_ratio = prior_redraws(z, walk, 0.25, np.random.default_rng(10))
    redrawn = (proposed != walk).any(axis=1)
    assert redrawn.mean() == pytest.approx(0.25, abs=0.03)
    np.testing.assert_array_equal(proposed[~redrawn], walk[~redrawn])
    np.testing.assert_array_equal(log_ratio[~redrawn], 0.0)
    changed = proposed[redrawn] != z[redrawn]
    np.testing.assert_array_equal(changed.sum(axis=1), 1)
    prior = Prior(("a", "b", "c"), np.zeros(3), np.ones(3), np.zeros(3, bool))
    d_prior = prior.log_density(proposed[redrawn]) - prior.log_density(z[redrawn])
    np.testing.assert_allclose(d_prior + log_ratio[redrawn], 0.0, atol=1e-9)
    # no redraws: the random-walk proposals, untouched
    same, none = prior_redraws(z, walk, 0.0, np.random.default_rng(10))
    np.testing.assert_array_equal(same, walk)
    assert not none.any()


def test_redraws_restore_the_prior_spread_of_a_parameter_the_data_leave_free() -> None:
    """Sets collapsed onto one value by resampling, with a likelihood that depends on the
    first parameter only, moved ten times (a sampler moves its sets a few times between
    resamplings): random-walk steps, scaled by the sets' spread, leave the free second
    parameter collapsed; with prior redraws it regains nearly its uniform prior (those
    not yet redrawn stay at 0.9), and both keep the first parameter's posterior."""
    prior = Prior(("known", "free"), np.zeros(2), np.ones(2), np.zeros(2, bool))

    def log_lik(z: np.ndarray) -> np.ndarray:  # the first parameter near 0.3 (sd 0.05)
        return -0.5 * ((prior.from_z(z)[:, 0] - 0.3) / 0.05) ** 2

    start = np.tile(prior.to_z(np.array([[0.3, 0.9]])), (1000, 1))
    spread = {}
    for share in (0.0, 0.5):
        z, lik = start.copy(), log_lik(start)
        for step in range(10):
            rng = np.random.default_rng([step, 2])
            proposed, ratio = random_walk(z, rng), 0.0
            if share:
                proposed, ratio = prior_redraws(
                    z, proposed, share, np.random.default_rng([step, 3])
                )
            new = log_lik(proposed)
            move = accepted(
                1.0, lik, prior.log_density(z), new, prior.log_density(proposed), rng, ratio
            )
            z, lik = np.where(move[:, None], proposed, z), np.where(move, new, lik)
        values = prior.from_z(z)
        spread[share] = np.quantile(values[:, 1], [0.05, 0.95])
        assert abs(np.median(values[:, 0]) - 0.3) < 0.02
    width = {share: high - low for share, (low, high) in spread.items()}
    assert width[0.0] < 0.2  # the 90% interval keeps under a fifth of the range
    assert width[0.5] > 0.85 and spread[0.5][0] < 0.1  # about the uniform prior's


def test_random_walk_scales_with_the_sets() -> None:
    rng = np.random.default_rng(6)
    z = rng.normal(0, [1.0, 10.0], (5000, 2))
    steps = random_walk(z, np.random.default_rng(7)) - z
    np.testing.assert_allclose(
        steps.std(axis=0), np.array([1.0, 10.0]) * 2.38 / np.sqrt(2), rtol=0.05
    )
    np.testing.assert_array_equal(
        random_walk(z, np.random.default_rng(7)), random_walk(z, np.random.default_rng(7))
    )


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=2, max_size=20), st.integers(1, 200))
def test_systematic_resampling_draws_each_set_about_n_w_times(raw, n) -> None:
    weights = np.asarray(raw) + 1e-3
    weights /= weights.sum()
    drawn = systematic_resample(weights, n, np.random.default_rng(4))
    counts = np.bincount(drawn, minlength=len(weights))
    assert counts.sum() == n
    assert (np.abs(counts - n * weights) < 1 + 1e-9).all()


def test_weighted_quantiles() -> None:
    values = np.array([1.0, 2.0, 3.0, 4.0])
    even = weighted_quantiles(values, np.full(4, 0.25), [0.5])
    assert even[0] == pytest.approx(2.5)
    heavy = weighted_quantiles(values, np.array([0.0, 0.0, 0.0, 1.0]), [0.05, 0.95])
    np.testing.assert_allclose(heavy, [4.0, 4.0])
