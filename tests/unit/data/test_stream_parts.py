"""The stream importer's pure parts: Binance's sequence rules, the level book, exchange order."""

from __future__ import annotations

import pytest

from mmbot.data.depth_sync import DepthSync, DiffIds, DiffVerdict, SyncState
from mmbot.data.level_book import Level, LevelBook, Top
from mmbot.data.schema import SIDE_ASK, SIDE_BID
from mmbot.data.stream_messages import MessageKind, StreamMessage
from mmbot.data.stream_order import ExchangeOrder

APPLY, NO_BOOK, OLDER, GAP = (
    DiffVerdict.APPLY,
    DiffVerdict.NO_BOOK,
    DiffVerdict.OLDER_THAN_SNAPSHOT,
    DiffVerdict.GAP,
)


# Each case: ("snapshot", lastUpdateId) or (U, u, pu) and the verdict expected for a diff.
@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        ([(1, 5, 0)], [NO_BOOK]),  # no snapshot yet
        ([("snapshot", 100), (80, 99, 70)], [True, OLDER]),  # u < lastUpdateId: dropped
        ([("snapshot", 100), (95, 100, 90)], [True, APPLY]),  # u == L straddles
        ([("snapshot", 100), (100, 104, 99)], [True, APPLY]),  # U == L straddles
        # U > L: USD-M ids are not consecutive, so whatever came between L and U is unknown.
        ([("snapshot", 100), (101, 104, 100)], [True, GAP]),
        ([("snapshot", 100), (95, 105, 90), (106, 110, 105)], [True, APPLY, APPLY]),
        ([("snapshot", 100), (95, 105, 90), (107, 110, 106)], [True, APPLY, GAP]),
        ([("snapshot", 100), (95, 105, 90), ("snapshot", 200)], [True, APPLY, False]),
        ([("snapshot", 100), ("snapshot", 200), (150, 199, 140)], [True, True, OLDER]),
    ],
)
def test_depth_sync_follows_binance_rules(
    steps: list[tuple[object, ...]], expected: list[object]
) -> None:
    sync = DepthSync()
    verdicts: list[object] = []
    for step in steps:
        if step[0] == "snapshot":
            verdicts.append(sync.on_snapshot(int(str(step[1]))))
        else:
            first_id, last_id, prev_id = (int(str(value)) for value in step)
            verdicts.append(sync.on_diff(DiffIds(first_id, last_id, prev_id)))
    assert verdicts == expected


def test_depth_sync_resync_waits_for_a_snapshot() -> None:
    sync = DepthSync()
    sync.on_snapshot(100)
    sync.on_diff(DiffIds(95, 105, 90))

    sync.resync()

    assert sync.state == SyncState.NO_BOOK
    assert sync.on_diff(DiffIds(106, 110, 105)) == NO_BOOK
    assert sync.expected() == "pu=0 (the previous diff's u)"


def _book(bids: list[tuple[int, int]], asks: list[tuple[int, int]]) -> LevelBook:
    book = LevelBook()
    for price, qty in bids:
        book.apply(Level(SIDE_BID, price, qty))
    for price, qty in asks:
        book.apply(Level(SIDE_ASK, price, qty))
    return book


def test_level_book_top_and_deletes() -> None:
    book = _book([(100, 5), (99, 7)], [(101, 3), (103, 1)])

    book.apply(Level(SIDE_BID, 100, 0))
    book.apply(Level(SIDE_ASK, 102, 4))
    book.apply(Level(SIDE_ASK, 104, 0))  # deleting a level that is not there changes nothing

    assert book.top() == Top(99, 7, 101, 3)
    assert not book.crossed()
    book.apply(Level(SIDE_BID, 101, 1))
    assert book.crossed()


@pytest.mark.parametrize(
    ("top", "expected_rows"),
    [
        # Up: the ask side first (new ask above the best bid), deleting the asks it passed
        # (the best of them last).
        (Top(102, 2, 103, 1), [(SIDE_ASK, 103, 1), (SIDE_ASK, 102, 0), (SIDE_ASK, 101, 0),
                               (SIDE_BID, 102, 2)]),
        # Down through the bids: the bid side first (the new ask is at or under the best bid).
        (Top(98, 6, 99, 2), [(SIDE_BID, 98, 6), (SIDE_BID, 99, 0), (SIDE_BID, 100, 0),
                             (SIDE_ASK, 99, 2)]),
        # Same levels, new sizes: only the sizes change.
        (Top(100, 9, 101, 3), [(SIDE_BID, 100, 9)]),
    ],
)  # fmt: skip
def test_level_book_top_rows_reach_the_ticker_without_crossing(
    top: Top, expected_rows: list[tuple[int, int, int]]
) -> None:
    book = _book([(100, 5), (99, 7)], [(101, 3), (102, 4)])
    replay = _book([(100, 5), (99, 7)], [(101, 3), (102, 4)])

    rows = book.top_rows(top)

    assert [tuple(row) for row in rows] == expected_rows
    assert book.top() == top
    for row in rows:  # the same rows one by one on a copy: never crossed, never one-sided
        replay.apply(row)
        assert not replay.crossed() and replay.top() is not None


def _message(kind: MessageKind, ts_ms: int, update_id: int, local_ms: int) -> StreamMessage:
    ms = 1_000_000
    return StreamMessage(kind, ts_ms * ms, local_ms * ms, update_id, 0, 0, [], [], [], "f", 1)


def test_exchange_order_releases_by_time_then_trades_then_update_id() -> None:
    order = ExchangeOrder(window_ns=100_000_000)
    arrivals = [
        _message(MessageKind.DIFF, 10, 50, 60),  # pushed last of its batch: arrives late
        _message(MessageKind.TICKER, 10, 40, 20),
        _message(MessageKind.TRADE, 10, 7, 21),
        _message(MessageKind.TICKER, 10, 50, 22),  # same id as the diff: after it
        _message(MessageKind.SNAPSHOT, 5, 30, 55),
    ]
    for message in arrivals:
        assert order.push(message)

    released = list(order.drain())

    assert [(m.kind, m.update_id) for m in released] == [
        (MessageKind.SNAPSHOT, 30), (MessageKind.TRADE, 7), (MessageKind.TICKER, 40),
        (MessageKind.DIFF, 50), (MessageKind.TICKER, 50),
    ]  # fmt: skip


def test_exchange_order_waits_a_window_then_refuses_what_is_older_than_released() -> None:
    order = ExchangeOrder(window_ns=100_000_000)
    order.push(_message(MessageKind.TRADE, 10, 1, 10))
    assert list(order.ready()) == []  # still inside the window

    order.push(_message(MessageKind.TRADE, 200, 2, 200))
    released = list(order.ready())

    assert [m.update_id for m in released] == [1]
    assert not order.push(_message(MessageKind.TRADE, 9, 3, 201))  # older than one released
    assert order.push(_message(MessageKind.TRADE, 11, 4, 202))
