"""Order manager: planning from quotes and every state transition of the order state machine."""

from __future__ import annotations

import pytest

from mmbot.core.types import BUY, SELL, CancelOrder, PlaceOrder, Quote, ReplaceOrder
from mmbot.engine.orders import OrderManager, OrderState
from mmbot.risk import OpenOrder

pytestmark = pytest.mark.selected


def _placed(manager: OrderManager, quote: Quote, ts_ns: int = 0) -> list[PlaceOrder]:
    actions = manager.plan(quote)
    places = [a for a in actions if isinstance(a, PlaceOrder)]
    for index, action in enumerate(places):
        seq = int(action.client_id.rsplit("-", 1)[1])
        manager.on_sent_place(action, seq, 100 + seq, ts_ns + index)
    return places


def test_plan_places_both_sides_with_deterministic_client_ids() -> None:
    manager = OrderManager("glft")
    places = _placed(manager, Quote(99, 101, 3, 4))
    assert places == [PlaceOrder("glft-1", BUY, 99, 3), PlaceOrder("glft-2", SELL, 101, 4)]
    assert manager.quotes_placed_total == 2


def test_plan_waits_while_order_pending_new() -> None:
    manager = OrderManager("s")
    _placed(manager, Quote(99, 101, 1, 1))
    assert manager.plan(Quote(98, 102, 1, 1)) == []


def test_plan_replaces_moved_live_order_and_cancels_unwanted_side() -> None:
    manager = OrderManager("s")
    _placed(manager, Quote(99, 101, 1, 1))
    for order in manager.orders:
        manager.on_ack(order)
    actions = manager.plan(Quote(98, 101, 1, 0))
    assert actions == [ReplaceOrder("s-1", "s-1", BUY, 98, 1), CancelOrder("s-2")]


def test_plan_none_quote_cancels_everything_live() -> None:
    manager = OrderManager("s")
    _placed(manager, Quote(99, 101, 1, 1))
    for order in manager.orders:
        manager.on_ack(order)
    assert manager.plan(None) == [CancelOrder("s-1"), CancelOrder("s-2")]


def test_state_machine_every_transition() -> None:
    manager = OrderManager("s")
    _placed(manager, Quote(99, 101, 2, 2), ts_ns=1_000)
    bid, ask = manager.orders
    assert bid.state is OrderState.PENDING_NEW
    manager.on_reject(ask, 2_000)  # PENDING_NEW -> REJECTED
    assert ask.state is OrderState.REJECTED and ask.ended_ts_ns == 2_000
    manager.on_ack(bid)  # PENDING_NEW -> LIVE
    assert bid.state is OrderState.LIVE
    manager.on_sent_replace(ReplaceOrder("s-1", "s-1", BUY, 98, 2))  # LIVE -> PENDING_REPLACE
    assert bid.state is OrderState.PENDING_REPLACE
    manager.on_reject(bid, 3_000)  # a refused replace leaves the order live where it was
    assert bid.state is OrderState.LIVE and bid.price_ticks == 99
    manager.on_sent_replace(ReplaceOrder("s-1", "s-1", BUY, 98, 2))
    manager.on_modified(bid, 98, 2, 4_000)  # PENDING_REPLACE -> LIVE at the new price
    assert (bid.state, bid.price_ticks, bid.priced_ts_ns) == (OrderState.LIVE, 98, 4_000)
    manager.on_fill(bid, 1, 1, 5_000)  # partial fill keeps it live
    assert (bid.state, bid.filled_lots, bid.leaves_lots) == (OrderState.LIVE, 1, 1)
    manager.on_sent_cancel(CancelOrder("s-1"))  # LIVE -> PENDING_CANCEL
    manager.on_fill(bid, 1, 0, 6_000)  # the fill raced the cancel: FILLED wins
    assert bid.state is OrderState.FILLED and bid.ended_ts_ns == 6_000
    assert manager.order_ages_ns == [2_000]  # 6_000 - priced at 4_000; the reject is not an age
    assert manager.bad_transitions_total == 0
    assert manager.open_orders() == {}


def test_cancel_confirmation_ends_order_and_frees_side() -> None:
    manager = OrderManager("s")
    _placed(manager, Quote(99, 101, 1, 0))
    (bid,) = manager.orders
    manager.on_ack(bid)
    manager.on_sent_cancel(CancelOrder("s-1"))
    manager.on_canceled(bid, 9_000)
    assert bid.state is OrderState.CANCELED
    assert [type(a) for a in manager.plan(Quote(99, 101, 1, 0))] == [PlaceOrder]


def test_reports_for_unknown_orders_are_counted() -> None:
    manager = OrderManager("s")
    assert manager.lookup(venue_order_id=77, seq_id=5) is None
    assert manager.unknown_reports_total == 1


