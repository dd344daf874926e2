"""Venue ports of the live modes: the journaling wrapper, the shadow venue, the live contract.

Theory of operation. The engine talks to one port (`EngineVenue`, engine/loop.py). A mode
is a stack of wrappers around the port that owns the market data:

    live-sim   JournalingVenue(SimVenuePort)                  orders reach the simulator
    shadow     JournalingVenue(ShadowVenue(feed))             orders are recorded, never sent
               (feed: the replay's SimVenuePort, or a LiveBridge over a market-data-only adapter)
    canary     JournalingVenue(CanaryVenue(live venue, caps)) orders past the caps and gate
    live       JournalingVenue(CanaryVenue(live venue))       the gate only

ShadowVenue answers its own sends one decision later (accepted, replace accepted, canceled)
so the order manager moves as it would against a real venue, and fills its resting orders on
paper: an order fills in full, at its own price, as a maker, at the first view whose opposite
best price reaches it (a bid once the best ask is at or below it, an ask once the best bid is
at or above it); the fill is reported at the next decision. That rule ignores the queue ahead
of us (optimistic) and trades at our price that did not move the top of book (pessimistic);
the paper fills and PnL say what the quotes would have met, not what a venue would have paid.

A book of several symbols has one such stack per symbol, and the strategies quoting a symbol
share its port and its order numbers. A port's wrappers name an order as the order manager of
the strategy that sent it did (`<strategy>-<seq>`): OrderNames reads it from the port's named
ClientSeqs, which the engine numbers from, and every journal line of a book of several
symbols also names the symbol.
"""

from __future__ import annotations

from typing import Final, Protocol

from mmbot.core.events import (
    FILL_KINDS,
    LOCAL_REJECT_REASON,
    OrderEvent,
    OrderEventKind,
    local_event,
)
from mmbot.core.types import MarketView
from mmbot.engine.journal import Journal, JournalEntry
from mmbot.engine.loop import EngineVenue
from mmbot.engine.orders import ClientSeqs, make_client_id

# The journal's name for each event kind (docs/RUN_DIRECTORY.md, journal.jsonl).
_FATES: Final[dict[int, str]] = {
    OrderEventKind.ACCEPTED: "ack",
    OrderEventKind.REJECTED: "reject",
    OrderEventKind.PARTIALLY_FILLED: "fill",
    OrderEventKind.FILLED: "fill",
    OrderEventKind.CANCELED: "canceled",
    OrderEventKind.REPLACE_ACCEPTED: "modified",
    OrderEventKind.REPLACE_REJECTED: "reject",
    OrderEventKind.UNKNOWN_OUTCOME: "unknown",
    OrderEventKind.POSITION_ADOPTED: "adopted",
}
_UNKNOWN_ORDER_REASON: Final = 2  # a paper replace/cancel of an order that already filled


class OrderNames:
    """The client ids of one port's orders, as the order managers that drew them made them.

    seqs: the port's order numbers, shared by its strategies, named (ClientSeqs(named=True));
    the engine numbers its orders from it. strategy_id names a number no strategy of this
    session drew (an earlier session's order, a fill we did not place): the symbol's first
    strategy, whose leg books such reports. symbol: what the port's journal lines name (""
    in a run of one symbol: no field).
    """

    def __init__(self, strategy_id: str, symbol: str = "", seqs: ClientSeqs | None = None) -> None:
        self.strategy_id = strategy_id
        self.symbol = symbol
        self.seqs = seqs or ClientSeqs(named=True)

    def client_id(self, client_seq: int) -> str:
        """Return the client id of the order numbered client_seq."""
        return self.seqs.client_id_of(client_seq) or make_client_id(self.strategy_id, client_seq)


class FeedSource(Protocol):
    """Market data without order entry: what shadow mode reads (a replay or a venue stream)."""

    def run_until(self, ts_ns: int) -> bool: ...
    def first_ts_ns(self) -> int: ...
    def market_view(self, ts_ns: int) -> MarketView: ...
    @property
    def exch_mid_ticks_x2(self) -> int: ...


class LiveVenue(EngineVenue, Protocol):
    """What the canary/live runner needs of a real venue (the ccxt adapter implements it).

    first_ts_ns() is the wall time (ns since the epoch) when the market stream started;
    run_until(ts_ns) applies what the streams delivered up to ts_ns without blocking and
    returns False once the stream is closed for good; reports() drains order reports;
    place/replace/cancel hand a request to the venue without waiting for its answer (the
    answer comes back as a report); position/cash/notional are the venue-reconciled values.
    Credentials stay inside the adapter: nothing here prints or logs them.
    """


