"""The compiled order manager and ledger (engine/fused_orders.py) against the engine's own.

Every test drives the Python engine (its order manager, ledger and report handlers: plan,
Engine._send, Engine._apply) and the twin with the same plans, sends and reports, compares
every output as it comes (actions, venue ids, the risk gate's view, the quote episodes that
close), and after every operation compares the twin's materialized OrderManager and Ledger with
the engine's, attribute by attribute (floats by their bits).
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mmbot.config import MmConfig, load_config
from mmbot.core.clock import SimClock
from mmbot.core.events import OrderEvent, OrderEventKind
from mmbot.core.fills import FILL_LOG_COLUMNS
from mmbot.core.types import BUY, SELL, Action, CancelOrder, PlaceOrder, Quote, ReplaceOrder
from mmbot.data import EventBatch, synthesize
from mmbot.data.synth_params import preset
from mmbot.engine import fused_orders as fo
from mmbot.engine.ledger import Ledger
from mmbot.engine.loop import Engine
from mmbot.engine.orders import ManagedOrder, OrderManager, make_client_id
from mmbot.node import build_engine
from mmbot.node.stack import engine_over

CONFIG = Path(__file__).resolve().parents[3] / "configs" / "fixtures" / "backtest_pass.yaml"
K = OrderEventKind
FIRST_VENUE_ID = 1


@pytest.fixture(scope="module")
def config() -> MmConfig:
    return load_config(CONFIG, {}).config


class _NumberingVenue:
    """The reference engine's venue port: numbers places from FIRST_VENUE_ID and notes the venue
    ids replaces and cancels were sent for; reports come from the test."""

    def __init__(self) -> None:
        self.next_id = FIRST_VENUE_ID
        self.moved_ids: list[int] = []

    def place(self, side: int, price_ticks: int, qty_lots: int, client_seq: int) -> int:
        self.next_id += 1
        return self.next_id - 1

    def replace(self, order_id: int, price_ticks: int, qty_lots: int) -> None:
        self.moved_ids.append(order_id)

    def cancel(self, order_id: int) -> None:
        self.moved_ids.append(order_id)


class _Twin:
    """The compiled order manager and ledger, driven like the engine drives its leg's; grown
    from two rows so that every call of the test needs grow."""

    def __init__(self, strategy_id: str, tick_size: float, lot_size: float) -> None:
        self.orders = OrderManager(strategy_id)
        self.ledger = Ledger(tick_size, lot_size)
        self.arrays = fo.pack(self.orders, self.ledger, rows=2)
        self.actions = np.zeros((fo.MAX_ACTIONS, fo.A_COLUMNS), dtype=np.int64)
        self.resting = np.zeros((fo.MAX_OPEN_ORDERS, fo.OO_COLUMNS), dtype=np.int64)
        self.cost_fillrate_ewma = 0.0
        self.episodes_closed = 0

    def _room(self, next_venue_id: int) -> int:
        a = self.arrays
        return fo.room(a.orders, a.venue_rows, a.seq_rows, a.counts, a.ack_latencies_ns,
                       a.order_ages_ns, a.fills, next_venue_id)  # fmt: skip

    def _make_room(self, rows: int, next_venue_id: int) -> None:
        if self._room(next_venue_id) < rows:
            self.arrays = fo.grow(self.arrays, rows, next_venue_id)
            assert self._room(next_venue_id) >= rows

    def plan(self, quote: Quote | None, next_venue_id: int) -> list[Action]:
        self._make_room(2, next_venue_id)
        a, q = self.arrays, quote or Quote(0, 0, 0, 0)
        count = fo.plan(a.orders, a.counts, quote is not None, q.bid_ticks, q.ask_ticks,
                        q.bid_lots, q.ask_lots, self.actions)  # fmt: skip
        return [self._action(row) for row in self.actions[:count].tolist()]

    def _action(self, row: list[int]) -> Action:
        client_id = make_client_id(self.orders._strategy_id, row[fo.A_SEQ])
        side, price, qty = row[fo.A_SIDE], row[fo.A_PRICE_TICKS], row[fo.A_QTY_LOTS]
        if row[fo.A_KIND] == fo.ACTION_PLACE:
            return PlaceOrder(client_id, side, price, qty)
        if row[fo.A_KIND] == fo.ACTION_REPLACE:
            return ReplaceOrder(client_id, client_id, side, price, qty)
        assert row[fo.A_KIND] == fo.ACTION_CANCEL and price == qty == 0
        return CancelOrder(client_id)

    def send(self, planned: list[int], venue_ids: list[int], ts_ns: int) -> list[int]:
        """Send the planned actions of these indices (places get venue_ids in turn); return
        the venue ids the replaces and cancels name."""
        if venue_ids:
            self._make_room(len(venue_ids), venue_ids[0])
        a, moved_ids, places = self.arrays, [], iter(venue_ids)
        for kind, seq, side, price, qty in self.actions[planned].tolist():
            if kind == fo.ACTION_PLACE:
                fo.on_sent_place(a.orders, a.venue_rows, a.seq_rows, a.counts, seq, side, price,
                                 qty, next(places), ts_ns)  # fmt: skip
                continue
            moved_ids.append(fo.venue_id_of(a.orders, a.seq_rows, a.counts, seq))
            if kind == fo.ACTION_REPLACE:
                fo.on_sent_replace(a.orders, a.seq_rows, a.counts, a.order_ages_ns, seq, price, qty)
            else:
                fo.on_sent_cancel(a.orders, a.seq_rows, a.counts, a.order_ages_ns, seq)
        return moved_ids

    def apply(self, event: OrderEvent, next_venue_id: int) -> float | None:
        self._make_room(1, next_venue_id)
        e = event
        closed, ratio = fo.apply_report(
            *self.arrays, e.kind, e.order_id, e.client_seq, e.side, e.price_ticks, e.qty_lots,
            e.leaves_lots, e.ts_exch_ns, e.ts_local_ns, e.is_maker, e.fee_usd, e.mid_ticks_x2,
        )  # fmt: skip
        if not closed:
            return None
        self.cost_fillrate_ewma = fo.compiled_fold_fill_ratio(
            self.cost_fillrate_ewma, ratio, self.episodes_closed
        )
        self.episodes_closed += 1
        return ratio

    def open_orders(self) -> list[tuple[str, tuple[int, ...]]]:
        count = fo.open_orders(self.arrays.orders, self.arrays.counts, self.resting)
        return [
            (make_client_id(self.orders._strategy_id, seq), tuple(view))
            for seq, *view in self.resting[:count].tolist()
        ]

    def materialized(self) -> tuple[OrderManager, Ledger]:
        fo.materialize(self.arrays, self.orders, self.ledger)
        return self.orders, self.ledger


def _bits(value: float) -> bytes:
    return struct.pack("<d", value)


def _closed(*ratios: float | None) -> list[bytes]:
    """Return the bits of the ratios of the episodes a report closed (None: none closed)."""
    return [_bits(ratio) for ratio in ratios if ratio is not None]


def _order_fields(order: ManagedOrder) -> dict[str, Any]:
    return {name: getattr(order, name) for name in ManagedOrder.__slots__}


def _keys_and_seqs(mapping: dict[Any, ManagedOrder]) -> list[tuple[Any, int]]:
    return [(key, order.seq) for key, order in mapping.items()]


_COUNTERS = (
    "unknown_reports_total", "unknown_outcomes_total", "late_reports_total", "episodes_closed",
    "ack_latencies_ns", "replaces_sent_total", "canceled_total", "rejected_total",
    "bad_transitions_total", "quotes_placed_total", "order_ages_ns",
)  # fmt: skip
_LEDGER_INTS = ("position_lots", "filled_lots")
_LEDGER_FLOATS = ("cash_usd", "notional_usd", "fees_usd", "fees_paid_usd", "rebates_usd")


def _assert_same(expected: OrderManager, expected_ledger: Ledger, twin: _Twin) -> None:
    """The twin's materialized order manager and ledger equal the engine's, field by field."""
    orders, ledger = twin.materialized()
    assert [_order_fields(o) for o in orders.orders] == [_order_fields(o) for o in expected.orders]
    for name in ("_by_client", "_by_seq", "_by_venue", "_working", "_leaving"):
        assert _keys_and_seqs(getattr(orders, name)) == _keys_and_seqs(getattr(expected, name))
    by_client = orders._by_client
    for mapping in (orders._by_seq, orders._by_venue, orders._working):  # one object per order
        assert all(by_client[order.client_id] is order for order in mapping.values())
    assert all(o is by_client[o.client_id] for o in orders.orders)
    assert list(orders.open_orders().items()) == list(expected.open_orders().items())
    for name in _COUNTERS:
        assert getattr(orders, name) == getattr(expected, name), name
    assert _bits(orders.fill_ratio_ewma) == _bits(expected.fill_ratio_ewma)
    assert (orders.seqs._seq, orders.seqs._numbered) == (
        expected.seqs._seq, expected.seqs._numbered,
    )  # fmt: skip
    for name in _LEDGER_INTS:
        assert getattr(ledger, name) == getattr(expected_ledger, name), name
    for name in _LEDGER_FLOATS:
        assert _bits(getattr(ledger, name)) == _bits(getattr(expected_ledger, name)), name
    log, expected_log = ledger.fill_log(), expected_ledger.fill_log()
    for name in FILL_LOG_COLUMNS:
        column, expected_column = getattr(log, name), getattr(expected_log, name)
        assert column.dtype == expected_column.dtype, name
        assert column.view(np.int64).tolist() == expected_column.view(np.int64).tolist(), name


def _recording_episodes(engine: Engine) -> list[float]:
    """Return the list the engine's closed quote episodes' ratios are appended to."""
    ratios: list[float] = []
    fold = engine._episode_closed

    def record(ratio: float) -> None:
        ratios.append(ratio)
        fold(ratio)

    engine._episode_closed = record  # type: ignore[method-assign]
    return ratios


_KINDS = [kind for kind in OrderEventKind if kind is not K.POSITION_ADOPTED]


def _report(data: st.DataObject, orders: OrderManager, next_venue_id: int,
            ts_ns: int) -> OrderEvent:  # fmt: skip
    """Draw a report: about one of our orders (named by venue id, by client seq only, or by
    both) with a plausible or any size, price and leaves, or about an order we do not know."""
    draw = data.draw
    kind = draw(st.sampled_from(_KINDS))
    naming = draw(st.sampled_from(("venue", "seq", "both", "unknown")))
    last_seq = orders.seqs._seq
    if orders.orders and naming != "unknown":
        order = draw(st.sampled_from(orders.orders))
        unknown_id = next_venue_id + draw(st.integers(0, 3))
        order_id = unknown_id if naming == "seq" else order.venue_order_id
        seq = order.seq if naming != "venue" else draw(st.integers(-1, last_seq + 2))
        side, price, leaves = order.side, order.price_ticks, order.leaves_lots
        pending = order.pending_price_ticks
    else:
        order_id = draw(st.integers(-1, next_venue_id + 2))
        seq = draw(st.integers(-1, last_seq + 2))
        side, price, leaves, pending = draw(st.sampled_from((BUY, SELL))), 100, 2, 100
    qty = draw(st.integers(1, 3))
    price = draw(st.sampled_from((price, pending, price + draw(st.integers(-2, 2)))))
    leaves = draw(st.sampled_from((0, max(leaves - qty, 0), leaves, draw(st.integers(0, 4)))))
    ts_local = draw(st.sampled_from((ts_ns, ts_ns, ts_ns, -1)))  # -1: a time not known
    fee = draw(st.floats(min_value=-0.5, max_value=0.5, allow_nan=False))
    return OrderEvent(ts_local, ts_ns - draw(st.integers(0, 3)), int(kind), order_id, seq, side,
                      price, qty, leaves, 0, draw(st.integers(0, 1)), fee,
                      draw(st.integers(0, 400)))  # fmt: skip


def _quote(data: st.DataObject) -> Quote | None:
    draw = data.draw
    if draw(st.integers(0, 5)) == 0:
        return None
    bid = draw(st.integers(97, 100))
    return Quote(bid, bid + draw(st.integers(1, 2)), draw(st.integers(0, 3)),
                 draw(st.integers(0, 3)))  # fmt: skip


@settings(max_examples=120, deadline=None)
@given(data=st.data())
def test_twin_follows_the_engine_through_random_plans_sends_and_reports(
    config: MmConfig, data: st.DataObject
) -> None:
    venue = _NumberingVenue()
    engine = engine_over(config, venue, "s", clock=SimClock(0))  # type: ignore[arg-type]
    book, leg = engine.only_book(), engine.only_leg()
    ratios = _recording_episodes(engine)
    twin = _Twin("s", leg.params.tick_size, leg.params.lot_size)
    ts_ns = 1_000
    for _ in range(data.draw(st.integers(1, 40))):
        ts_ns += data.draw(st.integers(0, 7))
        if data.draw(st.integers(0, 2)) == 0:
            quote = _quote(data)
            planned = leg.orders.plan(quote)
            assert twin.plan(quote, venue.next_id) == planned
            sent = [i for i in range(len(planned)) if data.draw(st.booleans())]  # the gate's
            first_id, moved = venue.next_id, len(venue.moved_ids)
            engine._send(book, leg, [planned[i] for i in sent], ts_ns)
            venue_ids = list(range(first_id, venue.next_id))
            assert twin.send(sent, venue_ids, ts_ns) == venue.moved_ids[moved:]
        else:
            event = _report(data, leg.orders, venue.next_id, ts_ns)
            closed = len(ratios)
            engine._apply(book, event)
            assert _closed(twin.apply(event, venue.next_id)) == _closed(*ratios[closed:])
        assert twin.open_orders() == list(leg.orders.open_orders().items())
        _assert_same(leg.orders, leg.ledger, twin)
    assert _bits(twin.cost_fillrate_ewma) == _bits(engine.cost_fillrate_ewma)


@pytest.fixture(scope="module")
def events() -> EventBatch:
    params, meta = preset("fixture_alt")
    return EventBatch.concat(list(synthesize(7, 20_000, meta, params)))


def test_twin_replays_a_simulated_backtest(config: MmConfig, events: EventBatch) -> None:
    """A whole backtest on the simulator: every plan, send and report the engine made, replayed
    through the twin, gives the same actions, episodes and, at the end, the same objects."""
    engine = build_engine(config, events, "s", fused=False)  # its calls are recorded
    leg = engine.only_leg()
    ratios = _recording_episodes(engine)
    calls: list[tuple[Any, ...]] = []
    plan, send, apply = leg.orders.plan, engine._send, engine._apply

    def recording_plan(quote: Quote | None) -> list[Action]:
        actions = plan(quote)
        calls.append(("plan", quote, actions))
        return actions

    def recording_send(book: Any, leg: Any, actions: list[Action], ts_ns: int) -> None:
        send(book, leg, actions, ts_ns)
        calls.append(("send", actions, ts_ns))

    def recording_apply(book: Any, event: OrderEvent) -> None:
        apply(book, event)
        calls.append(("report", event, len(ratios)))

    leg.orders.plan = recording_plan  # type: ignore[method-assign]
    engine._send = recording_send  # type: ignore[method-assign]
    engine._apply = recording_apply  # type: ignore[method-assign]
    engine.run()

    twin = _Twin("s", leg.params.tick_size, leg.params.lot_size)
    venue_id_of = {o.client_id: o.venue_order_id for o in leg.orders.orders}
    next_venue_id, closed, planned = FIRST_VENUE_ID, 0, []
    for call in calls:
        if call[0] == "plan":
            planned = call[2]
            assert twin.plan(call[1], next_venue_id) == planned
        elif call[0] == "send":
            sent = [planned.index(action) for action in call[1]]
            ids = [venue_id_of[a.client_id] for a in call[1] if isinstance(a, PlaceOrder)]
            next_venue_id = max([next_venue_id, *(i + 1 for i in ids)])
            twin.send(sent, ids, call[2])
        else:
            expected = ratios[closed : call[2]]
            assert _closed(twin.apply(call[1], next_venue_id)) == _closed(*expected)
            closed = call[2]
    kinds = {call[1].kind for call in calls if call[0] == "report"}
    assert {
        K.ACCEPTED,
        K.PARTIALLY_FILLED,
        K.FILLED,
        K.REPLACE_ACCEPTED,
        K.REPLACE_REJECTED,
    } <= kinds
    assert len(leg.orders.orders) > 20 and leg.ledger.fills > 10
    _assert_same(leg.orders, leg.ledger, twin)
    assert _bits(twin.cost_fillrate_ewma) == _bits(engine.cost_fillrate_ewma)
