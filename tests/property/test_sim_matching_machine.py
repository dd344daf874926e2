"""The simulator's matching under random tapes and random order requests (docs/SIM.md).

A small random tape (a snapshot, then depth rows, trades at, through and away from our
prices, more snapshots, clears) is fixed when a run starts; the machine then sends post-only
limits, cancels and modifies at random times and advances the strategy's clock. Every report
the strategy receives goes through a checker that replays the same tape beside the venue:
its own copy of the venue's book (levels, the uncross, what a crossing fill took), the
crossing lots the tape still owes (docs/SIM.md "No double use of liquidity") and, for every
order, its price, leaves and queue position under the risk-averse model. It asserts:

1. No liquidity used twice: our fills at one market event add up to at most that event's
   lots; for a trade, at most what is left once the crossing lots it owes are paid off.
   Our orders share an event best price first, then the one that joined first.
2. An order never fills more than its size: each fill is at most its leaves (the report
   says leaves - qty after it), so filled <= size, a modify's new open qty included.
3. An order fills only from liquidity that reached it since it went live: filled lots <=
   trades at or through its price plus book rows at or through it (crossing fills), and
   (risk_averse) a trade at its own price fills it only with what is left of the trade
   after our orders ahead of it and the public queue ahead of it.
4. Position and cash the strategy sees are the sums of the fills reported to it; once
   everything is delivered the fill log holds exactly the reported fills.

Only post-only limits are sent, so every fill is a maker fill caused by one market event;
event times are distinct, so a fill's ts_ns names the event that caused it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from tests.unit.sim.sim_cases import ASK, BID, BUY, MS, SELL, C, D, S, T, tape

from mmbot.sim import ReportKind, SimParams, SimVenue

BASE_TICKS = 100  # the tape and our orders stay within a few ticks of it
TICK_USD, LOT_UNITS = 0.5, 0.1
FEE_TIERS = ((0.0, -1.0, 5.0),)  # a maker rebate, so cash checks the fee sign too
T0_MS = 1_000

Row = tuple[int, int, int, int]  # kind, side, price_ticks, qty_lots (times added later)
Event = tuple[int, int, int, int, int]  # ts_ns, kind, side, price_ticks, qty_lots


def _level(kind: int, side: int, offset: int, qty: int) -> Row:
    """A bid `offset` ticks below BASE, an ask `offset` above (negative: through it)."""
    return kind, side, BASE_TICKS - side * offset, qty


def _trade(aggressor: int, offset: int, qty: int) -> Row:
    """A sell `offset` ticks below BASE, a buy `offset` above (negative: through it)."""
    return T, aggressor, BASE_TICKS + aggressor * offset, qty


SIDES = st.sampled_from((BID, ASK))
OFFSETS = st.integers(-1, 4)
DEPTH = st.builds(_level, st.just(D), SIDES, OFFSETS, st.integers(0, 8)).map(lambda r: [r])
TRADE = st.builds(_trade, st.sampled_from((BUY, SELL)), OFFSETS, st.integers(1, 8)).map(
    lambda r: [r]
)
SNAPSHOT = st.lists(
    st.builds(_level, st.just(S), SIDES, OFFSETS, st.integers(1, 8)), min_size=1, max_size=3
)
CLEAR: st.SearchStrategy[list[Row]] = st.just([(C, 0, 0, 0)])


def _cross_then_print(side: int, offset: int, qty: int, printed: int) -> list[Row]:
    """A level deep enough to cross our orders, then the tape printing that order late."""
    level = _level(D, side, offset, qty)
    return [level, (T, side, level[2], printed)]


CROSS_PRINT = st.builds(
    _cross_then_print, SIDES, st.integers(-3, 1), st.integers(1, 8), st.integers(1, 8)
)
ROWS = st.lists(
    st.one_of(DEPTH, DEPTH, TRADE, TRADE, TRADE, SNAPSHOT, CROSS_PRINT, CLEAR),
    min_size=5,
    max_size=20,
)
OPENING = [_level(S, side, k, 5) for side in (BID, ASK) for k in (1, 2, 3)]

SETTINGS = settings(
    max_examples=200,
    stateful_step_count=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@pytest.fixture(scope="module", autouse=True)
def _compiled_simulator() -> None:
    """Compile (or load) the simulator once, outside hypothesis's timing."""
    venue = SimVenue(tape((0, S, BID, 99, 1), (1, T, SELL, 99, 1)), SimParams())
    venue.submit_limit(BID, 99, 1)
    venue.run_until(2 * MS)


