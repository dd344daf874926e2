"""The Bybit v5 linear-perpetuals dialect of the ccxt adapter (see `ccxt.dialect`).

Calls (category=linear, one-way mode, orderLinkId = our client id):
  POST /v5/order/create (Limit, timeInForce PostOnly), /v5/order/amend, /v5/order/cancel
  GET  /v5/order/realtime (by orderLinkId: any status; without: open orders, by cursor)
  GET  /v5/position/list, /v5/account/wallet-balance (UNIFIED), /v5/execution/list (cursor)
  GET  /v5/market/time, /v5/market/instruments-info
  POST /v5/order/disconnected-cancel-all (DCP: product DERIVATIVES, timeWindow 3..300 s)
Streams: private /v5/private (auth op, topics `order`, `execution`, and `dcp.future` while
the dead-man switch is on), public /v5/public/linear (`orderbook.1.<symbol>`).

Differences from Binance the adapter relies on: create/amend/cancel answer ids only (the
adapter builds the placed order from the intent and queries after cancel/amend); a post-only
order that would cross is accepted and then cancelled by the venue (it shows as CANCELED on
the order stream, not as a rejection); an absent order is an empty list, not an error. DCP is
kept alive by the private stream's connection and pings, so the heartbeat does not re-arm it;
v5 has no call that turns it off (timeWindow is 3..300 s), so a clean close unsubscribes
`dcp.future` first: DCP fires only when every connection subscribed to a dcp topic is gone.
Rate limits: 600 requests / 5 s per IP (no used-weight header) and per-endpoint per-second
limits reported in X-Bapi-Limit / X-Bapi-Limit-Status; both budgets are kept under 70%.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final
from urllib.parse import urlparse

from mmbot.venues.base import (
    Balance,
    BookTop,
    Instrument,
    OrderIntent,
    OrderStatus,
    VenueFill,
    VenueOrder,
)
from mmbot.venues.ccxt.bybit import codec
from mmbot.venues.ccxt.bybit.exchange import BybitLinear, loopback_urls
from mmbot.venues.ccxt.dialect import Endpoints, Json, LimitSample, StreamHooks, header

CATEGORY: Final = "linear"
# endpoint method -> (path, per-endpoint limit per second; 0: IP limit only)
PATHS: Final[dict[str, tuple[str, int]]] = {
    "privatePostV5OrderCreate": ("/v5/order/create", 10),
    "privatePostV5OrderAmend": ("/v5/order/amend", 10),
    "privatePostV5OrderCancel": ("/v5/order/cancel", 10),
    "privateGetV5OrderRealtime": ("/v5/order/realtime", 50),
    "privateGetV5PositionList": ("/v5/position/list", 50),
    "privateGetV5AccountWalletBalance": ("/v5/account/wallet-balance", 50),
    "privateGetV5ExecutionList": ("/v5/execution/list", 50),
    "privatePostV5OrderDisconnectedCancelAll": ("/v5/order/disconnected-cancel-all", 5),
    "publicGetV5MarketTime": ("/v5/market/time", 0),
    "publicGetV5MarketInstrumentsInfo": ("/v5/market/instruments-info", 0),
}
_BY_PATH: Final = {path: method for method, (path, _) in PATHS.items()}
_PAGE: Final = 100
_OPEN_PAGE: Final = 50  # /v5/order/realtime's largest page
_DCP_MIN_S, _DCP_MAX_S = 3, 300
DCP_TOPIC: Final = "dcp.future"  # the derivatives variant (dcp.spot, dcp.option are the others)


class BybitDialect:
    """Bybit v5 linear: the venue's parameters and JSON for each adapter call."""

    name = "bybit"
    ep = Endpoints(
        markets="publicGetV5MarketInstrumentsInfo", time="publicGetV5MarketTime",
        place="privatePostV5OrderCreate", cancel="privatePostV5OrderCancel",
        modify="privatePostV5OrderAmend", query="privateGetV5OrderRealtime",
        open_orders="privateGetV5OrderRealtime", positions="privateGetV5PositionList",
        balances="privateGetV5AccountWalletBalance", trades="privateGetV5ExecutionList",
        dead_man="privatePostV5OrderDisconnectedCancelAll",
    )  # fmt: skip
    weights: Mapping[str, int] = dict.fromkeys(PATHS, 1)
    endpoint_limits: Mapping[str, tuple[int, float]] = {
        method: (limit, 1.0) for method, (_, limit) in PATHS.items() if limit
    }
    default_limit = (600, 5.0)
    load_markets_weight = 2  # instruments-info, and again for PreLaunch symbols
    rearm_dead_man = False
    logger_names: tuple[str, ...] = ("ccxt.base.exchange",)

    def make_exchange(self, options: dict[str, Any], hooks: StreamHooks) -> Any:
        """Return ccxt.pro bybit (linear markets only, unified account) with the hooks."""
        options = dict(options)
        options["options"] = {
            "fetchCurrencies": False, "defaultType": "swap", "defaultSubType": "linear",
            "fetchMarkets": {"types": ["linear"]},
            # skip ccxt's account-type probe (/v5/user/query-api): a UTA account is assumed
            "enableUnifiedMargin": False, "enableUnifiedAccount": True,
            "unifiedMarginStatus": 6,
        }  # fmt: skip
        exchange = BybitLinear(options)
        # currencies need /v5/asset/coin/query-info (asset permission the key must not have)
        exchange.has = {**exchange.has, "fetchCurrencies": False}
        exchange.mm_on_user_update = hooks.on_user
        exchange.mm_on_book = hooks.on_book
        exchange.mm_on_headers = hooks.on_headers
        return exchange

    def use_loopback(self, exchange: Any, rest_base: str, ws_base: str) -> None:
        """Point the v5 REST and linear WS URLs at a loopback fake."""
        exchange.urls["api"].update(loopback_urls(rest_base, ws_base, exchange.urls))

    def rate_limit(self, markets_raw: Json) -> tuple[int, float]:
        """Bybit publishes no limit in instruments-info: 600 requests per 5 s per IP."""
        return self.default_limit

    def markets_params(self, inst: Instrument) -> dict[str, Any]:
        """instruments-info of the one symbol."""
        return {"category": CATEGORY, "symbol": inst.venue_symbol}

    def place_params(self, inst: Instrument, cid: str, intent: OrderIntent) -> dict[str, Any]:
        """POST /v5/order/create: Limit, PostOnly (or GTC), one-way positionIdx 0."""
        return {
            "category": CATEGORY, "symbol": inst.venue_symbol,
            "side": codec.side_text(intent.side), "orderType": "Limit",
            "qty": inst.qty_str(intent.qty_lots), "price": inst.price_str(intent.price_ticks),
            "timeInForce": "PostOnly" if intent.post_only else "GTC",
            "orderLinkId": cid, "positionIdx": 0,
        }  # fmt: skip

    def order_params(self, inst: Instrument, cid: str) -> dict[str, Any]:
        """An order by orderLinkId."""
        return {"category": CATEGORY, "symbol": inst.venue_symbol, "orderLinkId": cid}

    def modify_params(
        self, inst: Instrument, current: VenueOrder, price_ticks: int, qty_lots: int
    ) -> dict[str, Any]:
        """POST /v5/order/amend (qty is the new total quantity)."""
        return {
            "category": CATEGORY, "symbol": inst.venue_symbol,
            "orderLinkId": current.client_id, "qty": inst.qty_str(qty_lots),
            "price": inst.price_str(price_ticks),
        }  # fmt: skip

    def symbol_params(self, inst: Instrument) -> dict[str, Any]:
        """Open orders / position of one symbol (realtime without an id: open only)."""
        return {"category": CATEGORY, "symbol": inst.venue_symbol, "openOnly": 0,
                "limit": _OPEN_PAGE}  # fmt: skip

    def balance_params(self) -> dict[str, Any]:
        """The unified account's wallet."""
        return {"accountType": "UNIFIED"}

    def trades_params(self, inst: Instrument, since_ms: int) -> dict[str, Any]:
        """execution/list from startTime."""
        return {"category": CATEGORY, "symbol": inst.venue_symbol, "startTime": since_ms,
                "limit": _PAGE}  # fmt: skip

    def next_trades_params(
        self, inst: Instrument, params: dict[str, Any], raw: Json
    ) -> dict[str, Any] | None:
        """execution/list pages by nextPageCursor; an empty cursor ends."""
        return _next_cursor_params(params, raw)

    def next_open_orders_params(
        self, inst: Instrument, params: dict[str, Any], raw: Json
    ) -> dict[str, Any] | None:
        """realtime pages by nextPageCursor (50 orders a page); an empty cursor ends."""
        return _next_cursor_params(params, raw)

    def dead_man_params(self, inst: Instrument, countdown_ms: int) -> dict[str, Any]:
        """DCP for derivatives; the window is whole seconds in [3, 300]."""
        seconds = min(_DCP_MAX_S, max(_DCP_MIN_S, -(-countdown_ms // 1000)))
        return {"product": "DERIVATIVES", "timeWindow": seconds}

    def placed(
        self, raw: Json, inst: Instrument, cid: str, intent: OrderIntent, now_ms: int
    ) -> VenueOrder:
        """create answers {orderId, orderLinkId}: the order is the intent, resting."""
        result = raw.get("result") or {}
        return VenueOrder(cid, str(result["orderId"]), intent.side, intent.price_ticks,
                          intent.qty_lots, 0, OrderStatus.NEW, now_ms)  # fmt: skip

    def order_ack(self, raw: Json, inst: Instrument) -> VenueOrder | None:
        """cancel/amend answer ids only."""
        return None

    def queried(self, raw: Json, inst: Instrument) -> VenueOrder | None:
        """realtime by orderLinkId: one row, or none when the venue has no such order."""
        rows = codec.result_list(raw)
        return codec.order(rows[0], inst) if rows else None

    def open_orders(self, raw: Json, inst: Instrument) -> list[VenueOrder]:
        """realtime rows that are still open."""
        orders = [codec.order(row, inst) for row in codec.result_list(raw)]
        return [o for o in orders if o.status.is_open]

    def trades(self, raw: Json, inst: Instrument) -> list[VenueFill]:
        """execution/list rows (they carry orderLinkId)."""
        fills = (codec.fill(row, inst) for row in codec.result_list(raw))
        return [f for f in fills if f is not None]

    def position_lots(self, raw: Json, inst: Instrument) -> tuple[int, float]:
        """position/list."""
        return codec.position_lots(raw, inst)

    def balances(self, raw: Json) -> list[Balance]:
        """wallet-balance."""
        return codec.balances(raw)

    def time_ms(self, raw: Json) -> int:
        """market/time."""
        return codec.time_ms(raw)

    def limit_samples(self, url: str, headers: Mapping[str, str]) -> list[LimitSample]:
        """X-Bapi-Limit (per second) and X-Bapi-Limit-Status (remaining) of the endpoint."""
        limit, remaining = header(headers, "x-bapi-limit"), header(headers, "x-bapi-limit-status")
        method = _BY_PATH.get(urlparse(url).path)
        if method is None or limit is None or remaining is None:
            return []
        return [LimitSample(method, int(limit) - int(remaining), int(limit), 1.0)]

    async def watch_private(self, exchange: Any, inst: Instrument, dead_man: bool) -> Any:
        """Authenticate, subscribe order + execution (+ dcp.future); wait for a message."""
        url = _private_url(exchange)
        await exchange.authenticate(url)
        topics = ["order", "execution", *([DCP_TOPIC] if dead_man else [])]
        return await exchange.watch_topics(url, ["orders", "myTrades"], topics)

    async def unwatch_dead_man(self, exchange: Any) -> None:
        """Unsubscribe dcp.future and wait for the venue's answer."""
        await exchange.un_watch_topics(_private_url(exchange), "dcp", [], ["unsubscribe:dcp"],
                                       ["dcp"], [DCP_TOPIC])  # fmt: skip

    async def watch_public(self, exchange: Any, instruments: Sequence[Instrument]) -> Any:
        """orderbook.1 of each symbol (ccxt's watch_bids_asks)."""
        return await exchange.watch_bids_asks([inst.symbol for inst in instruments])

    def is_stream_url(self, kind: str, url: str) -> bool:
        """/v5/private and /v5/public/<category>."""
        return url.rstrip("/").endswith("/v5/private") if kind == "private" else "/public/" in url

    def user_updates(
        self, msg: dict[str, Any], inst: Instrument
    ) -> list[tuple[VenueOrder | None, VenueFill | None]]:
        """`order` rows give order states, `execution` rows give fills."""
        topic = str(msg.get("topic", ""))
        rows = [r for r in msg.get("data") or [] if r.get("symbol") == inst.venue_symbol]
        if topic == "order":
            return [(codec.order(r, inst), None) for r in rows]
        if topic == "execution":
            return [(None, f) for f in (codec.fill(r, inst) for r in rows) if f is not None]
        return []

    def book(self, msg: dict[str, Any], inst: Instrument) -> BookTop | None:
        """orderbook.1 of inst."""
        return codec.book(msg, inst)


def _private_url(exchange: Any) -> str:
    return str(exchange.implode_hostname(exchange.urls["api"]["ws"]["private"]["contract"]))


def _next_cursor_params(params: dict[str, Any], raw: Json) -> dict[str, Any] | None:
    cursor = (raw.get("result") or {}).get("nextPageCursor")
    if not cursor or not codec.result_list(raw):
        return None
    return {**params, "cursor": cursor}
