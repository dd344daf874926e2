"""A loopback fake of Binance USD-M: the REST and WS subset the ccxt adapter uses.

Runs an aiohttp server on 127.0.0.1 (ephemeral port). Matching is a stub: orders rest until
the test fills them (`fill`), so every outcome is decided by the test. Faults are injected
through `FakeFaults` (one-shot flags and counters) and `disconnect()` / `partition`.

REST (signed requests are HMAC-SHA256 checked like the venue does):
  GET  /fapi/v1/exchangeInfo, /fapi/v1/time
  POST/PUT/DELETE/GET /fapi/v1/order  (by origClientOrderId), GET /fapi/v1/openOrders
  GET  /fapi/v3/positionRisk, /fapi/v3/balance, /fapi/v1/userTrades
  POST /fapi/v1/countdownCancelAll (dead-man switch; countdownTime 0 disarms it),
  POST/PUT/DELETE /fapi/v1/listenKey
WS: /private/ws?listenKey=K (ORDER_TRADE_UPDATE), /public/ws (SUBSCRIBE ...@bookTicker).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web
from tests.loopback.server import LoopbackServer

SYMBOL = "BTCUSDT"
TICK = Decimal("0.1")
LOT = Decimal("0.001")
API_KEY = "loopback-key-0123456789"
API_SECRET = "loopback-secret-do-not-log-9876543210"
WEIGHTS = {
    ("POST", "order"): 1, ("PUT", "order"): 1, ("DELETE", "order"): 1, ("GET", "order"): 1,
    ("GET", "openOrders"): 1, ("GET", "userTrades"): 5, ("GET", "positionRisk"): 5,
    ("GET", "balance"): 5, ("GET", "time"): 1, ("GET", "exchangeInfo"): 1,
    ("POST", "countdownCancelAll"): 10,
}  # fmt: skip


@dataclass
class FakeFaults:
    """Faults the next requests/messages suffer; each counter is consumed as it fires."""

    rate_limit_next: int = 0  # answer the next N REST calls 429
    retry_after_s: float = 0.2
    reject_next: int = 0  # reject the next N order posts (-5022 post only)
    drop_next: int = 0  # answer the next N order posts 503 without processing them
    ack_lost_next: int = 0  # process the next N order posts, then answer 503
    ack_delay_s: float = 0.0  # process the next ack_lost post, then sleep before answering
    partition_on_ack_lost: bool = False  # the link goes down together with the lost ack
    dup_fills: int = 0  # send the next N fill messages twice
    ws_drop_fills: int = 0  # do not send the next N fill messages at all
    stale_book: bool = False  # stop publishing book updates
    partition: bool = False  # refuse every request and close every stream
    fail_queries: bool = False  # answer every query of one order 503 (its outcome stays unknown)


@dataclass
class FakeStats:
    """What the fake saw, for the test's assertions."""

    posts_by_client_id: Counter[str] = field(default_factory=Counter)
    requests: Counter[str] = field(default_factory=Counter)
    max_window_weight: int = 0
    limit_429s: int = 0
    injected_429s: int = 0
    dead_man_cancels: int = 0
    bad_signatures: int = 0


