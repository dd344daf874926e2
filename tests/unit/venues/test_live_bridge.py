"""LiveBridge failure paths over an in-memory async Venue (no network, no test sleeps).

The fake answers from memory; the test drives it and waits on events only: `until` for the
fake's answers (the bridge turns an answer into a report in the same step, before the test
runs again) and `fills_taken` / `books_taken` for the bridge's pumps.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Callable

import pytest

from mmbot.core.clock import SimClock
from mmbot.core.events import OrderEvent, OrderEventKind
from mmbot.core.types import MarketView
from mmbot.venues.base import (
    Balance,
    BookTop,
    OrderIntent,
    OrderStatus,
    Position,
    Rejected,
    TemporaryVenueError,
    VenueFill,
    VenueOrder,
)
from mmbot.venues.bridge import REJECT_REASONS, BridgeConfig, LiveBridge, venue_tag
from mmbot.venues.fills import FillJournal
from mmbot.venues.idempotency import client_id_for
from mmbot.venues.recon import LocalState, ReconReport

pytestmark = pytest.mark.asyncio

T0 = 1_700_000_000_000_000_000
STEP_NS = 100_000_000
BUY, SELL = 1, -1
FEE_USD = 0.01
LOT_USD_PER_TICK = 0.1 * 0.001  # the bridge's tick_size * lot_size
K = OrderEventKind
CancelAnswer = VenueOrder | Rejected | Exception


class FakeVenue:
    """A BridgeableVenue in memory: orders by client id, fill/book streams the test feeds."""

    def __init__(self) -> None:
        self.journal = FillJournal()
        self.start_position_lots = 0  # what an earlier session left (adopted at start)
        self.block: str | None = None
        self.orders: dict[str, VenueOrder] = {}  # every order posted, newest state
        self.posts = 0
        self.place_calls: list[OrderIntent] = []
        self.cancel_calls: list[str] = []
        self.answers = {"place": 0, "cancel": 0}
        self.lose_place_answers = 0  # the next N places rest the order but lose the answer
        self.place_gate: asyncio.Event | None = None  # a place answers once it is set
        self.cancel_script: list[CancelAnswer] = []  # answers before the real cancel
        self.hold_fills = False  # trades are counted at once but reach the stream on release
        self.held_fills: list[VenueFill] = []
        self._fill_q: asyncio.Queue[VenueFill | Exception] = asyncio.Queue()
        self._book_q: asyncio.Queue[BookTop] = asyncio.Queue()
        self._changed = asyncio.Event()

    # ---- the test's side -------------------------------------------------------------------
    async def until(self, done: Callable[[], bool]) -> None:
        """Wait until done() holds; re-checked whenever the fake posts or answers."""
        async with asyncio.timeout(5):  # a guard against a hang, never reached when passing
            while not done():
                self._changed.clear()
                await self._changed.wait()

    def trade(self, client_id: str, qty_lots: int) -> None:
        """Execute qty_lots of an order: the adapter's journal counts it, the stream has it."""
        order = self.orders[client_id]
        filled = order.filled_lots + qty_lots
        status = OrderStatus.FILLED if filled == order.qty_lots else OrderStatus.PARTIALLY_FILLED
        self.orders[client_id] = dataclasses.replace(order, filled_lots=filled, status=status)
        n = self.journal.applied_total + 1
        fill = VenueFill(f"t{n}", order.venue_order_id, client_id, order.side,
                         order.price_ticks, qty_lots, FEE_USD, True, 1_000 + n)  # fmt: skip
        assert self.journal.apply(fill, "ws")
        if self.hold_fills:
            self.held_fills.append(fill)
        else:
            self._fill_q.put_nowait(fill)

    def release_fills(self) -> None:
        """Put the held fills on the stream (they were slow to arrive)."""
        for fill in self.held_fills:
            self._fill_q.put_nowait(fill)
        self.held_fills.clear()

    def expire(self, client_id: str) -> None:
        """End an order at the venue (dead-man switch, expiry): no longer open."""
        order = self.orders[client_id]
        self.orders[client_id] = dataclasses.replace(order, status=OrderStatus.EXPIRED)

    def break_fills(self) -> None:
        """Make the fill stream fail (a disconnect the adapter could not recover)."""
        self._fill_q.put_nowait(ConnectionError("stream reset"))

    def push_book(self, bid_ticks: int, bid_lots: int, ask_ticks: int, ask_lots: int) -> None:
        """Put a top of book on the book stream."""
        self._book_q.put_nowait(BookTop("BTC/USDT:USDT", bid_ticks, bid_lots, ask_ticks,
                                        ask_lots, 1_000))  # fmt: skip

    async def fills_taken(self) -> None:
        """Wait until the bridge's pump applied every fill on the stream."""
        await self._fill_q.join()

    async def books_taken(self) -> None:
        """Wait until the bridge's pump took every book on the stream."""
        await self._book_q.join()

    def _answered(self, what: str) -> None:
        self.answers[what] += 1
        self._changed.set()

    # ---- the Venue port --------------------------------------------------------------------
    async def start(self, local: LocalState | None = None, adopt: bool = False) -> ReconReport:
        lots = self.start_position_lots
        lines = (f"E_RECON_POSITION: venue={lots}",) if lots else ()
        return ReconReport(0, lots, (), (), (), bool(lots), lines)

    async def close(self) -> None:
        return None

    def local_open_orders(self) -> dict[str, VenueOrder]:
        return {cid: o for cid, o in self.orders.items() if o.status.is_open}

    async def place(self, intent: OrderIntent) -> VenueOrder | Rejected:
        self.place_calls.append(intent)
        cid = client_id_for(intent)
        if cid not in self.orders:  # resolved by client id, as the adapter does
            self.posts += 1
            self.orders[cid] = VenueOrder(cid, f"v{self.posts}", intent.side,
                                          intent.price_ticks, intent.qty_lots, 0,
                                          OrderStatus.NEW, 1_000)  # fmt: skip
            self._changed.set()
        if self.place_gate is not None:
            await self.place_gate.wait()
        self._answered("place")
        if self.lose_place_answers > 0:
            self.lose_place_answers -= 1
            raise TemporaryVenueError("E_VENUE_OUTCOME_UNKNOWN", f"client_id={cid} lost")
        return self.orders[cid]

    async def cancel(self, client_id: str) -> VenueOrder | Rejected:
        self.cancel_calls.append(client_id)
        answer: CancelAnswer
        if self.cancel_script:
            answer = self.cancel_script.pop(0)
        elif client_id not in self.orders:
            answer = Rejected("E_VENUE_UNKNOWN_ORDER", client_id, "no such order")
        else:
            order = self.orders[client_id]
            if order.status.is_open:
                order = dataclasses.replace(order, status=OrderStatus.CANCELED)
                self.orders[client_id] = order
            answer = order
        self._answered("cancel")
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def modify(self, client_id: str, price_ticks: int, qty_lots: int) -> VenueOrder:
        raise AssertionError("not used by these tests")

    async def open_orders(self) -> list[VenueOrder]:
        return list(self.local_open_orders().values())

    async def positions(self) -> list[Position]:
        return []

    async def balances(self) -> list[Balance]:
        return []

    async def fills(self) -> AsyncIterator[VenueFill]:
        while True:
            item = await self._fill_q.get()
            if isinstance(item, Exception):
                self._fill_q.task_done()
                raise item
            yield item
            self._fill_q.task_done()  # the pump applied it and asks for the next one

    async def books(self) -> AsyncIterator[BookTop]:
        while True:
            yield await self._book_q.get()
            self._book_q.task_done()

    def quote_block(self) -> str | None:
        return self.block


