"""One ccxt session for a book of several symbols on one venue account, and a port per symbol.

Theory of operation. A book trades several symbols through one connection, as one account:
- shared (one per session): the ccxt client - one markets load, one venue-wide weight budget
  and the venue's per-endpoint ones, so every symbol's requests count against the one
  account limit -, the clock samples and clock guard, one private user stream, one public
  book stream subscribed to every symbol, the heartbeat and the log redaction;
- per symbol (`SymbolAccount`): the instrument grid (checked against the venue's market at
  start), the order tracker, fill journal and idempotency store, the book guard and the
  book queue, order entry and the reconciler, over a view of the client naming the symbol.
The private stream's messages go to every symbol's inbox; each takes its own symbol's
orders and fills (the dialect filters by symbol), and the book stream's tops likewise.
Start (once, whichever port starts first; the others await the same start): load markets,
check every symbol's grid, sample the clock, then every symbol's startup reconciliation -
one refusal (E_RECON_*) refuses the whole start before anything is armed or subscribed -,
then arm the dead-man switch (Binance: one countdown per symbol, re-armed every heartbeat;
Bybit: DCP, the account's), start the streams and wait until the private one is up. After
every private-stream reconnect each symbol reconciles before the stream counts as up.
Close: each port releases its symbol (its bridge canceled what rested first); the last one
stops the streams and closes the session. A symbol's countdown is disarmed when nothing may
rest on it; an account-wide switch only when that holds for every symbol.
A market-data-only session (shadow) has no credentials, private stream, switch or account
reads: its ports refuse order calls (E_VENUE_MARKET_DATA_ONLY).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import replace
from typing import Any

from mmbot.venues.base import (
    Balance,
    BookTop,
    Instrument,
    OrderIntent,
    PlaceResult,
    Position,
    Rejected,
    VenueFill,
    VenueOrder,
)
from mmbot.venues.ccxt.account import AccountReads
from mmbot.venues.ccxt.client import ExchangeClient, market_data_only
from mmbot.venues.ccxt.config import NS_PER_MS, CcxtVenueConfig, VenueStats
from mmbot.venues.ccxt.dialect import Dialect, dialect_for
from mmbot.venues.ccxt.heartbeat import Heartbeat
from mmbot.venues.ccxt.recon import Reconciler
from mmbot.venues.ccxt.rest_orders import RestOrders
from mmbot.venues.ccxt.session import cancel_tasks
from mmbot.venues.ccxt.streams import StreamInbox, Streams
from mmbot.venues.ccxt.tracker import OrderTracker
from mmbot.venues.ccxt.venue import close_keep_reason, disarm_quietly
from mmbot.venues.credentials import Credentials, RedactingFilter
from mmbot.venues.fills import FillJournal
from mmbot.venues.guards import BookGuard, ClockGuard
from mmbot.venues.idempotency import IdempotencyStore
from mmbot.venues.recon import LocalState, ReconReport, check_instrument, reconcile

__all__ = ["CcxtBook", "CcxtBookVenue", "SymbolAccount"]

log = logging.getLogger("mmbot.venues.ccxt")

_NOT_STARTED = "E_VENUE_DISCONNECTED: venue not started"


class SymbolAccount:
    """One symbol's part of a book session: its orders, fills, top of book, reconciliation."""

    def __init__(self, client: ExchangeClient, now_ns: Callable[[], int]) -> None:
        config = client.config
        self.client = client
        self.config = config
        self.journal = FillJournal()
        self.idem = IdempotencyStore()
        self.stats = VenueStats()
        self.book_guard = BookGuard(config.max_book_age_ms)
        self.tracker = OrderTracker(self.idem, self.journal, self.stats)
        self.inbox = StreamInbox(client.dialect, config.instrument, self.tracker,
                                 self.book_guard, now_ns)  # fmt: skip
        self.account = AccountReads(client)
        self.orders = RestOrders(client, config, self.tracker, self.idem, self.stats, now_ns)
        self.reconciler = Reconciler(client, config, self.account, self.orders, self.tracker,
                                     self.journal, self.idem, self.stats)  # fmt: skip
        self.report = reconcile(LocalState(), 0, [])  # the startup reconciliation's

    async def keep_reason(self, timeout_s: float) -> str | None:
        """Return why this symbol's dead-man switch must stay armed at close (None: clean)."""
        return await close_keep_reason(
            self.account.open_orders, len(self.tracker.local_open_orders()),
            len(self.idem.unknown_client_ids()), timeout_s,
        )  # fmt: skip


