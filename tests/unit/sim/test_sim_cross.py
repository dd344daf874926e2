"""Book-crossing fills: a level that moves onto or through our resting price fills us."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from tests.unit.sim.sim_cases import (
    ASK,
    BID,
    BUY,
    MS,
    SELL,
    ZERO_LATENCY,
    C,
    D,
    S,
    T,
    book,
    drive,
    fills,
    tape,
)

from mmbot.artifacts import write_fill_log
from mmbot.sim import ReportKind, SimVenue
from mmbot.sim.layout import OX_QUEUE_AHEAD_LOTS

# Public bid 99 x 5, ask 101 x 5: our post-only bid at 100 or ask at 100 rests on an empty level.
BOOK = book(0, {99: 5, 98: 5}, {101: 5})
Row = tuple[int, ...]


@pytest.mark.parametrize(
    ("rows", "script", "expected"),
    [
        # an ask of 3 appears at our bid price: we fill 1 lot at 100 as maker
        ([(10, D, ASK, 100, 3)], [(0, "limit", BID, 100, 1)], [(10, 1, BID, 100, 1, 1)]),
        # an ask of 3 at 99, through our bid 100: we fill at our price, 100, not 99
        ([(10, D, ASK, 99, 3)], [(0, "limit", BID, 100, 2)], [(10, 1, BID, 100, 2, 1)]),
        # partial: the crossing level has 2 lots, our bid 5: 2 fill, 3 stay
        ([(10, D, ASK, 100, 2)], [(0, "limit", BID, 100, 5)], [(10, 1, BID, 100, 2, 1)]),
        # our asks the same way: a bid of 4 at 100 (at our ask), then one at 102 (through it)
        ([(10, D, BID, 100, 4)], [(0, "limit", ASK, 100, 1)], [(10, 1, SELL, 100, 1, 1)]),
        (
            [(10, D, BID, 102, 4)],
            [(0, "limit", ASK, 100, 3)],
            [(10, 1, SELL, 100, 3, 1)],
        ),
        # bids 100 x 1 and 98 x 1; an ask of 3 at 99 reaches only the 100 bid. The 2 lots
        # left over do not fill the 98 bid, which is deeper than the cross
        (
            [(10, D, ASK, 99, 3)],
            [(0, "limit", BID, 100, 1), (0, "limit", BID, 98, 1)],
            [(10, 1, BID, 100, 1, 1)],
        ),
        # bids 100 x 2 and 99 x 2 (sent first) both crossed by an ask of 3 at 99: best price
        # first, 2 lots to the 100 bid, the remaining 1 to the 99 bid; 3 lots in all
        (
            [(10, D, ASK, 99, 3)],
            [(0, "limit", BID, 99, 2), (0, "limit", BID, 100, 2)],
            [(10, 2, BID, 100, 2, 1), (10, 1, BID, 99, 1, 1)],
        ),
        # a new snapshot whose ask is at our bid price crosses us like a depth row
        (
            book(10, {97: 5}, {100: 2, 101: 5}),
            [(0, "limit", BID, 100, 1)],
            [(10, 1, BID, 100, 1, 1)],
        ),
        # the ask stops one tick short (101 -> 100 would cross; 101 stays): no fill; removing
        # a level never crosses
        ([(10, D, ASK, 101, 9), (20, D, ASK, 101, 0)], [(0, "limit", BID, 100, 1)], []),
    ],
    ids=[
        "ask-at-our-bid",
        "ask-through-our-bid",
        "partial",
        "bid-at-our-ask",
        "bid-through-our-ask",
        "only-better-bid-reached",
        "two-bids-share-level",
        "snapshot",
        "no-cross",
    ],
)
def test_crossing_level_fills_resting_orders_as_maker_at_own_price(
    rows: list[Row], script: list[tuple[object, ...]], expected: list[Row]
) -> None:
    venue = drive([*BOOK, *rows], script)
    assert fills(venue) == expected


def test_order_deeper_than_cross_keeps_its_queue_place() -> None:
    # bid 98 joins behind 5; the ask at 99 crosses the 100 bid only: 98 still has 5 ahead
    rows = [*BOOK, (10, D, ASK, 99, 3)]
    venue = drive(rows, [(0, "limit", BID, 100, 1), (0, "limit", BID, 98, 1)])
    assert venue.state.ord_x[1, OX_QUEUE_AHEAD_LOTS] == 5.0  # slot 1 holds order 2


@pytest.mark.parametrize(
    ("rows", "script", "expected"),
    [
        # bids 100 x 1 and 99 x 1: the ask of 1 at 99 fills the 100 bid; the tape then prints
        # that same lot (a seller at 99). It was used: the 99 bid, now first in its queue
        # (the public 99 bids are gone), must not fill from it
        (
            [(10, D, ASK, 99, 1), (20, T, SELL, 99, 1)],
            [(0, "limit", BID, 100, 1), (0, "limit", BID, 99, 1)],
            [(10, 1, BID, 100, 1, 1)],
        ),
        # the feed rewrites the 99 ask level first (the crossing order is gone): the trade
        # is new liquidity and fills the 99 bid, which is at the front of its queue
        (
            [(10, D, ASK, 99, 1), (15, D, ASK, 99, 0), (20, T, SELL, 99, 1)],
            [(0, "limit", BID, 100, 1), (0, "limit", BID, 99, 1)],
            [(10, 1, BID, 100, 1, 1), (20, 2, BID, 99, 1, 1)],
        ),
        # partial: 2 of our 5 lots from the cross; a seller then prints 3 at 100: 2 of them
        # are the crossing order's, the 3rd is new and fills 1 more (nothing ahead of us)
        (
            [(10, D, ASK, 100, 2), (20, T, SELL, 100, 3)],
            [(0, "limit", BID, 100, 5)],
            [(10, 1, BID, 100, 2, 1), (20, 1, BID, 100, 1, 1)],
        ),
        # a seller printing at 99, below the crossing ask's limit of 100, is not that order:
        # its 2 lots sweep our 100 bid in full (3 lots were left)
        (
            [(10, D, ASK, 100, 2), (20, T, SELL, 99, 2)],
            [(0, "limit", BID, 100, 5)],
            [(10, 1, BID, 100, 2, 1), (20, 1, BID, 100, 2, 1)],
        ),
    ],
    ids=["print-of-used-lot", "level-rewritten-first", "print-partly-used", "print-below-limit"],
)
def test_crossing_liquidity_not_used_again_by_later_trade(
    rows: list[Row], script: list[tuple[object, ...]], expected: list[Row]
) -> None:
    venue = drive([*BOOK, *rows], script)
    assert fills(venue) == expected


def test_crossing_liquidity_used_leaves_venue_level_until_feed_rewrites_it() -> None:
    # the ask of 3 at 100 fills our 1-lot bid, 2 lots are left at the venue; a market buy of
    # 3 at t=20 takes those 2 @100 and 1 @101. The strategy's book shows the feed: 100
    rows = [*BOOK, (10, D, ASK, 100, 3)]
    venue = drive(rows, [(0, "limit", BID, 100, 1), (20, "market", BUY, 3)])
    assert fills(venue) == [
        (10, 1, BID, 100, 1, 1),
        (20, 2, BUY, 100, 2, 0),
        (20, 2, BUY, 101, 1, 0),
    ]
    assert venue.best_ask_ticks == 100


def test_crossing_fill_reaches_strategy_after_response_latency() -> None:
    # entry 10 ms, response 5 ms: the bid is live at 10, crossed at 12; the strategy learns
    # at 17 (FILL, leaves 2 of 3) and only then holds the lot and the cash
    params = replace(ZERO_LATENCY, entry_latency_ns=10 * MS, response_latency_ns=5 * MS)
    venue = SimVenue(tape(*BOOK, (12, D, ASK, 100, 1)), params)
    venue.run_until(0)
    venue.submit_limit(BID, 100, 3)
    venue.run_until(16 * MS)
    assert [int(k) for k in venue.drain_reports().kind] == [ReportKind.ACK]
    assert (venue.position_lots, venue.cash_usd) == (0, 0.0)
    venue.run_until(17 * MS)
    report = venue.drain_reports()[0]
    assert (int(report.kind), int(report.ts_exch_ns), int(report.is_maker)) == (
        ReportKind.FILL,
        12 * MS,
        1,
    )
    assert (int(report.qty_lots), int(report.leaves_lots), int(report.price_ticks)) == (1, 2, 100)
    assert (venue.position_lots, venue.cash_usd) == (1, -100.0)


def test_crossing_fills_pay_maker_fee_and_conserve_cash_and_inventory() -> None:
    # maker 1 bps, taker 5 bps; tick 1 USD, lot 1 unit, so notional = price * lots
    params = replace(ZERO_LATENCY, fee_tiers=((0.0, 1.0, 5.0),))
    rows = [*BOOK, (10, D, ASK, 100, 2), (20, D, BID, 103, 1), (30, T, SELL, 98, 1)]
    script = [(0, "limit", BID, 100, 3), (0, "limit", ASK, 103, 1), (25, "market", SELL, 1)]
    venue = drive(rows, script, params)
    assert fills(venue) == [
        (10, 1, BID, 100, 2, 1),  # ask 2 @100 crosses the bid: fee 200 * 1e-4 = 0.02
        (20, 2, SELL, 103, 1, 1),  # bid 1 @103 crosses the ask: fee 0.0103; the level is used
        (25, 3, SELL, 99, 1, 0),  # so the market sell meets bid 99: fee 99 * 5e-4 = 0.0495
        (30, 1, BID, 100, 1, 1),  # a seller through 100 fills the last lot: fee 0.01
    ]
    log = venue.fill_log()
    assert log.fee_usd.tolist() == pytest.approx([0.02, 0.0103, 0.0495, 0.01], abs=1e-12)
    # -200.02 + 102.9897 + 98.9505 - 100.01 = -98.0898; +2 - 1 - 1 + 1 = 1 lot
    cash = -(log.side * log.price_ticks * log.qty_lots).sum() - log.fee_usd.sum()
    assert venue.cash_usd == pytest.approx(cash, abs=1e-9)
    assert venue.cash_usd == pytest.approx(-98.0898, abs=1e-9)
    assert venue.position_lots == int((log.side * log.qty_lots).sum()) == 1


def test_crossing_run_twice_writes_identical_fill_log(tmp_path: Path) -> None:
    rows = [*BOOK, (10, D, ASK, 99, 3), (20, C, 0, 0, 0), *book(30, {100: 1}, {102: 1})]
    rows += [(40, S, ASK, 101, 2), (50, T, BUY, 103, 4)]
    script = [(0, "limit", BID, 100, 2), (0, "limit", BID, 99, 2), (35, "limit", ASK, 101, 5)]
    # the ask of 3 at 99 fills 2 @100 and 1 @99; the clear drops what the tape owed; the
    # later snapshot row at 101 continues the snapshot and crosses nothing; the buyer
    # through 101 fills 4 of our 5-lot ask
    first_venue = drive(rows, script)
    assert fills(first_venue) == [
        (10, 1, BID, 100, 2, 1),
        (10, 2, BID, 99, 1, 1),
        (50, 3, SELL, 101, 4, 1),
    ]
    first = write_fill_log(tmp_path / "a.csv", first_venue.fill_log()).read_bytes()
    second = write_fill_log(tmp_path / "b.csv", drive(rows, script).fill_log()).read_bytes()
    assert first == second


def test_cross_fill_records_mid_before_the_crossing_row() -> None:
    # Book 99/101 (mid x2 = 200) with our bid resting at 100; an ask of 3 at 99 fills us at
    # 100. The mid our order met is the one before the row, 100.0 (x2 = 200): a maker buy at
    # the mid captures nothing, and the move that followed is adverse, not lost spread.
    venue = drive([*BOOK, (10, D, ASK, 99, 3)], [(0, "limit", BID, 100, 1)])
    assert venue.fill_log().mid_ticks_x2.tolist() == [200]
