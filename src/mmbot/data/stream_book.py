"""Turn a recording's messages, in exchange order, into event rows; check the book as it goes.

Theory of operation: depth diffs go through DepthSync (Binance's snapshot and `pu` rules)
into a LevelBook; each applied diff becomes KIND_DEPTH rows (its deletions first: a diff
that leaves the book uncrossed never crosses it between its rows), the snapshot a KIND_CLEAR
and KIND_SNAPSHOT rows, each trade a KIND_TRADE row. A bookTicker moves the top between two
diffs: its rows set the ticker's best levels and delete the levels better than them
(LevelBook.top_rows). That is exact at every diff: a level a ticker set or deleted either
keeps that state until the next diff, or the next diff (carrying every level that changed
in its id range, which holds the ticker's id) sets it again.

Checks, each a strict error (lenient: counted):
  - after every applied diff the book is not crossed (E_DATA_CROSSED);
  - a bookTicker whose update id is the book's (the last diff's `u`, or the snapshot's
    lastUpdateId) shows exactly the book's best bid, ask and sizes (E_DATA_BOOK_MISMATCH);
  - a gap in the diff sequence (E_DATA_SEQUENCE_GAP); lenient: a KIND_CLEAR row (the book is
    unknown) and nothing of the book until the next snapshot.
Local times are shifted by the clock offset: ts_local_ns = recorded local time - offset.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np

from mmbot.data.batch import EventBatch
from mmbot.data.depth_sync import DepthSync, DiffIds, DiffVerdict, SyncState
from mmbot.data.level_book import Level, LevelBook, Top
from mmbot.data.schema import (
    COLUMNS,
    KIND_CLEAR,
    KIND_DEPTH,
    KIND_SNAPSHOT,
    KIND_TRADE,
    SIDE_BUY,
    SIDE_NONE,
)
from mmbot.data.screen import RowScreen, data_error
from mmbot.data.stream_messages import MessageKind, StreamMessage
from mmbot.data.stream_report import StreamTally

_GAP_HINT: Final = "import with --lenient to resync from the next snapshot"
_CLEAR: Final = Level(SIDE_NONE, 0, 0)  # the side, price and qty of a KIND_CLEAR row
_LENIENT_HINT: Final = "import with --lenient to count such cases and go on"


class _Rows:
    """Event rows waiting to be written, column by column."""

    def __init__(self) -> None:
        self.columns: list[list[int]] = [[] for _ in COLUMNS]

    def __len__(self) -> int:
        return len(self.columns[0])

    def add(self, ts_ns: int, local_ns: int, kind: int, levels: Sequence[Level]) -> None:
        """Append one row per level, all with these times and kind."""
        count = len(levels)
        ts_column, local_column, kind_column, side_column, price_column, qty_column = self.columns
        ts_column.extend([ts_ns] * count)
        local_column.extend([local_ns] * count)
        kind_column.extend([kind] * count)
        for side, price_ticks, qty_lots in levels:
            side_column.append(side)
            price_column.append(price_ticks)
            qty_column.append(qty_lots)

    def take(self) -> EventBatch:
        """Return the waiting rows as a batch and forget them."""
        batch = EventBatch(*(np.asarray(column, dtype=np.int64) for column in self.columns))
        self.columns = [[] for _ in COLUMNS]
        return batch


class StreamBook:
    """Consume messages in exchange order; rows accumulate in `rows`."""

    def __init__(self, clock_offset_ns: int, screens: dict[str, RowScreen]) -> None:
        self.clock_offset_ns = clock_offset_ns
        self.screens = screens  # by file: where a lenient drop is counted
        self.sync = DepthSync()
        self.book = LevelBook()
        self.tally = StreamTally()
        self.rows = _Rows()
        self._taker_run: tuple[int, int] | None = None  # (ts_ns, side) of the last trade

    def handle(self, message: StreamMessage) -> None:
        """Apply one message (the next in exchange order)."""
        local_ns = message.local_ns - self.clock_offset_ns
        if message.kind == MessageKind.TRADE:
            self._trade(message, local_ns)
            return
        self._taker_run = None
        if message.kind == MessageKind.SNAPSHOT:
            self._snapshot(message, local_ns)
        elif message.kind == MessageKind.DIFF:
            self._diff(message, local_ns)
        else:
            self._ticker(message, local_ns)

    def _levels(self, message: StreamMessage) -> list[Level]:
        return [
            Level(side, price, qty)
            for side, price, qty in zip(message.sides, message.prices, message.qtys, strict=True)
        ]

    def _trade(self, message: StreamMessage, local_ns: int) -> None:
        (trade,) = self._levels(message)
        self.rows.add(message.ts_ns, local_ns, KIND_TRADE, [trade])
        self.tally.trades_written += 1
        # One taker order filling several resting orders prints a trade each, all at its ts;
        # the book shows the top before the first print (its depth rows follow the prints).
        run = (message.ts_ns, trade.side)
        if run == self._taker_run:
            self.tally.trades_after_first_print += 1
            return
        self._taker_run = run
        top = self.book.top() if self.sync.state != SyncState.NO_BOOK else None
        if top is not None:
            if trade.side == SIDE_BUY:
                beyond = trade.price_ticks > top.ask_ticks
            else:
                beyond = trade.price_ticks < top.bid_ticks
            self.tally.trades_beyond_top += int(beyond)

    def _snapshot(self, message: StreamMessage, local_ns: int) -> None:
        if not self.sync.on_snapshot(message.update_id):
            self.tally.snapshots_unused += 1
            return
        levels = self._levels(message)
        self.book.clear()
        for level in levels:
            self.book.apply(level)
        if self.book.crossed():
            self._fail_if_strict(
                message, "E_DATA_CROSSED", f"snapshot is crossed ({self.book.top()})"
            )
            self.screens[message.file].count_external("E_DATA_CROSSED", 1)
            self.sync.resync()
            self.book.clear()
            return
        self.rows.add(message.ts_ns, local_ns, KIND_CLEAR, [_CLEAR])
        self.rows.add(message.ts_ns, local_ns, KIND_SNAPSHOT, levels)
        self.tally.snapshots_used += 1

    def _diff(self, message: StreamMessage, local_ns: int) -> None:
        ids = DiffIds(message.first_id, message.update_id, message.prev_id)
        expected = self.sync.expected()
        verdict = self.sync.on_diff(ids)
        if verdict == DiffVerdict.NO_BOOK:
            self.tally.diffs_no_book += 1
        elif verdict == DiffVerdict.OLDER_THAN_SNAPSHOT:
            self.tally.diffs_older_than_snapshot += 1
        elif verdict == DiffVerdict.GAP:
            self._gap(message, local_ns, expected)
        else:
            # Deletions first: the book stays uncrossed between the rows (module docstring).
            levels = sorted(self._levels(message), key=lambda row: row.qty_lots != 0)
            for level in levels:
                self.book.apply(level)
            self.rows.add(message.ts_ns, local_ns, KIND_DEPTH, levels)
            self.tally.diffs_applied += 1
            self.tally.depth_rows += len(levels)
            if self.book.crossed():
                self.tally.crossed_after_diff += 1
                detail = f"book crossed after the diff u={message.update_id}: {self.book.top()}"
                self._fail_if_strict(message, "E_DATA_CROSSED", detail)

    def _gap(self, message: StreamMessage, local_ns: int, expected: str) -> None:
        detail = (
            f"diff U={message.first_id} u={message.update_id} pu={message.prev_id} expected "
            f"{expected}; depth messages were lost"
        )
        self._fail_if_strict(message, "E_DATA_SEQUENCE_GAP", detail, _GAP_HINT)
        self.screens[message.file].count_external("E_DATA_SEQUENCE_GAP", 1)
        self.tally.add_gap(f"file={message.file} row={message.line} {detail}")
        self.sync.resync()
        self.book.clear()
        self.rows.add(message.ts_ns, local_ns, KIND_CLEAR, [_CLEAR])

    def _ticker(self, message: StreamMessage, local_ns: int) -> None:
        if self.sync.state == SyncState.NO_BOOK:
            self.tally.tickers_no_book += 1
            return
        if message.update_id < self.sync.last_id:
            self.tally.tickers_stale += 1
            return
        top = Top(message.prices[0], message.qtys[0], message.prices[1], message.qtys[1])
        if message.update_id == self.sync.last_id:
            self.tally.tickers_checked += 1
            book_top = self.book.top()
            if book_top != top:
                self.tally.ticker_mismatches += 1
                detail = f"bookTicker u={message.update_id} shows {top}, the book {book_top}"
                self._fail_if_strict(message, "E_DATA_BOOK_MISMATCH", detail)
        levels = self.book.top_rows(top)
        self.rows.add(message.ts_ns, local_ns, KIND_DEPTH, levels)
        self.tally.ticker_rows += len(levels)

    def _fail_if_strict(
        self, message: StreamMessage, code: str, detail: str, hint: str = _LENIENT_HINT
    ) -> None:
        """Raise the one-line error naming the message's file and line, in strict mode."""
        if self.screens[message.file].strict:
            raise data_error(code, message.file, message.line, f"{detail}; {hint}")
