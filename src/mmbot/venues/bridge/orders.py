"""The live bridge's orders and the requests that move them (mmbot.venues.bridge).

Theory of operation. The engine's place/replace/cancel return at once; each becomes an
asyncio task that awaits the adapter. One order's requests run one after the other: a task
first waits for the order's previous request (`BridgeOrder.tail`), so a cancel never
overtakes its place. Every answer becomes a report in the table's inbox for the next
decision:
- place: ACK (leaves = the venue's size less the fills already delivered, which may have
  overtaken the ack) or REJECT. An outcome the adapter could not settle
  (E_VENUE_OUTCOME_UNKNOWN) is asked again under the same intent - the adapter resolves it
  by client id and never posts twice - until it is known or the bridge closes. While it is
  unknown the table keeps the local time of its first unknown answer (`unknown_since_ns`),
  so the bridge can stop quoting once an outcome has been unknown for too long.
- replace: MODIFIED or REJECT (the order stays as it was).
- cancel: nothing when it took (run_until ends the order once the adapter no longer lists
  it and all its fills are delivered), REJECT when it did not (the order stays live and the
  engine cancels it again).
A request's failure is logged; refused credentials or an unexpected error fail the bridge.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final

from mmbot.core.errors import MmError
from mmbot.core.events import OrderEvent, OrderEventKind
from mmbot.venues.base import (
    OrderIntent,
    OrderStatus,
    PlaceResult,
    Rejected,
    TemporaryVenueError,
    VenueAuthError,
    VenueFill,
    VenueOrder,
)
from mmbot.venues.bridge.port import BridgeableVenue, BridgeStats, one_line
from mmbot.venues.idempotency import client_id_for

log = logging.getLogger("mmbot.venues.bridge")

REJECT_REASONS: Final = {
    "E_VENUE_REJECTED": 1,
    "E_VENUE_NOT_PLACED": 2,
    "E_VENUE_UNKNOWN_ORDER": 3,
    "E_VENUE_RATE_LIMIT": 4,
    "E_VENUE_TEMPORARY": 5,
    "E_VENUE_OUTCOME_UNKNOWN": 6,
    "E_VENUE_AUTH": 7,
    "E_VENUE_DISCONNECTED": 8,
}
_NEVER_RESTED: Final = (OrderStatus.REJECTED, OrderStatus.EXPIRED)


@dataclass(slots=True)
class BridgeOrder:
    """One order the engine handed to the bridge."""

    seq: int
    side: int
    price_ticks: int
    qty_lots: int  # the venue's size: filled + leaves
    client_id: str
    venue_order_id: str = ""
    delivered_lots: int = 0  # fills handed to the engine
    acked: bool = False
    done: bool = False
    tail: asyncio.Task[None] | None = None  # the newest request of this order


class OrderTable:
    """The bridge's orders by engine id, client id and venue id, and the reports they made."""

    def __init__(self, stats: BridgeStats) -> None:
        self.stats = stats
        self.inbox: list[OrderEvent] = []  # events not yet taken by the engine
        self.unknown_since_ns: dict[int, int] = {}  # places of unknown outcome: first unknown
        self._orders: dict[int, BridgeOrder] = {}
        self._live: dict[int, BridgeOrder] = {}  # acked, not ended
        self._seq_by_cid: dict[str, int] = {}
        self._seq_by_oid: dict[str, int] = {}

    def add(self, order: BridgeOrder) -> None:
        """Register a new order under its engine id and client id."""
        self._orders[order.seq] = order
        self._seq_by_cid[order.client_id] = order.seq

    def __getitem__(self, seq: int) -> BridgeOrder:
        return self._orders[seq]

    def get(self, seq: int) -> BridgeOrder | None:
        """Return the order with engine id seq, None when there is none."""
        return self._orders.get(seq)

    def seq_of(self, fill: VenueFill) -> int:
        """Return the engine id a fill belongs to (by client id, else venue id; 0: unknown)."""
        return self._seq_by_cid.get(fill.client_id) or self._seq_by_oid.get(fill.venue_order_id, 0)

    def bind(self, order: BridgeOrder, venue_order_id: str) -> None:
        """Record the venue's id of an order."""
        order.venue_order_id = venue_order_id
        self._seq_by_oid[venue_order_id] = order.seq

    def ack(self, order: BridgeOrder, result: VenueOrder) -> None:
        """The place rested: the order is live with the venue's size."""
        order.acked = True
        order.qty_lots = result.qty_lots
        self.bind(order, result.venue_order_id)
        self._live[order.seq] = order
        self.report(order, OrderEventKind.ACCEPTED, result.qty_lots - order.delivered_lots)

    def end_gone(self, venue: BridgeableVenue) -> None:
        """End each live order the adapter no longer lists as open, once its fills are in."""
        if not self._live:
            return
        open_ids = venue.local_open_orders()
        for order in list(self._live.values()):
            if order.client_id in open_ids:
                continue
            if order.delivered_lots < venue.journal.filled_lots(order.venue_order_id):
                continue  # its fills are still on their way to the engine
            self.end(order)

    def end(self, order: BridgeOrder) -> None:
        """Close an order that is no longer open at the venue (CANCELED unless fully filled)."""
        order.done = True
        self._live.pop(order.seq, None)
        if order.delivered_lots < order.qty_lots:
            self.stats.ended_unfilled += 1
            self.report(order, OrderEventKind.CANCELED, 0)

    def reject(self, order: BridgeOrder, code: str) -> None:
        """A place that did not rest: REJECTED for the engine."""
        order.done = True
        self.stats.rejects += 1
        self.report(order, OrderEventKind.REJECTED, order.qty_lots, REJECT_REASONS.get(code, 0))

    def reject_request(self, order: BridgeOrder, code: str) -> None:
        """A replace/cancel that did not take: the order stays as it was."""
        if order.done:
            return
        self.stats.rejects += 1
        leaves = max(0, order.qty_lots - order.delivered_lots)
        self.report(order, OrderEventKind.REPLACE_REJECTED, leaves, REJECT_REASONS.get(code, 0))

    def report(self, order: BridgeOrder, kind: int, leaves_lots: int, reason: int = 0) -> None:
        """Queue an event on order for the engine (stamped when the engine takes it)."""
        self.inbox.append(OrderEvent(0, 0, kind, order.seq, order.seq, order.side,
                                     order.price_ticks, order.qty_lots, leaves_lots, reason,
                                     0, 0.0))  # fmt: skip

    def take(self) -> list[OrderEvent]:
        """Return the queued reports and empty the inbox."""
        reports, self.inbox = self.inbox, []
        return reports

    def oldest_unknown(self) -> tuple[BridgeOrder, int] | None:
        """Return the place unknown for longest and the local time it became unknown."""
        if not self.unknown_since_ns:
            return None
        seq, since_ns = min(self.unknown_since_ns.items(), key=lambda item: item[1])
        return self._orders[seq], since_ns


