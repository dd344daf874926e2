"""No liquidity is used twice; cash and inventory are conserved."""

from __future__ import annotations

from tests.unit.sim.sim_cases import BID, SELL, ZERO_LATENCY, T, book, drive, fills


def test_one_trade_fills_two_own_orders_at_most_its_qty() -> None:
    # bids A (2 lots) then B (2 lots) at 99, each behind the visible 1 lot. A seller of 3:
    # 1 goes to the public lot ahead of A, 2 fill A, nothing is left for B (without the
    # rule B would also see 3 - 1 = 2 over its place and fill: 4 lots from a 3-lot trade)
    rows = [*book(0, {99: 1}, {101: 5}), (10, T, SELL, 99, 3)]
    venue = drive(rows, [(0, "limit", BID, 99, 2), (1, "limit", BID, 99, 2)])
    assert fills(venue) == [(10, 1, BID, 99, 2, 1)]


def test_trade_fills_better_priced_own_order_first() -> None:
    # bids at 99 (sent first) and 100; a seller of 3 prints at 98: price priority gives
    # 2 to the 100 bid, the 99 bid gets the remaining 1
    rows = [*book(0, {99: 1}, {101: 5}), (10, T, SELL, 98, 3)]
    venue = drive(rows, [(0, "limit", BID, 99, 2), (1, "limit", BID, 100, 2)])
    assert fills(venue) == [(10, 2, BID, 100, 2, 1), (10, 1, BID, 99, 1, 1)]


def test_cash_and_inventory_conserved_over_mixed_fills() -> None:
    rows = [*book(0, {99: 5, 98: 5}, {101: 5, 102: 5}), (10, T, SELL, 97, 4)]
    script = [
        (0, "market", 1, 7),  # buy 5 @101 + 2 @102
        (0, "limit", BID, 99, 3),  # resting, filled by the sweep at t=10
        (20, "market", -1, 6),  # sell into the bids
    ]
    venue = drive(rows, script, ZERO_LATENCY)
    log = venue.fill_log()
    signed_lots = (log.side * log.qty_lots).sum()
    cash = -(log.side * log.price_ticks * log.qty_lots).sum() - log.fee_usd.sum()
    assert venue.position_lots == signed_lots == 7 + 3 - 6
    assert abs(venue.cash_usd - cash) <= 1e-8