class CcxtBook:
    """One venue session for several symbols; `venue(symbol)` is a symbol's port."""

    def __init__(
        self,
        config: CcxtVenueConfig,
        instruments: Sequence[Instrument],
        credentials: Credentials,
        now_ns: Callable[[], int] = time.time_ns,
        dialect: Dialect | None = None,
        public_only: bool = False,
    ) -> None:
        if public_only:  # no orders to protect: the heartbeat only samples the clock
            config = replace(config, dead_man_countdown_ms=0)
        self.config = config
        self.public_only = public_only
        self.dialect = dialect or dialect_for(config.venue)
        self.now_ns = now_ns
        self.stats = VenueStats()  # the connection's: rate limits, reconnects, switch arms
        self.clock_guard = ClockGuard(config.max_clock_skew_ms)
        self.redactor = RedactingFilter(credentials)
        for name in self.dialect.logger_names:
            logging.getLogger(name).addFilter(self.redactor)
        first = replace(config, instrument=instruments[0])
        self.client = ExchangeClient(first, self.dialect, credentials, self._on_user,
                                     self._on_book, self.stats, now_ns, public_only)  # fmt: skip
        self.accounts = {
            inst.venue_symbol: SymbolAccount(self.client.for_instrument(inst), now_ns)
            for inst in instruments
        }
        self.heartbeat = Heartbeat(self.client, config, self.clock_guard, self.stats, now_ns,
                                   instruments)  # fmt: skip
        self.streams = Streams(self.client, config, self.stats, now_ns, instruments)
        self._start: asyncio.Task[None] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._open: set[str] = set()  # the symbols whose port is opened and not yet closed
        self._closed = False

    def venue(self, venue_symbol: str) -> CcxtBookVenue:
        """Return the port of one symbol of the book (opened: close() releases it)."""
        self._open.add(venue_symbol)
        return CcxtBookVenue(self, self.accounts[venue_symbol])

    # ---- raw stream messages: every symbol's inbox takes its own ------------------------
    def _on_user(self, message: dict[str, Any]) -> None:
        for account in self.accounts.values():
            account.inbox.on_user_update(message)

    def _on_book(self, message: dict[str, Any]) -> None:
        for account in self.accounts.values():
            account.inbox.on_book(message)

    # ---- lifecycle -----------------------------------------------------------------------
    async def start(self, adopt: bool) -> None:
        """Start the session once; every port's start awaits the same (its error too)."""
        if self._start is None:
            self._start = asyncio.ensure_future(self._start_once(adopt))
        await self._start

    async def _start_once(self, adopt: bool) -> None:
        await self.client.load_markets()  # sizes the account's budget
        for account in self.accounts.values():
            check_instrument(account.config.instrument, account.client.venue_market())
        await self.heartbeat.sync_clock()
        if not self.public_only:
            await self._start_accounts(adopt)
        loops = [self.streams.run("public"), self.heartbeat.run()]
        if not self.public_only:
            loops.insert(0, self.streams.run("private", self._reconcile_all))
        self._tasks = [asyncio.create_task(loop) for loop in loops]
        await self.streams.wait_until_up("public" if self.public_only else "private")

    async def _start_accounts(self, adopt: bool) -> None:
        """Reconcile every symbol with a flat local state (a refusal raises before anything
        is armed), then arm the dead-man switch."""
        for account in self.accounts.values():
            account.report = await account.reconciler.startup(LocalState(), adopt)
        if self.config.dead_man_enabled:
            await self.heartbeat.arm_dead_man()
        now_ms = int(self.now_ns() // NS_PER_MS)
        for account in self.accounts.values():
            account.tracker.fill_watermark_ms = now_ms

    async def _reconcile_all(self) -> None:
        for account in self.accounts.values():
            await account.reconciler.reconcile()

    async def release(self, venue_symbol: str) -> None:
        """Close one symbol's port; the last one open closes the session."""
        self._open.discard(venue_symbol)
        if self._open or self._closed:
            return
        self._closed = True
        await cancel_tasks(self._tasks)
        if self._start is not None and not self._start.done():
            self._start.cancel()
        if self.heartbeat.dead_man_armed:
            await self._disarm_clean()
        await self.client.close()
        for name in self.dialect.logger_names:
            logging.getLogger(name).removeFilter(self.redactor)

    async def _disarm_clean(self) -> None:
        """Disarm each clean symbol's countdown; an account's switch only if all are clean."""
        timeout_s = self.config.timeout_ms / 1000
        clean: list[Instrument] = []
        for symbol, account in self.accounts.items():
            keep = await account.keep_reason(timeout_s)
            if keep is None:
                clean.append(account.config.instrument)
            else:
                log.warning("close: symbol=%s %s; dead-man switch left armed", symbol, keep)
        if self.dialect.rearm_dead_man and clean:
            await disarm_quietly(self.heartbeat.disarm_dead_man(clean), timeout_s)
        elif len(clean) == len(self.accounts):
            await disarm_quietly(self.heartbeat.disarm_dead_man(), timeout_s)

    def quote_block(self, account: SymbolAccount) -> str | None:
        """Return why account's symbol may not be quoted now, as one E_* line; else None."""
        start = self._start
        if start is None or not start.done() or start.cancelled() or start.exception():
            return _NOT_STARTED
        if self.public_only:
            if "public" not in self.streams.up:
                return "E_VENUE_DISCONNECTED: public book stream down; expected it connected"
        else:
            if account.reconciler.block is not None:
                return account.reconciler.block
            if "private" not in self.streams.up:
                return "E_VENUE_DISCONNECTED: private stream down or not reconciled yet"
        return self.clock_guard.block() or account.book_guard.block(
            self.now_ns(), self.clock_guard.offset_ms
        )


class CcxtBookVenue:
    """One symbol's Venue port over a CcxtBook session (what a LiveBridge drives)."""

    def __init__(self, book: CcxtBook, account: SymbolAccount) -> None:
        self._book = book
        self._account = account
        self.config = account.config
        # The symbol's state that tests and a report read, under the adapter's names.
        self.journal, self.idem, self.stats = account.journal, account.idem, account.stats

    @property
    def order_idem_hits_total(self) -> int:
        """Return how many of this symbol's places were answered from its idempotency store."""
        return self.idem.order_idem_hits_total

    async def start(self, local: LocalState | None = None, adopt: bool = False) -> ReconReport:
        """Start the shared session (once); return this symbol's startup reconciliation.

        local does not apply: a book's session starts from a flat, order-less local state.
        """
        await self._book.start(adopt)
        return self._account.report

    async def close(self) -> None:
        """Release this symbol; the last symbol's close closes the session."""
        await self._book.release(self.config.instrument.venue_symbol)

    async def reconcile(self) -> ReconReport:
        """Catch up this symbol's fills over REST, refresh its orders, compare its position."""
        return await self._account.reconciler.reconcile()

    def quote_block(self) -> str | None:
        """Return why this symbol may not be quoted now, as one E_* line; else None."""
        return self._book.quote_block(self._account)

    def local_open_orders(self) -> dict[str, VenueOrder]:
        """Return this symbol's orders that are open as far as we know."""
        return self._account.tracker.local_open_orders()

    async def place(self, intent: OrderIntent) -> PlaceResult:
        """Place a post-only limit order under the intent's client id; idempotent."""
        self._refuse_if_feed("place")
        return await self._account.orders.place(intent)

    async def cancel(self, client_id: str) -> VenueOrder | Rejected:
        """Cancel by client id; an order already gone returns its final state."""
        self._refuse_if_feed("cancel")
        return await self._account.orders.cancel(client_id)

    async def modify(self, client_id: str, price_ticks: int, qty_lots: int) -> PlaceResult:
        """Move a resting order, keeping its client id."""
        self._refuse_if_feed("modify")
        return await self._account.orders.modify(client_id, price_ticks, qty_lots)

    async def open_orders(self) -> list[VenueOrder]:
        """Return the venue's open orders of this symbol (every page)."""
        return await self._account.account.open_orders()

    async def positions(self) -> list[Position]:
        """Return the venue's position in this symbol (empty when flat)."""
        return await self._account.account.positions()

    async def balances(self) -> list[Balance]:
        """Return the account's wallet balances (the same for every symbol)."""
        return await self._account.account.balances()

    def fills(self) -> AsyncIterator[VenueFill]:
        """Yield each fill of this symbol once (first arrival over WS or REST)."""
        return self._account.tracker.fills()

    def books(self) -> AsyncIterator[BookTop]:
        """Yield this symbol's newest best bid/ask."""
        return self._account.inbox.books()

    def _refuse_if_feed(self, call: str) -> None:
        if self._book.public_only:
            raise market_data_only(call)
