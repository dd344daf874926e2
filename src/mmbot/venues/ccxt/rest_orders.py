"""Order entry over REST: idempotent place, modify and cancel by client id.

Theory of operation. The client id is derived from the intent (`IdempotencyStore`), so
placing the same intent again names the same order: an answer still in flight is shared, a
known outcome is returned as it is, nothing is posted twice. A 429 means "not processed", so
the order is sent again under the same client id. An order whose outcome is unknown
(timeout, 5xx, lost ack) is settled by asking the venue about its client id; if the venue
has none, a cancel by client id fences it (a request still in flight cannot rest later) and
the intent is reported not placed - never posted again, and never under another id. Every
order state an answer describes goes to the order tracker. A replace or cancel that repeats
the order's newest one while it is in flight, or within `idem_window_ms` of an answer that
took effect, shares that answer (`IdempotencyStore.repeat_of`): the venue sees it once. One
that did not take (rejected, or the order still open after a cancel) may go out again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from ccxt.base import errors as cx  # type: ignore[import-untyped]

from mmbot.venues.base import (
    OrderIntent,
    PlaceResult,
    Rejected,
    TemporaryVenueError,
    VenueOrder,
)
from mmbot.venues.ccxt.client import ExchangeClient, RateLimitedError, reason
from mmbot.venues.ccxt.config import NS_PER_MS, CcxtVenueConfig, VenueStats
from mmbot.venues.ccxt.tracker import OrderTracker
from mmbot.venues.idempotency import IdempotencyStore, Outcome, RequestKey

log = logging.getLogger("mmbot.venues.ccxt")


class RestOrders:
    """Place, modify, cancel and query our orders by client id; resolve unknown outcomes."""

    def __init__(
        self,
        client: ExchangeClient,
        config: CcxtVenueConfig,
        tracker: OrderTracker,
        idem: IdempotencyStore,
        stats: VenueStats,
        now_ns: Callable[[], int],
    ) -> None:
        self._client = client
        self._config = config
        self._tracker = tracker
        self._idem = idem
        self._stats = stats
        self._now_ns = now_ns
        self._inflight: dict[str, asyncio.Future[PlaceResult]] = {}
        self._answers: dict[str, asyncio.Future[PlaceResult]] = {}  # cid -> its newest request's

    async def place(self, intent: OrderIntent) -> PlaceResult:
        """Place a post-only limit order under the intent's client id; idempotent."""
        cid, entry, hit = self._idem.begin(intent)
        if hit:
            pending = self._inflight.get(cid)
            if pending is not None:
                return await asyncio.shield(pending)
            if entry.outcome is Outcome.ACKED:
                return self._tracker.get(cid) or entry.order or await self.resolve(cid)
            if entry.outcome is Outcome.REJECTED and entry.rejected is not None:
                return entry.rejected
            if entry.outcome is Outcome.NOT_PLACED:
                return Rejected("E_VENUE_NOT_PLACED", cid, "venue has no such order; fenced")
            if entry.outcome is Outcome.UNKNOWN:
                return await self.resolve(cid)
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
        client, d = self._client, self._client.dialect
        params = d.place_params(client.inst, cid, intent)
        for attempt in range(self._config.max_rate_limit_retries + 1):
            self._idem.on_post(cid)
            try:
                raw = await client.request_once(d.ep.place, params)
            except RateLimitedError:
                self._idem.on_not_processed(cid)  # a 429 is refused before matching
                if attempt == self._config.max_rate_limit_retries:
                    raise
                continue
            except TemporaryVenueError:
                self._idem.on_unknown(cid)
                log.warning("order outcome unknown, resolving by client id %s", cid)
                return await self.resolve(cid)
            except cx.ExchangeError as exc:
                rejected = Rejected("E_VENUE_REJECTED", cid, reason(exc))
                self._idem.on_reject(cid, rejected)
                return rejected
            now_ms = self._now_ns() // NS_PER_MS
            order = self._tracker.track(d.placed(raw, client.inst, cid, intent, now_ms))
            self._idem.on_ack(cid, order)
            return order
        raise AssertionError("unreachable")  # pragma: no cover

    async def cancel(self, client_id: str) -> VenueOrder | Rejected:
        """Cancel by client id; an order already gone returns its final state. Idempotent
        within the window (module docstring)."""
        return await self._once(client_id, ("cancel", 0, 0), lambda: self._cancel(client_id),
                                _canceled)  # fmt: skip

    async def modify(self, client_id: str, price_ticks: int, qty_lots: int) -> PlaceResult:
        """Move a resting order (Binance PUT order, Bybit amend), keeping its client id.
        Idempotent within the window (module docstring)."""
        key = ("modify", price_ticks, qty_lots)
        return await self._once(client_id, key,
                                lambda: self._modify(client_id, price_ticks, qty_lots),
                                lambda answer: _moved(answer, price_ticks))  # fmt: skip

    async def _once(self, cid: str, key: RequestKey, send: Callable[[], Awaitable[PlaceResult]],
                    took: Callable[[PlaceResult], bool]) -> PlaceResult:  # fmt: skip
        """Send a replace/cancel unless it repeats the order's newest one (then share its
        answer); keep an answer that took effect for the window."""
        window_ns = self._config.idem_window_ms * NS_PER_MS
        if self._idem.repeat_of(cid, key, self._now_ns(), window_ns):
            return await asyncio.shield(self._answers[cid])
        future: asyncio.Future[PlaceResult] = asyncio.get_running_loop().create_future()
        self._answers[cid] = future
        try:
            result = await send()
        except BaseException as exc:
            self._idem.on_request_failed(cid, key)
            future.set_exception(exc)
            future.exception()  # retrieved: a waiter may not exist
            raise
        if took(result):
            self._idem.on_answered(cid, key, self._now_ns())
        else:
            self._idem.on_request_failed(cid, key)
        future.set_result(result)
        return result

    async def _cancel(self, client_id: str) -> VenueOrder | Rejected:
        order = await self._cancel_by_cid(client_id)
        if order is None:
            order = await self.query(client_id)
        if order is None:
            return Rejected("E_VENUE_UNKNOWN_ORDER", client_id, "cancel: no such order")
        return order

    async def _modify(self, client_id: str, price_ticks: int, qty_lots: int) -> PlaceResult:
        current = self._tracker.get(client_id)
        if current is None:
            return Rejected("E_VENUE_UNKNOWN_ORDER", client_id, "modify: not our open order")
        client, d = self._client, self._client.dialect
        params = d.modify_params(client.inst, current, price_ticks, qty_lots)
        try:
            raw = await client.request_once(d.ep.modify, params)
        except TemporaryVenueError:
            found = await self.query(client_id)  # the modify may or may not have applied
        except cx.ExchangeError as exc:
            return Rejected("E_VENUE_REJECTED", client_id, reason(exc))
        else:
            found = await self._acked(raw, client_id)
        return found or Rejected("E_VENUE_UNKNOWN_ORDER", client_id, "modify: order gone")

    async def resolve(self, cid: str) -> PlaceResult:
        """Settle an unknown outcome by asking the venue about cid; never re-post."""
        order: VenueOrder | None = None
        try:
            order = await self.query(cid)
            unknown = False
        except TemporaryVenueError:  # query's own "kept failing": every attempt failed
            unknown = True
        if unknown:  # raised outside the handler, so chained exactly as the caller's errors
            raise TemporaryVenueError("E_VENUE_OUTCOME_UNKNOWN", f"client_id={cid} still unknown")
        if order is not None:
            self._idem.on_ack(cid, order)
            return order
        fenced = await self._fence(cid)
        if fenced is not None:  # it reached the venue between our query and the fence
            self._idem.on_ack(cid, fenced)
            return fenced
        self._idem.on_absent(cid)
        return Rejected("E_VENUE_NOT_PLACED", cid, "venue has no such order; fenced")

    async def query(self, cid: str) -> VenueOrder | None:
        """Return (and track) the venue's state of cid, None when it has no such order;
        E_VENUE_TEMPORARY once resolve_attempts queries failed."""
        for attempt in range(self._config.resolve_attempts):
            try:
                return await self._query_once(cid)
            except TemporaryVenueError:
                await self._client.backoff(attempt)
        raise TemporaryVenueError("E_VENUE_TEMPORARY", f"query of client_id={cid} kept failing")

    async def _query_once(self, cid: str) -> VenueOrder | None:
        client, d = self._client, self._client.dialect
        try:
            raw = await client.request_once(d.ep.query, d.order_params(client.inst, cid))
        except cx.OrderNotFound:
            return None
        order = d.queried(raw, client.inst)
        return None if order is None else self._tracker.track(order)

    async def _cancel_by_cid(self, cid: str) -> VenueOrder | None:
        """Cancel cid; its final state, or None when the venue refuses (no such open order)."""
        client, d = self._client, self._client.dialect
        try:
            raw = await client.request(d.ep.cancel, d.order_params(client.inst, cid))
        except cx.ExchangeError:
            return None
        return await self._acked(raw, cid)

    async def _acked(self, raw: Any, cid: str) -> VenueOrder | None:
        """Return (and track) the order a cancel/modify answer describes, or query it by cid."""
        order = self._client.dialect.order_ack(raw, self._client.inst)
        if order is None:  # the answer names ids only: read the order's state
            return await self.query(cid)
        return self._tracker.track(order)

    async def _fence(self, cid: str) -> VenueOrder | None:
        """Cancel cid so a request still in flight cannot rest later; the order if it existed."""
        self._stats.fenced_total += 1
        return await self._cancel_by_cid(cid)


def _canceled(answer: PlaceResult) -> bool:
    """Return whether a cancel's answer took effect: the order no longer rests."""
    return isinstance(answer, VenueOrder) and not answer.status.is_open


def _moved(answer: PlaceResult, price_ticks: int) -> bool:
    """Return whether a modify's answer took effect: the order rests at the new price."""
    return (
        isinstance(answer, VenueOrder)
        and answer.status.is_open
        and (answer.price_ticks == price_ticks)
    )
