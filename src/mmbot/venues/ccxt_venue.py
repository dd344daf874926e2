"""The ccxt venue: Binance USD-M perpetuals through ccxt's async REST and ccxt.pro websockets.

Theory of operation. ccxt signs, sends and maps errors; the adapter calls the venue's own
endpoints through ccxt's implicit API (so the parameters are exactly the venue's) and parses
the venue's JSON in `binance_codec`. Around that sit the sans-I/O pieces:
- every request passes the weight budget (under 70% of the venue's limit; Retry-After closes
  it); a 429 means "not processed", so an order is re-sent under the same client id;
- an order whose outcome is unknown (timeout, 5xx, lost ack) is resolved by querying the
  venue by client id; if the venue has no such order a cancel by client id fences it. It is
  never posted again, and never under another id;
- fills from the private stream and from REST catch-up both go through the fill journal
  (dedup by trade id);
- after every stream reconnect the adapter reconciles over REST (trades, open orders,
  position) before it lets quoting resume;
- a heartbeat re-arms the venue's dead-man switch (countdownCancelAll) and samples the venue
  clock for the clock guard.
Quoting is allowed only while `quote_block()` is None.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from mmbot.venues import binance_codec as codec
from mmbot.venues.base import (
    Balance,
    BookTop,
    Instrument,
    OrderIntent,
    PlaceResult,
    Position,
    Rejected,
    TemporaryVenueError,
    VenueAuthError,
    VenueFill,
    VenueOrder,
)
from mmbot.venues.binance_ccxt import BinanceUsdm, cx, loopback_urls
from mmbot.venues.credentials import Credentials, RedactingFilter
from mmbot.venues.fills import FillJournal
from mmbot.venues.guards import BookGuard, ClockGuard
from mmbot.venues.idempotency import IdempotencyStore, Outcome
from mmbot.venues.ratelimit import WeightBudget
from mmbot.venues.recon import LocalState, ReconReport, reconcile

log = logging.getLogger("mmbot.venues.ccxt")

# Request weight per endpoint (Binance USD-M docs; order entry counted as 1 to be safe).
WEIGHTS: dict[str, int] = {
    "fapiPrivatePostOrder": 1, "fapiPrivatePutOrder": 1, "fapiPrivateDeleteOrder": 1,
    "fapiPrivateGetOrder": 1, "fapiPrivateGetOpenOrders": 1, "fapiPrivateGetUserTrades": 5,
    "fapiPrivateV3GetPositionRisk": 5, "fapiPrivateV3GetBalance": 5, "fapiPublicGetTime": 1,
    "fapiPublicGetExchangeInfo": 1, "fapiPrivatePostCountdownCancelAll": 10,
}  # fmt: skip
_NS_PER_MS = 1_000_000


@dataclass(frozen=True, slots=True)
class CcxtVenueConfig:
    """How to reach the venue and how careful to be."""

    instrument: Instrument
    rest_base_url: str | None = None  # e.g. http://127.0.0.1:PORT for the loopback exchange
    ws_base_url: str | None = None
    timeout_ms: int = 5_000
    max_clock_skew_ms: float = 500.0
    max_book_age_ms: float = 2_000.0
    dead_man_countdown_ms: int = 60_000  # 0: do not arm the venue's dead-man switch
    heartbeat_ms: int = 15_000
    weight_fraction: float = 0.7
    weight_limit: int | None = None  # None: the REQUEST_WEIGHT limit from exchangeInfo
    weight_window_s: float | None = None
    max_rate_limit_retries: int = 3
    resolve_attempts: int = 5
    retry_backoff_ms: int = 50
    reconnect_backoff_ms: int = 100
    recon_overlap_ms: int = 60_000
    close_grace_ms: int = 250  # ccxt waits this long on close (TLS shutdown); 0 on loopback


@dataclass(slots=True)
class VenueStats:
    """Counters a test or a metrics exporter reads."""

    reconnects_total: int = 0
    recons_total: int = 0
    rate_limited_total: int = 0
    temporary_errors_total: int = 0
    dead_man_arms_total: int = 0
    fenced_total: int = 0
    unexplained_fills: list[str] = field(default_factory=list)


class CcxtVenue:
    """A Venue over ccxt (Binance USD-M); see the module docstring."""

    def __init__(
        self,
        config: CcxtVenueConfig,
        credentials: Credentials,
        now_ns: Callable[[], int] = time.time_ns,
    ) -> None:
        self.config = config
        self.inst = config.instrument
        self._now_ns = now_ns
        self.journal = FillJournal()
        self.idem = IdempotencyStore()
        self.clock_guard = ClockGuard(config.max_clock_skew_ms)
        self.book_guard = BookGuard(config.max_book_age_ms)
        self.budget = WeightBudget(limit=2400, window_ns=60_000 * _NS_PER_MS,
                                   fraction=config.weight_fraction)  # fmt: skip
        self.stats = VenueStats()
        self._orders: dict[str, VenueOrder] = {}  # our orders by client id: newest known state
        self._cid_by_oid: dict[str, str] = {}
        self._inflight: dict[str, asyncio.Future[PlaceResult]] = {}
        self._fill_q: asyncio.Queue[VenueFill] = asyncio.Queue()
        self._book_q: asyncio.Queue[BookTop] = asyncio.Queue(maxsize=1)
        self._startup_refusal: str | None = "E_VENUE_DISCONNECTED: venue not started"
        self._recon_block: str | None = None
        self._stream_up = False
        self._fill_watermark_ms = 0
        self._recon_lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        self._redactor = RedactingFilter(credentials)
        logging.getLogger("ccxt.base.exchange").addFilter(self._redactor)
        self.exchange = BinanceUsdm(
            {
                "apiKey": credentials.api_key,
                "secret": credentials.secret,
                "enableRateLimit": False,  # the weight budget below paces requests
                "timeout": config.timeout_ms,
                "options": {
                    "fetchCurrencies": False,
                    "defaultType": "swap",
                    "watchPositions": {"fetchPositionsSnapshot": False},
                    "watchBalance": {"fetchBalanceSnapshot": False},
                },
            }
        )
        self.exchange.timeout_on_exit = config.close_grace_ms
        self.exchange.mm_on_user_update = self._on_user_update
        self.exchange.mm_on_book = self._on_book
        self.exchange.mm_on_headers = self._on_headers
        if config.rest_base_url is not None and config.ws_base_url is not None:
            self.exchange.urls["api"].update(
                loopback_urls(config.rest_base_url, config.ws_base_url, self.exchange.urls)
            )

    # ---- lifecycle -------------------------------------------------------------------
    async def start(self, local: LocalState | None = None, adopt: bool = False) -> ReconReport:
        """Connect, check the venue against local state (refuse or adopt), start streams."""
        local = local or LocalState()
        info = await self._rest("fapiPublicGetExchangeInfo", {})
        self._configure_budget(info)
        await self._admit(WEIGHTS["fapiPublicGetExchangeInfo"])  # ccxt's own markets call
        await self.exchange.load_markets()
        await self.sync_clock()
        if self.config.dead_man_countdown_ms > 0:
            await self.arm_dead_man()
        venue_open = await self.open_orders()
        venue_lots = await self._venue_position_lots()
        report = reconcile(local, venue_lots, venue_open, adopt=adopt)
        if report.lines and not adopt:
            self._startup_refusal = report.lines[0]
            for line in report.lines:
                log.error("startup reconciliation refused: %s", line)
        else:
            self._startup_refusal = None
            if report.adopted:
                log.warning("adopting venue state: lots=%d open=%d", venue_lots, len(venue_open))
            self.journal.rebase(venue_lots)
            for order in venue_open:
                self._track(order)
        self._fill_watermark_ms = int(self._now_ns() // _NS_PER_MS)
        self._tasks = [
            asyncio.create_task(self._stream_loop("private", self._watch_private)),
            asyncio.create_task(self._stream_loop("public", self._watch_public)),
            asyncio.create_task(self._heartbeat_loop()),
        ]
        await self._wait_for(lambda: self._stream_up, self.config.timeout_ms)
        return report

    async def close(self) -> None:
        """Stop the streams and close ccxt's sessions."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        await self.exchange.close()
        logging.getLogger("ccxt.base.exchange").removeFilter(self._redactor)

    def _configure_budget(self, info: dict[str, Any]) -> None:
        limit, window_s = 2400, 60.0
        units = {"SECOND": 1.0, "MINUTE": 60.0, "HOUR": 3600.0, "DAY": 86400.0}
        for rule in info.get("rateLimits", []):
            if rule.get("rateLimitType") == "REQUEST_WEIGHT":
                limit = int(rule["limit"])
                window_s = units[rule["interval"]] * int(rule.get("intervalNum", 1))
        limit = self.config.weight_limit or limit
        window_s = self.config.weight_window_s or window_s
        self.budget = WeightBudget(limit, int(window_s * 1e9), self.config.weight_fraction)

    # ---- the Venue port ----------------------------------------------------------------
    async def place(self, intent: OrderIntent) -> PlaceResult:
        """Place a post-only limit order under the intent's client id; idempotent."""
        cid, entry, hit = self.idem.begin(intent)
        if hit:
            pending = self._inflight.get(cid)
            if pending is not None:
                return await asyncio.shield(pending)
            if entry.outcome is Outcome.ACKED:
                return self._orders.get(cid) or entry.order or await self._resolve(cid)
            if entry.outcome is Outcome.REJECTED and entry.rejected is not None:
                return entry.rejected
            if entry.outcome is Outcome.NOT_PLACED:
                return Rejected("E_VENUE_NOT_PLACED", cid, "venue has no such order; fenced")
            if entry.outcome is Outcome.UNKNOWN:
                return await self._resolve(cid)
        future: asyncio.Future[PlaceResult] = asyncio.get_running_loop().create_future()
        self._inflight[cid] = future
        try:
            result = await self._post(cid, intent)
            future.set_result(result)
            return result
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: a waiter may not exist
            raise
        finally:
            del self._inflight[cid]

    async def _post(self, cid: str, intent: OrderIntent) -> PlaceResult:
        params = {
            "symbol": self.inst.venue_symbol, "side": codec.side_text(intent.side),
            "type": "LIMIT", "timeInForce": "GTX" if intent.post_only else "GTC",
            "quantity": self.inst.qty_str(intent.qty_lots),
            "price": self.inst.price_str(intent.price_ticks), "newClientOrderId": cid,
            "newOrderRespType": "RESULT",
        }  # fmt: skip
        for attempt in range(self.config.max_rate_limit_retries + 1):
            self.idem.on_post(cid)
            try:
                raw = await self._rest_once("fapiPrivatePostOrder", params)
            except _RateLimitedError:
                self.idem.on_not_processed(cid)  # a 429 is refused before matching
                if attempt == self.config.max_rate_limit_retries:
                    raise
                continue
            except TemporaryVenueError:
                self.idem.on_unknown(cid)
                log.warning("order outcome unknown, resolving by client id %s", cid)
                return await self._resolve(cid)
            except cx.ExchangeError as exc:
                rejected = Rejected("E_VENUE_REJECTED", cid, _reason(exc))
                self.idem.on_reject(cid, rejected)
                return rejected
            order = codec.order_from_rest(raw, self.inst)
            self._track(order)
            self.idem.on_ack(cid, order)
            return order
        raise AssertionError("unreachable")  # pragma: no cover

    async def cancel(self, client_id: str) -> VenueOrder | Rejected:
        """Cancel by client id; an order already gone returns its final state."""
        params = {"symbol": self.inst.venue_symbol, "origClientOrderId": client_id}
        try:
            raw = await self._rest("fapiPrivateDeleteOrder", params)
        except cx.ExchangeError:
            found = await self._query(client_id)
            if found is None:
                return Rejected("E_VENUE_UNKNOWN_ORDER", client_id, "cancel: no such order")
            return found
        order = codec.order_from_rest(raw, self.inst)
        self._track(order)
        return order

    async def modify(self, client_id: str, price_ticks: int, qty_lots: int) -> PlaceResult:
        """Move a resting order (PUT /fapi/v1/order), keeping its client id."""
        current = self._orders.get(client_id)
        if current is None:
            return Rejected("E_VENUE_UNKNOWN_ORDER", client_id, "modify: not our open order")
        params = {
            "symbol": self.inst.venue_symbol, "origClientOrderId": client_id,
            "side": codec.side_text(current.side), "quantity": self.inst.qty_str(qty_lots),
            "price": self.inst.price_str(price_ticks),
        }  # fmt: skip
        try:
            raw = await self._rest_once("fapiPrivatePutOrder", params)
        except TemporaryVenueError:
            found = await self._query(client_id)  # the modify may or may not have applied
            return found or Rejected("E_VENUE_UNKNOWN_ORDER", client_id, "modify: order gone")
        except cx.ExchangeError as exc:
            return Rejected("E_VENUE_REJECTED", client_id, _reason(exc))
        order = codec.order_from_rest(raw, self.inst)
        self._track(order)
        return order

    async def open_orders(self) -> list[VenueOrder]:
        """Return the venue's open orders for the instrument."""
        rows = await self._rest("fapiPrivateGetOpenOrders", {"symbol": self.inst.venue_symbol})
        return [codec.order_from_rest(r, self.inst) for r in rows]

    async def positions(self) -> list[Position]:
        """Return the venue's position in the instrument (empty when flat)."""
        params = {"symbol": self.inst.venue_symbol}
        rows = await self._rest("fapiPrivateV3GetPositionRisk", params)
        return codec.positions_from_rest(rows, self.inst)

    async def balances(self) -> list[Balance]:
        """Return the futures wallet balances."""
        return codec.balances_from_rest(await self._rest("fapiPrivateV3GetBalance", {}))

    async def fills(self) -> AsyncIterator[VenueFill]:
        """Yield each fill once (first arrival over WS or REST)."""
        while True:
            yield await self._fill_q.get()

    async def books(self) -> AsyncIterator[BookTop]:
        """Yield the newest best bid/ask (older ones are dropped when the reader lags)."""
        while True:
            yield await self._book_q.get()

    def quote_block(self) -> str | None:
        """Return why quoting is blocked now, as one E_* line; None when it may quote."""
        if self._startup_refusal is not None:
            return self._startup_refusal
        if self._recon_block is not None:
            return self._recon_block
        if not self._stream_up:
            return "E_VENUE_DISCONNECTED: private stream down or not reconciled yet"
        return self.clock_guard.block() or self.book_guard.block(
            self._now_ns(), self.clock_guard.offset_ms
        )

    def local_open_orders(self) -> dict[str, VenueOrder]:
        """Return our orders that are open as far as we know."""
        return {cid: o for cid, o in self._orders.items() if o.status.is_open}

    # ---- resolution, reconciliation, heartbeat -----------------------------------------
    async def _resolve(self, cid: str) -> PlaceResult:
        """Settle an unknown outcome by asking the venue about cid; never re-post."""
        for attempt in range(self.config.resolve_attempts):
            try:
                order = await self._query_once(cid)
            except TemporaryVenueError:
                await asyncio.sleep(self.config.retry_backoff_ms / 1000 * 2**attempt)
                continue
            if order is not None:
                self.idem.on_ack(cid, order)
                return order
            fenced = await self._fence(cid)
            if fenced is not None:  # it reached the venue between our query and the fence
                self.idem.on_ack(cid, fenced)
                return fenced
            self.idem.on_absent(cid)
            return Rejected("E_VENUE_NOT_PLACED", cid, "venue has no such order; fenced")
        raise TemporaryVenueError("E_VENUE_OUTCOME_UNKNOWN", f"client_id={cid} still unknown")

    async def _fence(self, cid: str) -> VenueOrder | None:
        """Cancel cid so a request still in flight cannot rest later; the order if it existed."""
        self.stats.fenced_total += 1
        params = {"symbol": self.inst.venue_symbol, "origClientOrderId": cid}
        try:
            raw = await self._rest("fapiPrivateDeleteOrder", params)
        except cx.ExchangeError:
            return None
        order = codec.order_from_rest(raw, self.inst)
        self._track(order)
        return order

    async def _query_once(self, cid: str) -> VenueOrder | None:
        params = {"symbol": self.inst.venue_symbol, "origClientOrderId": cid}
        try:
            raw = await self._rest_once("fapiPrivateGetOrder", params)
        except cx.OrderNotFound:
            return None
        order = codec.order_from_rest(raw, self.inst)
        self._track(order)
        return order

    async def _query(self, cid: str) -> VenueOrder | None:
        for attempt in range(self.config.resolve_attempts):
            try:
                return await self._query_once(cid)
            except TemporaryVenueError:
                await asyncio.sleep(self.config.retry_backoff_ms / 1000 * 2**attempt)
        raise TemporaryVenueError("E_VENUE_TEMPORARY", f"query of client_id={cid} kept failing")

    async def reconcile(self) -> ReconReport:
        """Catch up fills over REST, refresh orders and compare positions with the venue."""
        async with self._recon_lock:
            self.stats.recons_total += 1
            report = await self._reconcile_once()
            for _ in range(2):  # a fill between the trades and position reads: look again
                if report.ok:
                    break
                report = await self._reconcile_once()
            self._recon_block = None if report.ok else report.lines[0]
            if not report.ok:
                log.error("reconciliation mismatch: %s", report.lines[0])
            return report

    async def _reconcile_once(self) -> ReconReport:
        inst = self.inst
        since = max(0, self._fill_watermark_ms - self.config.recon_overlap_ms)
        params: dict[str, Any] = {"symbol": inst.venue_symbol, "startTime": since, "limit": 1000}
        while True:
            rows = await self._rest("fapiPrivateGetUserTrades", params)
            for row in rows:
                cid = self._cid_by_oid.get(str(row["orderId"]), "")
                self._apply_fill(codec.fill_from_rest(row, inst, cid), "rest")
            if len(rows) < 1000:
                break
            params = {"symbol": inst.venue_symbol, "fromId": int(rows[-1]["id"]) + 1,
                      "limit": 1000}  # fmt: skip
        venue_open = await self.open_orders()
        for order in venue_open:
            self._cid_by_oid[order.venue_order_id] = order.client_id
            if self._is_ours(order.client_id):
                self._track(order)
        for cid in self.idem.unknown_client_ids():
            await self._resolve(cid)
        open_ids = {o.client_id for o in venue_open}
        for cid, order in list(self._orders.items()):
            if order.status.is_open and cid not in open_ids:
                await self._query(cid)  # it ended while we were not listening
        venue_lots = await self._venue_position_lots()
        local = LocalState(self.journal.position_lots, frozenset(self.local_open_orders()))
        return reconcile(local, venue_lots, venue_open, tuple(self.stats.unexplained_fills))

    async def _venue_position_lots(self) -> int:
        rows = await self._rest("fapiPrivateV3GetPositionRisk", {"symbol": self.inst.venue_symbol})
        return codec.position_lots(rows, self.inst)[0]

    async def sync_clock(self) -> None:
        """Sample the venue clock once for the clock guard."""
        sent_ns = self._now_ns()
        raw = await self._rest("fapiPublicGetTime", {})
        self.clock_guard.observe(sent_ns, int(raw["serverTime"]), self._now_ns())

    async def arm_dead_man(self) -> None:
        """(Re)arm countdownCancelAll: the venue cancels our orders if we go silent."""
        params = {"symbol": self.inst.venue_symbol,
                  "countdownTime": self.config.dead_man_countdown_ms}  # fmt: skip
        await self._rest("fapiPrivatePostCountdownCancelAll", params)
        self.stats.dead_man_arms_total += 1

    async def _heartbeat_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.heartbeat_ms / 1000)
            try:
                await self.sync_clock()
                if self.config.dead_man_countdown_ms > 0:
                    await self.arm_dead_man()
            except (TemporaryVenueError, cx.ExchangeError) as exc:
                log.warning("heartbeat failed: %s", _reason(exc))

    # ---- streams -----------------------------------------------------------------------
    async def _watch_private(self) -> Any:
        return await self.exchange.watch_orders(self.inst.symbol)

    async def _watch_public(self) -> Any:
        return await self.exchange.watch_bids_asks([self.inst.symbol])

    async def _stream_loop(self, kind: str, watch: Callable[[], Coroutine[Any, Any, Any]]) -> None:
        """Keep one stream subscribed; after a reconnect of the private one, reconcile."""
        first = True
        while True:
            pending: asyncio.Future[Any] | None = None
            try:
                await self._admit(1)  # a private (re)subscribe may request a listenKey
                pending = asyncio.ensure_future(watch())
                await self._until_connected(kind, pending)
                if kind == "private":
                    if not first:
                        self.stats.reconnects_total += 1
                        await self.reconcile()
                    self._stream_up = True
                while True:
                    await pending
                    pending = asyncio.ensure_future(watch())
            except asyncio.CancelledError:
                if pending is not None:
                    pending.cancel()
                raise
            except (cx.BaseError, TemporaryVenueError, OSError) as exc:
                if kind == "private":
                    self._stream_up = False
                log.warning("%s stream lost: %s", kind, _reason(exc))
                await asyncio.sleep(self.config.reconnect_backoff_ms / 1000)
            first = False

    async def _until_connected(self, kind: str, pending: asyncio.Future[Any]) -> None:
        deadline_ns = self._now_ns() + self.config.timeout_ms * _NS_PER_MS
        while self._now_ns() < deadline_ns:
            if pending.done():
                pending.result()  # raises the stream's error
                return
            for url, client in list(self.exchange.clients.items()):
                if f"/{kind}/" in url and client.connected.done() and not client.closed():
                    return
            await asyncio.sleep(0.002)
        raise TemporaryVenueError("E_VENUE_DISCONNECTED", f"{kind} stream did not connect")

    def _on_user_update(self, message: dict[str, Any]) -> None:
        if message.get("e") != "ORDER_TRADE_UPDATE":
            return
        payload = message.get("o", {})
        if payload.get("s") != self.inst.venue_symbol:
            return
        order, fill = codec.from_ws_update(payload, self.inst)
        self._cid_by_oid[order.venue_order_id] = order.client_id
        if self._is_ours(order.client_id):
            self._track(order)
        if fill is not None:
            self._apply_fill(fill, "ws")

    def _on_book(self, message: dict[str, Any]) -> None:
        if message.get("s") != self.inst.venue_symbol:
            return
        book = codec.book_from_ws(message, self.inst)
        self.book_guard.observe(book, self._now_ns())
        if self._book_q.full():
            self._book_q.get_nowait()
        self._book_q.put_nowait(book)

    # ---- bookkeeping -------------------------------------------------------------------
    def _is_ours(self, cid: str) -> bool:
        return cid in self._orders or self.idem.get(cid) is not None

    def _track(self, order: VenueOrder) -> None:
        """Keep the newest state of an order of ours (terminal states and fills only grow)."""
        self._cid_by_oid[order.venue_order_id] = order.client_id
        old = self._orders.get(order.client_id)
        if old is not None:
            if not old.status.is_open and order.status.is_open:
                return  # a late NEW after CANCELED/FILLED
            if order.filled_lots < old.filled_lots:
                return  # an out-of-order update
        self._orders[order.client_id] = order

    def _apply_fill(self, fill: VenueFill, source: str) -> None:
        if not self.journal.apply(fill, source):
            return
        self._fill_watermark_ms = max(self._fill_watermark_ms, fill.ts_ms)
        cid = fill.client_id or self._cid_by_oid.get(fill.venue_order_id, "")
        if not self._is_ours(cid):
            self.stats.unexplained_fills.append(fill.trade_id)
            log.error("fill on an order that is not ours: trade_id=%s", fill.trade_id)
        self._fill_q.put_nowait(fill)

    def _on_headers(self, headers: dict[str, str]) -> None:
        for name, value in headers.items():
            if name.lower().startswith("x-mbx-used-weight-"):
                self.budget.observe_used(int(value), self._now_ns())

    # ---- requests ----------------------------------------------------------------------
    async def _admit(self, weight: int) -> None:
        while True:
            wait_ns = self.budget.delay_ns(weight, self._now_ns())
            if wait_ns == 0:
                return
            await asyncio.sleep(wait_ns / 1e9)

    async def _rest_once(self, endpoint: str, params: dict[str, Any]) -> Any:
        """Send one request through the budget; map ccxt's transient errors to ours."""
        await self._admit(WEIGHTS[endpoint])
        try:
            return await getattr(self.exchange, endpoint)(params)
        except (cx.RateLimitExceeded, cx.DDoSProtection) as exc:
            retry_after_s = float(getattr(exc, "retry_after_s", 1.0))
            self.budget.on_retry_after(retry_after_s, self._now_ns())
            self.stats.rate_limited_total += 1
            raise _RateLimitedError(
                "E_VENUE_RATE_LIMIT", f"{endpoint}: 429", retry_after_s
            ) from exc
        except cx.AuthenticationError as exc:
            raise VenueAuthError("E_VENUE_AUTH", f"{endpoint}: {_reason(exc)}") from exc
        except (cx.NetworkError, cx.BadResponse) as exc:
            self.stats.temporary_errors_total += 1
            raise TemporaryVenueError("E_VENUE_TEMPORARY", f"{endpoint}: {_reason(exc)}") from exc

    async def _rest(self, endpoint: str, params: dict[str, Any]) -> Any:
        """Send an idempotent request (read, cancel, heartbeat), retrying transient errors."""
        attempts = self.config.max_rate_limit_retries + 1
        for attempt in range(attempts):
            try:
                return await self._rest_once(endpoint, params)
            except _RateLimitedError:
                if attempt == attempts - 1:
                    raise
            except TemporaryVenueError:
                if attempt == attempts - 1:
                    raise
                await asyncio.sleep(self.config.retry_backoff_ms / 1000 * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _wait_for(self, condition: Callable[[], bool], timeout_ms: int) -> None:
        deadline_ns = self._now_ns() + timeout_ms * _NS_PER_MS
        while not condition():
            if self._now_ns() > deadline_ns:
                raise TemporaryVenueError("E_VENUE_DISCONNECTED", "stream did not come up")
            await asyncio.sleep(0.002)


class _RateLimitedError(TemporaryVenueError):
    """A 429/418: the request was refused before it was processed."""


def _reason(exc: BaseException) -> str:
    """Return an exception's text on one line, cut to a readable length."""
    text = str(exc).replace("\n", " ")
    return text[:200]