@contextlib.asynccontextmanager
async def running(
    venue: FakeVenue, config: BridgeConfig | None = None
) -> AsyncIterator[LiveBridge]:
    bridge = LiveBridge(lambda: venue, "mm-test", 0.1, 0.001, clock=SimClock(T0), config=config)
    await bridge.start()
    try:
        yield bridge
    finally:
        await bridge.close()


def take(bridge: LiveBridge, step: int) -> list[OrderEvent]:
    """Run the decision at T0 + step and return its reports."""
    assert bridge.run_until(T0 + step * STEP_NS)
    return bridge.reports()


def rep(step: int, kind: int, seq: int, leaves: int, *, side: int = BUY, price: int = 1000,
        qty: int = 3, reason: int = 0) -> OrderEvent:  # fmt: skip
    """An order event (not a fill) as the bridge stamps it at decision step."""
    return OrderEvent(T0 + step * STEP_NS, 0, kind, seq, seq, side, price, qty, leaves,
                      reason, 0, 0.0)  # fmt: skip


def fill_rep(step: int, seq: int, qty: int, leaves: int, trade_no: int,
             mid_x2: int = 0) -> OrderEvent:  # fmt: skip
    """The fill event of the fake's trade number trade_no at 1000 ticks, maker."""
    kind = OrderEventKind.FILLED if leaves == 0 else OrderEventKind.PARTIALLY_FILLED
    return OrderEvent(T0 + step * STEP_NS, (1_000 + trade_no) * 1_000_000, kind, seq, seq,
                      BUY, 1000, qty, leaves, 0, 1, FEE_USD, mid_x2)  # fmt: skip