class FakeBinance(LoopbackServer):
    """The fake venue: state, faults and the aiohttp app."""

    def __init__(self, weight_limit: int = 2400, weight_window_s: float = 60.0) -> None:
        super().__init__()
        self.weight_limit = weight_limit
        self.weight_window_s = weight_window_s
        self.faults = FakeFaults()
        self.stats = FakeStats()
        self.orders: dict[str, dict[str, Any]] = {}  # clientOrderId -> order json
        self.trades: list[dict[str, Any]] = []
        self.position_lots = 0
        self.book: tuple[int, int, int, int] | None = None
        self.min_qty = LOT  # LOT_SIZE minQty served in exchangeInfo
        self._next_order_id = 1000
        self._next_trade_id = 5000
        self._countdown_deadline_ms: int | None = None
        self._window: tuple[int, int] = (0, 0)  # (window index, weight)
        self._private: set[web.WebSocketResponse] = set()
        self._public: set[web.WebSocketResponse] = set()
        self._listen_keys: set[str] = set()

    # ---- lifecycle ---------------------------------------------------------------------
    def _add_routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/fapi/{version}/{path}", self._rest)
        app.router.add_get("/private/ws", self._ws_private)
        app.router.add_get("/public/ws", self._ws_public)
        app.router.add_get("/public/ws/{tail:.*}", self._ws_public)

    # ---- test controls -----------------------------------------------------------------
    async def disconnect(self) -> None:
        """Drop every websocket (the client must reconnect and reconcile)."""
        for ws in list(self._private | self._public):
            await ws.close()
        self._private.clear()
        self._public.clear()

    async def push_book(self, bid_ticks: int, ask_ticks: int, lots: int = 5) -> None:
        """Publish a bookTicker (skipped while the stale-book fault is on)."""
        self.book = (bid_ticks, lots, ask_ticks, lots)
        if self.faults.stale_book:
            return
        now = self.now_ms()
        msg = {
            "e": "bookTicker", "u": now, "E": now, "T": now, "s": SYMBOL,
            "b": _px(bid_ticks), "B": _qty(lots), "a": _px(ask_ticks), "A": _qty(lots),
        }  # fmt: skip
        await _send_all(self._public, msg)

    async def fill(self, client_id: str, parts: list[int], out_of_order: bool = False) -> None:
        """Fill an open order in parts (lots each); optionally deliver the WS messages reversed."""
        order = self.orders[client_id]
        messages = []
        for qty_lots in parts:
            leaves = _lots(order["origQty"]) - _lots(order["executedQty"])
            if qty_lots <= 0 or qty_lots > leaves:
                raise ValueError(f"fill of {qty_lots} lots with {leaves} leaves")
            self._next_trade_id += 1
            side = 1 if order["side"] == "BUY" else -1
            self.position_lots += side * qty_lots
            executed = _lots(order["executedQty"]) + qty_lots
            order["executedQty"] = _qty(executed)
            order["status"] = (
                "FILLED" if executed == _lots(order["origQty"]) else "PARTIALLY_FILLED"
            )
            order["updateTime"] = self.now_ms()
            trade = {
                "symbol": SYMBOL, "id": self._next_trade_id, "orderId": order["orderId"],
                "side": order["side"], "price": order["price"], "qty": _qty(qty_lots),
                "realizedPnl": "0", "quoteQty": str(Decimal(order["price"]) * qty_lots * LOT),
                "commission": "0.0001", "commissionAsset": "USDT", "time": self.now_ms(),
                "positionSide": "BOTH", "buyer": side > 0, "maker": True,
            }  # fmt: skip
            self.trades.append(trade)
            messages.append(self._update(order, "TRADE", trade))
        if out_of_order:
            messages.reverse()
        for msg in messages:
            if self.faults.ws_drop_fills > 0:
                self.faults.ws_drop_fills -= 1
                continue
            copies = 1
            if self.faults.dup_fills > 0:
                self.faults.dup_fills -= 1
                copies = 2
            for _ in range(copies):
                await _send_all(self._private, msg)

    def open_orders(self) -> list[dict[str, Any]]:
        """Return the open orders (NEW or PARTIALLY_FILLED)."""
        return [o for o in self.orders.values() if o["status"] in ("NEW", "PARTIALLY_FILLED")]

    @property
    def dead_man_armed(self) -> bool:
        """Return True while a countdown is running."""
        return self._countdown_deadline_ms is not None

    # ---- plumbing ----------------------------------------------------------------------
    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if self.faults.partition:
            raise web.HTTPServiceUnavailable(text="partitioned")
        if "/ws" in request.path:
            return await handler(request)  # type: ignore[no-any-return]
        path = request.path.rsplit("/", 1)[-1]
        self.stats.requests[f"{request.method} {path}"] += 1
        weight = WEIGHTS.get((request.method, path), 1)
        index = int(time.time() // self.weight_window_s)
        used = (self._window[1] if self._window[0] == index else 0) + weight
        self._window = (index, used)
        self.stats.max_window_weight = max(self.stats.max_window_weight, used)
        headers = {f"X-MBX-USED-WEIGHT-{self._interval_tag()}": str(used)}
        if self.faults.rate_limit_next > 0 or used > self.weight_limit:
            if self.faults.rate_limit_next > 0:
                self.faults.rate_limit_next -= 1
                self.stats.injected_429s += 1
            else:
                self.stats.limit_429s += 1
            headers["Retry-After"] = str(self.faults.retry_after_s)
            return web.json_response(
                {"code": -1003, "msg": "Too many requests; banned until later."},
                status=429, headers=headers,
            )  # fmt: skip
        response: web.StreamResponse = await handler(request)
        response.headers.update(headers)
        return response

    def _interval_tag(self) -> str:
        if self.weight_window_s >= 60:
            return f"{int(self.weight_window_s // 60)}M"
        return f"{int(self.weight_window_s)}S"

    async def _params(self, request: web.Request) -> dict[str, str] | None:
        """Return the request parameters; None when a signed request's signature is wrong."""
        body = await request.text()
        raw = request.query_string if "signature=" in request.query_string else body
        params = dict(parse_qsl(request.query_string)) | dict(parse_qsl(body))
        if "signature" not in params:
            return params
        payload = raw.split("&signature=")[0]
        expected = hmac.new(API_SECRET.encode(), payload.encode(), hashlib.sha256).hexdigest()
        if request.headers.get("X-MBX-APIKEY") != API_KEY or params["signature"] != expected:
            self.stats.bad_signatures += 1
            return None
        return params

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        params = await self._params(request)
        if params is None:
            return _error(401, -2015, "Invalid API-key, IP, or permissions for action.")
        path, method = request.match_info["path"], request.method
        handler = getattr(self, f"_{method.lower()}_{path}", None)
        if handler is None:
            return _error(404, -1000, f"no route {method} {path}")
        return await handler(params)  # type: ignore[no-any-return]

    # ---- REST handlers -----------------------------------------------------------------
    async def _get_exchangeInfo(self, _: dict[str, str]) -> web.StreamResponse:
        return web.json_response(_exchange_info(self.now_ms(), self.weight_limit,
                                                self.weight_window_s, self.min_qty))  # fmt: skip

    async def _get_time(self, _: dict[str, str]) -> web.StreamResponse:
        return web.json_response({"serverTime": self.now_ms()})

    async def _post_order(self, p: dict[str, str]) -> web.StreamResponse:
        cid = p["newClientOrderId"]
        self.stats.posts_by_client_id[cid] += 1
        if self.faults.drop_next > 0:
            self.faults.drop_next -= 1
            return web.Response(status=503, text="Service Unavailable")
        if self.faults.reject_next > 0:
            self.faults.reject_next -= 1
            return _error(400, -5022, "Due to the order could not be executed as maker, "
                                      "the Post Only order will be rejected.")  # fmt: skip
        if cid in self.orders:
            return _error(400, -4116, "ClientOrderId is duplicated.")
        price_ticks = _ticks(p["price"])
        side = p["side"]
        if self.book is not None and p.get("timeInForce") == "GTX":
            bid, _, ask, _ = self.book
            if (side == "BUY" and price_ticks >= ask) or (side == "SELL" and price_ticks <= bid):
                return _error(400, -5022, "Due to the order could not be executed as maker, "
                                          "the Post Only order will be rejected.")  # fmt: skip
        self._next_order_id += 1
        now = self.now_ms()
        order = {
            "orderId": self._next_order_id, "symbol": SYMBOL, "status": "NEW",
            "clientOrderId": cid, "price": _px(price_ticks), "avgPrice": "0",
            "origQty": p["quantity"], "executedQty": "0", "cumQuote": "0",
            "timeInForce": p.get("timeInForce", "GTC"), "type": "LIMIT", "reduceOnly": False,
            "side": side, "positionSide": "BOTH", "time": now, "updateTime": now,
        }  # fmt: skip
        self.orders[cid] = order
        await _send_all(self._private, self._update(order, "NEW"))
        if self.faults.ack_lost_next > 0:
            self.faults.ack_lost_next -= 1
            if self.faults.ack_delay_s > 0:
                await asyncio.sleep(self.faults.ack_delay_s)
            self.faults.partition = self.faults.partition or self.faults.partition_on_ack_lost
            return web.Response(status=503, text="Service Unavailable")
        return web.json_response(order)

    async def _put_order(self, p: dict[str, str]) -> web.StreamResponse:
        order = self.orders.get(p.get("origClientOrderId", ""))
        if order is None or order["status"] not in ("NEW", "PARTIALLY_FILLED"):
            return _error(400, -2013, "Order does not exist.")
        if _lots(p["quantity"]) <= _lots(order["executedQty"]):
            return _error(400, -4005, "Quantity greater than max quantity.")
        order.update(price=_px(_ticks(p["price"])), origQty=p["quantity"],
                     updateTime=self.now_ms())  # fmt: skip
        await _send_all(self._private, self._update(order, "AMENDMENT"))
        return web.json_response(order)

    async def _delete_order(self, p: dict[str, str]) -> web.StreamResponse:
        order = self.orders.get(p.get("origClientOrderId", ""))
        if order is None or order["status"] not in ("NEW", "PARTIALLY_FILLED"):
            return _error(400, -2011, "Unknown order sent.")
        await self._cancel(order)
        return web.json_response(order)

    async def _get_order(self, p: dict[str, str]) -> web.StreamResponse:
        if self.faults.fail_queries:
            return web.Response(status=503, text="Service Unavailable")
        order = self.orders.get(p.get("origClientOrderId", ""))
        if order is None:
            return _error(400, -2013, "Order does not exist.")
        return web.json_response(order)

    async def _get_openOrders(self, _: dict[str, str]) -> web.StreamResponse:
        return web.json_response(self.open_orders())

    async def _get_positionRisk(self, _: dict[str, str]) -> web.StreamResponse:
        if self.position_lots == 0:
            return web.json_response([])
        row = {"symbol": SYMBOL, "positionSide": "BOTH", "positionAmt": _qty(self.position_lots),
               "entryPrice": "0", "updateTime": self.now_ms()}  # fmt: skip
        return web.json_response([row])

    async def _get_balance(self, _: dict[str, str]) -> web.StreamResponse:
        row = {"accountAlias": "fake", "asset": "USDT", "balance": "1000.0",
               "crossWalletBalance": "1000.0", "availableBalance": "900.0",
               "maxWithdrawAmount": "900.0", "updateTime": self.now_ms()}  # fmt: skip
        return web.json_response([row])

    async def _get_userTrades(self, p: dict[str, str]) -> web.StreamResponse:
        rows = self.trades
        if "fromId" in p:
            rows = [t for t in rows if t["id"] >= int(p["fromId"])]
        elif "startTime" in p:
            rows = [t for t in rows if t["time"] >= int(p["startTime"])]
        return web.json_response(rows[: int(p.get("limit", 500))])

    async def _post_countdownCancelAll(self, p: dict[str, str]) -> web.StreamResponse:
        countdown_ms = int(p["countdownTime"])
        self._countdown_deadline_ms = self.now_ms() + countdown_ms if countdown_ms else None
        return web.json_response({"symbol": SYMBOL, "countdownTime": str(countdown_ms)})

    async def _post_listenKey(self, _: dict[str, str]) -> web.StreamResponse:
        key = f"lk{len(self._listen_keys) + 1}"
        self._listen_keys.add(key)
        return web.json_response({"listenKey": key})

    async def _put_listenKey(self, _: dict[str, str]) -> web.StreamResponse:
        return web.json_response({})

    async def _delete_listenKey(self, _: dict[str, str]) -> web.StreamResponse:
        return web.json_response({})

    # ---- WS ----------------------------------------------------------------------------
    async def _ws_private(self, request: web.Request) -> web.StreamResponse:
        if self.faults.partition or request.query.get("listenKey") not in self._listen_keys:
            raise web.HTTPForbidden()
        return await self._serve_ws(request, self._private)

    async def _ws_public(self, request: web.Request) -> web.StreamResponse:
        if self.faults.partition:
            raise web.HTTPServiceUnavailable()
        return await self._serve_ws(request, self._public)

    async def _serve_ws(self, request: web.Request, group: set[web.WebSocketResponse]) -> Any:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        group.add(ws)
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                data = json.loads(msg.data)
                if data.get("method") in ("SUBSCRIBE", "UNSUBSCRIBE"):
                    await ws.send_json({"result": None, "id": data.get("id")})
        finally:
            group.discard(ws)
        return ws

    # ---- internals ---------------------------------------------------------------------
    def _update(self, order: dict[str, Any], exec_type: str,
                trade: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
        now = self.now_ms()
        o = {
            "s": SYMBOL, "c": order["clientOrderId"], "S": order["side"], "o": "LIMIT",
            "f": order["timeInForce"], "q": order["origQty"], "p": order["price"], "ap": "0",
            "sp": "0", "x": exec_type, "X": order["status"], "i": order["orderId"],
            "l": trade["qty"] if trade else "0", "z": order["executedQty"],
            "L": trade["price"] if trade else "0", "N": "USDT",
            "n": trade["commission"] if trade else "0", "T": trade["time"] if trade else now,
            "t": trade["id"] if trade else 0, "b": "0", "a": "0",
            "m": True, "R": False, "wt": "CONTRACT_PRICE", "ot": "LIMIT", "ps": "BOTH",
            "cp": False, "rp": "0",
        }  # fmt: skip
        return {"e": "ORDER_TRADE_UPDATE", "E": now, "T": now, "o": o}

    async def _cancel(self, order: dict[str, Any]) -> None:
        order["status"] = "CANCELED"
        order["updateTime"] = self.now_ms()
        await _send_all(self._private, self._update(order, "CANCELED"))

    async def _timers(self) -> None:
        while True:
            await asyncio.sleep(0.01)
            deadline = self._countdown_deadline_ms
            if deadline is not None and self.now_ms() >= deadline:
                self._countdown_deadline_ms = None
                for order in self.open_orders():
                    await self._cancel(order)
                    self.stats.dead_man_cancels += 1
            if self.faults.partition and (self._private or self._public):
                await self.disconnect()


async def _send_all(group: set[web.WebSocketResponse], msg: dict[str, Any]) -> None:
    for ws in list(group):
        if not ws.closed:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await ws.send_str(json.dumps(msg))


def _error(status: int, code: int, msg: str) -> web.Response:
    return web.json_response({"code": code, "msg": msg}, status=status)


def _px(ticks: int) -> str:
    return format(TICK * ticks, "f")


def _qty(lots: int) -> str:
    return format(LOT * lots, "f")


def _ticks(price: str) -> int:
    return int(Decimal(price) / TICK)


def _lots(qty: str) -> int:
    return int(Decimal(qty) / LOT)


def _exchange_info(now_ms: int, limit: int, window_s: float, min_qty: Decimal) -> dict[str, Any]:
    interval, num = ("MINUTE", int(window_s // 60)) if window_s >= 60 else ("SECOND", int(window_s))
    return {
        "timezone": "UTC", "serverTime": now_ms, "futuresType": "U_MARGINED",
        "rateLimits": [
            {"rateLimitType": "REQUEST_WEIGHT", "interval": interval, "intervalNum": num,
             "limit": limit},
            {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
        ],
        "exchangeFilters": [],
        "assets": [{"asset": "USDT", "marginAvailable": True, "autoAssetExchange": "0"}],
        "symbols": [{
            "symbol": SYMBOL, "pair": SYMBOL, "contractType": "PERPETUAL",
            "deliveryDate": 4133404800000, "onboardDate": 1569398400000, "status": "TRADING",
            "maintMarginPercent": "2.5000", "requiredMarginPercent": "5.0000",
            "baseAsset": "BTC", "quoteAsset": "USDT", "marginAsset": "USDT",
            "pricePrecision": 1, "quantityPrecision": 3, "baseAssetPrecision": 8,
            "quotePrecision": 8, "underlyingType": "COIN", "underlyingSubType": [],
            "settlePlan": 0, "triggerProtect": "0.0500", "liquidationFee": "0.012500",
            "marketTakeBound": "0.05",
            "filters": [
                {"filterType": "PRICE_FILTER", "minPrice": "0.1", "maxPrice": "1000000",
                 "tickSize": str(TICK)},
                {"filterType": "LOT_SIZE", "minQty": str(min_qty), "maxQty": "1000",
                 "stepSize": str(LOT)},
                {"filterType": "MARKET_LOT_SIZE", "minQty": "0.001", "maxQty": "120",
                 "stepSize": str(LOT)},
                {"filterType": "MAX_NUM_ORDERS", "limit": 200},
                {"filterType": "MIN_NOTIONAL", "notional": "5"},
                {"filterType": "PERCENT_PRICE", "multiplierUp": "1.05",
                 "multiplierDown": "0.95", "multiplierDecimal": "4"},
            ],
            "orderTypes": ["LIMIT", "MARKET"],
            "timeInForce": ["GTC", "IOC", "FOK", "GTX"],
        }],
    }  # fmt: skip
