"""A/k fit of lambda(delta) = A exp(-k delta) against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mmbot.strategy import IntensityEstimator, fit_intensity
from mmbot.strategy.intensity import _compiled_fit_intensity

# Depths whose counts halve per tick: #{d > 0} = 8, #{d > 1} = 4, #{d > 2} = 2, #{d > 3} = 1.
HALVING_DEPTHS = (1, 1, 1, 1, 2, 2, 3, 4)
HALVING_HIST = (0, 4, 2, 1, 1)
# Over 10 s: lambda_j = 0.8 * 2^-j at delta_j = j + 0.5,
# so ln lambda = ln(0.8 * sqrt 2) - ln2 * delta: an exact line, least squares hits it,
# k = ln 2 = 0.693147, A = 0.8 * sqrt(2) = 1.131371.
HAND_A_PER_S = 1.131371
HAND_K_PER_TICK = 0.693147


def test_fit_intensity_halving_counts_matches_hand_values() -> None:
    fitted = fit_intensity(HALVING_HIST, window_s=10.0)
    assert fitted is not None
    assert fitted[0] == pytest.approx(HAND_A_PER_S, abs=1e-6)
    assert fitted[1] == pytest.approx(HAND_K_PER_TICK, abs=1e-6)


def test_fit_intensity_fewer_than_three_points_returns_none() -> None:
    # #{d > 0} = 3, #{d > 1} = 0: one point only
    assert fit_intensity((5, 3, 0, 0), window_s=10.0) is None


def test_fit_intensity_flat_counts_returns_none() -> None:
    # every interval reached the last bin: counts 4, 4, 4 -> slope 0 -> k = 0 is no decay
    assert fit_intensity((0, 0, 0, 4), window_s=10.0) is None


def _estimator(refit_intervals: int) -> IntensityEstimator:
    # 8 intervals of 1.25 s: a 10 s window
    return IntensityEstimator(
        window_intervals=8,
        interval_s=1.25,
        refit_intervals=refit_intervals,
        max_depth_ticks=4,
        default_a_per_s=3.0,
        default_k_per_tick=0.25,
    )


def test_intensity_estimator_before_full_window_keeps_defaults() -> None:
    estimator = _estimator(refit_intervals=1)
    for depth_ticks in HALVING_DEPTHS[:-1]:
        estimator.update(depth_ticks)
    assert (estimator.a_per_s, estimator.k_per_tick, estimator.warm) == (3.0, 0.25, False)
    estimator.update(HALVING_DEPTHS[-1])
    assert estimator.warm
    assert estimator.a_per_s == pytest.approx(HAND_A_PER_S, abs=1e-6)
    assert estimator.k_per_tick == pytest.approx(HAND_K_PER_TICK, abs=1e-6)


def test_intensity_estimator_rolling_window_forgets_old_intervals() -> None:
    estimator = _estimator(refit_intervals=4)
    for _ in range(8):
        estimator.update(-1)
    # fits at updates 8 (no trades) and 12 (one distance reached) are degenerate: defaults stay
    for depth_ticks in HALVING_DEPTHS[:4]:
        estimator.update(depth_ticks)
    assert (estimator.a_per_s, estimator.k_per_tick, estimator.warm) == (3.0, 0.25, False)
    for depth_ticks in HALVING_DEPTHS[4:]:
        estimator.update(depth_ticks)
    # update 16: the window holds exactly HALVING_DEPTHS again
    assert estimator.a_per_s == pytest.approx(HAND_A_PER_S, abs=1e-6)
    assert estimator.k_per_tick == pytest.approx(HAND_K_PER_TICK, abs=1e-6)


def test_intensity_estimator_depth_beyond_last_bin_counts_in_every_bin() -> None:
    estimator = _estimator(refit_intervals=1)
    for depth_ticks in (*HALVING_DEPTHS[:-1], 40):
        estimator.update(depth_ticks)
    assert estimator.k_per_tick == pytest.approx(HAND_K_PER_TICK, abs=1e-6)


def test_intensity_estimator_bad_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="window_intervals"):
        IntensityEstimator(
            window_intervals=0,
            interval_s=0.1,
            refit_intervals=1,
            max_depth_ticks=4,
            default_a_per_s=1.0,
            default_k_per_tick=1.0,
        )


@settings(max_examples=200, deadline=None)
@given(
    depth_hist=st.lists(st.integers(min_value=0, max_value=500), min_size=4, max_size=80),
    window_s=st.floats(min_value=1.0, max_value=3_600.0),
)
def test_the_compiled_fit_is_the_python_fit_bit_for_bit(
    depth_hist: list[int], window_s: float
) -> None:
    compiled = _compiled_fit_intensity(np.array(depth_hist, dtype=np.int64), window_s)
    assert repr(compiled) == repr(fit_intensity(depth_hist, window_s))
