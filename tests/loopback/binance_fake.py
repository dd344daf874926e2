"""A loopback fake of Binance USD-M: the REST and WS subset the ccxt adapter uses.

Runs an aiohttp server on 127.0.0.1 (ephemeral port). Matching is a stub: orders rest until
the test fills them (`fill`), so every outcome is decided by the test. Faults are injected
through `FakeFaults` (one-shot flags and counters) and `disconnect()` / `partition`; the
controls and views shared with the Bybit fake live in `tests.loopback.server`.

REST (signed requests are HMAC-SHA256 checked like the venue does):
  GET  /fapi/v1/exchangeInfo, /fapi/v1/time
  POST/PUT/DELETE/GET /fapi/v1/order  (by origClientOrderId), GET /fapi/v1/openOrders
  GET  /fapi/v3/positionRisk, /fapi/v3/balance, /fapi/v1/userTrades
  POST /fapi/v1/countdownCancelAll (dead-man switch; countdownTime 0 disarms it),
  POST/PUT/DELETE /fapi/v1/listenKey
WS: /private/ws?listenKey=K (ORDER_TRADE_UPDATE), /public/ws (SUBSCRIBE ...@bookTicker).
Several symbols (`symbols`): every order, trade, position read and countdown names its
symbol (a countdown cancels only its symbol's orders); one user stream carries them all.
Limits: weight_limit request weight per weight_window_s (429 + Retry-After beyond), reported
in X-MBX-USED-WEIGHT-<interval>.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web
from tests.loopback.market import SYMBOL, Market
from tests.loopback.server import STALE_TOKEN, LoopbackServer, send_all

API_KEY = "loopback-key-0123456789"
API_SECRET = "loopback-secret-do-not-log-9876543210"
WEIGHTS = {
    ("POST", "order"): 1, ("PUT", "order"): 1, ("DELETE", "order"): 1, ("GET", "order"): 1,
    ("GET", "openOrders"): 1, ("GET", "userTrades"): 5, ("GET", "positionRisk"): 5,
    ("GET", "balance"): 5, ("GET", "time"): 1, ("GET", "exchangeInfo"): 1,
    ("POST", "countdownCancelAll"): 10,
}  # fmt: skip
_OPEN = ("NEW", "PARTIALLY_FILLED")
_POST_ONLY_REJECT = (
    "Due to the order could not be executed as maker, the Post Only order will be rejected."
)


class FakeBinance(LoopbackServer):
    """The fake venue: state, faults and the aiohttp app."""

    venue = "binance"
    api_key = API_KEY
    api_secret = API_SECRET

    def __init__(self, weight_limit: int = 2400, weight_window_s: float = 60.0,
                 symbols: Sequence[str] = (SYMBOL,)) -> None:  # fmt: skip
        super().__init__(weight_limit, weight_window_s, symbols)
        self._next_order_id = 1000
        self._next_trade_id = 5000
        self._countdown_deadline_ms: dict[str, int] = {}  # symbol -> when its countdown fires
        self._listen_keys: set[str] = set()

    # ---- lifecycle ---------------------------------------------------------------------
    def _add_routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/fapi/{version}/{path}", self._rest)
        app.router.add_get("/private/ws", self._ws_private)
        app.router.add_get("/public/ws", self._ws_public)
        app.router.add_get("/public/ws/{tail:.*}", self._ws_public)

    # ---- the venue's side of the shared controls -------------------------------------------
    def _is_open(self, order: dict[str, Any]) -> bool:
        return order["status"] in _OPEN

    def _leaves_lots(self, order: dict[str, Any]) -> int:
        market = self.markets[order["symbol"]]
        return market.to_lots(order["origQty"]) - market.to_lots(order["executedQty"])

    def trade_ids(self, symbol: str | None = None) -> set[str]:
        """Return every trade id in symbol (None: in every symbol)."""
        return {str(t["id"]) for t in self.trades if symbol in (None, t["symbol"])}

    @property
    def dead_man_armed(self) -> bool:
        """Return True while a countdown is running (on any symbol)."""
        return bool(self._countdown_deadline_ms)

    def countdown_symbols(self) -> set[str]:
        """Return the symbols whose countdown is running."""
        return set(self._countdown_deadline_ms)

    def _book_msg(self, market: Market, bid_ticks: int, ask_ticks: int,
                  lots: int) -> dict[str, Any]:  # fmt: skip
        now, m = self.now_ms(), market
        return {
            "e": "bookTicker", "u": now, "E": now, "T": now, "s": m.symbol,
            "b": m.fmt_px(bid_ticks), "B": m.fmt_qty(lots), "a": m.fmt_px(ask_ticks),
            "A": m.fmt_qty(lots),
        }  # fmt: skip

    def _execute(self, order: dict[str, Any], qty_lots: int) -> list[dict[str, Any]]:
        self._next_trade_id += 1
        market = self.markets[order["symbol"]]
        side = 1 if order["side"] == "BUY" else -1
        self.positions[market.symbol] += side * qty_lots
        executed = market.to_lots(order["executedQty"]) + qty_lots
        order["executedQty"] = market.fmt_qty(executed)
        filled = executed == market.to_lots(order["origQty"])
        order["status"] = "FILLED" if filled else "PARTIALLY_FILLED"
        order["updateTime"] = self.now_ms()
        trade = {
            "symbol": market.symbol, "id": self._next_trade_id, "orderId": order["orderId"],
            "side": order["side"], "price": order["price"], "qty": market.fmt_qty(qty_lots),
            "realizedPnl": "0",
            "quoteQty": str(Decimal(order["price"]) * qty_lots * market.lot),
            "commission": "0.0001", "commissionAsset": "USDT", "time": self.now_ms(),
            "positionSide": "BOTH", "buyer": side > 0, "maker": True,
        }  # fmt: skip
        self.trades.append(trade)
        return [self._update(order, "TRADE", trade)]

    async def _send_private(self, msg: dict[str, Any]) -> None:
        await send_all(self._private, msg)

    async def _dead_man_tick(self) -> None:
        now = self.now_ms()
        for symbol, deadline in list(self._countdown_deadline_ms.items()):
            if now >= deadline:
                del self._countdown_deadline_ms[symbol]
                await self._dead_man_fire(symbol)

    # ---- plumbing ----------------------------------------------------------------------
    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if self.faults.partition:
            raise web.HTTPServiceUnavailable(text="partitioned")
        if "/ws" in request.path:
            return await handler(request)  # type: ignore[no-any-return]
        path = request.path.rsplit("/", 1)[-1]
        self.stats.requests[f"{request.method} {path}"] += 1
        used = self._count_weight(WEIGHTS.get((request.method, path), 1))
        headers = {f"X-MBX-USED-WEIGHT-{self._interval_tag()}": str(used)}
        injected = self._inject_429()
        if injected or used > self.weight_limit:
            if not injected:
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
        rows = [_symbol_info(m, self.min_qty_of(m)) for m in self.markets.values()]
        return web.json_response(_exchange_info(self.now_ms(), self.weight_limit,
                                                self.weight_window_s, rows))  # fmt: skip

    async def _get_time(self, _: dict[str, str]) -> web.StreamResponse:
        return web.json_response({"serverTime": self.now_ms()})

    async def _post_order(self, p: dict[str, str]) -> web.StreamResponse:
        cid = p["newClientOrderId"]
        self.stats.posts_by_client_id[cid] += 1
        if self.faults.take("drop_next"):
            return web.Response(status=503, text="Service Unavailable")
        refusal = self._post_refusal(cid, p)
        if refusal is not None:
            return refusal
        market = self.markets[p["symbol"]]
        price_ticks, side = market.to_ticks(p["price"]), p["side"]
        self._next_order_id += 1
        now = self.now_ms()
        order = {
            "orderId": self._next_order_id, "symbol": market.symbol, "status": "NEW",
            "clientOrderId": cid, "price": market.fmt_px(price_ticks), "avgPrice": "0",
            "origQty": p["quantity"], "executedQty": "0", "cumQuote": "0",
            "timeInForce": p.get("timeInForce", "GTC"), "type": "LIMIT", "reduceOnly": False,
            "side": side, "positionSide": "BOTH", "time": now, "updateTime": now,
        }  # fmt: skip
        self.orders[cid] = order
        self.stats.order_history.append(("rested", cid))
        await send_all(self._private, self._update(order, "NEW"))
        if await self._lose_ack():
            return web.Response(status=503, text="Service Unavailable")
        return web.json_response(order)

    def _post_refusal(self, cid: str, p: dict[str, str]) -> web.Response | None:
        """Return the venue's answer refusing an order post, or None when it may rest."""
        if self.faults.take("reject_next"):
            return _error(400, -5022, _POST_ONLY_REJECT)
        if cid in self.orders:
            return _error(400, -4116, "ClientOrderId is duplicated.")
        if self.stale_token(cid):
            return _error(400, -4116, STALE_TOKEN)
        market = self.markets.get(p.get("symbol", ""))
        if market is None:
            return _error(400, -1121, "Invalid symbol.")
        book, price_ticks = self.books.get(market.symbol), market.to_ticks(p["price"])
        if book is not None and p.get("timeInForce") == "GTX":
            bid, _, ask, _ = book
            side = p["side"]
            if (side == "BUY" and price_ticks >= ask) or (side == "SELL" and price_ticks <= bid):
                return _error(400, -5022, _POST_ONLY_REJECT)
        return None

    async def _put_order(self, p: dict[str, str]) -> web.StreamResponse:
        order = self.orders.get(p.get("origClientOrderId", ""))
        if order is None or not self._is_open(order):
            return _error(400, -2013, "Order does not exist.")
        if self.stale_token(order["clientOrderId"]):
            return _error(400, -4116, STALE_TOKEN)
        market = self.markets[order["symbol"]]
        if market.to_lots(p["quantity"]) <= market.to_lots(order["executedQty"]):
            return _error(400, -4005, "Quantity greater than max quantity.")
        order.update(price=market.fmt_px(market.to_ticks(p["price"])), origQty=p["quantity"],
                     updateTime=self.now_ms())  # fmt: skip
        await send_all(self._private, self._update(order, "AMENDMENT"))
        return web.json_response(order)

    async def _delete_order(self, p: dict[str, str]) -> web.StreamResponse:
        order = self.orders.get(p.get("origClientOrderId", ""))
        if order is None or not self._is_open(order):
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

    async def _get_openOrders(self, p: dict[str, str]) -> web.StreamResponse:
        if self.faults.fail_open_orders:
            return web.Response(status=503, text="Service Unavailable")
        return web.json_response(self.open_orders(p.get("symbol")))

    async def _get_positionRisk(self, p: dict[str, str]) -> web.StreamResponse:
        rows = [
            {"symbol": symbol, "positionSide": "BOTH", "entryPrice": "0",
             "positionAmt": self.markets[symbol].fmt_qty(lots), "updateTime": self.now_ms()}
            for symbol, lots in self.positions.items()
            if lots and p.get("symbol") in (None, symbol)
        ]  # fmt: skip
        return web.json_response(rows)

    async def _get_balance(self, _: dict[str, str]) -> web.StreamResponse:
        row = {"accountAlias": "fake", "asset": "USDT", "balance": "1000.0",
               "crossWalletBalance": "1000.0", "availableBalance": "900.0",
               "maxWithdrawAmount": "900.0", "updateTime": self.now_ms()}  # fmt: skip
        return web.json_response([row])

    async def _get_userTrades(self, p: dict[str, str]) -> web.StreamResponse:
        rows = [t for t in self.trades if p.get("symbol") in (None, t["symbol"])]
        if "fromId" in p:
            rows = [t for t in rows if t["id"] >= int(p["fromId"])]
        elif "startTime" in p:
            rows = [t for t in rows if t["time"] >= int(p["startTime"])]
        return web.json_response(rows[: int(p.get("limit", 500))])

    async def _post_countdownCancelAll(self, p: dict[str, str]) -> web.StreamResponse:
        symbol, countdown_ms = p["symbol"], int(p["countdownTime"])
        if countdown_ms:
            self._countdown_deadline_ms[symbol] = self.now_ms() + countdown_ms
        else:
            self._countdown_deadline_ms.pop(symbol, None)
        self.dead_man_window_ms = countdown_ms or None
        self.stats.order_history.append(("countdown", str(countdown_ms)))
        return web.json_response({"symbol": symbol, "countdownTime": str(countdown_ms)})

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
        return await self._serve_ws(request, private=True)

    async def _ws_public(self, request: web.Request) -> web.StreamResponse:
        if self.faults.partition:
            raise web.HTTPServiceUnavailable()
        return await self._serve_ws(request, private=False)

    async def _serve_ws(self, request: web.Request, private: bool) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        if private:
            self._private[ws] = set()  # the user stream has no topics
            self.stats.private_streams += 1
        else:
            self._public.add(ws)
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                data = json.loads(msg.data)
                if data.get("method") in ("SUBSCRIBE", "UNSUBSCRIBE"):
                    await ws.send_json({"result": None, "id": data.get("id")})
        finally:
            self._private.pop(ws, None)
            self._public.discard(ws)
        return ws

    # ---- internals ---------------------------------------------------------------------
    def _update(self, order: dict[str, Any], exec_type: str,
                trade: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
        now = self.now_ms()
        o = {
            "s": order["symbol"], "c": order["clientOrderId"], "S": order["side"], "o": "LIMIT",
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
        self.stats.order_history.append(("canceled", order["clientOrderId"]))
        order["status"] = "CANCELED"
        order["updateTime"] = self.now_ms()
        await send_all(self._private, self._update(order, "CANCELED"))


def _error(status: int, code: int, msg: str) -> web.Response:
    return web.json_response({"code": code, "msg": msg}, status=status)


def _exchange_info(now_ms: int, limit: int, window_s: float,
                   symbols: list[dict[str, Any]]) -> dict[str, Any]:  # fmt: skip
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
        "symbols": symbols,
    }  # fmt: skip


def _symbol_info(market: Market, min_qty: str) -> dict[str, Any]:
    tick, lot = market.tick, market.lot
    return {
        "symbol": market.symbol, "pair": market.symbol, "contractType": "PERPETUAL",
        "deliveryDate": 4133404800000, "onboardDate": 1569398400000, "status": "TRADING",
        "maintMarginPercent": "2.5000", "requiredMarginPercent": "5.0000",
        "baseAsset": market.base, "quoteAsset": "USDT", "marginAsset": "USDT",
        "pricePrecision": _places(tick), "quantityPrecision": _places(lot),
        "baseAssetPrecision": 8, "quotePrecision": 8, "underlyingType": "COIN",
        "underlyingSubType": [], "settlePlan": 0, "triggerProtect": "0.0500",
        "liquidationFee": "0.012500", "marketTakeBound": "0.05",
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": str(tick), "maxPrice": "1000000",
             "tickSize": str(tick)},
            {"filterType": "LOT_SIZE", "minQty": min_qty, "maxQty": "1000",
             "stepSize": str(lot)},
            {"filterType": "MARKET_LOT_SIZE", "minQty": str(lot), "maxQty": "120",
             "stepSize": str(lot)},
            {"filterType": "MAX_NUM_ORDERS", "limit": 200},
            {"filterType": "MIN_NOTIONAL", "notional": "5"},
            {"filterType": "PERCENT_PRICE", "multiplierUp": "1.05",
             "multiplierDown": "0.95", "multiplierDecimal": "4"},
        ],
        "orderTypes": ["LIMIT", "MARKET"],
        "timeInForce": ["GTC", "IOC", "FOK", "GTX"],
    }  # fmt: skip


def _places(step: Decimal) -> int:
    """Return the decimal places of a grid step (0.01 -> 2)."""
    return -int(step.as_tuple().exponent)
