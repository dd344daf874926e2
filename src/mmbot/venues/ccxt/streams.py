"""The adapter's websocket part: keep the private and book streams up; reconcile on reconnect.

The dialect's exchange subclass hands every raw private message and book message to
`_on_user_update` / `_on_book` before ccxt folds it into its caches (fills must be seen one
by one, duplicates included, so the journal can dedup them). While the private stream is
down, or up again but not yet reconciled over REST, `quote_block` reports
E_VENUE_DISCONNECTED (a market-data-only feed, `ccxt_feed`: while the book stream is down).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from ccxt.base import errors as cx  # type: ignore[import-untyped]

from mmbot.venues.base import TemporaryVenueError
from mmbot.venues.ccxt_core import NS_PER_MS, log, reason
from mmbot.venues.ccxt_recon import ReconMixin


class StreamsMixin(ReconMixin):
    """The streaming part of the adapter."""

    async def _watch_private(self) -> Any:
        return await self.dialect.watch_private(
            self.exchange, self.inst, self.config.dead_man_enabled
        )

    async def _watch_public(self) -> Any:
        return await self.dialect.watch_public(self.exchange, self.inst)

    async def _stream_loop(self, kind: str, watch: Callable[[], Coroutine[Any, Any, Any]]) -> None:
        """Keep one stream subscribed; after a reconnect of the private one, reconcile."""
        first = True
        while True:
            pending: asyncio.Future[Any] | None = None
            try:
                await self._admit(1)  # a private (re)subscribe may request a listenKey
                pending = asyncio.ensure_future(watch())
                await self._until_connected(kind, pending)
                if kind == "private" and not first:
                    self.stats.reconnects_total += 1
                    await self.reconcile()
                self._streams_up.add(kind)
                while True:
                    await pending
                    pending = asyncio.ensure_future(watch())
            except asyncio.CancelledError:
                if pending is not None:
                    pending.cancel()
                raise
            except (cx.BaseError, TemporaryVenueError, OSError) as exc:
                self._streams_up.discard(kind)
                log.warning("%s stream lost: %s", kind, reason(exc))
                await asyncio.sleep(self.config.reconnect_backoff_ms / 1000)
            first = False

    async def _until_connected(self, kind: str, pending: asyncio.Future[Any]) -> None:
        deadline_ns = self._now_ns() + self.config.timeout_ms * NS_PER_MS
        while self._now_ns() < deadline_ns:
            if pending.done():
                pending.result()  # raises the stream's error
                return
            for url, client in list(self.exchange.clients.items()):
                if (
                    self.dialect.is_stream_url(kind, url)
                    and client.connected.done()
                    and not client.closed()
                ):
                    return
            await asyncio.sleep(0.002)
        raise TemporaryVenueError("E_VENUE_DISCONNECTED", f"{kind} stream did not connect")

    def _on_user_update(self, message: dict[str, Any]) -> None:
        for order, fill in self.dialect.user_updates(message, self.inst):
            if order is not None:
                self._observe(order)
            if fill is not None:
                self._apply_fill(fill, "ws")

    def _on_book(self, message: dict[str, Any]) -> None:
        book = self.dialect.book(message, self.inst)
        if book is None:
            return
        self.book_guard.observe(book, self._now_ns())
        if self._book_q.full():
            self._book_q.get_nowait()
        self._book_q.put_nowait(book)
