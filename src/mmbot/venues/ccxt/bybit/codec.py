"""Bybit v5 (linear) JSON <-> mmbot values. Pure: parses the venue's own field names.

REST answers are `{"retCode": 0, "retMsg": "OK", "result": {...}, "time": ms}`; the order
and execution objects of /v5/order/realtime and /v5/execution/list are the same objects the
private `order` and `execution` topics carry in `data`, so one parser serves both paths.
"""

from __future__ import annotations

from typing import Any, Final

from mmbot.venues.base import Balance, BookTop, Instrument, OrderStatus, VenueFill, VenueOrder

Json = dict[str, Any]

_STATUS: Final = {
    "Created": OrderStatus.NEW,
    "New": OrderStatus.NEW,
    "Untriggered": OrderStatus.NEW,
    "PartiallyFilled": OrderStatus.PARTIALLY_FILLED,
    "Filled": OrderStatus.FILLED,
    "Cancelled": OrderStatus.CANCELED,
    "PartiallyFilledCanceled": OrderStatus.CANCELED,
    "Deactivated": OrderStatus.CANCELED,
    "Rejected": OrderStatus.REJECTED,
}
_SIDE: Final = {"Buy": 1, "Sell": -1}


def side_text(side: int) -> str:
    """Return Buy or Sell."""
    return "Buy" if side > 0 else "Sell"


def result_list(raw: Json) -> list[Json]:
    """Return result.list of a v5 answer (empty when absent)."""
    result = raw.get("result") or {}
    rows = result.get("list") or []
    return list(rows)


def order(raw: Json, inst: Instrument) -> VenueOrder:
    """Parse a v5 order object (REST /v5/order/realtime row or WS `order` data row)."""
    return VenueOrder(
        client_id=str(raw.get("orderLinkId", "")),
        venue_order_id=str(raw["orderId"]),
        side=_SIDE[raw["side"]],
        price_ticks=inst.to_ticks(raw["price"]),
        qty_lots=inst.to_lots(raw["qty"]),
        filled_lots=inst.to_lots(raw.get("cumExecQty") or "0"),
        status=_STATUS[raw["orderStatus"]],
        ts_ms=int(raw.get("updatedTime") or raw.get("createdTime") or 0),
    )


def fill(raw: Json, inst: Instrument) -> VenueFill | None:
    """Parse an execution (REST or WS); None for non-trade executions (funding, ADL...)."""
    if raw.get("execType", "Trade") != "Trade":
        return None
    return VenueFill(
        trade_id=str(raw["execId"]),
        venue_order_id=str(raw["orderId"]),
        client_id=str(raw.get("orderLinkId", "")),
        side=_SIDE[raw["side"]],
        price_ticks=inst.to_ticks(raw["execPrice"]),
        qty_lots=inst.to_lots(raw["execQty"]),
        fee_usd=float(raw.get("execFee") or 0.0),
        is_maker=bool(raw.get("isMaker", False)),
        ts_ms=int(raw["execTime"]),
    )


def position_lots(raw: Json, inst: Instrument) -> tuple[int, float]:
    """Return (signed lots, entry price) of inst in a /v5/position/list answer (one-way)."""
    for row in result_list(raw):
        if row.get("symbol") != inst.venue_symbol:
            continue
        side = _SIDE.get(row.get("side", ""), 0)
        lots = inst.to_lots(row.get("size") or "0")
        if lots and side:
            return side * lots, float(row.get("avgPrice") or 0.0)
    return 0, 0.0


def balances(raw: Json) -> list[Balance]:
    """Parse /v5/account/wallet-balance (accountType UNIFIED) coins."""
    out = []
    for account in result_list(raw):
        for coin in account.get("coin", []):
            total = float(coin.get("walletBalance") or 0.0)
            free = coin.get("availableToWithdraw") or coin.get("walletBalance") or 0.0
            out.append(Balance(str(coin["coin"]), total, float(free)))
    return out


def time_ms(raw: Json) -> int:
    """Return the venue time of /v5/market/time (ms, from result.timeNano)."""
    result = raw.get("result") or {}
    if result.get("timeNano"):
        return int(result["timeNano"]) // 1_000_000
    return int(raw["time"])


def book(msg: Json, inst: Instrument) -> BookTop | None:
    """Parse an `orderbook.1.<symbol>` message (snapshot or delta of the top level)."""
    data = msg.get("data") or {}
    if data.get("s") != inst.venue_symbol or not data.get("b") or not data.get("a"):
        return None
    bid, ask = data["b"][0], data["a"][0]
    return BookTop(
        symbol=inst.symbol,
        bid_ticks=inst.to_ticks(bid[0]),
        bid_lots=inst.to_lots(bid[1]),
        ask_ticks=inst.to_ticks(ask[0]),
        ask_lots=inst.to_lots(ask[1]),
        ts_ms=int(msg.get("cts") or msg.get("ts") or 0),
    )