def position_of(events: list[OrderEvent]) -> int:
    """Return the position the fill events among events add up to."""
    fills = (OrderEventKind.PARTIALLY_FILLED, OrderEventKind.FILLED)
    return sum(e.side * e.qty_lots for e in events if e.kind in fills)


def assert_router_counted(bridge: LiveBridge, fill_lots: list[int]) -> None:
    """The summary counts exactly these fills at 1000 ticks, each paying FEE_USD."""
    summary = bridge.summary()
    assert summary["fills"] == len(fill_lots)
    assert summary["fees_usd"] == pytest.approx(FEE_USD * len(fill_lots))
    assert summary["notional_usd"] == pytest.approx(sum(fill_lots) * 1000 * LOT_USD_PER_TICK)
    assert "position_lots" not in summary and "cash_usd" not in summary  # the engine's ledger


def cid_of(seq: int, qty: int = 3) -> str:
    return client_id_for(OrderIntent(venue_tag("mm-test"), seq, BUY, 1000, qty))


async def placed(venue: FakeVenue, bridge: LiveBridge, seq: int, qty: int = 3) -> None:
    """Place a bid of qty at 1000 and wait for the venue's answer."""
    answered = venue.answers["place"]
    assert bridge.place(BUY, 1000, qty, seq) == seq
    await venue.until(lambda: venue.answers["place"] > answered)


async def test_bridge_place_outcome_unknown_asks_again_same_intent_posts_once() -> None:
    venue = FakeVenue()
    venue.lose_place_answers = 2
    async with running(venue) as bridge:
        bridge.place(BUY, 1000, 3, 7)
        await venue.until(lambda: venue.answers["place"] == 1)
        assert take(bridge, 1) == [rep(1, K.UNKNOWN_OUTCOME, 7, 3)]  # not a reject: held
        await venue.until(lambda: venue.answers["place"] == 3)
        assert take(bridge, 2) == [rep(2, K.ACCEPTED, 7, 3)]  # the second unknown: told once
        assert take(bridge, 3) == []
    intent = OrderIntent(venue_tag("mm-test"), 7, BUY, 1000, 3)
    assert venue.place_calls == [intent, intent, intent]
    assert venue.posts == 1
    assert list(venue.orders) == [client_id_for(intent)]
    assert bridge.stats.rejects == 0


async def test_bridge_place_outcome_unknown_at_close_rejects_and_cancels_leftover() -> None:
    venue = FakeVenue()
    venue.lose_place_answers = 99
    async with running(venue) as bridge:
        bridge.place(BUY, 1000, 3, 7)
        await venue.until(lambda: venue.answers["place"] == 1)
        assert take(bridge, 1) == [rep(1, K.UNKNOWN_OUTCOME, 7, 3)]
    # close stopped the asking: the next unknown answer is final
    reason = REJECT_REASONS["E_VENUE_OUTCOME_UNKNOWN"]
    assert bridge.reports() == [rep(1, K.REJECTED, 7, 3, reason=reason)]
    assert (venue.posts, venue.answers["place"]) == (1, 2)
    assert venue.cancel_calls == [cid_of(7)]  # the safety net cancels what rested
    assert bridge.stats.close_cancels == 1


