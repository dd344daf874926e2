"""Resolution of unknown outcomes, reconciliation, clock sampling and the dead-man switch.

Theory of operation. An order whose outcome is unknown is settled by asking the venue about
its client id; if the venue has none, a cancel by client id fences it (a request still in
flight cannot rest later) and the intent is reported not placed - never re-posted. A
reconciliation catches fills up over REST (the journal dedups them), refreshes open orders,
resolves what is still unknown and compares the position with the venue's. Paged reads
(trades, Bybit's open orders) follow the dialect's next-page parameters to the last page.
The heartbeat samples the venue clock and, where the venue's switch is a countdown, re-arms
it; a clean close disarms it (countdown 0, or leaving the stream topic that keeps it alive).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

from ccxt.base import errors as cx  # type: ignore[import-untyped]

from mmbot.core.errors import ConfigError
from mmbot.venues.base import Instrument, PlaceResult, Rejected, TemporaryVenueError, VenueOrder
from mmbot.venues.ccxt_core import CcxtCore, log, reason
from mmbot.venues.recon import LocalState, ReconReport, VenueMarket, reconcile

NextPage = Callable[[Instrument, dict[str, Any], Any], dict[str, Any] | None]


class ReconMixin(CcxtCore):
    """The resolution/reconciliation part of the adapter."""

    async def _resolve(self, cid: str) -> PlaceResult:
        """Settle an unknown outcome by asking the venue about cid; never re-post."""
        order: VenueOrder | None = None
        try:
            order = await self._query(cid)
            unknown = False
        except TemporaryVenueError:  # _query's own "kept failing": every attempt failed
            unknown = True
        if unknown:  # raised outside the handler, so chained exactly as the caller's errors
            raise TemporaryVenueError("E_VENUE_OUTCOME_UNKNOWN", f"client_id={cid} still unknown")
        if order is not None:
            self.idem.on_ack(cid, order)
            return order
        fenced = await self._fence(cid)
        if fenced is not None:  # it reached the venue between our query and the fence
            self.idem.on_ack(cid, fenced)
            return fenced
        self.idem.on_absent(cid)
        return Rejected("E_VENUE_NOT_PLACED", cid, "venue has no such order; fenced")

    async def _cancel_by_cid(self, cid: str) -> VenueOrder | None:
        """Cancel cid; its final state, or None when the venue refuses (no such open order)."""
        params = self.dialect.order_params(self.inst, cid)
        try:
            raw = await self._rest(self.dialect.ep.cancel, params)
        except cx.ExchangeError:
            return None
        return await self._acked(raw, cid)

    async def _acked(self, raw: Any, cid: str) -> VenueOrder | None:
        """Return (and track) the order a cancel/modify answer describes, or query it by cid."""
        order = self.dialect.order_ack(raw, self.inst)
        if order is None:  # the answer names ids only: read the order's state
            return await self._query(cid)
        return self._track(order)

    async def _fence(self, cid: str) -> VenueOrder | None:
        """Cancel cid so a request still in flight cannot rest later; the order if it existed."""
        self.stats.fenced_total += 1
        return await self._cancel_by_cid(cid)

    async def _query_once(self, cid: str) -> VenueOrder | None:
        params = self.dialect.order_params(self.inst, cid)
        try:
            raw = await self._rest_once(self.dialect.ep.query, params)
        except cx.OrderNotFound:
            return None
        order = self.dialect.queried(raw, self.inst)
        return None if order is None else self._track(order)

    async def _query(self, cid: str) -> VenueOrder | None:
        for attempt in range(self.config.resolve_attempts):
            try:
                return await self._query_once(cid)
            except TemporaryVenueError:
                await self._backoff(attempt)
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

    async def _pages(self, endpoint: str, params: dict[str, Any],
                     next_params: NextPage) -> AsyncIterator[Any]:  # fmt: skip
        """Yield every page of a paged read, first to last."""
        page: dict[str, Any] | None = params
        while page is not None:
            raw = await self._rest(endpoint, page)
            yield raw
            page = next_params(self.inst, page, raw)

    async def _catch_up_fills(self) -> None:
        d = self.dialect
        since = max(0, self._fill_watermark_ms - self.config.recon_overlap_ms)
        async for raw in self._pages(d.ep.trades, d.trades_params(self.inst, since),
                                     d.next_trades_params):  # fmt: skip
            for fill in d.trades(raw, self.inst):
                self._apply_fill(fill, "rest")

    async def _reconcile_once(self) -> ReconReport:
        await self._catch_up_fills()
        venue_open = await self.open_orders()
        for order in venue_open:
            self._observe(order)
        for cid in self.idem.unknown_client_ids():
            await self._resolve(cid)
        open_ids = {o.client_id for o in venue_open}
        for cid in list(self._open):
            if cid not in open_ids:
                await self._query(cid)  # it ended while we were not listening
        venue_lots = (await self._venue_position())[0]
        local = LocalState(self.journal.position_lots, frozenset(self.local_open_orders()))
        return reconcile(local, venue_lots, venue_open, tuple(self.stats.unexplained_fills))

    async def open_orders(self) -> list[VenueOrder]:
        """Return the venue's open orders for the instrument (every page)."""
        d = self.dialect
        pages = self._pages(d.ep.open_orders, d.symbol_params(self.inst),
                            d.next_open_orders_params)  # fmt: skip
        return [order async for raw in pages for order in d.open_orders(raw, self.inst)]

    def venue_market(self) -> VenueMarket:
        """Return the instrument's grid from ccxt's loaded markets."""
        market = self.exchange.markets.get(self.inst.symbol)
        if market is None:
            listed = f"symbol={self.inst.symbol} not listed by {self.dialect.name}"
            raise ConfigError("E_RECON_INSTRUMENT", f"{listed}; expected a linear perpetual")
        # ccxt gives both venues' precision as tick sizes (precisionMode TICK_SIZE).
        precision, min_qty = market["precision"], market["limits"]["amount"].get("min")
        return VenueMarket(_decimal(precision["price"]), _decimal(precision["amount"]),
                           None if min_qty is None else _decimal(min_qty))  # fmt: skip

    async def _venue_position(self) -> tuple[int, float]:
        raw = await self._rest(self.dialect.ep.positions, self.dialect.symbol_params(self.inst))
        return self.dialect.position_lots(raw, self.inst)

    async def sync_clock(self) -> None:
        """Sample the venue clock once for the clock guard."""
        sent_ns = self._now_ns()
        raw = await self._rest(self.dialect.ep.time, {})
        self.clock_guard.observe(sent_ns, self.dialect.time_ms(raw), self._now_ns())

    async def arm_dead_man(self) -> None:
        """(Re)arm the venue's cancel-on-disconnect switch (countdown / DCP window)."""
        params = self.dialect.dead_man_params(self.inst, self.config.dead_man_countdown_ms)
        await self._rest(self.dialect.ep.dead_man, params)
        self.stats.dead_man_arms_total += 1
        self._dead_man_armed = True

    async def disarm_dead_man(self) -> None:
        """Turn the venue's switch off: a countdown of 0, or leave the topic keeping it alive."""
        if self.dialect.rearm_dead_man:
            params = self.dialect.dead_man_params(self.inst, 0)
            await self._rest_once(self.dialect.ep.dead_man, params)
        else:
            await self.dialect.unwatch_dead_man(self.exchange)
        self._dead_man_armed = False

    async def _heartbeat_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.heartbeat_ms / 1000)
            try:
                await self.sync_clock()
                if self.config.dead_man_enabled and self.dialect.rearm_dead_man:
                    await self.arm_dead_man()
            except (TemporaryVenueError, cx.ExchangeError) as exc:
                log.warning("heartbeat failed: %s", reason(exc))


def _decimal(value: float | str) -> Decimal:
    return Decimal(str(value))
