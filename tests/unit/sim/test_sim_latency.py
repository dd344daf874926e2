"""Latency: the strategy sees the book late, orders go live late, reports come back late."""

from __future__ import annotations

from dataclasses import replace

from tests.unit.sim.sim_cases import BID, MS, SELL, ZERO_LATENCY, D, T, book, drive, fills, tape

from mmbot.sim import ReportKind, SimVenue

# entry 10 ms, response 5 ms, feed 0 ms (constant model)
SLOW_ORDERS = replace(ZERO_LATENCY, entry_latency_ns=10 * MS, response_latency_ns=5 * MS)


def test_order_not_live_before_entry_latency_no_fill() -> None:
    # bid 100 sent at t=0 is live at t=10; the sweep at t=5 prints through 100 but misses us,
    # the one at t=12 fills 1 lot
    rows = [*book(0, {99: 5}, {101: 5}), (5, T, SELL, 99, 2), (12, T, SELL, 99, 2)]
    venue = drive(rows, [(0, "limit", BID, 100, 1)], SLOW_ORDERS)
    assert fills(venue) == [(12, 1, BID, 100, 1, 1)]


def test_fill_report_reaches_strategy_after_response_latency() -> None:
    rows = [*book(0, {99: 5}, {101: 5}), (12, T, SELL, 99, 2), (40, D, BID, 99, 6)]
    venue = SimVenue(tape(*rows), SLOW_ORDERS)
    venue.run_until(0)
    order_id = venue.submit_limit(BID, 100, 1)
    venue.run_until(16 * MS)  # ack left the venue at 10, arrived 15; fill at 12 arrives 17
    first = venue.drain_reports()
    assert [int(k) for k in first.kind] == [ReportKind.ACK]
    assert (int(first.ts_local_ns[0]), venue.position_lots) == (15 * MS, 0)
    venue.run_until(17 * MS)
    second = venue.drain_reports()
    assert [int(k) for k in second.kind] == [ReportKind.FILL]
    assert (int(second.order_id[0]), int(second.ts_exch_ns[0])) == (order_id, 12 * MS)
    assert (venue.position_lots, venue.cash_usd) == (1, -100.0)  # bought 1 lot at 100 USD


def test_constant_feed_latency_delays_strategy_book_view() -> None:
    params = replace(ZERO_LATENCY, feed_latency_ns=20 * MS)
    venue = SimVenue(tape(*book(0, {99: 5}, {101: 5})), params)
    venue.run_until(19 * MS)
    assert (venue.best_bid_ticks, venue.best_ask_ticks) == (None, None)
    venue.run_until(20 * MS)
    assert (venue.best_bid_ticks, venue.best_ask_ticks) == (99, 101)


def test_recorded_feed_latency_uses_local_timestamps() -> None:
    # 6th column: local time in ms (exchange time 0, received 7 ms later)
    rows = [(0, *row[1:], 7) for row in book(0, {99: 5}, {101: 5})]
    params = replace(ZERO_LATENCY, latency_model="recorded", feed_latency_ns=50 * MS)
    venue = SimVenue(tape(*rows), params)
    venue.run_until(6 * MS)
    assert venue.best_bid_ticks is None
    venue.run_until(7 * MS)
    assert venue.best_bid_ticks == 99


def test_venue_matches_on_exchange_time_while_strategy_lags() -> None:
    # feed 20 ms: at local t=5 the strategy still sees no book, but its market order
    # (zero entry latency) meets the venue's book, which has the ask since t=0
    params = replace(ZERO_LATENCY, feed_latency_ns=20 * MS)
    rows = book(0, {99: 5}, {101: 5})
    venue = drive(rows, [(5, "market", 1, 1)], params)
    assert fills(venue) == [(5, 1, 1, 101, 1, 0)]