class PassThroughVenue:
    """A venue port that wraps another: the read-only views go straight to the inner port.

    JournalingVenue and CanaryVenue add behaviour to the requests and reports; everything a
    decorator does not change is answered here, once.
    """

    def __init__(self, inner: EngineVenue) -> None:
        self.inner = inner
        self._now_ns = 0

    def run_until(self, ts_ns: int) -> bool:
        """Advance the inner port; requests sent after this carry ts_ns."""
        self._now_ns = ts_ns
        return self.inner.run_until(ts_ns)

    def first_ts_ns(self) -> int:
        """Return the inner port's first local time."""
        return self.inner.first_ts_ns()

    def market_view(self, ts_ns: int) -> MarketView:
        """Return the inner port's view."""
        return self.inner.market_view(ts_ns)

    @property
    def exch_mid_ticks_x2(self) -> int:
        """Twice the venue book's mid at the last view."""
        return self.inner.exch_mid_ticks_x2

    @property
    def effective_fee_bps(self) -> float:
        """Fees paid per notional traded, bps."""
        return self.inner.effective_fee_bps

    @property
    def fee_tier_distance_usd(self) -> float:
        """USD volume to the next fee tier."""
        return self.inner.fee_tier_distance_usd


class JournalingVenue(PassThroughVenue):
    """Pass every call to the inner port; journal each request and each report on the way."""

    def __init__(self, inner: EngineVenue, journal: Journal, names: OrderNames) -> None:
        super().__init__(inner)
        self.journal = journal
        self.names = names
        self._client_of: dict[int, str] = {}  # venue order id -> client id
        self._side_of: dict[int, int] = {}

    def reports(self) -> list[OrderEvent]:
        """Return the inner port's events, journaling each one's fate."""
        events = self.inner.reports()
        for event in events:
            client_id = self._client_of.get(event.order_id) or (
                self.names.client_id(event.client_seq) if event.client_seq else ""
            )  # seq 0: no order of ours (an adopted position, a fill we did not place)
            kind = event.kind
            if kind in FILL_KINDS:
                detail = "maker" if event.is_maker else "taker"
            elif kind in (OrderEventKind.REJECTED, OrderEventKind.REPLACE_REJECTED):
                detail = "local" if event.reason == LOCAL_REJECT_REASON else str(event.reason)
            else:
                detail = ""
            self.journal.append(
                JournalEntry(event.ts_local_ns, _FATES[kind], client_id,
                             event.side, event.price_ticks, event.qty_lots, event.leaves_lots,
                             detail, self.names.symbol)
            )  # fmt: skip
        return events

    def place(self, side: int, price_ticks: int, qty_lots: int, client_seq: int) -> int:
        """Journal and hand on a place request; return the venue order id."""
        client_id = self.names.client_id(client_seq)
        self.journal.append(JournalEntry(self._now_ns, "place", client_id, side, price_ticks,
                                         qty_lots, symbol=self.names.symbol))  # fmt: skip
        order_id = self.inner.place(side, price_ticks, qty_lots, client_seq)
        self._client_of[order_id] = client_id
        self._side_of[order_id] = side
        return order_id

    def replace(self, order_id: int, price_ticks: int, qty_lots: int) -> None:
        """Journal and hand on a replace request."""
        self.journal.append(
            JournalEntry(self._now_ns, "replace", self._client_of.get(order_id, ""),
                         self._side_of.get(order_id, 0), price_ticks, qty_lots,
                         symbol=self.names.symbol)
        )  # fmt: skip
        self.inner.replace(order_id, price_ticks, qty_lots)

    def cancel(self, order_id: int) -> None:
        """Journal and hand on a cancel request."""
        self.journal.append(
            JournalEntry(self._now_ns, "cancel", self._client_of.get(order_id, ""),
                         self._side_of.get(order_id, 0), symbol=self.names.symbol)
        )  # fmt: skip
        self.inner.cancel(order_id)