async def test_bridge_outcome_unknown_past_limit_stops_quoting_answer_still_arrives() -> None:
    venue = FakeVenue()
    venue.lose_place_answers = 99
    async with running(venue, BridgeConfig(max_unknown_outcome_s=0.5)) as bridge:
        venue.push_book(1000, 5, 1001, 7)
        await venue.books_taken()
        bridge.place(BUY, 1000, 3, 7)
        await venue.until(lambda: venue.answers["place"] == 1)  # unknown since T0 (the clock)
        assert take(bridge, 5) == [rep(5, K.UNKNOWN_OUTCOME, 7, 3)]
        assert bridge.quote_block() is None  # 0.5 s: at the limit
        assert take(bridge, 6) == []  # 0.6 s: past it
        line = bridge.quote_block()
        assert line == (
            f"E_VENUE_OUTCOME_TIMEOUT: client_id={cid_of(7)} outcome unknown for 0.600 s "
            "expected<=max_unknown_outcome_s=0.5; quoting stopped for the run, resolving continues"
        )
        assert bridge.market_view(T0 + 6 * STEP_NS).best_bid_lots == 0  # nothing is decided
        answered = venue.answers["place"]
        venue.lose_place_answers = 0  # the asking goes on in the background
        await venue.until(lambda: venue.answers["place"] > answered)
        assert take(bridge, 7) == [rep(7, K.ACCEPTED, 7, 3)]
        assert bridge.quote_block() == line  # latched, as the kill switch is
    assert venue.posts == 1 and bridge.summary()["latched_stop"] == line
    assert bridge.stats.blocked_decisions == 2


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        (Rejected("E_VENUE_REJECTED", "x", "cancel refused"), "E_VENUE_REJECTED"),
        (TemporaryVenueError("E_VENUE_TEMPORARY", "cancel: 502"), "E_VENUE_TEMPORARY"),
        ("still_open", "E_VENUE_REJECTED"),
    ],
    ids=["rejected", "temporary_error", "answer_still_open"],
)
async def test_bridge_cancel_not_taken_reports_reject_order_stays_live(
    answer: CancelAnswer | str, code: str
) -> None:
    venue = FakeVenue()
    async with running(venue) as bridge:
        await placed(venue, bridge, 1)
        assert take(bridge, 1) == [rep(1, K.ACCEPTED, 1, 3)]
        venue.cancel_script = [venue.orders[cid_of(1)] if answer == "still_open" else answer]
        bridge.cancel(1)
        await venue.until(lambda: venue.answers["cancel"] == 1)
        reason = REJECT_REASONS[code]
        assert take(bridge, 2) == [rep(2, K.REPLACE_REJECTED, 1, 3, reason=reason)]  # still rests
        assert take(bridge, 3) == []  # still open at the venue: not ended
        bridge.cancel(1)  # the engine cancels again
        await venue.until(lambda: venue.answers["cancel"] == 2)
        assert take(bridge, 4) == [rep(4, K.CANCELED, 1, 0)]
    assert venue.cancel_calls == [cid_of(1), cid_of(1)]
    assert (bridge.stats.rejects, bridge.stats.ended_unfilled) == (1, 1)


async def test_bridge_order_gone_at_venue_cancels_only_after_its_fills() -> None:
    venue = FakeVenue()
    async with running(venue) as bridge:
        await placed(venue, bridge, 1)
        assert take(bridge, 1) == [rep(1, K.ACCEPTED, 1, 3)]
        venue.trade(cid_of(1), 1)  # counted by the adapter, not yet through the stream
        venue.expire(cid_of(1))  # dead-man switch: no longer open
        assert take(bridge, 2) == []  # a fill is still on its way: not ended yet
        await venue.fills_taken()
        ended = take(bridge, 3)
        assert ended == [fill_rep(3, 1, 1, 2, trade_no=1), rep(3, K.CANCELED, 1, 0)]
        assert take(bridge, 4) == []
    assert position_of(ended) == 1
    assert_router_counted(bridge, [1])
    assert bridge.stats.ended_unfilled == 1
    assert venue.cancel_calls == []  # nothing left open at close


async def test_bridge_cancel_of_unknown_order_ends_it_only_after_its_fills() -> None:
    venue = FakeVenue()
    async with running(venue) as bridge:
        await placed(venue, bridge, 1)
        assert take(bridge, 1) == [rep(1, K.ACCEPTED, 1, 3)]
        venue.hold_fills = True
        venue.trade(cid_of(1), 1)  # counted by the adapter, slow to reach the stream
        venue.expire(cid_of(1))
        venue.cancel_script = [Rejected("E_VENUE_UNKNOWN_ORDER", cid_of(1), "no such order")]
        bridge.cancel(1)
        await venue.until(lambda: venue.answers["cancel"] == 1)
        assert take(bridge, 2) == []  # gone at the venue, but its fill has not arrived
        venue.release_fills()
        await venue.fills_taken()
        # The order ends after the fill that was on its way, never before it.
        ended = take(bridge, 3)
        assert ended == [fill_rep(3, 1, 1, 2, trade_no=1), rep(3, K.CANCELED, 1, 0)]
    assert position_of(ended) == 1
    assert_router_counted(bridge, [1])


