"""The risk gate's stateless rules: limits in lots, the day caps, the venue minimums."""

from __future__ import annotations

import math
from typing import Final

from mmbot.core.types import PlaceOrder, ReplaceOrder
from mmbot.risk.values import RiskContext, RiskParams

Reason = tuple[str, str]  # (E_RISK_* code, detail) of a denial or a record

# The day caps' keys: each opens its cap's detail, and names the cause of the trading state
# the cap sets.
LOSS_CAP: Final = "intraday_max_loss_usd"
NOTIONAL_CAP: Final = "intraday_max_notional_usd"
ORDERS_CAP: Final = "intraday_max_orders"
WITHIN_LIMITS: Final = "within every limit"  # the cause of ACTIVE


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
        return "E_RISK_INTRADAY_LOSS", loss_cap_detail(
            ctx.pnl_usd_day, params.intraday_max_loss_usd
        )
    if ctx.traded_notional_usd_day >= params.intraday_max_notional_usd:
        return "E_RISK_INTRADAY_NOTIONAL", notional_cap_detail(
            ctx.traded_notional_usd_day, params.intraday_max_notional_usd
        )
    if ctx.order_count_day >= params.intraday_max_orders:
        return "E_RISK_INTRADAY_ORDERS", orders_cap_detail(
            ctx.order_count_day, params.intraday_max_orders
        )
    return None


def loss_cap_detail(pnl_usd_day: float, max_loss_usd: float) -> str:
    """Return the detail of the day's loss cap (max_loss_usd) reached at pnl_usd_day."""
    return f"{LOSS_CAP}: pnl {pnl_usd_day:.2f} USD <= -{max_loss_usd:.2f}; reduce-only to flat"


def notional_cap_detail(traded_notional_usd_day: float, max_notional_usd: float) -> str:
    """Return the detail of the day's traded-notional cap (max_notional_usd) reached at
    traded_notional_usd_day."""
    return (
        f"{NOTIONAL_CAP}: traded {traded_notional_usd_day:.2f} USD >= "
        f"{max_notional_usd:.2f}; reduce-only to flat"
    )


def orders_cap_detail(order_count_day: int, max_orders: int) -> str:
    """Return the detail of the day's order cap (max_orders) reached at order_count_day."""
    return f"{ORDERS_CAP}: {order_count_day} orders >= {max_orders}; trading halted"


def position_cause(position_lots: int, limit_lots: int) -> str:
    """Return the cause of REDUCING when |position| (position_lots) is over the limit."""
    return f"max_position: |position| {position_lots} lots > {limit_lots}"


def state_change_detail(old_state: str, new_state: str, cause: str) -> str:
    """Return the detail of an E_RISK_TRADING_STATE record (states by name)."""
    return f"trading_state: {old_state} -> {new_state} ({cause})"


def breach_detail(limit: str, lots: int, position_usd: float, limit_lots: int) -> str:
    """Return the detail of entering a breach of limit ("max_position" or "max_skew")."""
    return f"{limit}: |position| {lots} lots ({position_usd:.2f} USD) > {limit_lots}"


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