class RequestScheduler:
    """Run the engine's place/replace/cancel as tasks, one order's requests in order."""

    def __init__(
        self,
        table: OrderTable,
        tag: str,
        venue: Callable[[], BridgeableVenue | None],
        fail: Callable[[MmError], None],
        now_ns: Callable[[], int],
    ) -> None:
        self._table = table
        self._stats = table.stats
        self._tag = tag
        self._venue = venue
        self._fail = fail
        self._now_ns = now_ns
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False

    def place(self, side: int, price_ticks: int, qty_lots: int, client_seq: int) -> int:
        """Send a post-only place as a task; return the engine's order id (the sequence)."""
        intent = OrderIntent(self._tag, client_seq, side, price_ticks, qty_lots)
        order = BridgeOrder(client_seq, side, price_ticks, qty_lots, client_id_for(intent))
        self._table.add(order)
        self._stats.places += 1
        self._chain(order, lambda: self._do_place(order, intent))
        return client_seq

    def replace(self, order_id: int, price_ticks: int, qty_lots: int) -> None:
        """Send a modify (new price, qty_lots still to rest) as a task."""
        order = self._table[order_id]
        self._stats.replaces += 1
        self._chain(order, lambda: self._do_modify(order, price_ticks, qty_lots))

    def cancel(self, order_id: int) -> None:
        """Send a cancel as a task."""
        order = self._table[order_id]
        self._stats.cancels += 1
        self._chain(order, lambda: self._do_cancel(order))

    async def drain(self, timeout_s: float) -> None:
        """Stop retrying, let the requests in flight finish within timeout_s, cancel the rest."""
        self._closing = True
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=timeout_s)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)

    def _chain(self, order: BridgeOrder, step: Callable[[], Awaitable[None]]) -> None:
        task = asyncio.get_running_loop().create_task(self._after(order.tail, step))
        order.tail = task
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _after(self, previous: asyncio.Task[None] | None,
                     step: Callable[[], Awaitable[None]]) -> None:  # fmt: skip
        if previous is not None and not previous.done():
            await asyncio.wait([previous])
        try:
            await step()
        except VenueAuthError as exc:
            self._fail(exc)
        except MmError as exc:
            log.error("venue request failed: %s", exc.line())
        except Exception as exc:  # a bug or an unmapped venue error: stop quoting
            self._fail(TemporaryVenueError("E_VENUE_TEMPORARY", f"request: {one_line(exc)}"))

    def _require_venue(self) -> BridgeableVenue:
        venue = self._venue()
        if venue is None:
            raise TemporaryVenueError("E_VENUE_DISCONNECTED", "venue not started")
        return venue

    async def _do_place(self, order: BridgeOrder, intent: OrderIntent) -> None:
        venue = self._require_venue()
        try:
            result = await self._place_until_known(venue, order, intent)
        finally:
            self._table.unknown_since_ns.pop(order.seq, None)
        if result is None:
            return
        if isinstance(result, Rejected):
            log.warning("place rejected: %s", result.line())
            self._table.reject(order, result.code)
        elif result.status in _NEVER_RESTED and result.filled_lots == 0:
            self._table.reject(order, "E_VENUE_REJECTED")
        else:
            self._table.ack(order, result)

    async def _place_until_known(self, venue: BridgeableVenue, order: BridgeOrder,
                                 intent: OrderIntent) -> PlaceResult | None:  # fmt: skip
        """Return the venue's answer to the place; None when it ended here as a REJECT."""
        backoff_s = 0.05
        while True:
            try:
                return await venue.place(intent)
            except VenueAuthError as exc:
                self._table.reject(order, exc.code)
                raise
            except TemporaryVenueError as exc:
                # Outcome unknown: ask again under the same intent (resolved by client id).
                if exc.code != "E_VENUE_OUTCOME_UNKNOWN" or self._closing:
                    self._table.reject(order, exc.code)
                    return None
                if order.seq not in self._table.unknown_since_ns:  # tell the engine once
                    self._table.unknown_since_ns[order.seq] = self._now_ns()
                    self._table.report(order, OrderEventKind.UNKNOWN_OUTCOME, order.qty_lots)
                log.warning("place outcome unknown, asking again: %s", exc.line())
                await asyncio.sleep(backoff_s)
                backoff_s = min(1.0, 2 * backoff_s)

    async def _do_modify(self, order: BridgeOrder, price_ticks: int, leaves_lots: int) -> None:
        if order.done or not order.acked:
            return
        venue = self._require_venue()
        filled = max(order.delivered_lots, venue.journal.filled_lots(order.venue_order_id))
        try:
            result = await venue.modify(order.client_id, price_ticks, filled + leaves_lots)
        except TemporaryVenueError as exc:
            self._table.reject_request(order, exc.code)
            return
        if isinstance(result, Rejected):
            log.warning("modify rejected: %s", result.line())
            self._table.reject_request(order, result.code)
        elif result.status.is_open:
            order.price_ticks, order.qty_lots = result.price_ticks, result.qty_lots
            self._table.report(order, OrderEventKind.REPLACE_ACCEPTED, result.leaves_lots)
        # else: it ended at the venue meanwhile; run_until ends it once its fills are in

    async def _do_cancel(self, order: BridgeOrder) -> None:
        if order.done or not order.acked:
            return
        venue = self._require_venue()
        try:
            result = await venue.cancel(order.client_id)
        except TemporaryVenueError as exc:
            self._table.reject_request(order, exc.code)
            return
        if isinstance(result, Rejected):
            if result.code == "E_VENUE_UNKNOWN_ORDER":
                # Nothing rests at the venue. run_until ends the order once its fills are in;
                # only if the adapter still lists it (nothing else would end it) end it now.
                if not order.done and order.client_id in venue.local_open_orders():
                    self._table.end(order)
                return
            self._table.reject_request(order, result.code)
        elif result.status.is_open:
            self._table.reject_request(order, "E_VENUE_REJECTED")
        # else: canceled (or filled); run_until ends it once its fills are in