@dataclass
class OrderModel:
    """What the reports said about one of our orders, plus its risk-averse queue position."""

    side: int
    price_ticks: int
    size_lots: int  # the most it may ever fill: filled + its latest open qty
    leaves_lots: int
    ahead_lots: int  # risk-averse: public lots in front (visible qty on joining, then down)
    joined: int  # time priority: the order joined its level's queue after lower numbers
    filled_lots: int = 0
    reached_lots: int = 0  # liquidity at or through its price since it went live
    done: bool = False

    def reached_by(self, kind: int, side: int, price_ticks: int) -> bool:
        """True when a trade by `side`, or a book row on `side`, at price_ticks reaches us."""
        if kind == C or side != -self.side:
            return False
        return self.side * (self.price_ticks - price_ticks) >= 0


@dataclass
class TapeChecker:
    """Replays the tape beside the venue and checks every report against docs/SIM.md."""

    events: list[Event]
    risk_averse: bool
    cursor: int = 0  # next event not yet applied
    book: dict[tuple[int, int], int] = field(default_factory=dict)  # (side, price) -> lots
    in_snapshot: bool = False
    owed_lots: dict[int, int] = field(default_factory=lambda: {BID: 0, ASK: 0})
    owed_price_ticks: dict[int, int] = field(default_factory=lambda: {BID: 0, ASK: 0})
    orders: dict[int, OrderModel] = field(default_factory=dict)
    joins: int = 0  # orders that joined a queue so far (time priority)
    position_lots: int = 0
    cash_usd: float = 0.0
    fills: list[tuple[int, ...]] = field(default_factory=list)

    def take(self, reports: Any) -> None:
        """Check a drained batch of reports: each group of one venue time in turn."""
        for ts_ns, group in _groups(reports):
            while self.cursor < len(self.events) and self.events[self.cursor][0] < ts_ns:
                self.apply_event([])
            group_fills = [r for r in group if r.kind == ReportKind.FILL]
            if self.cursor < len(self.events) and self.events[self.cursor][0] == ts_ns:
                self.apply_event(group_fills)  # market data first at a tie
            else:
                assert not group_fills, f"fills at {ts_ns} with no market event then"
            for report in group:
                if report.kind != ReportKind.FILL:
                    self.on_order_report(report)

    def apply_event(self, fills: list[Any]) -> None:
        """Apply the next event with the fills it caused; check them (properties 1-3)."""
        ts_ns, kind, side, price_ticks, qty_lots = self.events[self.cursor]
        self.cursor += 1
        usable_lots = self.settle_owed(kind, side, price_ticks, qty_lots)
        live = [o for o in self.orders.values() if not o.done]
        for order in live:
            if order.reached_by(kind, side, price_ticks) and (kind == T or qty_lots > 0):
                order.reached_lots += usable_lots
        used_lots = sum(int(f.qty_lots) for f in fills)
        assert used_lots <= usable_lots, (
            f"event {(ts_ns, kind, side, price_ticks, qty_lots)} filled {used_lots} lots, "
            f"only {usable_lots} usable"
        )
        left_lots = usable_lots  # what the event still has when it reaches the next order
        for report in fills:
            self.on_fill(report, kind, side, price_ticks, left_lots)
            left_lots -= int(report.qty_lots)
        self.assert_priority([self.orders[int(report.order_id)] for report in fills])
        self.move_queues(live, (kind, side, price_ticks, qty_lots), usable_lots)
        self.update_book(kind, side, price_ticks, qty_lots, used_lots)

    def settle_owed(self, kind: int, side: int, price_ticks: int, qty_lots: int) -> int:
        """Pay crossing lots owed out of a trade; return the lots of the event that may fill."""
        if kind == C or (kind == S and not self.in_snapshot):
            self.owed_lots = {BID: 0, ASK: 0}
            return qty_lots
        if kind != T:
            if price_ticks == self.owed_price_ticks[side]:
                self.owed_lots[side] = 0  # the feed rewrote the crossed level
            return qty_lots
        if side * (price_ticks - self.owed_price_ticks[side]) > 0:
            return qty_lots  # past the crossing order's limit: not its execution
        paid_lots = min(qty_lots, self.owed_lots[side])
        self.owed_lots[side] -= paid_lots
        return qty_lots - paid_lots

    @staticmethod
    def assert_priority(filled: list[OrderModel]) -> None:
        """Our orders share an event best price first, then the one that joined first."""
        for first, then in itertools.pairwise(filled):
            better = first.side * (first.price_ticks - then.price_ticks)
            assert better > 0 or (better == 0 and first.joined < then.joined), (first, then)

    def on_fill(self, report: Any, kind: int, side: int, price_ticks: int, left_lots: int) -> None:
        order = self.orders[int(report.order_id)]
        fill_lots = int(report.qty_lots)
        assert not order.done and order.reached_by(kind, side, price_ticks), (report, order)
        assert (int(report.price_ticks), int(report.is_maker)) == (order.price_ticks, 1)
        assert 0 < fill_lots <= order.leaves_lots, (report, order)
        order.leaves_lots -= fill_lots
        order.filled_lots += fill_lots
        assert int(report.leaves_lots) == order.leaves_lots, (report, order)
        assert order.filled_lots <= order.size_lots  # property 2
        assert order.filled_lots <= order.reached_lots, (report, order)  # property 3
        at_own_price = kind == T and price_ticks == order.price_ticks
        if self.risk_averse and at_own_price:
            assert fill_lots <= left_lots - order.ahead_lots, (report, order, left_lots)
        order.done = order.leaves_lots == 0
        self.position_lots += order.side * fill_lots
        notional_usd = order.price_ticks * TICK_USD * fill_lots * LOT_UNITS
        self.cash_usd -= order.side * notional_usd + float(report.fee_usd)
        self.fills.append((int(report.ts_exch_ns), int(report.order_id), order.side,
                           order.price_ticks, fill_lots))  # fmt: skip

    @staticmethod
    def move_queues(live: list[OrderModel], row: Row, usable_lots: int) -> None:
        """Risk-averse queue: a trade at our price eats the front, a smaller level caps it,
        a crossing row puts us at the front. Never above the venue's own number (a trade
        eats at most its usable lots), so it bounds fills from above."""
        kind, side, price_ticks, qty_lots = row
        for order in live:
            if kind == T and side == -order.side and price_ticks == order.price_ticks:
                order.ahead_lots = max(order.ahead_lots - usable_lots, 0)
            elif kind in (D, S) and (side, price_ticks) == (order.side, order.price_ticks):
                order.ahead_lots = min(order.ahead_lots, qty_lots)
            elif kind in (D, S) and qty_lots > 0 and order.reached_by(kind, side, price_ticks):
                order.ahead_lots = 0

    def update_book(
        self, kind: int, side: int, price_ticks: int, qty_lots: int, used_lots: int
    ) -> None:
        """The venue's book after the event: rows, the uncross, what a crossing fill took."""
        if kind == T:
            self.in_snapshot = False
            return
        if kind == C or (kind == S and not self.in_snapshot):
            self.book.clear()
        self.in_snapshot = kind == S
        if kind == C:
            return
        self.book[side, price_ticks] = qty_lots - used_lots
        if qty_lots > 0:  # L2 feeds delete the crossed opposite levels late
            for other_side, other_price in list(self.book):
                if other_side == -side and side * (price_ticks - other_price) >= 0:
                    del self.book[other_side, other_price]
        if used_lots:
            self.owed_lots[side] += used_lots
            self.owed_price_ticks[side] = price_ticks

    def on_order_report(self, report: Any) -> None:
        order_id, kind = int(report.order_id), int(report.kind)
        order = self.orders.get(order_id)
        if kind == ReportKind.ACK:
            qty_lots, price_ticks, side = (
                int(report.qty_lots),
                int(report.price_ticks),
                int(report.side),
            )
            ahead_lots = self.book.get((side, price_ticks), 0)
            self.joins += 1
            self.orders[order_id] = OrderModel(
                side, price_ticks, qty_lots, qty_lots, ahead_lots, self.joins
            )
        elif kind == ReportKind.MODIFIED:
            assert order is not None and not order.done, report
            price_ticks, qty_lots = int(report.price_ticks), int(report.qty_lots)
            if price_ticks != order.price_ticks or qty_lots > order.leaves_lots:
                order.ahead_lots = self.book.get((order.side, price_ticks), 0)  # back of queue
                self.joins += 1
                order.joined = self.joins
            order.price_ticks, order.leaves_lots = price_ticks, qty_lots
            order.size_lots = order.filled_lots + qty_lots
        elif kind == ReportKind.CANCELED:
            assert order is not None and not order.done, report
            assert int(report.qty_lots) == order.leaves_lots, (report, order)
            order.done = True
        else:  # a refused new order never rests; a refused cancel/modify changes nothing
            assert kind == ReportKind.REJECT, report


