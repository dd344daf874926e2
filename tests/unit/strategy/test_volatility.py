"""EWMA volatility against hand-computed values."""

from __future__ import annotations

import pytest

from mmbot.strategy import EwmaVolatility

S = 1_000_000_000


def test_volatility_first_mid_only_is_not_warm() -> None:
    vol = EwmaVolatility(half_life_s=1.0)
    vol.update(0, 100.0)
    assert not vol.warm
    assert vol.sigma_ticks_per_sqrt_s == 0.0


def test_volatility_two_moves_match_hand_values() -> None:
    vol = EwmaVolatility(half_life_s=1.0)
    vol.update(0, 100.0)
    vol.update(1 * S, 102.0)
    # dt = 1 s = one half-life: decay = 0.5; x = 2^2/1 = 4
    # var_sum = 0.5*0 + 0.5*4 = 2, weight = 0.5 -> sigma = sqrt(2/0.5) = 2; warm at weight 0.5
    assert vol.sigma_ticks_per_sqrt_s == pytest.approx(2.0, abs=1e-12)
    assert vol.warm
    vol.update(2 * S, 102.0)
    # x = 0: var_sum = 0.5*2 = 1, weight = 0.5*0.5 + 0.5 = 0.75 -> sigma = sqrt(4/3) = 1.154701
    assert vol.sigma_ticks_per_sqrt_s == pytest.approx(1.154701, abs=1e-6)


def test_volatility_rate_is_per_second_whatever_the_spacing() -> None:
    vol = EwmaVolatility(half_life_s=1.0)
    vol.update(0, 100.0)
    vol.update(S // 4, 101.0)
    # x = 1^2 / 0.25 s = 4 ticks^2/s; a single observation is its own mean -> sigma = 2
    assert vol.sigma_ticks_per_sqrt_s == pytest.approx(2.0, abs=1e-12)


def test_volatility_less_than_a_half_life_is_not_warm() -> None:
    vol = EwmaVolatility(half_life_s=10.0)
    vol.update(0, 100.0)
    vol.update(1 * S, 101.0)
    # weight = 1 - 2^(-1/10) = 0.067 < 0.5
    assert not vol.warm


def test_volatility_repeated_timestamp_is_ignored() -> None:
    vol = EwmaVolatility(half_life_s=1.0)
    vol.update(0, 100.0)
    vol.update(S, 102.0)
    vol.update(S, 150.0)
    assert vol.sigma_ticks_per_sqrt_s == pytest.approx(2.0, abs=1e-12)


def test_volatility_nonpositive_half_life_is_refused() -> None:
    with pytest.raises(ValueError, match="half_life_s"):
        EwmaVolatility(half_life_s=0.0)
