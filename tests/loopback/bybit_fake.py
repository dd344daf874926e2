"""A loopback fake of Bybit v5 (linear): the REST and WS subset ccxt calls for the adapter.

Runs an aiohttp server on 127.0.0.1 (ephemeral port). Matching is a stub: orders rest until
the test fills them (`fill`). Faults use the same `FakeFaults` kinds as the Binance fake
(429 is Bybit's retCode 10006 with X-Bapi-Limit-Reset-Timestamp; a reject is retCode 110007).
A post-only order that would cross is accepted and cancelled (EC_PostOnlyWillTakeLiquidity),
as Bybit does. The controls and views shared with the Binance fake live in
`tests.loopback.server`.

REST (private calls are HMAC-SHA256 checked: timestamp + key + recvWindow + body/query):
  GET  /v5/market/time, /v5/market/instruments-info
  POST /v5/order/create, /v5/order/amend, /v5/order/cancel (by orderLinkId)
  GET  /v5/order/realtime (open orders: cursor pages of up to 50), /v5/position/list,
       /v5/account/wallet-balance, /v5/execution/list (cursor pages of up to 100)
  POST /v5/order/disconnected-cancel-all (DCP window; once a private stream subscribed to
       dcp.*, fires when none has been connected for the window; unsubscribing the last
       one disarms it - Bybit documents only the first half, see docs/VENUES.md)
WS: /v5/private (op auth, subscribe/unsubscribe order/execution/dcp.future, ping),
/v5/public/linear
(subscribe orderbook.1.<symbol>). Limits: weight_limit requests per weight_window_s (the IP
limit; HTTP 403 beyond) and per-endpoint per-second limits (retCode 10006 beyond), reported in
X-Bapi-Limit headers. Several symbols (`symbols`): orders, executions, positions and books
name their symbol; the private stream and DCP are the account's, for every symbol at once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web
from tests.loopback.market import SYMBOL, Market
from tests.loopback.server import STALE_TOKEN, LoopbackServer, send_all

API_KEY = "bybit-loopback-key-0123"
API_SECRET = "bybit-loopback-secret-do-not-log-5678"
ENDPOINT_LIMITS = {"order/create": 10, "order/amend": 10, "order/cancel": 10,
                   "order/realtime": 50, "position/list": 50, "account/wallet-balance": 50,
                   "execution/list": 50, "order/disconnected-cancel-all": 5}  # fmt: skip
_OPEN = ("New", "PartiallyFilled")


class FakeBybit(LoopbackServer):
    """The fake venue: state, faults and the aiohttp app."""

    venue = "bybit"
    api_key = API_KEY
    api_secret = API_SECRET

    def __init__(self, weight_limit: int = 600, weight_window_s: float = 5.0,
                 endpoint_limits: dict[str, int] | None = None,
                 symbols: Sequence[str] = (SYMBOL,)) -> None:  # fmt: skip
        # The IP limit: each request weighs 1.
        super().__init__(weight_limit, weight_window_s, symbols)
        self.endpoint_limits = dict(ENDPOINT_LIMITS if endpoint_limits is None
                                    else endpoint_limits)  # fmt: skip
        self._dcp_armed = False  # a private stream subscribed to dcp.* and did not leave it
        self._dcp_lost_ms: int | None = None
        self._next_id = 1000
        self._ep_window: dict[str, tuple[int, int]] = {}

    # ---- lifecycle ---------------------------------------------------------------------
    def _add_routes(self, app: web.Application) -> None:
        app.router.add_get("/v5/private", self._serve_ws)
        app.router.add_get("/v5/public/linear", self._serve_ws)
        app.router.add_route("*", "/v5/{path:.*}", self._rest)

    # ---- the venue's side of the shared controls -------------------------------------------
    def _is_open(self, order: dict[str, Any]) -> bool:
        return order["orderStatus"] in _OPEN

    def _leaves_lots(self, order: dict[str, Any]) -> int:
        market = self.markets[order["symbol"]]
        return market.to_lots(order["qty"]) - market.to_lots(order["cumExecQty"])

    def trade_ids(self, symbol: str | None = None) -> set[str]:
        """Return every trade id in symbol (None: in every symbol)."""
        return {t["execId"] for t in self.trades if symbol in (None, t["symbol"])}

    @property
    def dead_man_armed(self) -> bool:
        """Return True while DCP would fire once the dcp-subscribed streams are gone."""
        return self.dead_man_window_ms is not None and self._dcp_armed

    def _book_msg(self, market: Market, bid_ticks: int, ask_ticks: int,
                  lots: int) -> dict[str, Any]:  # fmt: skip
        now, m = self.now_ms(), market
        self._next_id += 1
        return {"topic": f"orderbook.1.{m.symbol}", "type": "snapshot", "ts": now, "cts": now,
                "data": {"s": m.symbol, "b": [[m.fmt_px(bid_ticks), m.fmt_qty(lots)]],
                         "a": [[m.fmt_px(ask_ticks), m.fmt_qty(lots)]], "u": self._next_id,
                         "seq": self._next_id}}  # fmt: skip

    def _execute(self, order: dict[str, Any], qty_lots: int) -> list[dict[str, Any]]:
        leaves = self._leaves_lots(order)
        self._next_id += 1
        market = self.markets[order["symbol"]]
        side = 1 if order["side"] == "Buy" else -1
        self.positions[market.symbol] += side * qty_lots
        executed = market.to_lots(order["cumExecQty"]) + qty_lots
        now = str(self.now_ms())
        order.update(cumExecQty=market.fmt_qty(executed),
                     leavesQty=market.fmt_qty(leaves - qty_lots), updatedTime=now,
                     orderStatus="Filled" if executed == market.to_lots(order["qty"])
                     else "PartiallyFilled")  # fmt: skip
        trade = {"category": "linear", "symbol": market.symbol, "execId": f"e{self._next_id}",
                 "orderId": order["orderId"], "orderLinkId": order["orderLinkId"],
                 "side": order["side"], "execPrice": order["price"],
                 "execQty": market.fmt_qty(qty_lots), "execFee": "0.0001", "execType": "Trade",
                 "isMaker": True, "execTime": now, "orderPrice": order["price"],
                 "orderQty": order["qty"], "leavesQty": order["leavesQty"],
                 "orderType": "Limit", "feeRate": "0.0001"}  # fmt: skip
        self.trades.append(trade)
        return [self._msg("execution", trade), self._msg("order", order)]

    async def _send_private(self, msg: dict[str, Any]) -> None:
        await self._publish(msg)

    async def _dead_man_tick(self) -> None:
        window_ms = self.dead_man_window_ms
        if window_ms is None or not self._dcp_armed or self._dcp_alive():
            self._dcp_lost_ms = None
            return
        now = self.now_ms()
        if self._dcp_lost_ms is None:
            self._dcp_lost_ms = now
        elif now - self._dcp_lost_ms >= window_ms:
            await self._dead_man_fire()

    # ---- plumbing ----------------------------------------------------------------------
    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if self.faults.partition:
            raise web.HTTPServiceUnavailable(text="partitioned")
        path = request.path.removeprefix("/v5/")
        if path in ("private", "public/linear"):
            return await handler(request)  # type: ignore[no-any-return]
        self.stats.requests[f"{request.method} {path}"] += 1
        now = self.now_ms()
        used = self._count_weight(1)
        if used > self.weight_limit:
            self.stats.limit_429s += 1
            return web.Response(status=403, text="access too frequent")
        headers = {"Timenow": str(now)}
        limit = self.endpoint_limits.get(path)
        if limit:
            second = now // 1000
            ep_used = (self._ep_window.get(path, (0, 0))[1]
                       if self._ep_window.get(path, (0, 0))[0] == second else 0) + 1  # fmt: skip
            self._ep_window[path] = (second, ep_used)
            self.stats.endpoint_peak[path] = max(self.stats.endpoint_peak[path], ep_used)
            headers.update({"X-Bapi-Limit": str(limit),
                            "X-Bapi-Limit-Status": str(max(0, limit - ep_used)),
                            "X-Bapi-Limit-Reset-Timestamp": str((second + 1) * 1000)})  # fmt: skip
            if ep_used > limit:
                self.stats.limit_429s += 1
                return _ret(10006, "Too many visits!", None, now, headers)
        if self._inject_429():
            reset = now + int(self.faults.retry_after_s * 1000)
            headers["X-Bapi-Limit-Reset-Timestamp"] = str(reset)
            return _ret(10006, "Too many visits!", None, now, headers)
        response: web.StreamResponse = await handler(request)
        response.headers.update(headers)
        return response

    async def _params(self, request: web.Request) -> dict[str, Any] | None:
        """Return the request parameters; None when a private call's signature is wrong."""
        body = await request.text()
        params: dict[str, Any] = dict(parse_qsl(request.query_string))
        if body:
            params |= json.loads(body)
        if request.path.startswith("/v5/market/"):
            return params
        h = request.headers
        ts, recv = h.get("X-BAPI-TIMESTAMP", "0"), h.get("X-BAPI-RECV-WINDOW", "5000")
        payload = ts + API_KEY + recv + (body if request.method == "POST" else request.query_string)
        expected = hmac.new(API_SECRET.encode(), payload.encode(), hashlib.sha256).hexdigest()
        if h.get("X-BAPI-API-KEY") != API_KEY or h.get("X-BAPI-SIGN") != expected:
            self.stats.bad_signatures += 1
            return None
        if not int(ts) - int(recv) <= self.now_ms() < int(ts) + 1000:
            return {"__expired__": True}
        return params

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        params = await self._params(request)
        now = self.now_ms()
        if params is None:
            return _ret(10004, "error sign!", None, now)
        if params.get("__expired__"):
            return _ret(10002, "invalid request, please check your server timestamp", None, now)
        path = request.match_info["path"].replace("/", "_").replace("-", "_")
        handler = getattr(self, f"_{request.method.lower()}_{path}", None)
        if handler is None:
            return _ret(10001, f"no route {request.method} {path}", None, now)
        result = await handler(params)
        if isinstance(result, web.StreamResponse):
            return result
        return _ret(0, "OK", result, now)

    # ---- REST handlers -----------------------------------------------------------------
    async def _get_market_time(self, _: dict[str, Any]) -> Any:
        now_ns = time.time_ns() + self.clock_offset_ms * 1_000_000
        return {"timeSecond": str(now_ns // 10**9), "timeNano": str(now_ns)}

    async def _get_market_instruments_info(self, p: dict[str, Any]) -> Any:
        rows = [] if p.get("status") == "PreLaunch" else [
            _instrument(m, self.min_qty_of(m)) for m in self.markets.values()
            if p.get("symbol") in (None, m.symbol)
        ]  # fmt: skip
        return {"category": "linear", "list": rows, "nextPageCursor": ""}

    async def _post_order_create(self, p: dict[str, Any]) -> Any:
        cid = p["orderLinkId"]
        self.stats.posts_by_client_id[cid] += 1
        if self.faults.take("drop_next"):
            return web.Response(status=503, text="Service Unavailable")
        if self.faults.take("reject_next"):
            return _ret(110007, "ab not enough for new order", {}, self.now_ms())
        duplicate = "OrderLinkedID is duplicate" if cid in self.orders else None
        refusal = duplicate or (STALE_TOKEN if self.stale_token(cid) else None)
        if refusal is not None:
            return _ret(110072, refusal, {}, self.now_ms())
        market = self.markets.get(p.get("symbol", ""))
        if market is None:
            return _ret(10001, "params error: symbol invalid", {}, self.now_ms())
        self._next_id += 1
        now = str(self.now_ms())
        price = market.to_ticks(p["price"])
        order = {"orderId": f"o{self._next_id}", "orderLinkId": cid, "symbol": market.symbol,
                 "category": "linear", "side": p["side"], "orderType": "Limit",
                 "price": market.fmt_px(price), "qty": p["qty"], "cumExecQty": "0",
                 "leavesQty": p["qty"], "cumExecValue": "0", "cumExecFee": "0",
                 "avgPrice": "", "orderStatus": "New", "timeInForce": p["timeInForce"],
                 "positionIdx": 0, "rejectReason": "EC_NoError", "createdTime": now,
                 "updatedTime": now, "reduceOnly": False}  # fmt: skip
        self.orders[cid] = order
        book = self.books.get(market.symbol)
        if book is not None and p["timeInForce"] == "PostOnly":
            bid, _, ask, _ = book
            if (p["side"] == "Buy" and price >= ask) or (p["side"] == "Sell" and price <= bid):
                order.update(orderStatus="Cancelled", leavesQty="0",
                             rejectReason="EC_PostOnlyWillTakeLiquidity")  # fmt: skip
        await self._publish(self._msg("order", order))
        if await self._lose_ack():
            return web.Response(status=503, text="Service Unavailable")
        return {"orderId": order["orderId"], "orderLinkId": cid}

    async def _post_order_amend(self, p: dict[str, Any]) -> Any:
        order = self.orders.get(p.get("orderLinkId", ""))
        if order is None or not self._is_open(order):
            return _ret(110001, "order not exists or too late to replace", {}, self.now_ms())
        if self.stale_token(order["orderLinkId"]):
            return _ret(110072, STALE_TOKEN, {}, self.now_ms())
        market = self.markets[order["symbol"]]
        leaves = market.to_lots(p["qty"]) - market.to_lots(order["cumExecQty"])
        if leaves <= 0:
            return _ret(110003, "Order quantity exceeded lower limit.", {}, self.now_ms())
        order.update(price=market.fmt_px(market.to_ticks(p["price"])), qty=p["qty"],
                     leavesQty=market.fmt_qty(leaves), updatedTime=str(self.now_ms()))  # fmt: skip
        await self._publish(self._msg("order", order))
        return {"orderId": order["orderId"], "orderLinkId": order["orderLinkId"]}

    async def _post_order_cancel(self, p: dict[str, Any]) -> Any:
        order = self.orders.get(p.get("orderLinkId", ""))
        if order is None or not self._is_open(order):
            return _ret(110001, "order not exists or too late to cancel", {}, self.now_ms())
        await self._cancel(order)
        return {"orderId": order["orderId"], "orderLinkId": order["orderLinkId"]}

    async def _get_order_realtime(self, p: dict[str, Any]) -> Any:
        if "orderLinkId" not in p:
            if self.faults.fail_open_orders:
                return web.Response(status=503, text="Service Unavailable")
            return _page(self.open_orders(p.get("symbol")), p, max_limit=50)
        if self.faults.fail_queries:
            return web.Response(status=503, text="Service Unavailable")
        order = self.orders.get(p["orderLinkId"])
        return {"category": "linear", "list": [] if order is None else [order],
                "nextPageCursor": ""}  # fmt: skip

    async def _get_position_list(self, p: dict[str, Any]) -> Any:
        rows = [self._position_row(symbol, lots) for symbol, lots in self.positions.items()
                if p.get("symbol") in (None, symbol)]  # fmt: skip
        return {"category": "linear", "list": rows, "nextPageCursor": ""}

    def _position_row(self, symbol: str, lots: int) -> dict[str, Any]:
        side = "" if lots == 0 else ("Buy" if lots > 0 else "Sell")
        return {"symbol": symbol, "positionIdx": 0, "side": side,
                "size": self.markets[symbol].fmt_qty(abs(lots)), "avgPrice": "0",
                "updatedTime": str(self.now_ms())}  # fmt: skip

    async def _get_account_wallet_balance(self, _: dict[str, Any]) -> Any:
        coin = {"coin": "USDT", "walletBalance": "1000", "availableToWithdraw": "900",
                "equity": "1000"}  # fmt: skip
        return {"list": [{"accountType": "UNIFIED", "coin": [coin]}]}

    async def _get_execution_list(self, p: dict[str, Any]) -> Any:
        rows = [t for t in self.trades if int(t["execTime"]) >= int(p.get("startTime", 0))
                and p.get("symbol") in (None, t["symbol"])]  # fmt: skip
        return _page(rows, p, max_limit=100)

    async def _post_order_disconnected_cancel_all(self, p: dict[str, Any]) -> Any:
        window = int(p["timeWindow"])
        if p.get("product") != "DERIVATIVES" or not 3 <= window <= 300:
            return _ret(10001, "params error: product/timeWindow", {}, self.now_ms())
        self.dead_man_window_ms = window * 1000
        return {}

    # ---- WS ----------------------------------------------------------------------------
    async def _serve_ws(self, request: web.Request) -> Any:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        private = request.path.endswith("/private")
        if not private:
            self._public.add(ws)
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    await self._on_ws(ws, private, json.loads(msg.data))
        finally:
            self._private.pop(ws, None)
            self._public.discard(ws)
        return ws

    async def _on_ws(self, ws: web.WebSocketResponse, private: bool, data: dict[str, Any]) -> None:
        op, req_id = data.get("op"), data.get("req_id")
        reply = {"success": True, "ret_msg": "", "conn_id": "fake", "req_id": req_id, "op": op}
        if op == "auth":
            key, expires, sig = data["args"]
            expected = hmac.new(API_SECRET.encode(), f"GET/realtime{expires}".encode(),
                                hashlib.sha256).hexdigest()  # fmt: skip
            if key != API_KEY or sig != expected:
                self.stats.bad_signatures += 1
                reply.update(success=False, ret_msg="error:USVC1111")
            else:
                self._private[ws] = set()
                self.stats.private_streams += 1
        elif op == "subscribe":
            if private and ws not in self._private:
                reply.update(success=False, ret_msg="error:not authorized")
            elif private:
                self._private[ws].update(data["args"])
                self._dcp_armed = self._dcp_armed or self._dcp_alive()
        elif op == "unsubscribe" and ws in self._private:
            self._private[ws].difference_update(data["args"])
            self._dcp_armed = self._dcp_alive()  # leaving the last dcp topic disarms DCP
        elif op == "ping":
            reply["ret_msg"] = "pong"
        await ws.send_json(reply)

    # ---- internals ---------------------------------------------------------------------
    def _msg(self, topic: str, row: dict[str, Any]) -> dict[str, Any]:
        return {"id": f"m{self._next_id}", "topic": topic, "creationTime": self.now_ms(),
                "data": [dict(row)]}  # fmt: skip

    async def _publish(self, msg: dict[str, Any]) -> None:
        targets = {ws for ws, topics in self._private.items() if msg["topic"] in topics}
        await send_all(targets, msg)

    async def _cancel(self, order: dict[str, Any]) -> None:
        order.update(orderStatus="Cancelled", leavesQty="0", updatedTime=str(self.now_ms()))
        await self._publish(self._msg("order", order))

    def _dcp_alive(self) -> bool:
        return any(
            not ws.closed and any(t.startswith("dcp") for t in topics)
            for ws, topics in self._private.items()
        )


def _ret(code: int, msg: str, result: Any, now_ms: int,
         headers: dict[str, str] | None = None) -> web.Response:  # fmt: skip
    body = {"retCode": code, "retMsg": msg, "result": {} if result is None else result,
            "retExtInfo": {}, "time": now_ms}  # fmt: skip
    return web.json_response(body, headers=headers)


def _page(rows: list[dict[str, Any]], p: dict[str, Any], max_limit: int) -> dict[str, Any]:
    """Return one cursor page of rows (the cursor is the offset of the page's first row)."""
    start, limit = int(p.get("cursor") or 0), min(max_limit, int(p.get("limit", max_limit)))
    cursor = str(start + limit) if start + limit < len(rows) else ""
    return {"category": "linear", "list": rows[start : start + limit], "nextPageCursor": cursor}


def _instrument(market: Market, min_qty: str) -> dict[str, Any]:
    tick, lot = market.tick, market.lot
    return {
        "symbol": market.symbol, "contractType": "LinearPerpetual", "status": "Trading",
        "baseCoin": market.base, "quoteCoin": "USDT", "settleCoin": "USDT",
        "launchTime": "1585526400000", "deliveryTime": "0", "deliveryFeeRate": "",
        "priceScale": str(-int(tick.as_tuple().exponent)),
        "leverageFilter": {"minLeverage": "1", "maxLeverage": "100.00", "leverageStep": "0.01"},
        "priceFilter": {"minPrice": str(tick), "maxPrice": "1999999.8", "tickSize": str(tick)},
        "lotSizeFilter": {"maxOrderQty": "1190", "minOrderQty": min_qty, "qtyStep": str(lot),
                          "postOnlyMaxOrderQty": "1190", "minNotionalValue": "5"},
        "unifiedMarginTrade": True, "fundingInterval": 480, "copyTrading": "both",
    }  # fmt: skip