def _groups(reports: Any) -> Iterator[tuple[int, list[Any]]]:
    """Yield (ts_exch_ns, reports) for each run of reports made at one venue time."""
    group: list[Any] = []
    for report in reports:
        if group and int(report.ts_exch_ns) != int(group[0].ts_exch_ns):
            yield int(group[0].ts_exch_ns), group
            group = []
        group.append(report)
    if group:
        yield int(group[0].ts_exch_ns), group


class SimMatchingMachine(RuleBasedStateMachine):
    """A random tape, random requests at random times; see the module docstring."""

    def __init__(self) -> None:
        super().__init__()
        self.venue: SimVenue | None = None
        self.checker = TapeChecker([], risk_averse=True)
        self.order_sides: dict[int, int] = {}  # order id -> side, as sent
        self.end_ns = 0

    @initialize(
        rows=ROWS,
        gaps_ms=st.lists(st.integers(1, 3), min_size=40, max_size=40),
        queue_model=st.sampled_from(("risk_averse", "prob")),
        latency_ms=st.tuples(st.integers(0, 2), st.integers(0, 2), st.integers(0, 2)),
    )
    def start(
        self,
        rows: list[list[Row]],
        gaps_ms: list[int],
        queue_model: Literal["risk_averse", "prob"],
        latency_ms: tuple[int, int, int],
    ) -> None:
        flat = [*OPENING, *(row for group in rows for row in group)]
        times_ms = np.cumsum([T0_MS] + [gaps_ms[i % len(gaps_ms)] for i in range(len(flat) - 1)])
        timed = [(int(t), *row) for t, row in zip(times_ms, flat, strict=True)]
        params = SimParams(
            tick_size=TICK_USD,
            lot_size=LOT_UNITS,
            queue_model=queue_model,
            feed_latency_ns=latency_ms[0] * MS,
            entry_latency_ns=latency_ms[1] * MS,
            response_latency_ns=latency_ms[2] * MS,
            fee_tiers=FEE_TIERS,
            roi_width_ticks=1024,
        )
        self.venue = SimVenue(tape(*timed), params)
        events = [(t * MS, kind, side, price, qty) for t, kind, side, price, qty in timed]
        self.checker = TapeChecker(events, risk_averse=queue_model == "risk_averse")
        self.end_ns = events[-1][0] + 10 * MS
        # Our first request goes out once the opening book stands, so it joins a real queue.
        self.venue.run_until(events[len(OPENING) - 1][0])

    def sim(self) -> SimVenue:
        assert self.venue is not None
        return self.venue

    @rule(elapsed_ms=st.integers(0, 12))
    def elapse(self, elapsed_ms: int) -> None:
        venue = self.sim()
        venue.run_until(venue.now_ns + elapsed_ms * MS)

    @rule(side=st.sampled_from((BUY, SELL)), offset=st.integers(0, 4), qty_lots=st.integers(1, 6))
    def place(self, side: int, offset: int, qty_lots: int) -> None:
        price_ticks = BASE_TICKS - side * offset
        self.order_sides[self.sim().submit_limit(side, price_ticks, qty_lots)] = side

    def pick(self, index: int) -> int:
        """Return one of the orders sent so far, or the next id; the venue rejects an order
        that is gone or not there yet."""
        sent = sorted(self.order_sides) or [1]
        return sent[index % len(sent)]

    @rule(index=st.integers(0, 15))
    def cancel(self, index: int) -> None:
        self.sim().cancel(self.pick(index))

    @rule(index=st.integers(0, 15), offset=st.integers(0, 4), qty_lots=st.integers(1, 6))
    def modify(self, index: int, offset: int, qty_lots: int) -> None:
        """Move an order to `offset` ticks from BASE on its side, with a new open qty."""
        order_id = self.pick(index)
        side = self.order_sides.get(order_id, BUY)
        self.sim().modify(order_id, BASE_TICKS - side * offset, qty_lots)

    @invariant()
    def reports_obey_the_tape(self) -> None:
        if self.venue is None:
            return
        checker = self.checker
        checker.take(self.venue.drain_reports())
        assert self.venue.position_lots == checker.position_lots  # property 4
        assert self.venue.cash_usd == pytest.approx(checker.cash_usd, rel=1e-9, abs=1e-9)

    def teardown(self) -> None:
        if self.venue is None:
            return
        # Past the data and every latency: all requests and reports have landed.
        self.venue.run_until(max(self.end_ns, self.venue.now_ns + 10 * MS))
        self.reports_obey_the_tape()
        log = self.venue.fill_log()
        logged = list(zip(*(c.tolist() for c in (
            log.ts_ns, log.order_id, log.side, log.price_ticks, log.qty_lots
        )), strict=True))  # fmt: skip
        assert logged == self.checker.fills


SimMatchingMachine.TestCase.settings = SETTINGS
TestSimMatchingMachine = SimMatchingMachine.TestCase
