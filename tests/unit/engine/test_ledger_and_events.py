"""The engine's ledger and the order events the venue ports send it (core/events.py).

The ledger books fills exactly and adopts a position without cash; the simulator's port
tells a refused replace from a refused place and a partial fill from the last one, and its
fill events carry the simulator's own fill record; the shadow venue fills on paper once the
opposite best price reaches an order; an order of unknown outcome keeps its side's slot.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tests.unit.sim.sim_cases import ASK, BID, BUY, MS, SELL, ZERO_LATENCY, T, book, tape

from mmbot.config import MmConfig, load_config
from mmbot.core.events import OrderEvent, OrderEventKind
from mmbot.core.fills import FILL_LOG_COLUMNS
from mmbot.core.types import CancelOrder, MarketView, PlaceOrder, Quote, ReplaceOrder
from mmbot.data import EventBatch, synthesize
from mmbot.data.synth_params import preset
from mmbot.engine.ledger import Ledger
from mmbot.engine.live_ports import ShadowVenue
from mmbot.engine.orders import OrderState, client_seq_of
from mmbot.node import build_engine
from mmbot.venues.sim import SimVenuePort

CONFIG = Path(__file__).resolve().parents[3] / "configs" / "fixtures" / "backtest_pass.yaml"
K = OrderEventKind


def _fill(kind: int, order_id: int, side: int, price_ticks: int, qty_lots: int, leaves_lots: int,
          fee_usd: float, ts_ns: int = 0, mid_x2: int = 0) -> OrderEvent:  # fmt: skip
    return OrderEvent(ts_ns + 1, ts_ns, kind, order_id, order_id + 100, side, price_ticks,
                      qty_lots, leaves_lots, 0, 1, fee_usd, mid_x2)  # fmt: skip


# ---- the ledger ------------------------------------------------------------------------------
# tick 0.5 USD, lot 0.25: every figure below is exact in binary floating point.
FILLS = [
    _fill(K.PARTIALLY_FILLED, 1, 1, 200, 3, 1, 0.5, ts_ns=10, mid_x2=401),  # buy 75.00 USD
    _fill(K.FILLED, 2, -1, 210, 1, 0, -0.25, ts_ns=20, mid_x2=419),  # sell 26.25, a rebate
]


def test_ledger_books_fills_exactly_position_cash_notional_fees() -> None:
    ledger = Ledger(tick_size=0.5, lot_size=0.25)
    for event in FILLS:
        ledger.on_fill(event)
    assert ledger.position_lots == 3 - 1
    assert ledger.notional_usd == 75.0 + 26.25
    assert ledger.fees_usd == 0.25
    assert ledger.cash_usd == -75.0 - 0.5 + 26.25 + 0.25  # -side * notional - fee, summed
    assert ledger.fills == 2
    assert ledger.effective_fee_bps == pytest.approx(1e4 * 0.25 / 101.25)
    assert ledger.pnl_usd(205.0) == -49.0 + 2 * 0.25 * 205.0


def test_ledger_fill_log_holds_every_column_of_each_fill() -> None:
    ledger = Ledger(tick_size=0.5, lot_size=0.25)
    for event in FILLS:
        ledger.on_fill(event)
    log = ledger.fill_log()
    expected = {
        "ts_ns": [10, 20], "ts_local_ns": [11, 21], "order_id": [1, 2], "client_id": [101, 102],
        "side": [1, -1], "price_ticks": [200, 210], "qty_lots": [3, 1], "is_maker": [1, 1],
        "fee_usd": [0.5, -0.25], "mid_ticks_x2": [401, 419],
    }  # fmt: skip
    assert {name: getattr(log, name).tolist() for name in FILL_LOG_COLUMNS} == expected
    assert {getattr(log, name).dtype for name in FILL_LOG_COLUMNS if name != "fee_usd"} == {
        np.dtype(np.int64)
    }
    assert log.fee_usd.dtype == np.float64
    assert log.rows() == [tuple(expected[name][i] for name in FILL_LOG_COLUMNS) for i in (0, 1)]


def test_ledger_adopt_moves_the_position_and_no_cash() -> None:
    ledger = Ledger(tick_size=0.5, lot_size=0.25)
    ledger.adopt(-4)
    assert ledger.position_lots == -4
    assert (ledger.cash_usd, ledger.notional_usd, ledger.fees_usd) == (0.0, 0.0, 0.0)
    assert ledger.fills == 0 and len(ledger.fill_log()) == 0
    ledger.on_fill(FILLS[0])  # a fill moves the adopted position on
    assert ledger.position_lots == -1 and ledger.cash_usd == -75.5


# ---- the simulator's port --------------------------------------------------------------------
def _port(rows: list[tuple[int, ...]]) -> SimVenuePort:
    return SimVenuePort(tape(*rows), ZERO_LATENCY)  # type: ignore[arg-type]


def _kinds(events: list[OrderEvent]) -> list[tuple[int, int, int, int]]:
    """(kind, order_id, qty_lots, leaves_lots) of each event."""
    return [(e.kind, e.order_id, e.qty_lots, e.leaves_lots) for e in events]


# Our bid of 3 at 100 rests alone on its level (the book: 99 / 101); sellers print through it.
SWEPT = [*book(0, {99: 5}, {101: 5}), (10, T, SELL, 99, 2), (20, T, SELL, 99, 4)]


def test_sim_port_partial_fill_then_last_fill_and_their_mid() -> None:
    port = _port(SWEPT)
    port.run_until(0)
    bid = port.place(BID, 100, 3, 1)
    port.run_until(30 * MS)
    events = port.reports()
    assert _kinds(events) == [
        (K.ACCEPTED, bid, 3, 3), (K.PARTIALLY_FILLED, bid, 2, 1), (K.FILLED, bid, 1, 0)
    ]  # fmt: skip
    assert [e.mid_ticks_x2 for e in events[1:]] == [99 + 101, 99 + 101]
    assert [e.ts_exch_ns for e in events[1:]] == [10 * MS, 20 * MS]


def test_sim_port_rejected_modify_of_a_filled_order_is_replace_rejected() -> None:
    port = _port(SWEPT)
    port.run_until(0)
    bid = port.place(BID, 100, 3, 1)
    port.run_until(30 * MS)
    assert _kinds(port.reports())[-1] == (K.FILLED, bid, 1, 0)
    port.replace(bid, 98, 3)  # it filled: the venue no longer knows it
    port.cancel(bid)
    port.run_until(40 * MS)
    assert [(e.kind, e.order_id) for e in port.reports()] == [
        (K.REPLACE_REJECTED, bid), (K.REPLACE_REJECTED, bid)
    ]  # fmt: skip


def test_sim_port_post_only_cross_of_a_new_order_is_rejected() -> None:
    port = _port(book(0, {99: 5}, {101: 5}))
    port.run_until(0)
    crossing = port.place(BID, 101, 1, 1)
    resting = port.place(ASK, 102, 1, 2)
    port.run_until(10 * MS)
    events = port.reports()
    assert [(e.kind, e.order_id) for e in events] == [
        (K.REJECTED, crossing), (K.ACCEPTED, resting)
    ]  # fmt: skip
    assert events[0].reason != 0
    port.replace(resting, 99, 1)  # now the replace crosses: the order rests as it was
    port.run_until(20 * MS)
    assert [(e.kind, e.order_id) for e in port.reports()] == [(K.REPLACE_REJECTED, resting)]


@pytest.mark.parametrize(
    ("call", "args"),
    [("place", (0, 98, 1, 1)), ("place", (BID, 98, 0, 1)), ("replace", (1, 98, 0))],
)
def test_sim_port_malformed_order_raises_and_sends_nothing(
    call: str, args: tuple[int, ...]
) -> None:
    port = _port(book(0, {99: 5}, {101: 5}))
    port.run_until(0)
    with pytest.raises(ValueError, match="expected"):
        getattr(port, call)(*args)
    port.run_until(10 * MS)
    assert port.reports() == []


# Trades at 10, 20 and 30 ms: 2 + 4 lots sold at 99 (1 tick under the mid), 1 bought at 102.
TRADED = [*book(0, {99: 5}, {101: 5}), (10, T, SELL, 99, 2), (20, T, SELL, 99, 4),
          (30, T, BUY, 102, 1)]  # fmt: skip


def test_sim_port_view_sums_the_trades_since_the_last_view_over_every_catch_up() -> None:
    caught_up, direct = _port(TRADED), _port(TRADED)
    for port in (caught_up, direct):
        port.run_until(0)
        port.market_view(0)
    caught_up.run_until(15 * MS)  # a catch-up that reads no view (Engine.settle)
    caught_up.run_until(35 * MS)
    direct.run_until(35 * MS)
    view = caught_up.market_view(35 * MS)
    assert view == direct.market_view(35 * MS)
    assert (view.sell_volume_lots, view.sell_trade_depth_ticks) == (6, 1)
    assert (view.buy_volume_lots, view.buy_trade_depth_ticks) == (1, 2)
    again = caught_up.market_view(35 * MS)  # nothing ran since: no trade is summed twice
    assert again == view._replace(buy_volume_lots=0, sell_volume_lots=0,
                                  buy_trade_depth_ticks=-1, sell_trade_depth_ticks=-1)  # fmt: skip


@pytest.fixture(scope="module")
def config() -> MmConfig:
    return load_config(CONFIG, {}).config


@pytest.fixture(scope="module")
def events() -> EventBatch:
    params, meta = preset("fixture_alt")
    return EventBatch.concat(list(synthesize(7, 20_000, meta, params)))


def test_sim_port_fill_events_book_the_simulators_fill_log_bit_for_bit(
    config: MmConfig, events: EventBatch
) -> None:
    engine = build_engine(config, events, config.strategy.model)
    engine.run()
    sim = engine.venue.venue  # type: ignore[attr-defined]
    venue_log, ledger_log = sim.fill_log(), engine.ledger.fill_log()
    reported = int(np.sum(venue_log.ts_local_ns <= sim.now_ns))
    assert ledger_log.ts_local_ns.tolist() == sorted(ledger_log.ts_local_ns.tolist())
    assert len(ledger_log) == reported > 10  # every fill that reached the engine, in order
    for name in FILL_LOG_COLUMNS:
        ledger_column, venue_column = getattr(ledger_log, name), getattr(venue_log, name)
        assert ledger_column.dtype == venue_column.dtype, name
        assert np.array_equal(ledger_column, venue_column[:reported]), name
    assert (ledger_log.mid_ticks_x2 > 0).all()


# ---- the shadow venue's paper fills ----------------------------------------------------------
class _ScriptedFeed:
    """A FeedSource whose top of book the test sets before each view."""

    def __init__(self) -> None:
        self.top = (100, 5, 102, 5)  # bid ticks, bid lots, ask ticks, ask lots

    def run_until(self, ts_ns: int) -> bool:
        return True

    def first_ts_ns(self) -> int:
        return 0

    def market_view(self, ts_ns: int) -> MarketView:
        bid, bid_lots, ask, ask_lots = self.top
        return MarketView(ts_ns, bid, bid_lots, ask, ask_lots, bid_lots, ask_lots, 0, 0, -1, -1)

    @property
    def exch_mid_ticks_x2(self) -> int:
        return self.top[0] + self.top[2]


def _decide(shadow: ShadowVenue, ts_ns: int) -> list[OrderEvent]:
    """One decision as the engine runs it: catch up, take the events, read the view."""
    shadow.run_until(ts_ns)
    events = shadow.reports()
    shadow.market_view(ts_ns)
    return events


def test_shadow_bid_fills_on_paper_once_the_best_ask_reaches_it() -> None:
    feed = _ScriptedFeed()
    shadow = ShadowVenue(feed, tick_size=0.5, lot_size=0.25, maker_fee_bps=2.0)
    _decide(shadow, 1)
    bid = shadow.place(BUY, 101, 4, 7)
    assert _kinds(_decide(shadow, 2)) == [(K.ACCEPTED, bid, 4, 4)]
    feed.top = (100, 5, 102, 5)  # the ask is above our bid: no fill
    assert _decide(shadow, 3) == [] and shadow.paper_fills == 0
    feed.top = (100, 5, 101, 5)  # the ask reaches the bid: it fills now, told next decision
    assert _decide(shadow, 4) == [] and shadow.paper_fills == 1
    events = _decide(shadow, 5)
    fee_usd = 101 * 0.5 * 4 * 0.25 * 2.0e-4
    assert events == [OrderEvent(5, 4, K.FILLED, bid, 7, BUY, 101, 4, 0, 0, 1, fee_usd, 201)]
    assert _decide(shadow, 6) == []  # filled once


def test_shadow_ask_fills_on_paper_once_the_best_bid_reaches_it() -> None:
    feed = _ScriptedFeed()
    shadow = ShadowVenue(feed, tick_size=0.5, lot_size=0.25)
    _decide(shadow, 1)
    ask = shadow.place(SELL, 101, 2, 3)
    _decide(shadow, 2)
    feed.top = (100, 5, 102, 5)
    assert _decide(shadow, 3) == []
    feed.top = (101, 5, 102, 5)
    _decide(shadow, 4)
    assert _kinds(_decide(shadow, 5)) == [(K.FILLED, ask, 2, 0)]


def test_shadow_replace_or_cancel_of_a_paper_filled_order_is_replace_rejected() -> None:
    feed = _ScriptedFeed()
    shadow = ShadowVenue(feed, tick_size=0.5, lot_size=0.25)
    _decide(shadow, 1)
    bid = shadow.place(BUY, 101, 4, 7)
    _decide(shadow, 2)
    feed.top = (100, 5, 101, 5)
    _decide(shadow, 3)  # filled on paper; the engine has not heard of it yet
    shadow.replace(bid, 100, 4)
    shadow.cancel(bid)
    events = _decide(shadow, 4)
    assert [(e.kind, e.order_id) for e in events] == [
        (K.FILLED, bid), (K.REPLACE_REJECTED, bid), (K.REPLACE_REJECTED, bid)
    ]  # fmt: skip
    assert shadow.sends == {"cancel": 1, "place": 1, "replace": 1}


# ---- an order of unknown outcome -------------------------------------------------------------
def test_unknown_outcome_keeps_the_sides_slot_until_an_event_settles_it(
    config: MmConfig, events: EventBatch
) -> None:
    engine = build_engine(config, events, "s")
    orders = engine.orders
    bid, ask = orders.plan(Quote(99, 101, 2, 2))
    assert isinstance(bid, PlaceOrder) and isinstance(ask, PlaceOrder) and bid.side == BUY
    for venue_id, action in ((11, bid), (12, ask)):
        orders.on_sent_place(action, client_seq_of(action.client_id), venue_id, 0)

    def event(kind: int, order_id: int, action: PlaceOrder) -> OrderEvent:
        seq, lots = client_seq_of(action.client_id), action.qty_lots
        return OrderEvent(0, 0, kind, order_id, seq, action.side, action.price_ticks, lots, lots,
                          0, 0, 0.0)  # fmt: skip

    engine._apply(engine.only_book(), event(K.UNKNOWN_OUTCOME, 11, bid))
    engine._apply(engine.only_book(), event(K.ACCEPTED, 12, ask))
    assert (orders.unknown_outcomes_total, orders.unknown_reports_total) == (1, 0)
    assert orders.open_orders()[bid.client_id][:3] == (BUY, 99, 2)  # the risk gate counts it
    wanted = Quote(98, 102, 3, 3)
    assert orders.plan(wanted) == [ReplaceOrder(ask.client_id, ask.client_id, SELL, 102, 3)]
    assert orders.plan(None) == [CancelOrder(ask.client_id)]  # nothing to do on the bid yet
    engine._apply(engine.only_book(), event(K.ACCEPTED, 11, bid))  # settled: it rests
    assert orders.plan(wanted) == [
        ReplaceOrder(bid.client_id, bid.client_id, BUY, 98, 3),
        ReplaceOrder(ask.client_id, ask.client_id, SELL, 102, 3),
    ]
    assert orders.quotes_placed_total == 2 and orders.bad_transitions_total == 0
    assert {o.state for o in orders.orders} == {OrderState.LIVE}
