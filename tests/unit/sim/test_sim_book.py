"""The L2 book: snapshots, deletes, crossed updates, clears and the moving price window."""

from __future__ import annotations

import pytest
from tests.unit.sim.sim_cases import ASK, BID, MS, ZERO_LATENCY, C, D, book, tape

from mmbot.sim import SimVenue


@pytest.mark.parametrize(
    ("rows", "expected_bid", "expected_ask"),
    [
        # a new run of snapshot rows replaces the book (100 is gone)
        ([*book(0, {99: 5}, {101: 5}), (5, D, BID, 100, 1), *book(10, {98: 1}, {103: 1})], 98, 103),
        # deleting the best bid falls back to the next level below
        ([*book(0, {99: 5, 97: 2}, {101: 5}), (10, D, BID, 99, 0)], 97, 101),
        # a bid at the best ask removes the stale ask levels at or below it
        ([*book(0, {99: 5}, {101: 5, 102: 5}), (10, D, BID, 101, 3)], 101, 102),
        # an ask at the best bid removes the stale bids at or above it
        ([*book(0, {99: 5, 98: 5}, {101: 5}), (10, D, ASK, 99, 3)], 98, 99),
        # clear empties both sides
        ([*book(0, {99: 5}, {101: 5}), (10, C, 0, 0, 0)], None, None),
        # far away from the first window (width 1024 around 99): it re-centres on the new best
        (
            [
                *book(0, {99: 5}, {101: 5}),
                (10, C, 0, 0, 0),
                (11, D, BID, 5000, 1),
                (11, D, ASK, 5002, 1),
            ],
            5000,
            5002,
        ),
        # a deep level outside the window is dropped, the touch is kept
        ([*book(0, {99: 5}, {101: 5}), (10, D, BID, -5000, 7)], 99, 101),
    ],
    ids=["snapshot", "delete-best", "bid-uncross", "ask-uncross", "clear", "recentre", "deep"],
)
def test_book_after_events_has_expected_touch(
    rows: list[tuple[int, ...]], expected_bid: int | None, expected_ask: int | None
) -> None:
    venue = SimVenue(tape(*rows), ZERO_LATENCY)
    venue.run_until(100 * MS)
    assert (venue.best_bid_ticks, venue.best_ask_ticks) == (expected_bid, expected_ask)


def test_book_recentre_keeps_overlapping_levels() -> None:
    # the window [-413, 611) is centred on 99; the ask at 401 leaves and one at 800 (outside)
    # becomes the best: the window moves to [288, 1312), keeping bid 400 and dropping bid 99
    rows = [*book(0, {99: 5, 400: 1}, {401: 5}), (10, D, ASK, 401, 0), (10, D, ASK, 800, 5)]
    venue = SimVenue(tape(*rows, (20, D, BID, 400, 0)), ZERO_LATENCY)
    venue.run_until(10 * MS)
    assert (venue.best_bid_ticks, venue.best_ask_ticks) == (400, 800)
    venue.run_until(20 * MS)
    assert (venue.best_bid_ticks, venue.best_ask_ticks) == (None, 800)
