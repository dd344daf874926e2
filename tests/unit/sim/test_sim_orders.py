"""Order types: post-only, taker walk, IOC, cancel, modify, capacity; rejects are values."""

from __future__ import annotations

from dataclasses import replace

import pytest
from tests.unit.sim.sim_cases import (
    ASK,
    BID,
    BUY,
    MS,
    SELL,
    ZERO_LATENCY,
    D,
    T,
    book,
    drive,
    fills,
    tape,
)

from mmbot.sim import RejectReason, ReportKind, SimVenue
from mmbot.sim.layout import R_N_ACTIVE

BOOK = book(0, {99: 5, 98: 5}, {101: 2, 102: 3, 103: 10})


def _kinds(venue: object) -> list[tuple[int, int, int]]:
    reports = venue.drain_reports()  # type: ignore[attr-defined]
    return [(int(r.kind), int(r.order_id), int(r.reason)) for r in reports]


@pytest.mark.parametrize(
    ("side", "price"),
    [(BID, 101), (BID, 102), (ASK, 99), (ASK, 98)],
)
def test_post_only_crossing_limit_rejected_without_fill(side: int, price: int) -> None:
    venue = drive(BOOK, [(0, "limit", side, price, 1)])
    assert fills(venue) == []
    assert _kinds(venue) == [(ReportKind.REJECT, 1, RejectReason.POST_ONLY_CROSS)]


def test_market_buy_walks_book_with_slippage() -> None:
    # 4 lots: 2 @101 then 2 @102 (avg 101.5 vs best 101); one fill row per level
    venue = drive(BOOK, [(0, "market", BUY, 4)])
    assert fills(venue) == [(0, 1, BUY, 101, 2, 0), (0, 1, BUY, 102, 2, 0)]
    assert venue.best_ask_ticks == 101  # the strategy's book is the feed's, not the venue's


def test_taker_liquidity_not_reused_until_feed_updates_level() -> None:
    # first buy leaves 1 @102; the second takes it and 1 @103; the feed restores 102 to 3
    # at t=20, so the third takes 102 again
    rows = [*BOOK, (20, D, ASK, 102, 3)]
    script = [(0, "market", BUY, 4), (10, "market", BUY, 2), (30, "market", BUY, 1)]
    venue = drive(rows, script)
    assert fills(venue) == [
        (0, 1, BUY, 101, 2, 0),
        (0, 1, BUY, 102, 2, 0),
        (10, 2, BUY, 102, 1, 0),
        (10, 2, BUY, 103, 1, 0),
        (30, 3, BUY, 102, 1, 0),
    ]


def test_ioc_limit_partial_fill_expires_rest() -> None:
    # IOC buy 10 @ limit 102: 2 @101 + 3 @102, the other 5 expire
    venue = drive(BOOK, [(0, "ioc", BUY, 102, 10)])
    assert fills(venue) == [(0, 1, BUY, 101, 2, 0), (0, 1, BUY, 102, 3, 0)]
    reports = venue.drain_reports()
    assert [int(k) for k in reports.kind] == [
        ReportKind.ACK,
        ReportKind.FILL,
        ReportKind.FILL,
        ReportKind.EXPIRED,
    ]
    assert int(reports.qty_lots[-1]) == 5


def test_crossing_gtc_limit_takes_then_rests_remainder() -> None:
    # not post-only: buy 4 @101 takes 2 @101 and rests 2 @101 as the new best bid; a
    # seller sweeping through 100 then fills the resting 2 as maker
    rows = [*BOOK, (10, T, SELL, 100, 5)]
    venue = drive(rows, [(0, "limit", BID, 101, 4, False)])
    assert fills(venue) == [(0, 1, BUY, 101, 2, 0), (10, 1, BUY, 101, 2, 1)]


def test_cancel_stops_fills_and_second_cancel_rejected() -> None:
    rows = [*BOOK, (10, T, SELL, 99, 9)]
    venue = drive(rows, [(0, "limit", BID, 99, 1), (5, "cancel", 1), (6, "cancel", 1)])
    assert fills(venue) == []
    assert _kinds(venue) == [
        (ReportKind.ACK, 1, 0),
        (ReportKind.CANCELED, 1, 0),
        (ReportKind.REJECT, 1, RejectReason.UNKNOWN_ORDER),
    ]


@pytest.mark.parametrize(
    ("new_qty", "expected"),
    [
        # 3 -> 2 at the same price keeps the place: 1 ahead, trade 2 -> 1 lot fills
        (2, [(20, 1, BID, 99, 1, 1)]),
        # 3 -> 4 re-queues behind the visible 5 lots: trade 2 fills nothing
        (4, []),
    ],
)
def test_modify_keeps_priority_only_when_size_reduced(
    new_qty: int, expected: list[tuple[int, ...]]
) -> None:
    # join 99 behind 5; a trade of 4 leaves 1 ahead; modify at t=10; trade 2 at t=20
    rows = [*BOOK, (5, T, SELL, 99, 4), (20, T, SELL, 99, 2)]
    venue = drive(rows, [(0, "limit", BID, 99, 3), (10, "modify", 1, 99, new_qty)])
    assert fills(venue) == expected


def test_modify_to_crossing_price_post_only_rejected_order_kept() -> None:
    rows = [*BOOK, (20, T, SELL, 98, 1)]
    venue = drive(rows, [(0, "limit", BID, 98, 1), (10, "modify", 1, 101, 1)])
    # the amend is refused; the order still rests at 98 behind 5 lots, trade 1 no fill
    assert _kinds(venue)[-1] == (ReportKind.REJECT, 1, RejectReason.POST_ONLY_CROSS)
    assert fills(venue) == []
    assert int(venue.state.regs[R_N_ACTIVE]) == 1  # still resting


def test_order_capacity_exceeded_rejected_as_value() -> None:
    params = replace(ZERO_LATENCY, order_capacity=1)
    venue = drive(BOOK, [(0, "limit", BID, 97, 1), (0, "limit", BID, 96, 1)], params)
    assert _kinds(venue) == [
        (ReportKind.ACK, 1, 0),
        (ReportKind.REJECT, 2, RejectReason.TOO_MANY_ORDERS),
    ]


@pytest.mark.parametrize(("side", "qty"), [(0, 1), (2, 1), (BID, 0), (BID, -3)])
def test_submit_malformed_arguments_raise(side: int, qty: int) -> None:
    venue = drive(BOOK, [])
    with pytest.raises(ValueError, match="expected"):
        venue.submit_limit(side, 99, qty)


def test_undrained_reports_and_queued_requests_grow_in_order() -> None:
    # 1000 requests at once (the request ring starts at 64 rows) and 1000 reports never
    # drained while running (the report ring starts at 1024 rows with 261 kept free)
    venue = SimVenue(tape(*BOOK), replace(ZERO_LATENCY, order_capacity=1))
    for _ in range(500):
        venue.cancel(venue.submit_limit(BID, 97, 1))
    venue.run_until(10 * MS)
    reports = venue.drain_reports()
    assert reports.order_id.tolist() == [k // 2 + 1 for k in range(1000)]
    assert set(reports.kind.tolist()) == {ReportKind.ACK, ReportKind.CANCELED}