class ShadowVenue:
    """Read the market from a feed; record every request, send none, fill on paper."""

    def __init__(self, feed: FeedSource, tick_size: float, lot_size: float,
                 maker_fee_bps: float = 0.0) -> None:  # fmt: skip
        self.feed = feed
        self.sends: dict[str, int] = {"cancel": 0, "place": 0, "replace": 0}
        self.paper_fills = 0
        self._usd_per_tick_lot = tick_size * lot_size
        self._maker_fee_rate = maker_fee_bps * 1e-4
        self._now_ns = 0
        self._next_order_id = 1
        self._orders: dict[int, tuple[int, int, int, int]] = {}  # id -> seq, side, price, qty
        self._pending: list[OrderEvent] = []

    def run_until(self, ts_ns: int) -> bool:
        """Advance the feed to ts_ns."""
        self._now_ns = ts_ns
        return self.feed.run_until(ts_ns)

    def first_ts_ns(self) -> int:
        """Return the feed's first local time."""
        return self.feed.first_ts_ns()

    def market_view(self, ts_ns: int) -> MarketView:
        """Return the feed's view; fill on paper the resting orders its top of book reached."""
        view = self.feed.market_view(ts_ns)
        if self._orders and view.best_bid_lots > 0 and view.best_ask_lots > 0:
            self._fill_reached(view)
        return view

    def _fill_reached(self, view: MarketView) -> None:
        mid_x2 = view.best_bid_ticks + view.best_ask_ticks
        for order_id, (seq, side, price_ticks, qty_lots) in list(self._orders.items()):
            reached = (view.best_ask_ticks <= price_ticks if side > 0
                       else view.best_bid_ticks >= price_ticks)  # fmt: skip
            if not reached:
                continue
            del self._orders[order_id]
            self.paper_fills += 1
            fee_usd = price_ticks * qty_lots * self._usd_per_tick_lot * self._maker_fee_rate
            self._pending.append(OrderEvent(view.ts_ns, view.ts_ns, OrderEventKind.FILLED,
                                            order_id, seq, side, price_ticks, qty_lots, 0, 0, 1,
                                            fee_usd, mid_x2))  # fmt: skip

    @property
    def exch_mid_ticks_x2(self) -> int:
        """Twice the feed book's mid at the last view."""
        return self.feed.exch_mid_ticks_x2

    def reports(self) -> list[OrderEvent]:
        """Return the answers and paper fills recorded before the latest run_until()."""
        events, self._pending = self._pending, []
        return [e._replace(ts_local_ns=self._now_ns) for e in events]

    def place(self, side: int, price_ticks: int, qty_lots: int, client_seq: int) -> int:
        """Record a place; it is accepted at the next decision."""
        self.sends["place"] += 1
        order_id = self._next_order_id
        self._next_order_id += 1
        self._orders[order_id] = (client_seq, side, price_ticks, qty_lots)
        self._answer(OrderEventKind.ACCEPTED, order_id, client_seq, side, price_ticks, qty_lots)
        return order_id

    def replace(self, order_id: int, price_ticks: int, qty_lots: int) -> None:
        """Record a replace; it is confirmed at the next decision (refused if it filled)."""
        self.sends["replace"] += 1
        order = self._orders.get(order_id)
        if order is None:  # filled on paper before the engine heard of it
            self._answer(OrderEventKind.REPLACE_REJECTED, order_id, 0, 0, price_ticks, qty_lots,
                         _UNKNOWN_ORDER_REASON)  # fmt: skip
            return
        seq, side, _, _ = order
        self._orders[order_id] = (seq, side, price_ticks, qty_lots)
        self._answer(OrderEventKind.REPLACE_ACCEPTED, order_id, seq, side, price_ticks, qty_lots)

    def cancel(self, order_id: int) -> None:
        """Record a cancel; it is confirmed at the next decision (refused if it filled)."""
        self.sends["cancel"] += 1
        order = self._orders.pop(order_id, None)
        if order is None:
            self._answer(OrderEventKind.REPLACE_REJECTED, order_id, 0, 0, 0, 0,
                         _UNKNOWN_ORDER_REASON)  # fmt: skip
            return
        seq, side, price_ticks, qty_lots = order
        self._answer(OrderEventKind.CANCELED, order_id, seq, side, price_ticks, qty_lots)

    def _answer(self, kind: OrderEventKind, order_id: int, seq: int, side: int,
                price_ticks: int, qty_lots: int, reason: int = 0) -> None:  # fmt: skip
        self._pending.append(local_event(self._now_ns, kind, order_id, seq, side, price_ticks,
                                         qty_lots, reason))  # fmt: skip

    @property
    def effective_fee_bps(self) -> float:
        """The maker fee the paper fills pay, bps."""
        return self._maker_fee_rate * 1e4

    @property
    def fee_tier_distance_usd(self) -> float:
        """Always 0: no volume is traded."""
        return 0.0
