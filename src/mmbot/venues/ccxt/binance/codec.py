"""Binance USD-M JSON <-> mmbot values. Pure: parses the venue's own field names.

The adapter hands ccxt's implicit endpoints the venue's parameters and reads the venue's
JSON back (REST order/trade/position/balance objects and the `o` object of a user-stream
ORDER_TRADE_UPDATE), so the fields used here are exactly the documented Binance ones.
"""

from __future__ import annotations

from typing import Any, Final

from mmbot.venues.base import (
    Balance,
    BookTop,
    Instrument,
    OrderStatus,
    VenueFill,
    VenueOrder,
)

Json = dict[str, Any]

_STATUS: Final = {
    "NEW": OrderStatus.NEW,
    "PARTIALLY_FILLED": OrderStatus.PARTIALLY_FILLED,
    "FILLED": OrderStatus.FILLED,
    "CANCELED": OrderStatus.CANCELED,
    "REJECTED": OrderStatus.REJECTED,
    "EXPIRED": OrderStatus.EXPIRED,
    "EXPIRED_IN_MATCH": OrderStatus.EXPIRED,
}
_SIDE: Final = {"BUY": 1, "SELL": -1}


def side_text(side: int) -> str:
    """Return BUY or SELL."""
    return "BUY" if side > 0 else "SELL"


def order_from_rest(raw: Json, inst: Instrument) -> VenueOrder:
    """Parse a REST order object (POST/GET/DELETE/PUT /fapi/v1/order, openOrders)."""
    return VenueOrder(
        client_id=str(raw["clientOrderId"]),
        venue_order_id=str(raw["orderId"]),
        side=_SIDE[raw["side"]],
        price_ticks=inst.to_ticks(raw["price"]),
        qty_lots=inst.to_lots(raw["origQty"]),
        filled_lots=inst.to_lots(raw.get("executedQty", "0")),
        status=_STATUS[raw["status"]],
        ts_ms=int(raw.get("updateTime") or raw.get("time") or 0),
    )


def fill_from_rest(raw: Json, inst: Instrument, client_id: str) -> VenueFill:
    """Parse a REST userTrades row (it carries no client id: the caller maps it)."""
    return VenueFill(
        trade_id=str(raw["id"]),
        venue_order_id=str(raw["orderId"]),
        client_id=client_id,
        side=_SIDE[raw["side"]],
        price_ticks=inst.to_ticks(raw["price"]),
        qty_lots=inst.to_lots(raw["qty"]),
        fee_usd=float(raw.get("commission", 0.0)),
        is_maker=bool(raw.get("maker", False)),
        ts_ms=int(raw["time"]),
    )


def from_ws_update(o: Json, inst: Instrument) -> tuple[VenueOrder, VenueFill | None]:
    """Parse the `o` object of ORDER_TRADE_UPDATE: the order's state, and its fill if any."""
    order = VenueOrder(
        client_id=str(o["c"]),
        venue_order_id=str(o["i"]),
        side=_SIDE[o["S"]],
        price_ticks=inst.to_ticks(o["p"]),
        qty_lots=inst.to_lots(o["q"]),
        filled_lots=inst.to_lots(o.get("z", "0")),
        status=_STATUS[o["X"]],
        ts_ms=int(o["T"]),
    )
    if o.get("x") != "TRADE":
        return order, None
    fill = VenueFill(
        trade_id=str(o["t"]),
        venue_order_id=order.venue_order_id,
        client_id=order.client_id,
        side=order.side,
        price_ticks=inst.to_ticks(o["L"]),
        qty_lots=inst.to_lots(o["l"]),
        fee_usd=float(o.get("n", 0.0)),
        is_maker=bool(o.get("m", False)),
        ts_ms=int(o["T"]),
    )
    return order, fill


def position_lots(rows: list[Json], inst: Instrument) -> tuple[int, float]:
    """Return (signed lots, entry price) of inst in a positionRisk answer (0 when absent)."""
    for row in rows:
        if row.get("symbol") == inst.venue_symbol:
            return inst.to_lots(row["positionAmt"]), float(row.get("entryPrice", 0.0))
    return 0, 0.0


def balances_from_rest(rows: list[Json]) -> list[Balance]:
    """Parse /fapi/v3/balance rows."""
    return [
        Balance(str(r["asset"]), float(r["balance"]), float(r.get("availableBalance", 0.0)))
        for r in rows
    ]


def book_from_ws(msg: Json, inst: Instrument) -> BookTop:
    """Parse a bookTicker message."""
    return BookTop(
        symbol=inst.symbol,
        bid_ticks=inst.to_ticks(msg["b"]),
        bid_lots=inst.to_lots(msg["B"]),
        ask_ticks=inst.to_ticks(msg["a"]),
        ask_lots=inst.to_lots(msg["A"]),
        ts_ms=int(msg.get("E") or msg.get("T") or 0),
    )
