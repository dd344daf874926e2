"""The ccxt venue: Binance USD-M and Bybit linear perpetuals via ccxt async REST + ccxt.pro WS.

Theory of operation. ccxt signs, sends and maps errors; the adapter calls the venue's own
endpoints through ccxt's implicit API (so the parameters are exactly the venue's) and a
dialect object (`dialect.Dialect`: `binance`, `bybit`) spells each call and parses the
venue's JSON. Around that sit the sans-I/O pieces, the same for every venue:
- every request passes the weight budget (under 70% of the venue's limit, per endpoint too
  where the venue limits endpoints; Retry-After closes it); a 429 means "not processed", so
  an order is re-sent under the same client id (`client`);
- an order whose outcome is unknown (timeout, 5xx, lost ack) is resolved by querying the
  venue by client id; if the venue has no such order a cancel by client id fences it. It is
  never posted again, and never under another id (`rest_orders`);
- fills from the private stream and from REST catch-up both go through the fill journal
  (dedup by trade id; `tracker`);
- after every stream reconnect the adapter reconciles over REST (trades, open orders,
  position) before it lets quoting resume (`streams`, `recon`);
- start refuses an instrument whose configured tick/lot size is not the venue's market;
- the venue's dead-man switch is armed at start (Binance countdownCancelAll, re-armed every
  heartbeat; Bybit DCP, kept alive by the private stream) and the heartbeat samples the venue
  clock for the clock guard (`heartbeat`). It is armed only after the start reconciliation
  passed: a refused start (E_RECON_*, no --adopt) leaves the venue exactly as found. A clean
  close - the venue lists no open order on the symbol, whoever placed it, and none of ours
  may still rest - disarms the switch, so it cannot cancel a later session's orders;
  otherwise (or when the venue cannot be asked) it stays armed as the net.
- an HA standby (docs/HA.md) shares the account with its leader, which a venue cannot fence:
  `start_standby` takes the venue's position and leaves its open orders and its dead-man
  switch alone; once elected, `take_over` cancels every open order of our strategy tag under
  an older epoch (read from the venue, by client id), reconciles and arms the switch - the
  bridge quotes only after it; `stand_by` (a step-down) hands the switch to the next leader.
Quoting is allowed only while `quote_block()` is None. `CcxtVenue` composes the parts: a
`CcxtSession` (client, streams, heartbeat, guards, our orders), `RestOrders` for order entry
and a `Reconciler`; it keeps the lifecycle and the Venue port.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from ccxt.base import errors as cx  # type: ignore[import-untyped]

from mmbot.core.errors import MmError
from mmbot.venues.base import (
    Balance,
    BookTop,
    OrderIntent,
    PlaceResult,
    Position,
    Rejected,
    VenueFill,
    VenueOrder,
)
from mmbot.venues.ccxt.client import reason
from mmbot.venues.ccxt.config import NS_PER_MS, CcxtVenueConfig
from mmbot.venues.ccxt.dialect import Dialect
from mmbot.venues.ccxt.recon import Reconciler
from mmbot.venues.ccxt.rest_orders import RestOrders
from mmbot.venues.ccxt.session import CcxtSession
from mmbot.venues.credentials import Credentials
from mmbot.venues.idempotency import epoch_of
from mmbot.venues.ratelimit import WeightBudget
from mmbot.venues.recon import LocalState, ReconReport, dead_man_keep_reason

__all__ = ["CcxtVenue"]

log = logging.getLogger("mmbot.venues.ccxt")


class CcxtVenue:
    """A Venue over ccxt; see the module docstring. The venue is `config.venue`'s dialect."""

    def __init__(
        self,
        config: CcxtVenueConfig,
        credentials: Credentials,
        now_ns: Callable[[], int] = time.time_ns,
        dialect: Dialect | None = None,
    ) -> None:
        s = self._session = CcxtSession(config, credentials, now_ns, dialect)
        self.config = config
        self._orders = RestOrders(s.client, config, s.tracker, s.idem, s.stats, now_ns)
        self._reconciler = Reconciler(s.client, config, s.account, self._orders, s.tracker,
                                      s.journal, s.idem, s.stats)  # fmt: skip
        self._start_block: str | None = "E_VENUE_DISCONNECTED: venue not started"
        # The session's state that tests and a metrics exporter read, under the adapter's names.
        self.journal, self.idem, self.stats = s.journal, s.idem, s.stats
        self.exchange, self.endpoint_budgets = s.client.exchange, s.client.endpoint_budgets
        self._fill_q, self._redactor = s.tracker.fill_q, s.redactor

    @property
    def order_idem_hits_total(self) -> int:
        """Return how many places, replaces and cancels were answered from the idempotency
        store (repeats)."""
        return self._session.idem.order_idem_hits_total

    @property
    def budget(self) -> WeightBudget:
        """Return the venue-wide weight budget (sized from the venue's limit at start)."""
        return self._session.client.budget

    # ---- lifecycle -------------------------------------------------------------------
    async def start(self, local: LocalState | None = None, adopt: bool = False) -> ReconReport:
        """Connect, check the venue against local state (refuse or adopt), start streams.

        A refusal (ReconRefusedError) comes before anything is armed, subscribed or sent: the
        venue is left exactly as found, a crashed session's orders under its own switch.
        """
        session = self._session
        await session.open_market()
        report = await self._reconciler.startup(local or LocalState(), adopt)
        if self.config.dead_man_enabled:
            await session.heartbeat.arm_dead_man()
        self._start_streams()
        await session.streams.wait_until_up("private")
        return report

    def _start_streams(self) -> None:
        """Allow quoting (the guards permitting) and run the streams from now on."""
        session = self._session
        self._start_block = None
        session.tracker.fill_watermark_ms = int(session.now_ns() // NS_PER_MS)
        session.start_streams(self._reconciler.reconcile)

    async def start_standby(self) -> ReconReport:
        """Connect as an HA standby: take the venue's position, leave its open orders (their
        leader's) and its dead-man switch alone, start the streams."""
        session = self._session
        await session.open_market()
        report = await self._reconciler.standby_startup()
        self._start_streams()
        await session.streams.wait_until_up("private")
        return report

    async def take_over(self, epoch: int, tag: str) -> int:
        """Elected under epoch: cancel the venue's open orders of tag under an older epoch,
        reconcile, arm the dead-man switch; return how many orders were canceled."""
        epochs = {o.client_id: epoch_of(o.client_id, tag) for o in await self.open_orders()}
        older = [cid for cid, of in epochs.items() if of is not None and of < epoch]
        for client_id in older:
            result = await self._orders.cancel(client_id)
            if isinstance(result, Rejected):
                log.warning("take-over: %s", result.line())
        self._reconciler.lead()
        await self._reconciler.reconcile()
        if self.config.dead_man_enabled:
            await self._session.heartbeat.arm_dead_man()
        return len(older)

    def stand_by(self) -> None:
        """Stepped down: stop re-arming the dead-man switch (the next leader's now) and leave
        the orders and fills not ours to their leader again."""
        self._session.heartbeat.stop_rearming()
        self._reconciler.stand_by()

    async def close(self) -> None:
        """Stop the streams, disarm the dead-man switch on a clean close, close ccxt's sessions."""
        # First: the heartbeat must not re-arm what close disarms.
        await self._session.stop_streams()
        if self._session.heartbeat.dead_man_armed:
            await self._disarm_if_clean()
        await self._session.close()

    async def _disarm_if_clean(self) -> None:
        """Disarm only when no order of ours may rest - whoever placed it: the switch is the
        safety net of every order on the symbol, a crashed or parallel session's too."""
        timeout_s = self.config.timeout_ms / 1000
        keep = await close_keep_reason(self.open_orders, len(self.local_open_orders()),
                                       len(self.idem.unknown_client_ids()), timeout_s)  # fmt: skip
        if keep is not None:
            log.warning("close: %s; dead-man switch left armed", keep)
            return
        await disarm_quietly(self._session.heartbeat.disarm_dead_man(), timeout_s)

    async def reconcile(self) -> ReconReport:
        """Catch up fills over REST, refresh orders and compare positions with the venue."""
        return await self._reconciler.reconcile()

    async def sync_clock(self) -> None:
        """Sample the venue clock once for the clock guard."""
        await self._session.heartbeat.sync_clock()

    def local_open_orders(self) -> dict[str, VenueOrder]:
        """Return our orders that are open as far as we know."""
        return self._session.tracker.local_open_orders()

    # ---- the Venue port ----------------------------------------------------------------
    async def place(self, intent: OrderIntent) -> PlaceResult:
        """Place a post-only limit order under the intent's client id; idempotent."""
        return await self._orders.place(intent)

    async def cancel(self, client_id: str) -> VenueOrder | Rejected:
        """Cancel by client id; an order already gone returns its final state."""
        return await self._orders.cancel(client_id)

    async def modify(self, client_id: str, price_ticks: int, qty_lots: int) -> PlaceResult:
        """Move a resting order (Binance PUT order, Bybit amend), keeping its client id."""
        return await self._orders.modify(client_id, price_ticks, qty_lots)

    async def open_orders(self) -> list[VenueOrder]:
        """Return the venue's open orders for the instrument (every page)."""
        return await self._session.account.open_orders()

    async def positions(self) -> list[Position]:
        """Return the venue's position in the instrument (empty when flat)."""
        return await self._session.account.positions()

    async def balances(self) -> list[Balance]:
        """Return the futures (Bybit: unified) wallet balances."""
        return await self._session.account.balances()

    def fills(self) -> AsyncIterator[VenueFill]:
        """Yield each fill once (first arrival over WS or REST)."""
        return self._session.tracker.fills()

    def books(self) -> AsyncIterator[BookTop]:
        """Yield the newest best bid/ask (older ones are dropped when the reader lags)."""
        return self._session.inbox.books()

    def quote_block(self) -> str | None:
        """Return why quoting is blocked now, as one E_* line; None when it may quote."""
        if self._start_block is not None:
            return self._start_block
        if self._reconciler.block is not None:
            return self._reconciler.block
        if "private" not in self._session.streams.up:
            return "E_VENUE_DISCONNECTED: private stream down or not reconciled yet"
        return self._session.market_block()


async def close_keep_reason(
    open_orders: Callable[[], Awaitable[list[VenueOrder]]],
    local_open: int,
    unknown: int,
    timeout_s: float,
) -> str | None:
    """Return why a symbol's dead-man switch must stay armed at close (None: it may go off):
    the venue's open orders on it (read within timeout_s), ours still open or unknown."""
    try:
        venue_open: list[VenueOrder] | None = await asyncio.wait_for(open_orders(), timeout_s)
    except (MmError, cx.BaseError, TimeoutError) as exc:
        log.warning("close: open orders unreadable: %s", reason(exc) or type(exc).__name__)
        venue_open = None
    return dead_man_keep_reason(venue_open, local_open, unknown)


async def disarm_quietly(disarm: Awaitable[None], timeout_s: float) -> None:
    """Await a disarm within timeout_s; a failure leaves the switch armed (logged)."""
    try:
        await asyncio.wait_for(disarm, timeout_s)
    except (MmError, cx.BaseError, TimeoutError) as exc:
        log.warning("close: dead-man switch left armed: %s", reason(exc) or type(exc).__name__)