def test_open_orders_follow_fills_and_replaces_as_named_records() -> None:
    manager = OrderManager("s")
    _placed(manager, Quote(99, 101, 3, 2), ts_ns=1_000)
    bid, ask = manager.orders
    assert manager.open_orders() == {
        "s-1": OpenOrder(BUY, 99, 3, 1_000),
        "s-2": OpenOrder(SELL, 101, 2, 1_001),
    }
    manager.on_ack(bid)
    manager.on_fill(bid, 1, 2, 2_000)  # leaves 2; price and age unchanged
    assert manager.open_orders()["s-1"] == OpenOrder(BUY, 99, 2, 1_000)
    manager.on_sent_replace(ReplaceOrder("s-1", "s-1", BUY, 99, 1))
    manager.on_modified(bid, 99, 1, 3_000)  # a same-price size cut keeps the order's age
    assert manager.open_orders()["s-1"] == OpenOrder(BUY, 99, 1, 1_000)
    manager.on_sent_replace(ReplaceOrder("s-1", "s-1", BUY, 98, 1))
    manager.on_modified(bid, 98, 1, 4_000)  # a new price restarts it
    resting = manager.open_orders()["s-1"]
    assert (resting.side, resting.price_ticks, resting.leaves_lots, resting.priced_ts_ns) == (
        BUY, 98, 1, 4_000,
    )  # fmt: skip
    assert (bid.price_ticks, bid.leaves_lots, bid.priced_ts_ns, bid.qty_lots) == (98, 1, 4_000, 2)
    manager.on_fill(ask, 2, 0, 5_000)
    assert list(manager.open_orders()) == ["s-1"]


def test_open_orders_and_resting_lots_are_rebuilt_after_every_change_only() -> None:
    manager = OrderManager("s")
    _placed(manager, Quote(99, 101, 3, 2), ts_ns=1_000)
    bid, ask = manager.orders
    before = manager.open_orders()
    assert manager.open_orders() is before  # nothing changed: the same dict
    assert manager.resting_lots() == (3, 2)
    manager.on_ack(bid)
    manager.on_sent_replace(ReplaceOrder("s-1", "s-1", BUY, 98, 5))  # the gate sees 5 at once
    assert manager.resting_lots() == (5, 2)
    assert before == {"s-1": OpenOrder(BUY, 99, 3, 1_000), "s-2": OpenOrder(SELL, 101, 2, 1_001)}
    manager.on_fill(ask, 2, 0, 2_000)
    assert manager.resting_lots() == (5, 0)
    assert list(manager.open_orders()) == ["s-1"]


def test_a_replace_confirmation_after_the_order_ended_changes_nothing() -> None:
    manager = OrderManager("s")
    _placed(manager, Quote(99, 101, 3, 0), ts_ns=1_000)
    (bid,) = manager.orders
    manager.on_ack(bid)
    manager.on_sent_replace(ReplaceOrder("s-1", "s-1", BUY, 97, 3))
    manager.on_fill(bid, 3, 0, 2_000)  # the fill raced the replace and won
    manager.on_modified(bid, 97, 3, 3_000)  # the venue's late answer to the replace
    assert bid.state is OrderState.FILLED
    assert (bid.price_ticks, bid.leaves_lots, bid.qty_lots, bid.ended_ts_ns) == (99, 0, 3, 2_000)
    assert manager.late_reports_total == 1 and manager.bad_transitions_total == 0
    assert manager.open_orders() == {}


def test_quote_episodes_fold_filled_over_quoted_lots_per_price() -> None:
    manager = OrderManager("s")
    (bid, _) = _placed(manager, Quote(99, 101, 10, 10))
    order = manager.lookup(101, 1)
    assert order is not None and order.client_id == bid.client_id
    manager.on_ack(order, 5)
    assert manager.ack_latencies_ns == [5]  # placed at 0, acknowledged at 5
    assert manager.on_fill(order, 4, 6, 10) is None  # the episode at 99 goes on
    ratios = [manager.on_modified(order, 98, 6, 20)]  # new price: 4 of 10 filled at 99
    assert manager.on_modified(order, 98, 8, 30) is None  # same price, larger: offers 8
    ratios.append(manager.on_fill(order, 8, 0, 40))  # ends filled: 8 of 8 at 98
    assert ratios == [0.4, 1.0]
    assert manager.fill_ratio_ewma == pytest.approx(0.4 + 0.05 * (1.0 - 0.4))  # 0.4 seeds it
    ask = manager.lookup(102, 2)
    assert ask is not None
    assert manager.on_canceled(ask, 50) == 0.0  # rested, never filled
    assert manager.on_canceled(ask, 60) is None  # already ended: no second episode


def test_quotes_that_never_fill_drive_the_fill_ratio_down() -> None:
    manager = OrderManager("s")
    _placed(manager, Quote(99, 101, 10, 10))
    order = manager.lookup(101, 1)
    assert order is not None
    manager.on_ack(order)
    for step in range(60):  # re-priced 60 times, nothing ever fills
        manager.on_modified(order, 98 - step % 2, 10, step)
    assert manager.fill_ratio_ewma == 0.0
    manager.on_fill(order, 10, 0, 100)
    assert manager.fill_ratio_ewma == pytest.approx(0.05)
