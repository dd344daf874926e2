"""Windows of exchange time over one symbol's ordered event files, read row group by row group.

The files are one sequence of rows in ts_exch_ns order (the order every event file keeps).
The footer of each file gives every row group's first and last ts_exch_ns, so a window
[start_ns, stop_ns) reads only the row groups that overlap it: a reader's memory follows the
window, not the data set.

A window that starts mid-sequence opens with snapshot rows of the book as it stood just
before its first row. The book is rebuilt from the last book reset before the window (a
CLEAR row, or the first row of a snapshot run): the `kind` column alone is read backwards,
group by group, to find it, then the rows from the reset to the window are folded group by
group into one row per live level. Memory is one row group plus the book's levels; the rows
read are those since the last reset, at most one day for daily files that open with a
snapshot (every importer and `data synth` write one at the start of a file).
"""

from __future__ import annotations

import bisect
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from mmbot.data.batch import I64, EventBatch
from mmbot.data.schema import COLUMNS, KIND_CLEAR, KIND_DEPTH, KIND_SNAPSHOT, SIDE_ASK, SIDE_BID
from mmbot.data.screen import data_error
from mmbot.data.store import read_meta

_TS = COLUMNS.index("ts_exch_ns")


@dataclass(frozen=True, slots=True)
class RowGroup:
    """One row group of one file: where it is, its rows, its first and last ts_exch_ns."""

    path: str
    index: int
    rows: int
    first_ts_ns: int
    last_ts_ns: int


def _group_span(parquet: pq.ParquetFile, index: int) -> tuple[int, int]:
    """Return a row group's first and last ts_exch_ns: its statistics (ts_exch_ns never
    falls, so min and max are the first and last row), or the column when a writer left
    them out."""
    stats = parquet.metadata.row_group(index).column(_TS).statistics
    if stats is not None and stats.has_min_max:
        return int(stats.min), int(stats.max)
    ts = parquet.read_row_group(index, columns=["ts_exch_ns"]).column(0).to_numpy()
    return int(ts[0]), int(ts[-1])


def row_groups(paths: Sequence[Path]) -> list[RowGroup]:
    """Return the non-empty row groups of the files, in order, from their footers.

    The files must be one instrument (else E_DATA_METADATA) and follow each other in
    exchange time: a file that starts before the previous one ends is E_DATA_NONMONOTONIC.
    """
    groups: list[RowGroup] = []
    first_meta = read_meta(paths[0]) if paths else None
    for path in paths:
        where = os.fspath(path)
        if read_meta(path) != first_meta:
            raise data_error(
                "E_DATA_METADATA", where, 0,
                f"instrument differs from {paths[0]}; a data set is one symbol's files",
            )  # fmt: skip
        parquet = pq.ParquetFile(where)
        for index in range(parquet.metadata.num_row_groups):
            rows = parquet.metadata.row_group(index).num_rows
            if rows == 0:
                continue
            first_ns, last_ns = _group_span(parquet, index)
            if groups and first_ns < groups[-1].last_ts_ns:
                raise data_error(
                    "E_DATA_NONMONOTONIC", where, 0,
                    f"starts at ts_exch_ns={first_ns} before {groups[-1].path} ends at "
                    f"{groups[-1].last_ts_ns}; give the files in time order, without overlap",
                )  # fmt: skip
            groups.append(RowGroup(where, index, rows, first_ns, last_ns))
    return groups


def _to_batch(table: pa.Table) -> EventBatch:
    return EventBatch(
        *(np.ascontiguousarray(column.to_numpy(), dtype=np.int64) for column in table.columns)
    )


class RowGroupReader:
    """Reads row groups (all columns, or `kind` only) and counts what it read."""

    def __init__(self) -> None:
        self.groups_read = 0
        self.rows_read = 0

    def events(self, group: RowGroup) -> EventBatch:
        """Return every row of the group."""
        self._count(group)
        return _to_batch(pq.ParquetFile(group.path).read_row_group(group.index, columns=COLUMNS))

    def kinds(self, group: RowGroup) -> I64:
        """Return the group's kind column."""
        self._count(group)
        table = pq.ParquetFile(group.path).read_row_group(group.index, columns=["kind"])
        return np.asarray(table.column(0).to_numpy(), dtype=np.int64)

    def _count(self, group: RowGroup) -> None:
        self.groups_read += 1
        self.rows_read += group.rows


def _book_levels(rows: EventBatch) -> EventBatch:
    """Return the book rows leave behind, read from their first row: one snapshot row per
    live level, bids best first then asks best first, times zero (stamp them to use them)."""
    is_level = (rows.kind == KIND_DEPTH) | (rows.kind == KIND_SNAPSHOT)
    sides, prices, qtys = [], [], []
    for side in (SIDE_BID, SIDE_ASK):
        mask = is_level & (rows.side == side)
        # The newest row of a level wins: unique() on the reversed rows finds it first.
        newest_first = rows.price_ticks[mask][::-1]
        level_prices, first = np.unique(newest_first, return_index=True)
        level_qtys = rows.qty_lots[mask][::-1][first]
        live = level_qtys > 0
        level_prices, level_qtys = level_prices[live], level_qtys[live]
        if side == SIDE_BID:
            level_prices, level_qtys = level_prices[::-1], level_qtys[::-1]
        sides.append(np.full(len(level_prices), side, dtype=np.int64))
        prices.append(level_prices)
        qtys.append(level_qtys)
    count = sum(len(p) for p in prices)
    zeros = np.zeros(count, dtype=np.int64)
    return EventBatch(
        zeros,
        zeros.copy(),
        np.full(count, KIND_SNAPSHOT, dtype=np.int64),
        np.ascontiguousarray(np.concatenate(sides)),
        np.ascontiguousarray(np.concatenate(prices)),
        np.ascontiguousarray(np.concatenate(qtys)),
    )


