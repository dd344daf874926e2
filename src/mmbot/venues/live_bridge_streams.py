"""The live bridge's stream side: the pumps that read the adapter, the fills they deliver.

Two tasks read the adapter's streams while the runner awaits between decisions: `fills()`
-> a FILL report per venue trade (the adapter's journal already dropped duplicates; leaves
are counted from the order's size, so a fill that overtakes its ack is not lost) and
`books()` -> the newest top of book. A stream that breaks fails the bridge (the runner
stops). The ledger keeps the cash and position the delivered fills imply and, once the
engine took them, the fills themselves, column-wise, for the engine's FillLog.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Final, TypeVar

import numpy as np

from mmbot.core.errors import MmError
from mmbot.sim import FillLog, ReportKind
from mmbot.venues.base import BookTop, TemporaryVenueError, VenueFill
from mmbot.venues.live_bridge_orders import OrderTable
from mmbot.venues.live_bridge_port import BridgeableVenue, one_line
from mmbot.venues.sim import VenueReport

log = logging.getLogger("mmbot.venues.bridge")

_NS_PER_MS: Final = 1_000_000
_T = TypeVar("_T")


@dataclass(slots=True)
class _FillColumns:
    """Delivered fills, column-wise (the engine's FillLog)."""

    ts_ns: list[int] = field(default_factory=list)
    ts_local_ns: list[int] = field(default_factory=list)
    order_id: list[int] = field(default_factory=list)
    side: list[int] = field(default_factory=list)
    price_ticks: list[int] = field(default_factory=list)
    qty_lots: list[int] = field(default_factory=list)
    is_maker: list[int] = field(default_factory=list)
    fee_usd: list[float] = field(default_factory=list)
    mid_ticks_x2: list[int] = field(default_factory=list)


class FillLedger:
    """Turn venue fills into FILL reports; keep the position, cash and fills they add up to."""

    def __init__(self, table: OrderTable, lot_usd_per_tick: float) -> None:
        self._table = table
        self._lot_usd_per_tick = lot_usd_per_tick
        self._columns = _FillColumns()
        self.position_lots = 0  # the venue's at start plus every fill since
        self.cash_usd = 0.0
        self.notional_usd = 0.0
        self.fees_usd = 0.0

    def on_fill(self, fill: VenueFill) -> None:
        """Apply one venue fill and queue its FILL report (order id 0: not an order of ours)."""
        table = self._table
        seq = table.seq_of(fill)
        order = table.get(seq)
        notional = fill.qty_lots * fill.price_ticks * self._lot_usd_per_tick
        self.position_lots += fill.side * fill.qty_lots
        self.cash_usd -= fill.side * notional + fill.fee_usd
        self.notional_usd += notional
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
        table.inbox.append(VenueReport(0, fill.ts_ms * _NS_PER_MS, ReportKind.FILL, seq, seq,
                                       fill.side, fill.price_ticks, fill.qty_lots, leaves, 0,
                                       int(fill.is_maker), fill.fee_usd))  # fmt: skip

    def record(self, reports: list[VenueReport], now_ns: int, mid_ticks_x2: int) -> None:
        """Keep the FILL reports the engine took at local time now_ns."""
        c = self._columns
        for r in reports:
            if r.kind == ReportKind.FILL:
                c.ts_ns.append(r.ts_exch_ns)
                c.ts_local_ns.append(now_ns)
                c.order_id.append(r.order_id)
                c.side.append(r.side)
                c.price_ticks.append(r.price_ticks)
                c.qty_lots.append(r.qty_lots)
                c.is_maker.append(r.is_maker)
                c.fee_usd.append(r.fee_usd)
                c.mid_ticks_x2.append(mid_ticks_x2)

    @property
    def fills_taken(self) -> int:
        """Return how many fills the engine took."""
        return len(self._columns.ts_ns)

    def fill_log(self) -> FillLog:
        """Return the fills the engine took."""
        c = self._columns
        i64 = np.int64
        order_id = np.asarray(c.order_id, dtype=i64)
        return FillLog(np.asarray(c.ts_ns, dtype=i64), np.asarray(c.ts_local_ns, dtype=i64),
                       order_id, order_id.copy(), np.asarray(c.side, dtype=i64),
                       np.asarray(c.price_ticks, dtype=i64), np.asarray(c.qty_lots, dtype=i64),
                       np.asarray(c.is_maker, dtype=i64), np.asarray(c.fee_usd, dtype=np.float64),
                       np.asarray(c.mid_ticks_x2, dtype=i64))  # fmt: skip


class StreamPumps:
    """The two tasks that read the adapter's streams: fills -> ledger, books -> newest top."""

    def __init__(self, ledger: FillLedger, fail: Callable[[MmError], None]) -> None:
        self.book: BookTop | None = None
        self._ledger = ledger
        self._fail = fail
        self._tasks: list[asyncio.Task[None]] = []

    def start(self, venue: BridgeableVenue) -> None:
        """Start reading venue's fills and books."""
        self._tasks = [
            asyncio.create_task(self._pump(venue.fills, self._ledger.on_fill, "fills")),
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
