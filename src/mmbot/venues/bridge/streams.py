"""The live bridge's stream side: the pumps that read the adapter, the fills they deliver.

Two tasks read the adapter's streams while the runner awaits between decisions: `fills()`
-> a FILL report per venue trade (the adapter's journal already dropped duplicates; leaves
are counted from the order's size, so a fill that overtakes its ack is not lost) and
`books()` -> the newest top of book. A stream that breaks fails the bridge (the runner
stops). Position, cash and the fill record are the engine's (engine/ledger.py); the router
only counts what it delivered, for the bridge's summary and its effective fee.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Final, TypeVar

from mmbot.core.errors import MmError
from mmbot.core.events import OrderEvent, fill_kind
from mmbot.venues.base import BookTop, TemporaryVenueError, VenueFill
from mmbot.venues.bridge.orders import OrderTable
from mmbot.venues.bridge.port import BridgeableVenue, one_line

log = logging.getLogger("mmbot.venues.bridge")

_NS_PER_MS: Final = 1_000_000
_T = TypeVar("_T")


class FillRouter:
    """Turn venue fills into fill events for the engine; count what they add up to."""

    def __init__(self, table: OrderTable, lot_usd_per_tick: float) -> None:
        self._table = table
        self._lot_usd_per_tick = lot_usd_per_tick
        self.fills = 0
        self.notional_usd = 0.0
        self.fees_usd = 0.0

    def on_fill(self, fill: VenueFill) -> None:
        """Queue one venue fill's event (order id 0: not an order of ours)."""
        table = self._table
        seq = table.seq_of(fill)
        order = table.get(seq)
        self.fills += 1
        self.notional_usd += fill.qty_lots * fill.price_ticks * self._lot_usd_per_tick
        self.fees_usd += fill.fee_usd
        leaves = 0
        if order is None:
            table.stats.unknown_fills += 1
            log.warning("fill on an order this run did not place: trade_id=%s", fill.trade_id)
        else:
            order.delivered_lots += fill.qty_lots
            if not order.venue_order_id:
                table.bind(order, fill.venue_order_id)
            leaves = max(0, order.qty_lots - order.delivered_lots)
        table.inbox.append(OrderEvent(0, fill.ts_ms * _NS_PER_MS, fill_kind(leaves), seq, seq,
                                      fill.side, fill.price_ticks, fill.qty_lots, leaves, 0,
                                      int(fill.is_maker), fill.fee_usd))  # fmt: skip


class StreamPumps:
    """The two tasks that read the adapter's streams: fills -> events, books -> newest top."""

    def __init__(self, router: FillRouter, fail: Callable[[MmError], None]) -> None:
        self.book: BookTop | None = None
        self._router = router
        self._fail = fail
        self._tasks: list[asyncio.Task[None]] = []

    def start(self, venue: BridgeableVenue) -> None:
        """Start reading venue's fills and books."""
        self._tasks = [
            asyncio.create_task(self._pump(venue.fills, self._router.on_fill, "fills")),
            asyncio.create_task(self._pump(venue.books, self._on_book, "books")),
        ]

    async def stop(self) -> None:
        """Cancel the pumps and wait until they closed their streams."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    def _on_book(self, book: BookTop) -> None:
        self.book = book

    async def _pump(self, open_stream: Callable[[], AsyncIterator[_T]],
                    apply: Callable[[_T], None], name: str) -> None:  # fmt: skip
        stream = open_stream()
        try:
            async for item in stream:
                apply(item)
        except Exception as exc:
            self._fail(TemporaryVenueError("E_VENUE_DISCONNECTED", f"{name}: {one_line(exc)}"))
        finally:
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                await aclose()