def _stamped(levels: EventBatch, ts_exch_ns: int, ts_local_ns: int) -> EventBatch:
    count = len(levels)
    return EventBatch(
        np.full(count, ts_exch_ns, dtype=np.int64),
        np.full(count, ts_local_ns, dtype=np.int64),
        levels.kind, levels.side, levels.price_ticks, levels.qty_lots,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Row:
    """A row of the sequence: its group's position in the group list, its row in the group."""

    group: int
    row: int


class WindowReader:
    """Windows of exchange time over one symbol's event files, given in time order."""

    def __init__(self, paths: Sequence[Path], reader: RowGroupReader | None = None) -> None:
        self._groups = row_groups(paths)
        if not self._groups:
            raise data_error("E_DATA_EMPTY", os.fspath(paths[0]) if paths else "", 0,
                             "the data set holds no events")  # fmt: skip
        self._last_ns = [group.last_ts_ns for group in self._groups]
        self._first_ns = [group.first_ts_ns for group in self._groups]
        self.reader = reader or RowGroupReader()

    def span_ns(self) -> tuple[int, int]:
        """Return the first and last ts_exch_ns of the data set (footers only)."""
        return self._groups[0].first_ts_ns, self._groups[-1].last_ts_ns

    def window(self, start_ns: int, stop_ns: int) -> EventBatch:
        """Return the events with start_ns <= ts_exch_ns < stop_ns, opened by snapshot rows
        of the book before them (stamped with the first row's times); empty when none."""
        first = bisect.bisect_left(self._last_ns, start_ns)
        end = bisect.bisect_left(self._first_ns, stop_ns)
        if first >= end:
            return EventBatch.empty()
        read = EventBatch.concat(self.reader.events(g) for g in self._groups[first:end])
        begin, stop = (int(i) for i in np.searchsorted(read.ts_exch_ns, [start_ns, stop_ns]))
        if begin == stop:
            return EventBatch.empty()
        rows = read.slice(begin, stop)
        book = self._book_before(_Row(first, begin), read.slice(0, begin), read.kind[begin])
        opening = _stamped(book, int(rows.ts_exch_ns[0]), int(rows.ts_local_ns[0]))
        return EventBatch.concat([opening, rows])

    def _book_before(self, start: _Row, head: EventBatch, start_kind: int) -> EventBatch:
        """Return the book's levels just before start (head: start's group's rows before it);
        none when start replaces the book or is the first row."""
        reset = self._last_reset(start, head.kind, start_kind)
        if reset is None:
            return _book_levels(EventBatch.empty())
        levels = EventBatch.empty()
        for position in range(reset.group, start.group):
            rows = self.reader.events(self._groups[position])
            from_row = reset.row if position == reset.group else 0
            levels = _book_levels(EventBatch.concat([levels, rows.slice(from_row, len(rows))]))
        from_row = reset.row if reset.group == start.group else 0
        return _book_levels(EventBatch.concat([levels, head.slice(from_row, len(head))]))

    def _last_reset(self, start: _Row, head_kinds: I64, start_kind: int) -> _Row | None:
        """Return the last book reset before start: a CLEAR, or the first row of the snapshot
        run holding the last snapshot row. None when start is the first row or a reset itself
        (the book before it does not matter); the first row when no reset comes before."""
        position, kinds = start.group, head_kinds
        if not len(kinds):
            if position == 0:
                return None
            position -= 1
            kinds = self.reader.kinds(self._groups[position])
        if start_kind == KIND_CLEAR or (start_kind == KIND_SNAPSHOT and kinds[-1] != KIND_SNAPSHOT):
            return None
        while True:
            marks = np.flatnonzero((kinds == KIND_CLEAR) | (kinds == KIND_SNAPSHOT))
            if len(marks):
                return self._run_start(_Row(position, int(marks[-1])), kinds)
            if position == 0:
                return _Row(0, 0)
            position -= 1
            kinds = self.reader.kinds(self._groups[position])

    def _run_start(self, mark: _Row, kinds: I64) -> _Row:
        """Return mark itself for a CLEAR, else the first row of its snapshot run."""
        if kinds[mark.row] == KIND_CLEAR:
            return mark
        position, row = mark.group, mark.row
        while True:
            breaks = np.flatnonzero(kinds[:row] != KIND_SNAPSHOT)
            if len(breaks):
                return _Row(position, int(breaks[-1]) + 1)
            if position == 0:
                return _Row(0, 0)
            position -= 1
            kinds = self.reader.kinds(self._groups[position])
            row = len(kinds)
            if kinds[-1] != KIND_SNAPSHOT:
                return _Row(position + 1, 0)
