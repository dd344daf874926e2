"""The risk gate's stateless rules: limits in lots, the day caps, the venue minimums."""

from __future__ import annotations

import math

from mmbot.core.types import PlaceOrder, ReplaceOrder
from mmbot.risk.values import RiskContext, RiskParams

Reason = tuple[str, str]  # (E_RISK_* code, detail) of a denial or a record


def bucket_reason(key: str, rate_per_s: float, burst: int) -> str:
    """Return the detail of a throttle denial."""
    return f"{key}: bucket empty (rate {rate_per_s:g}/s, burst {burst})"


def lots_worth(limit_usd: float, mid_price_usd: float, lot_size: float) -> int:
    """Return the whole lots worth limit_usd at the mid; 0 when the mid is unusable."""
    if not 0.0 < mid_price_usd < math.inf:
        return 0
    return int(limit_usd / (mid_price_usd * lot_size))


def position_limit_lots(params: RiskParams, mid_price_usd: float) -> int:
    """Return the position limit in lots at the mid: the USD cap, then the lot cap if set."""
    limit_lots = lots_worth(params.max_position_usd, mid_price_usd, params.lot_size)
    if params.max_position_lots is None:
        return limit_lots
    return min(limit_lots, params.max_position_lots)


def cap_breach(params: RiskParams, ctx: RiskContext) -> Reason | None:
    """Return the first day cap ctx has reached (loss, traded notional, order count), if any."""
    if ctx.pnl_usd_day <= -params.intraday_max_loss_usd:
        return "E_RISK_INTRADAY_LOSS", (
            f"intraday_max_loss_usd: pnl {ctx.pnl_usd_day:.2f} USD <= "
            f"-{params.intraday_max_loss_usd:.2f}; reduce-only to flat"
        )
    if ctx.traded_notional_usd_day >= params.intraday_max_notional_usd:
        return "E_RISK_INTRADAY_NOTIONAL", (
            f"intraday_max_notional_usd: traded {ctx.traded_notional_usd_day:.2f} USD >= "
            f"{params.intraday_max_notional_usd:.2f}; reduce-only to flat"
        )
    if ctx.order_count_day >= params.intraday_max_orders:
        return "E_RISK_INTRADAY_ORDERS", (
            f"intraday_max_orders: {ctx.order_count_day} orders >= "
            f"{params.intraday_max_orders}; trading halted"
        )
    return None


def minimum_rejection(params: RiskParams, action: PlaceOrder | ReplaceOrder) -> Reason | None:
    """Return why an order is below the venue's minimum quantity or notional (None: it is not)."""
    if action.qty_lots < params.min_qty_lots:
        return "E_RISK_MIN_QTY", f"min_qty_lots: {action.qty_lots} lots < {params.min_qty_lots}"
    notional_usd = action.qty_lots * params.lot_size * action.price_ticks * params.tick_size
    if notional_usd < params.min_notional_usd:
        return "E_RISK_MIN_NOTIONAL", (
            f"min_notional_usd: {notional_usd:.8g} USD < {params.min_notional_usd:.8g}"
        )
    return None
