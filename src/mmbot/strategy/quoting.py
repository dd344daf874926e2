"""The compiled part of a decision: model quote, signal adjustment, fee floor, prices, sizes.

`quote_numbers` is the arithmetic of `decide` (strategy/stack.py) between the estimators and
the Quote, over plain numbers, calling the same model, signal and sizing functions the Python
API exports (they are `register_jitable`: plain Python, and compilable). numba compiles it
once per process (cached on disk under this package's `__pycache__`: strategy/jit.py);
a decision then makes one compiled call instead of about fifteen Python ones. Same operations
in the same order, IEEE doubles without fast-math: the results are the Python ones, bit for
bit (the engine fixtures and goldens check it).
"""

from __future__ import annotations

import math
from typing import Final

from numba.extending import register_jitable

from mmbot.strategy.jit import compiled
from mmbot.strategy.models import avellaneda_stoikov, glft
from mmbot.strategy.signals import book_signal_target_ticks, cap_adjustment
from mmbot.strategy.sizing import capped_sizes, raw_sizes, room_lots

# The model codes quote_numbers takes (StrategyParams.model_code).
GLFT: Final = 0
AVELLANEDA_STOIKOV: Final = 1
FIXED_SPREAD: Final = 2


@register_jitable
def fee_floors_ticks(fair_ticks: float, fee: float) -> tuple[float, float]:
    """Return the (bid, ask) distances from fair at which a maker fill breaks even.

    A buy at P with fee f*P is worth fair - P - f*P >= 0, so P <= fair / (1 + f); a sell
    needs P >= fair / (1 - f). A rebate (f <= 0) asks for no distance.
    """
    if fee <= 0.0:
        return 0.0, 0.0
    return fair_ticks * fee / (1.0 + fee), fair_ticks * fee / (1.0 - fee)


def quote_numbers(
    model_code: int,
    risk_aversion: float,
    as_horizon_s: float,
    fixed_half_spread_ticks: float,
    fixed_skew_ticks_per_qty: float,
    sigma: float,
    a_per_s: float,
    k_per_tick: float,
    signals_enabled: bool,
    microprice_weight: float,
    book_imbalance_weight: float,
    trade_flow_weight: float,
    bid_ticks: int,
    bid_lots: int,
    ask_ticks: int,
    ask_lots: int,
    bid_depth_lots: int,
    ask_depth_lots: int,
    flow_imbalance: float,
    prev_adj_ticks: float,
    impact_cap_frac: float,
    mid_ticks: float,
    position_lots: int,
    order_qty_lots: int,
    budget_lots: int,
    maker_fee: float,
    tick_size: float,
    lot_size: float,
    max_position_usd: float,
    prev_bid_lots: int,
    prev_ask_lots: int,
    max_size_delta_lots: int,
) -> tuple[float, float, float, float, float, int, int, int, int, int, int]:
    """Return (half_spread, signal target, signal adjustment, fair, skew, bid, ask - all in
    ticks -, raw bid lots, raw ask lots, capped bid lots, capped ask lots) of one decision on
    a two-sided book (see decide)."""
    if model_code == GLFT:
        half_spread_ticks, skew_per_qty = glft(risk_aversion, sigma, a_per_s, k_per_tick)
    elif model_code == AVELLANEDA_STOIKOV:
        half_spread_ticks, skew_per_qty = avellaneda_stoikov(
            risk_aversion, sigma, k_per_tick, as_horizon_s
        )
    else:
        half_spread_ticks, skew_per_qty = fixed_half_spread_ticks, fixed_skew_ticks_per_qty
    target_ticks = 0.0
    if signals_enabled:
        target_ticks = book_signal_target_ticks(
            bid_ticks, bid_lots, ask_ticks, ask_lots, bid_depth_lots, ask_depth_lots,
            flow_imbalance, microprice_weight, book_imbalance_weight, trade_flow_weight,
        )  # fmt: skip
    adj_ticks = cap_adjustment(prev_adj_ticks, target_ticks, half_spread_ticks, impact_cap_frac)
    fair_ticks = mid_ticks + adj_ticks

    skew_ticks = skew_per_qty * (position_lots / order_qty_lots)
    bid_floor_ticks, ask_floor_ticks = fee_floors_ticks(fair_ticks, maker_fee)
    bid_dist_ticks = max(half_spread_ticks + skew_ticks, bid_floor_ticks)
    ask_dist_ticks = max(half_spread_ticks - skew_ticks, ask_floor_ticks)
    # Round away from fair (never inside the floor), keep each side strictly on its side of
    # fair, and keep both post-only legal (never at or through the opposite best).
    quote_bid_ticks = min(
        math.floor(fair_ticks - bid_dist_ticks), math.ceil(fair_ticks) - 1, ask_ticks - 1
    )
    quote_ask_ticks = max(
        math.ceil(fair_ticks + ask_dist_ticks), math.floor(fair_ticks) + 1, bid_ticks + 1
    )

    lot_usd = mid_ticks * tick_size * lot_size
    max_position_lots = int(max_position_usd / lot_usd) if lot_usd > 0.0 else 0
    room = room_lots(position_lots, max_position_lots)
    raw_bid_lots, raw_ask_lots = raw_sizes(
        order_qty_lots, budget_lots, position_lots, max_position_lots, room
    )
    capped_bid_lots, capped_ask_lots = capped_sizes(
        (prev_bid_lots, prev_ask_lots), (raw_bid_lots, raw_ask_lots), room, max_size_delta_lots
    )
    return (
        half_spread_ticks, target_ticks, adj_ticks, fair_ticks, skew_ticks, quote_bid_ticks,
        quote_ask_ticks, raw_bid_lots, raw_ask_lots, capped_bid_lots, capped_ask_lots,
    )  # fmt: skip


compiled_quote_numbers = compiled(quote_numbers)
