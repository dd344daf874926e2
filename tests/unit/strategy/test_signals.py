"""Micro signals and the impact cap against hand-computed values."""

from __future__ import annotations

import pytest

from mmbot.core.types import MarketView
from mmbot.strategy import (
    TradeFlow,
    book_imbalance,
    cap_adjustment,
    microprice_ticks,
    signal_target_ticks,
)

S = 1_000_000_000


def test_book_imbalance_bid_heavy_is_positive() -> None:
    # (30 - 10) / (30 + 10) = 0.5
    assert book_imbalance(30, 10) == 0.5
    assert book_imbalance(0, 0) == 0.0


def test_microprice_bid_heavy_leans_to_ask() -> None:
    # (1000*10 + 1002*30) / 40 = 40060 / 40 = 1001.5 = mid 1001 + 0.5 * (2/2)
    assert microprice_ticks(1000, 30, 1002, 10) == 1001.5
    assert microprice_ticks(1000, 0, 1002, 0) == 1001.0


def test_trade_flow_decayed_volumes_match_hand_values() -> None:
    flow = TradeFlow(half_life_s=1.0)
    flow.update(0, 6, 2)
    # (6 - 2) / 8 = 0.5
    assert flow.imbalance == 0.5
    flow.update(S, 0, 4)
    # one half-life later: buy = 6*0.5 = 3, sell = 2*0.5 + 4 = 5 -> (3 - 5)/8 = -0.25
    assert flow.imbalance == pytest.approx(-0.25, abs=1e-12)


def test_trade_flow_no_volume_is_zero() -> None:
    flow = TradeFlow(half_life_s=1.0)
    flow.update(0, 0, 0)
    assert flow.imbalance == 0.0


def test_signal_target_combination_matches_hand_value() -> None:
    view = MarketView(
        ts_ns=0,
        best_bid_ticks=1000,
        best_bid_lots=30,
        best_ask_ticks=1002,
        best_ask_lots=10,
        bid_depth_lots=300,
        ask_depth_lots=100,
        buy_volume_lots=0,
        sell_volume_lots=0,
        buy_trade_depth_ticks=-1,
        sell_trade_depth_ticks=-1,
    )
    target_ticks = signal_target_ticks(view, 0.2, 1.0, 0.5, 0.5)
    # micro offset 1001.5 - 1001 = 0.5; I_book = 200/400 = 0.5; spread/2 = 1
    # 1*0.5 + 1*(0.5*0.5 + 0.5*0.2) = 0.5 + 0.35 = 0.85
    assert target_ticks == pytest.approx(0.85, abs=1e-12)


@pytest.mark.parametrize(
    ("prev_ticks", "target_ticks", "expected_ticks"),
    [
        (0.0, 5.0, 0.4),  # step +5 capped at 0.1 * 4 = +0.4
        (1.0, -5.0, 0.6),  # step -6 capped at -0.4
        (0.3, 0.35, 0.35),  # step 0.05 inside the cap: reach the target
    ],
)
def test_cap_adjustment_step_is_clipped_to_cap_of_half_spread(
    prev_ticks: float, target_ticks: float, expected_ticks: float
) -> None:
    adj_ticks = cap_adjustment(prev_ticks, target_ticks, half_spread_ticks=4.0, cap_frac=0.1)
    assert adj_ticks == pytest.approx(expected_ticks, abs=1e-12)
