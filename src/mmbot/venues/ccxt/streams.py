"""The adapter's websocket part: raw stream messages in, the private and book streams kept up.

The dialect's exchange subclass hands every raw private message and book message to the
`StreamInbox` before ccxt folds it into its caches (fills must be seen one by one, duplicates
included, so the journal can dedup them): order states and fills go to the order tracker,
the top of book to the book guard and the reader of `books()`. `Streams` keeps each stream
subscribed and, after a reconnect of the private one, runs the reconciliation over REST
before the stream counts as up again. While the private stream is down, or up again but not
yet reconciled, the venue's `quote_block` reports E_VENUE_DISCONNECTED (a market-data-only
feed, `feed`: while the book stream is down). On a session of several symbols the one book
stream is subscribed to every symbol's top of book, and the one private stream carries
every symbol's orders and fills (the watch waits on the first symbol's; each message goes
through the hooks whatever its symbol).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

from ccxt.base import errors as cx  # type: ignore[import-untyped]

from mmbot.venues.base import BookTop, Instrument, TemporaryVenueError
from mmbot.venues.ccxt.client import ExchangeClient, reason
from mmbot.venues.ccxt.config import NS_PER_MS, CcxtVenueConfig, VenueStats
from mmbot.venues.ccxt.dialect import Dialect
from mmbot.venues.ccxt.tracker import OrderTracker
from mmbot.venues.guards import BookGuard

log = logging.getLogger("mmbot.venues.ccxt")

Reconcile = Callable[[], Awaitable[object]]


class StreamInbox:
    """Take the raw messages of the streams: orders and fills, and the top of book."""

    def __init__(
        self,
        dialect: Dialect,
        inst: Instrument,
        tracker: OrderTracker,
        book_guard: BookGuard,
        now_ns: Callable[[], int],
    ) -> None:
        self._dialect = dialect
        self._inst = inst
        self._tracker = tracker
        self._book_guard = book_guard
        self._now_ns = now_ns
        self._book_q: asyncio.Queue[BookTop] = asyncio.Queue(maxsize=1)

    def on_user_update(self, message: dict[str, Any]) -> None:
        """Take a raw private-stream message: its order states and fills of the instrument."""
        for order, fill in self._dialect.user_updates(message, self._inst):
            if order is not None:
                self._tracker.observe(order)
            if fill is not None:
                self._tracker.apply_fill(fill, "ws")

    def on_book(self, message: dict[str, Any]) -> None:
        """Take a raw book message: keep only the newest top for the reader."""
        book = self._dialect.book(message, self._inst)
        if book is None:
            return
        self._book_guard.observe(book, self._now_ns())
        if self._book_q.full():
            self._book_q.get_nowait()
        self._book_q.put_nowait(book)

    async def books(self) -> AsyncIterator[BookTop]:
        """Yield the newest best bid/ask (older ones are dropped when the reader lags)."""
        while True:
            yield await self._book_q.get()


class Streams:
    """Keep the private and the book stream subscribed; `up` names the ones that are."""

    def __init__(
        self,
        client: ExchangeClient,
        config: CcxtVenueConfig,
        stats: VenueStats,
        now_ns: Callable[[], int],
        instruments: Sequence[Instrument] = (),
    ) -> None:
        self._client = client
        self._config = config
        self._stats = stats
        self._now_ns = now_ns
        self._instruments = tuple(instruments) or (client.inst,)
        self.up: set[str] = set()  # "private" once reconciled, "public" once connected

    async def run(self, kind: str, reconcile: Reconcile | None = None) -> None:
        """Keep the kind ("private"/"public") stream subscribed until cancelled; after each
        reconnect, run reconcile (if any) before the stream counts as up."""
        first = True
        while True:
            pending: asyncio.Future[Any] | None = None
            try:
                await self._client.admit(1)  # a private (re)subscribe may request a listenKey
                pending = asyncio.ensure_future(self._watch(kind))
                await self._until_connected(kind, pending)
                if reconcile is not None and not first:
                    self._stats.reconnects_total += 1
                    await reconcile()
                self.up.add(kind)
                while True:
                    await pending
                    pending = asyncio.ensure_future(self._watch(kind))
            except asyncio.CancelledError:
                if pending is not None:
                    pending.cancel()
                raise
            except (cx.BaseError, TemporaryVenueError, OSError) as exc:
                self.up.discard(kind)
                log.warning("%s stream lost: %s", kind, reason(exc))
                await asyncio.sleep(self._config.reconnect_backoff_ms / 1000)
            first = False

    async def wait_until_up(self, kind: str) -> None:
        """Wait until the kind stream is up; E_VENUE_DISCONNECTED after timeout_ms."""
        deadline_ns = self._now_ns() + self._config.timeout_ms * NS_PER_MS
        while kind not in self.up:
            if self._now_ns() > deadline_ns:
                raise TemporaryVenueError("E_VENUE_DISCONNECTED", "stream did not come up")
            await asyncio.sleep(0.002)

    async def _watch(self, kind: str) -> Any:
        client = self._client
        if kind == "private":
            return await client.dialect.watch_private(
                client.exchange, client.inst, self._config.dead_man_enabled
            )
        return await client.dialect.watch_public(client.exchange, self._instruments)

    async def _until_connected(self, kind: str, pending: asyncio.Future[Any]) -> None:
        deadline_ns = self._now_ns() + self._config.timeout_ms * NS_PER_MS
        while self._now_ns() < deadline_ns:
            if pending.done():
                pending.result()  # raises the stream's error
                return
            for url, client in list(self._client.exchange.clients.items()):
                if (
                    self._client.dialect.is_stream_url(kind, url)
                    and client.connected.done()
                    and not client.closed()
                ):
                    return
            await asyncio.sleep(0.002)
        raise TemporaryVenueError("E_VENUE_DISCONNECTED", f"{kind} stream did not connect")