async def test_bridge_fill_before_ack_delivered_once_and_counted_in_ack() -> None:
    venue = FakeVenue()
    venue.place_gate = asyncio.Event()
    async with running(venue) as bridge:
        bridge.place(BUY, 1000, 3, 1)
        await venue.until(lambda: venue.posts == 1)  # rested; the answer is held back
        venue.trade(cid_of(1), 1)
        await venue.fills_taken()
        first = take(bridge, 1)
        assert first == [fill_rep(1, 1, 1, 2, trade_no=1)]
        venue.place_gate.set()
        await venue.until(lambda: venue.answers["place"] == 1)
        assert take(bridge, 2) == [rep(2, K.ACCEPTED, 1, 2)]  # net of the fill delivered
        venue.trade(cid_of(1), 2)  # the rest: FILLED, gone from the open orders
        await venue.fills_taken()
        last = take(bridge, 3)
        assert last == [fill_rep(3, 1, 2, 0, trade_no=2)]  # no CANCELED after it
        assert take(bridge, 4) == []
    assert position_of(first + last) == 3
    assert_router_counted(bridge, [1, 2])
    assert (bridge.stats.ended_unfilled, bridge.stats.unknown_fills) == (0, 0)


async def test_bridge_quote_block_set_market_view_has_no_sizes() -> None:
    venue = FakeVenue()
    async with running(venue) as bridge:
        venue.push_book(1000, 5, 1001, 7)
        await venue.books_taken()
        venue.block = "E_VENUE_DISCONNECTED: private stream down or not reconciled yet"
        assert take(bridge, 1) == []
        assert bridge.quote_block() == venue.block
        ts_ns = T0 + STEP_NS
        assert bridge.market_view(ts_ns) == MarketView(ts_ns, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1)
        venue.block = None
        assert take(bridge, 2) == []
        assert bridge.quote_block() is None
        ts_ns = T0 + 2 * STEP_NS
        view = MarketView(ts_ns, 1000, 5, 1001, 7, 5, 7, 0, 0, -1, -1)
        assert bridge.market_view(ts_ns) == view
    assert bridge.stats.blocked_decisions == 1


async def test_bridge_fill_stream_breaks_fails_bridge_and_blocks_quoting() -> None:
    venue = FakeVenue()
    async with running(venue) as bridge:
        venue.push_book(1000, 5, 1001, 7)
        await venue.books_taken()
        venue.break_fills()
        await venue.fills_taken()
        assert not bridge.run_until(T0 + STEP_NS)
        assert bridge.quote_block() == "E_VENUE_DISCONNECTED: venue failed: E_VENUE_DISCONNECTED"
        assert bridge.market_view(T0 + STEP_NS).best_bid_lots == 0
    assert bridge.fatal is not None and "ConnectionError" in bridge.fatal.line()


@pytest.mark.parametrize("lots", [-4, 0], ids=["short", "flat"])
async def test_bridge_start_reports_the_venue_position_as_adopted_once(lots: int) -> None:
    venue = FakeVenue()
    venue.start_position_lots = lots
    async with running(venue, BridgeConfig(adopt=True)) as bridge:
        adopted = OrderEvent(T0 + STEP_NS, 0, OrderEventKind.POSITION_ADOPTED, 0, 0, -1, 0, 4,
                             0, 0, 0, 0.0)  # fmt: skip
        assert take(bridge, 1) == ([adopted] if lots else [])
        assert take(bridge, 2) == []


async def test_bridge_fill_event_carries_the_newest_book_mid() -> None:
    venue = FakeVenue()
    async with running(venue) as bridge:
        venue.push_book(999, 5, 1002, 7)
        await venue.books_taken()
        await placed(venue, bridge, 1)
        assert take(bridge, 1) == [rep(1, K.ACCEPTED, 1, 3)]  # no mid on an order event
        venue.trade(cid_of(1), 3)
        await venue.fills_taken()
        assert take(bridge, 2) == [fill_rep(2, 1, 3, 0, trade_no=1, mid_x2=2001)]
    assert_router_counted(bridge, [3])
    assert bridge.effective_fee_bps == pytest.approx(1e4 * FEE_USD / (3 * 1000 * LOT_USD_PER_TICK))
