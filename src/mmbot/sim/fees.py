"""Maker/taker fees by 30-day traded volume, in bps of notional; maker may be negative."""

from __future__ import annotations

from mmbot.sim.jit import compiled, compiled_inline
from mmbot.sim.layout import (
    R_FEE_TIER,
    X_FEES_USD,
    X_LOT_SIZE,
    X_NOTIONAL_USD,
    X_TICK_SIZE,
    X_VOLUME_30D_USD,
)
from mmbot.sim.state import F64, Ledger, SimState


@compiled_inline
def notional_usd(xregs: F64, price_ticks: int, qty_lots: int) -> float:
    """Return price * size in USD; the one place ticks and lots become money."""
    return float(price_ticks * xregs[X_TICK_SIZE] * qty_lots * xregs[X_LOT_SIZE])


@compiled
def charge_fee(ledger: Ledger, notional: float, is_maker: bool) -> float:
    """Return the fee of one fill at the current tier, then book its volume (may move tier)."""
    regs, xregs, tier_min_volume_usd = ledger.regs, ledger.xregs, ledger.tier_min_volume_usd
    tier = regs[R_FEE_TIER]
    bps = ledger.tier_maker_bps[tier] if is_maker else ledger.tier_taker_bps[tier]
    fee = notional * bps * 1e-4
    xregs[X_FEES_USD] += fee
    xregs[X_NOTIONAL_USD] += notional
    volume = xregs[X_VOLUME_30D_USD] + xregs[X_NOTIONAL_USD]
    while tier + 1 < len(tier_min_volume_usd) and volume >= tier_min_volume_usd[tier + 1]:
        tier += 1
    regs[R_FEE_TIER] = tier
    return float(fee)


def effective_fee_bps(fees_usd: float, notional_usd: float) -> float:
    """Return fees paid per notional traded in bps (negative when rebates dominate)."""
    return fees_usd / notional_usd * 1e4 if notional_usd > 0 else 0.0


def fee_tier_distance_usd(state: SimState) -> float:
    """Return the USD volume still to trade to reach the next fee tier; 0 at the top tier."""
    tier = int(state.regs[R_FEE_TIER])
    if tier + 1 >= len(state.tier_min_volume_usd):
        return 0.0
    volume = float(state.xregs[X_VOLUME_30D_USD] + state.xregs[X_NOTIONAL_USD])
    return max(float(state.tier_min_volume_usd[tier + 1]) - volume, 0.0)
