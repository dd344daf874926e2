"""Quote models against hand-computed values."""

from __future__ import annotations

import pytest

from mmbot.strategy import avellaneda_stoikov, fixed_spread, glft


def test_avellaneda_stoikov_rolling_horizon_matches_hand_values() -> None:
    half_ticks, skew_ticks_per_qty = avellaneda_stoikov(
        gamma=0.1, sigma_ticks_per_sqrt_s=2.0, k_per_tick=0.5, horizon_s=10.0
    )
    # skew = gamma*sigma^2*tau = 0.1*4*10 = 4
    # half = skew/2 + ln(1 + gamma/k)/gamma = 2 + ln(1.2)/0.1 = 2 + 1.823216 = 3.823216
    assert skew_ticks_per_qty == pytest.approx(4.0, abs=1e-12)
    assert half_ticks == pytest.approx(3.823216, abs=1e-6)


def test_glft_infinite_horizon_matches_hand_values() -> None:
    half_ticks, skew_ticks_per_qty = glft(
        gamma=0.1, sigma_ticks_per_sqrt_s=2.0, a_per_s=1.0, k_per_tick=0.5
    )
    # xi = gamma = 0.1, D = 1: c1 = ln(1 + 0.1/0.5)/0.1 = ln(1.2)/0.1 = 1.823216
    # c2 = sqrt(0.1/(2*1*1*0.5) * 1.2^(0.5/0.1 + 1)) = sqrt(0.1 * 1.2^6) = sqrt(0.2985984)
    #    = 0.546442
    # half = c1 + 1/2 * 2 * c2 = 1.823216 + 0.546442 = 2.369657; skew = 2 * c2 = 1.092883
    assert half_ticks == pytest.approx(2.369657, abs=1e-6)
    assert skew_ticks_per_qty == pytest.approx(1.092883, abs=1e-6)


def test_glft_explicit_xi_and_delta_match_hand_values() -> None:
    half_ticks, skew_ticks_per_qty = glft(
        gamma=0.1, sigma_ticks_per_sqrt_s=0.0, a_per_s=2.0, k_per_tick=1.0, xi=0.5, delta_qty=2.0
    )
    # xi*D = 1: c1 = ln(1 + 1/1)/1 = ln 2 = 0.693147; with sigma = 0 half = c1, skew = 0
    assert half_ticks == pytest.approx(0.693147, abs=1e-6)
    assert skew_ticks_per_qty == 0.0


def test_glft_and_as_more_volatility_widen_and_skew_more() -> None:
    calm = glft(0.1, 1.0, 1.0, 0.5)
    wild = glft(0.1, 3.0, 1.0, 0.5)
    assert wild[0] > calm[0] and wild[1] > calm[1] > 0.0
    calm_as = avellaneda_stoikov(0.1, 1.0, 0.5, 60.0)
    wild_as = avellaneda_stoikov(0.1, 3.0, 0.5, 60.0)
    assert wild_as[0] > calm_as[0] and wild_as[1] > calm_as[1] > 0.0


def test_fixed_spread_returns_configured_values() -> None:
    assert fixed_spread(2, 0.5) == (2.0, 0.5)
