"""One ccxt adapter's session with a venue: the parts every adapter runs on, and their lifecycle.

Theory of operation. A session owns the exchange client (the ccxt instance, the REST path,
the weight budgets), the streams and their inbox, the heartbeat, the guards that block
quoting (clock skew, stale book) and the account mirror the streams feed (our orders, the
fill journal, the idempotency store). Credentials stay in the client's ccxt instance; a
filter on ccxt's loggers masks them from the session's start to its close. Opening the
market loads the venue's markets within the weight budget, checks the configured instrument
grid against them and samples the venue clock. The streams and the heartbeat then run as
tasks; closing stops them first (the heartbeat must not re-arm a switch a close disarms),
then closes ccxt's sessions. `CcxtVenue` adds order entry and reconciliation to a session;
`CcxtFeed` runs one for market data only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from mmbot.venues.ccxt.account import AccountReads
from mmbot.venues.ccxt.client import ExchangeClient
from mmbot.venues.ccxt.config import CcxtVenueConfig, VenueStats
from mmbot.venues.ccxt.dialect import Dialect, dialect_for
from mmbot.venues.ccxt.heartbeat import Heartbeat
from mmbot.venues.ccxt.streams import Reconcile, StreamInbox, Streams
from mmbot.venues.ccxt.tracker import OrderTracker
from mmbot.venues.credentials import Credentials, RedactingFilter
from mmbot.venues.fills import FillJournal
from mmbot.venues.guards import BookGuard, ClockGuard
from mmbot.venues.idempotency import IdempotencyStore
from mmbot.venues.recon import check_instrument


class CcxtSession:
    """The parts of one ccxt adapter and their lifecycle; see the module docstring."""

    def __init__(
        self,
        config: CcxtVenueConfig,
        credentials: Credentials,
        now_ns: Callable[[], int],
        dialect: Dialect | None = None,
        public_only: bool = False,
    ) -> None:
        self.config = config
        self.dialect = dialect or dialect_for(config.venue)
        self.now_ns = now_ns
        self.journal = FillJournal()
        self.idem = IdempotencyStore()
        self.clock_guard = ClockGuard(config.max_clock_skew_ms)
        self.book_guard = BookGuard(config.max_book_age_ms)
        self.stats = VenueStats()
        self.tracker = OrderTracker(self.idem, self.journal, self.stats)
        inbox = StreamInbox(self.dialect, config.instrument, self.tracker, self.book_guard, now_ns)
        self.inbox = inbox
        self.redactor = RedactingFilter(credentials)
        for name in self.dialect.logger_names:
            logging.getLogger(name).addFilter(self.redactor)
        self.client = ExchangeClient(
            config, self.dialect, credentials, inbox.on_user_update, inbox.on_book, self.stats,
            now_ns, public_only,
        )  # fmt: skip
        self.account = AccountReads(self.client)
        self.heartbeat = Heartbeat(self.client, config, self.clock_guard, self.stats, now_ns)
        self.streams = Streams(self.client, config, self.stats, now_ns)
        self._tasks: list[asyncio.Task[None]] = []

    async def open_market(self) -> None:
        """Load the venue's markets within the budget, check the grid, sample the clock."""
        check_instrument(self.config.instrument, await self.client.load_markets())
        await self.heartbeat.sync_clock()

    def start_streams(self, reconcile: Reconcile | None) -> None:
        """Run the book stream and the heartbeat, and the private stream when reconcile is
        given (it runs after every reconnect of that stream, before quoting resumes)."""
        loops = [self.streams.run("public"), self.heartbeat.run()]
        if reconcile is not None:
            loops.insert(0, self.streams.run("private", reconcile))
        self._tasks = [asyncio.create_task(loop) for loop in loops]

    async def stop_streams(self) -> None:
        """Cancel the stream and heartbeat tasks and wait until they have stopped."""
        await cancel_tasks(self._tasks)
        self._tasks = []

    async def close(self) -> None:
        """Close ccxt's sessions; stop masking the credentials in ccxt's logs."""
        await self.client.close()
        for name in self.dialect.logger_names:
            logging.getLogger(name).removeFilter(self.redactor)

    def market_block(self) -> str | None:
        """Return the clock or stale-book line (what blocks quoting on any connection)."""
        return self.clock_guard.block() or self.book_guard.block(
            self.now_ns(), self.clock_guard.offset_ms
        )


async def cancel_tasks(tasks: list[asyncio.Task[None]]) -> None:
    """Cancel tasks (stream and heartbeat loops) and wait until they have stopped."""
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
