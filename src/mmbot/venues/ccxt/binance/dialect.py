"""The Binance USD-M perpetuals dialect of the ccxt adapter (see `ccxt.dialect`).

Calls: POST/PUT/DELETE/GET /fapi/v1/order by origClientOrderId (post-only = timeInForce GTX),
openOrders, v3 positionRisk, v3 balance, userTrades (paged by fromId), time, exchangeInfo
(REQUEST_WEIGHT limit), countdownCancelAll (dead-man countdown re-armed every heartbeat,
countdownTime 0 disarms it).
Streams: the user data stream (ORDER_TRADE_UPDATE) and bookTicker. Weight: the
X-MBX-USED-WEIGHT-* header is the venue's count for the current window.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from mmbot.venues.base import Balance, BookTop, Instrument, OrderIntent, VenueFill, VenueOrder
from mmbot.venues.ccxt.binance import codec
from mmbot.venues.ccxt.binance.exchange import BinanceUsdm, loopback_urls
from mmbot.venues.ccxt.dialect import Endpoints, Json, LimitSample, StreamHooks

# Request weight per endpoint (Binance USD-M docs; order entry counted as 1 to be safe).
WEIGHTS: Final[dict[str, int]] = {
    "fapiPrivatePostOrder": 1, "fapiPrivatePutOrder": 1, "fapiPrivateDeleteOrder": 1,
    "fapiPrivateGetOrder": 1, "fapiPrivateGetOpenOrders": 1, "fapiPrivateGetUserTrades": 5,
    "fapiPrivateV3GetPositionRisk": 5, "fapiPrivateV3GetBalance": 5, "fapiPublicGetTime": 1,
    "fapiPublicGetExchangeInfo": 1, "fapiPrivatePostCountdownCancelAll": 10,
}  # fmt: skip
_UNITS: Final = {"SECOND": 1.0, "MINUTE": 60.0, "HOUR": 3600.0, "DAY": 86400.0}
_PAGE: Final = 1000


class BinanceDialect:
    """Binance USD-M: the venue's parameters and JSON for each adapter call."""

    name = "binance"
    ep = Endpoints(
        markets="fapiPublicGetExchangeInfo", time="fapiPublicGetTime",
        place="fapiPrivatePostOrder", cancel="fapiPrivateDeleteOrder",
        modify="fapiPrivatePutOrder", query="fapiPrivateGetOrder",
        open_orders="fapiPrivateGetOpenOrders", positions="fapiPrivateV3GetPositionRisk",
        balances="fapiPrivateV3GetBalance", trades="fapiPrivateGetUserTrades",
        dead_man="fapiPrivatePostCountdownCancelAll",
    )  # fmt: skip
    weights: Mapping[str, int] = WEIGHTS
    endpoint_limits: Mapping[str, tuple[int, float]] = {}
    default_limit = (2400, 60.0)
    load_markets_weight = 1
    rearm_dead_man = True
    logger_names: tuple[str, ...] = ("ccxt.base.exchange",)

    def make_exchange(self, options: dict[str, Any], hooks: StreamHooks) -> Any:
        """Return ccxt.pro binanceusdm with the raw-message and header hooks."""
        options = dict(options)
        options["options"] = {
            "fetchCurrencies": False, "defaultType": "swap",
            "watchPositions": {"fetchPositionsSnapshot": False},
            "watchBalance": {"fetchBalanceSnapshot": False},
        }  # fmt: skip
        exchange = BinanceUsdm(options)
        exchange.mm_on_user_update = hooks.on_user
        exchange.mm_on_book = hooks.on_book
        exchange.mm_on_headers = hooks.on_headers
        return exchange

    def use_loopback(self, exchange: Any, rest_base: str, ws_base: str) -> None:
        """Point the USD-M REST and WS URLs at a loopback fake."""
        exchange.urls["api"].update(loopback_urls(rest_base, ws_base, exchange.urls))

    def rate_limit(self, markets_raw: Json) -> tuple[int, float]:
        """Return the REQUEST_WEIGHT limit and window from exchangeInfo."""
        limit, window_s = self.default_limit
        for rule in markets_raw.get("rateLimits", []):
            if rule.get("rateLimitType") == "REQUEST_WEIGHT":
                limit = int(rule["limit"])
                window_s = _UNITS[rule["interval"]] * int(rule.get("intervalNum", 1))
        return limit, window_s

    def markets_params(self, inst: Instrument) -> dict[str, Any]:
        """exchangeInfo takes no parameters."""
        return {}

    def place_params(self, inst: Instrument, cid: str, intent: OrderIntent) -> dict[str, Any]:
        """POST /fapi/v1/order: LIMIT, GTX when post-only."""
        return {
            "symbol": inst.venue_symbol, "side": codec.side_text(intent.side),
            "type": "LIMIT", "timeInForce": "GTX" if intent.post_only else "GTC",
            "quantity": inst.qty_str(intent.qty_lots),
            "price": inst.price_str(intent.price_ticks), "newClientOrderId": cid,
            "newOrderRespType": "RESULT",
        }  # fmt: skip

    def order_params(self, inst: Instrument, cid: str) -> dict[str, Any]:
        """An order by origClientOrderId."""
        return {"symbol": inst.venue_symbol, "origClientOrderId": cid}

    def modify_params(
        self, inst: Instrument, current: VenueOrder, price_ticks: int, qty_lots: int
    ) -> dict[str, Any]:
        """PUT /fapi/v1/order (side is required)."""
        return {
            "symbol": inst.venue_symbol, "origClientOrderId": current.client_id,
            "side": codec.side_text(current.side), "quantity": inst.qty_str(qty_lots),
            "price": inst.price_str(price_ticks),
        }  # fmt: skip

    def symbol_params(self, inst: Instrument) -> dict[str, Any]:
        """openOrders / positionRisk of one symbol."""
        return {"symbol": inst.venue_symbol}

    def balance_params(self) -> dict[str, Any]:
        """v3 balance takes no parameters."""
        return {}

    def trades_params(self, inst: Instrument, since_ms: int) -> dict[str, Any]:
        """userTrades from startTime."""
        return {"symbol": inst.venue_symbol, "startTime": since_ms, "limit": _PAGE}

    def next_trades_params(
        self, inst: Instrument, params: dict[str, Any], raw: Json
    ) -> dict[str, Any] | None:
        """userTrades pages by fromId; a short page is the last."""
        if len(raw) < _PAGE:
            return None
        return {"symbol": inst.venue_symbol, "fromId": int(raw[-1]["id"]) + 1, "limit": _PAGE}

    def next_open_orders_params(
        self, inst: Instrument, params: dict[str, Any], raw: Json
    ) -> dict[str, Any] | None:
        """openOrders answers every open order of the symbol at once."""
        return None

    def dead_man_params(self, inst: Instrument, countdown_ms: int) -> dict[str, Any]:
        """countdownCancelAll: cancel the symbol's orders unless re-armed within countdown.

        A countdown of 0 disarms it (Binance USD-M "Auto-Cancel All Open Orders").
        """
        return {"symbol": inst.venue_symbol, "countdownTime": countdown_ms}

    def placed(
        self, raw: Json, inst: Instrument, cid: str, intent: OrderIntent, now_ms: int
    ) -> VenueOrder:
        """The RESULT answer is the full order."""
        return codec.order_from_rest(raw, inst)

    def order_ack(self, raw: Json, inst: Instrument) -> VenueOrder | None:
        """DELETE/PUT answer the full order."""
        return codec.order_from_rest(raw, inst)

    def queried(self, raw: Json, inst: Instrument) -> VenueOrder | None:
        """GET order answers the order (absence is an OrderNotFound error)."""
        return codec.order_from_rest(raw, inst)

    def open_orders(self, raw: Json, inst: Instrument) -> list[VenueOrder]:
        """Parse openOrders rows."""
        return [codec.order_from_rest(r, inst) for r in raw]

    def trades(self, raw: Json, inst: Instrument) -> list[VenueFill]:
        """userTrades rows carry no client id."""
        return [codec.fill_from_rest(row, inst, "") for row in raw]

    def position_lots(self, raw: Json, inst: Instrument) -> tuple[int, float]:
        """Parse positionRisk."""
        return codec.position_lots(raw, inst)

    def balances(self, raw: Json) -> list[Balance]:
        """Parse v3 balance."""
        return codec.balances_from_rest(raw)

    def time_ms(self, raw: Json) -> int:
        """serverTime."""
        return int(raw["serverTime"])

    def limit_samples(self, url: str, headers: Mapping[str, str]) -> list[LimitSample]:
        """X-MBX-USED-WEIGHT-<interval>: the venue-wide used weight."""
        return [
            LimitSample("", int(value))
            for name, value in headers.items()
            if name.lower().startswith("x-mbx-used-weight-")
        ]

    async def watch_private(self, exchange: Any, inst: Instrument, dead_man: bool) -> Any:
        """The user data stream (ccxt requests the listenKey); the countdown needs no topic."""
        return await exchange.watch_orders(inst.symbol)

    async def unwatch_dead_man(self, exchange: Any) -> None:
        """Nothing: the countdown is not tied to a stream (countdownTime 0 disarms it)."""

    async def watch_public(self, exchange: Any, instruments: Sequence[Instrument]) -> Any:
        """bookTicker of each symbol."""
        return await exchange.watch_bids_asks([inst.symbol for inst in instruments])

    def is_stream_url(self, kind: str, url: str) -> bool:
        """ccxt's USD-M stream URLs contain /private/ and /public/."""
        return f"/{kind}/" in url

    def user_updates(
        self, msg: dict[str, Any], inst: Instrument
    ) -> list[tuple[VenueOrder | None, VenueFill | None]]:
        """ORDER_TRADE_UPDATE: the order's state and its fill, if any."""
        if msg.get("e") != "ORDER_TRADE_UPDATE":
            return []
        payload = msg.get("o", {})
        if payload.get("s") != inst.venue_symbol:
            return []
        order, fill = codec.from_ws_update(payload, inst)
        return [(order, fill)]

    def book(self, msg: dict[str, Any], inst: Instrument) -> BookTop | None:
        """bookTicker of inst."""
        if msg.get("s") != inst.venue_symbol:
            return None
        return codec.book_from_ws(msg, inst)
