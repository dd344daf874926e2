"""The ccxt venue: Binance USD-M and Bybit linear perpetuals via ccxt async REST + ccxt.pro WS.

Theory of operation. ccxt signs, sends and maps errors; the adapter calls the venue's own
endpoints through ccxt's implicit API (so the parameters are exactly the venue's) and a
dialect object (`ccxt_dialect.Dialect`: `binance_dialect`, `bybit_dialect`) spells each call
and parses the venue's JSON. Around that sit the sans-I/O pieces, the same for every venue:
- every request passes the weight budget (under 70% of the venue's limit, per endpoint too
  where the venue limits endpoints; Retry-After closes it); a 429 means "not processed", so
  an order is re-sent under the same client id;
- an order whose outcome is unknown (timeout, 5xx, lost ack) is resolved by querying the
  venue by client id; if the venue has no such order a cancel by client id fences it. It is
  never posted again, and never under another id (`ccxt_recon`);
- fills from the private stream and from REST catch-up both go through the fill journal
  (dedup by trade id);
- after every stream reconnect the adapter reconciles over REST (trades, open orders,
  position) before it lets quoting resume (`ccxt_streams`);
- start refuses an instrument whose configured tick/lot size is not the venue's market;
- the venue's dead-man switch is armed at start (Binance countdownCancelAll, re-armed every
  heartbeat; Bybit DCP, kept alive by the private stream) and the heartbeat samples the venue
  clock for the clock guard. It is armed only after the start reconciliation passed: a
  refused start (E_RECON_*, no --adopt) leaves the venue exactly as found. A clean close -
  the venue lists no open order on the symbol, whoever placed it, and none of ours may still
  rest - disarms the switch, so it cannot cancel a later session's orders; otherwise (or when
  the venue cannot be asked) it stays armed as the net.
Quoting is allowed only while `quote_block()` is None.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from ccxt.base import errors as cx  # type: ignore[import-untyped]

from mmbot.core.errors import MmError
from mmbot.venues.base import (
    Balance,
    BookTop,
    OrderIntent,
    PlaceResult,
    Position,
    Rejected,
    TemporaryVenueError,
    VenueFill,
    VenueOrder,
)
from mmbot.venues.ccxt_core import (
    NS_PER_MS,
    CcxtVenueConfig,
    RateLimitedError,
    VenueStats,
    dialect_for,
    log,
    reason,
)
from mmbot.venues.ccxt_streams import StreamsMixin
from mmbot.venues.idempotency import Outcome
from mmbot.venues.recon import (
    LocalState,
    ReconReport,
    check_instrument,
    dead_man_keep_reason,
    reconcile,
    refusal,
)

__all__ = ["CcxtVenue", "CcxtVenueConfig", "VenueStats", "dialect_for"]


class CcxtVenue(StreamsMixin):
    """A Venue over ccxt; see the module docstring. The venue is `config.venue`'s dialect."""

    # ---- lifecycle -------------------------------------------------------------------
    async def start(self, local: LocalState | None = None, adopt: bool = False) -> ReconReport:
        """Connect, check the venue against local state (refuse or adopt), start streams.

        A refusal (ReconRefusedError) comes before anything is armed, subscribed or sent: the
        venue is left exactly as found, a crashed session's orders under its own switch.
        """
        local = local or LocalState()
        await self._open_market()
        venue_open = await self.open_orders()
        venue_lots = (await self._venue_position())[0]
        report = reconcile(local, venue_lots, venue_open, adopt=adopt)
        if not report.ok:
            raise refusal(report, self.inst.venue_symbol)
        if report.adopted:
            log.warning("adopting venue state: lots=%d open=%d", venue_lots, len(venue_open))
        self.journal.rebase(venue_lots)
        for order in venue_open:
            self._track(order)
        if self.config.dead_man_enabled:
            await self.arm_dead_man()
        self._start_block = None
        self._fill_watermark_ms = int(self._now_ns() // NS_PER_MS)
        self._start_streams(private=True)
        await self._wait_for(lambda: "private" in self._streams_up, self.config.timeout_ms)
        return report

    async def _open_market(self) -> None:
        """Load the venue's markets within the budget, check the grid, sample the clock."""
        d = self.dialect
        info = await self._rest(d.ep.markets, d.markets_params(self.inst))
        self._configure_budget(d.rate_limit(info))
        await self._admit(d.load_markets_weight)  # ccxt's own markets call(s)
        await self.exchange.load_markets()
        check_instrument(self.inst, self.venue_market())
        await self.sync_clock()

    def _start_streams(self, private: bool) -> None:
        """Run the book stream, the private stream when asked, and the heartbeat."""
        loops = [self._stream_loop("public", self._watch_public), self._heartbeat_loop()]
        if private:
            loops.insert(0, self._stream_loop("private", self._watch_private))
        self._tasks = [asyncio.create_task(loop) for loop in loops]

    async def close(self) -> None:
        """Stop the streams, disarm the dead-man switch on a clean close, close ccxt's sessions."""
        for task in self._tasks:  # first: the heartbeat must not re-arm what close disarms
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        if self._dead_man_armed:
            await self._disarm_if_clean()
        await self.exchange.close()
        for name in self.dialect.logger_names:
            logging.getLogger(name).removeFilter(self._redactor)

    async def _disarm_if_clean(self) -> None:
        """Disarm only when no order of ours may rest - whoever placed it: the switch is the
        safety net of every order on the symbol, a crashed or parallel session's too."""
        timeout_s = self.config.timeout_ms / 1000
        try:
            venue_open: list[VenueOrder] | None = await asyncio.wait_for(
                self.open_orders(), timeout_s
            )
        except (MmError, cx.BaseError, TimeoutError) as exc:
            log.warning("close: open orders unreadable: %s", reason(exc) or type(exc).__name__)
            venue_open = None
        keep = dead_man_keep_reason(
            venue_open, len(self.local_open_orders()), len(self.idem.unknown_client_ids())
        )
        if keep is not None:
            log.warning("close: %s; dead-man switch left armed", keep)
            return
        try:
            await asyncio.wait_for(self.disarm_dead_man(), timeout_s)
        except (MmError, cx.BaseError, TimeoutError) as exc:
            log.warning("close: dead-man switch left armed: %s", reason(exc) or type(exc).__name__)

    def _configure_budget(self, venue_limit: tuple[int, float]) -> None:
        limit = self.config.weight_limit or venue_limit[0]
        window_s = self.config.weight_window_s or venue_limit[1]
        self.budget = self._new_budget(limit, window_s)

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
        params = self.dialect.place_params(self.inst, cid, intent)
        for attempt in range(self.config.max_rate_limit_retries + 1):
            self.idem.on_post(cid)
            try:
                raw = await self._rest_once(self.dialect.ep.place, params)
            except RateLimitedError:
                self.idem.on_not_processed(cid)  # a 429 is refused before matching
                if attempt == self.config.max_rate_limit_retries:
                    raise
                continue
            except TemporaryVenueError:
                self.idem.on_unknown(cid)
                log.warning("order outcome unknown, resolving by client id %s", cid)
                return await self._resolve(cid)
            except cx.ExchangeError as exc:
                rejected = Rejected("E_VENUE_REJECTED", cid, reason(exc))
                self.idem.on_reject(cid, rejected)
                return rejected
            now_ms = self._now_ns() // NS_PER_MS
            order = self._track(self.dialect.placed(raw, self.inst, cid, intent, now_ms))
            self.idem.on_ack(cid, order)
            return order
        raise AssertionError("unreachable")  # pragma: no cover

    async def cancel(self, client_id: str) -> VenueOrder | Rejected:
        """Cancel by client id; an order already gone returns its final state."""
        order = await self._cancel_by_cid(client_id)
        if order is None:
            order = await self._query(client_id)
        if order is None:
            return Rejected("E_VENUE_UNKNOWN_ORDER", client_id, "cancel: no such order")
        return order

    async def modify(self, client_id: str, price_ticks: int, qty_lots: int) -> PlaceResult:
        """Move a resting order (Binance PUT order, Bybit amend), keeping its client id."""
        current = self._orders.get(client_id)
        if current is None:
            return Rejected("E_VENUE_UNKNOWN_ORDER", client_id, "modify: not our open order")
        params = self.dialect.modify_params(self.inst, current, price_ticks, qty_lots)
        try:
            raw = await self._rest_once(self.dialect.ep.modify, params)
        except TemporaryVenueError:
            found = await self._query(client_id)  # the modify may or may not have applied
        except cx.ExchangeError as exc:
            return Rejected("E_VENUE_REJECTED", client_id, reason(exc))
        else:
            found = await self._acked(raw, client_id)
        return found or Rejected("E_VENUE_UNKNOWN_ORDER", client_id, "modify: order gone")

    async def positions(self) -> list[Position]:
        """Return the venue's position in the instrument (empty when flat)."""
        lots, entry = await self._venue_position()
        return [Position(self.inst.symbol, lots, entry)] if lots else []

    async def balances(self) -> list[Balance]:
        """Return the futures (Bybit: unified) wallet balances."""
        raw = await self._rest(self.dialect.ep.balances, self.dialect.balance_params())
        return self.dialect.balances(raw)

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
        if self._start_block is not None:
            return self._start_block
        if self._recon_block is not None:
            return self._recon_block
        if "private" not in self._streams_up:
            return "E_VENUE_DISCONNECTED: private stream down or not reconciled yet"
        return self._market_block()

    def _market_block(self) -> str | None:
        """Return the clock or stale-book line (what blocks quoting on any connection)."""
        return self.clock_guard.block() or self.book_guard.block(
            self._now_ns(), self.clock_guard.offset_ms
        )
