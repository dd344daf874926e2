"""Our orders as the venue last described them, and the one intake of every fill.

Theory of operation. Every order state the adapter learns - REST answers (place, cancel,
modify, query), the private stream, the open orders a reconciliation reads - goes through
`track` (an order of ours) or `observe` (any order the venue reports: its ids are mapped, its
state kept when it is ours). A state only moves forward: a late NEW after a terminal state,
or an update with fewer fills than already known, is dropped. Every fill, from the private
stream or from REST catch-up, goes through `apply_fill`: the fill journal dedups it by trade
id, and a new fill is handed on with its order's client id (a REST trade may carry none), or
counted as unexplained when the order is not ours.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import replace

from mmbot.venues.base import VenueFill, VenueOrder
from mmbot.venues.ccxt.config import VenueStats
from mmbot.venues.fills import FillJournal
from mmbot.venues.idempotency import IdempotencyStore

log = logging.getLogger("mmbot.venues.ccxt")


class OrderTracker:
    """Keep the newest state of our orders; hand each new fill on once (`fills()`)."""

    def __init__(
        self,
        idem: IdempotencyStore,
        journal: FillJournal,
        stats: VenueStats,
    ) -> None:
        self._idem = idem
        self._journal = journal
        self._stats = stats
        self.fill_q: asyncio.Queue[VenueFill] = asyncio.Queue()  # new fills, for `fills()`
        self._orders: dict[str, VenueOrder] = {}  # our orders by client id: newest known state
        self._open: dict[str, VenueOrder] = {}  # the open ones of _orders, in _orders' order
        self._cid_by_oid: dict[str, str] = {}
        self.fill_watermark_ms = 0  # the newest fill's time: REST catch-up reads from here

    def get(self, cid: str) -> VenueOrder | None:
        """Return the newest known state of our order cid, or None."""
        return self._orders.get(cid)

    def local_open_orders(self) -> dict[str, VenueOrder]:
        """Return our orders that are open as far as we know."""
        return dict(self._open)

    def is_ours(self, cid: str) -> bool:
        """Return True when cid names an order this adapter placed or tracks."""
        return cid in self._orders or self._idem.get(cid) is not None

    def track(self, order: VenueOrder) -> VenueOrder:
        """Keep the newest state of an order of ours (terminal states and fills only grow)."""
        self._cid_by_oid[order.venue_order_id] = order.client_id
        old = self._orders.get(order.client_id)
        if old is not None:
            if not old.status.is_open and order.status.is_open:
                return old  # a late NEW after CANCELED/FILLED
            if order.filled_lots < old.filled_lots:
                return old  # an out-of-order update
        self._orders[order.client_id] = order
        # An order never re-opens (see above), so _open keeps _orders' insertion order.
        if order.status.is_open:
            self._open[order.client_id] = order
        else:
            self._open.pop(order.client_id, None)
        return order

    def observe(self, order: VenueOrder) -> None:
        """Map a venue-reported order's ids; keep its state when it is ours."""
        self._cid_by_oid[order.venue_order_id] = order.client_id
        if self.is_ours(order.client_id):
            self.track(order)

    def apply_fill(self, fill: VenueFill, source: str) -> None:
        """Journal a fill from source ("ws", "rest"); hand it on when it is new."""
        if not self._journal.apply(fill, source):
            return
        self.fill_watermark_ms = max(self.fill_watermark_ms, fill.ts_ms)
        cid = fill.client_id or self._cid_by_oid.get(fill.venue_order_id, "")
        if not self.is_ours(cid):
            self._stats.unexplained_fills.append(fill.trade_id)
            log.error("fill on an order that is not ours: trade_id=%s", fill.trade_id)
        # A path without client ids (REST trades) still hands consumers the order's client id,
        # so a fill that overtakes its order's ack is matched to the right order.
        self.fill_q.put_nowait(replace(fill, client_id=cid) if cid != fill.client_id else fill)

    async def fills(self) -> AsyncIterator[VenueFill]:
        """Yield each fill once (first arrival over WS or REST)."""
        while True:
            yield await self.fill_q.get()
