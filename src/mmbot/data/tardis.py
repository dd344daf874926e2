"""Import Tardis.dev CSV (incremental_book_L2 and trades, .csv or .csv.gz) into an event file.

Timestamps are microseconds (exchange `timestamp`, arrival `local_timestamp`). A run of
consecutive is_snapshot=true rows replaces the book: it becomes KIND_CLEAR then one
KIND_SNAPSHOT row per level. The two streams are merged by exchange time; on equal
timestamps trades come first (the book row that a trade leaves follows the trade).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Final

import numpy as np
import polars as pl

from mmbot.data.batch import I64, EventBatch
from mmbot.data.csvsource import CsvChunk, iter_csv
from mmbot.data.fields import (
    F64,
    Bools,
    ImportSource,
    parse_choice,
    parse_float,
    parse_int,
    write_import,
)
from mmbot.data.merge import merge_by_ts
from mmbot.data.progress import RowsDone, reporting
from mmbot.data.report import ImportReport
from mmbot.data.schema import (
    COLUMNS,
    KIND_CLEAR,
    KIND_DEPTH,
    KIND_SNAPSHOT,
    KIND_TRADE,
    SIDE_ASK,
    SIDE_BID,
    SIDE_BUY,
    SIDE_NONE,
    SIDE_SELL,
    InstrumentMeta,
)
from mmbot.data.screen import RowScreen

L2_COLUMNS: Final = (
    "exchange",
    "symbol",
    "timestamp",
    "local_timestamp",
    "is_snapshot",
    "side",
    "price",
    "amount",
)
TRADE_COLUMNS: Final = (
    "exchange",
    "symbol",
    "timestamp",
    "local_timestamp",
    "side",
    "price",
    "amount",
)
_BOOK_SIDES: Final = {"bid": SIDE_BID, "ask": SIDE_ASK}
_TRADE_SIDES: Final = {"buy": SIDE_BUY, "sell": SIDE_SELL}
_BOOLEANS: Final = {"true": 1, "false": 0}
_US_TO_NS: Final = 1_000


class _Source(ImportSource):
    """Screening state of one Tardis file across its chunks."""

    def __init__(self, path: Path, meta: InstrumentMeta, strict: bool) -> None:
        super().__init__(path, meta, strict)
        self.instrument: tuple[str, str] | None = None

    def common(self, chunk: CsvChunk) -> tuple[I64, I64, I64, F64]:
        """Screen the columns both file types share; return ts, local ts, price ticks, amounts."""
        screen, frame = self.screen, chunk.frame
        if self.instrument is None and len(chunk):
            self.instrument = (str(frame["exchange"][0]), str(frame["symbol"][0]))
        if self.instrument is not None:
            exchange, symbol = self.instrument
            other = (frame["exchange"] != exchange) | (frame["symbol"] != symbol)
            screen.reject(
                "E_DATA_METADATA",
                other.to_numpy(),
                lambda i: (
                    f"exchange,symbol={frame['exchange'][i]},{frame['symbol'][i]} differ"
                    f" from the first row ({exchange},{symbol}); import one instrument per file"
                ),
            )
        ts_ns = parse_int(screen, chunk, "timestamp") * _US_TO_NS
        local_ns = parse_int(screen, chunk, "local_timestamp") * _US_TO_NS
        price = parse_float(screen, chunk, "price")
        amount = parse_float(screen, chunk, "amount")
        return ts_ns, local_ns, self.ticks(chunk, "price", price), amount


def _whole_snapshots(chunks: Iterable[CsvChunk]) -> Iterator[CsvChunk]:
    """Yield chunks cut only after a non-snapshot row, so no snapshot run spans two chunks."""
    carry: CsvChunk | None = None
    for fresh in chunks:
        chunk = fresh
        if carry is not None:
            chunk = CsvChunk(
                np.concatenate([carry.rows, fresh.rows]), pl.concat([carry.frame, fresh.frame])
            )
        snapshot = chunk.frame["is_snapshot"].str.strip_chars().str.to_lowercase() == "true"
        not_snapshot = np.flatnonzero(~snapshot.to_numpy())
        cut = int(not_snapshot[-1]) + 1 if len(not_snapshot) else 0
        carry = CsvChunk(chunk.rows[cut:], chunk.frame.slice(cut))
        if cut:
            yield CsvChunk(chunk.rows[:cut], chunk.frame.slice(0, cut))
    if carry is not None and len(carry):
        yield carry


def _run_starts(is_snapshot: Bools) -> Bools:
    """Return the rows that start a run of snapshot rows (chunks never split a run)."""
    starts: Bools = is_snapshot & ~np.concatenate(([False], is_snapshot[:-1]))
    return starts


def _reject_crossed(
    screen: RowScreen, chunk: CsvChunk, snapshot: Bools, side: I64, price: I64, qty: I64
) -> None:
    """Reject every row of a snapshot run (of rows kept so far) whose best bid >= best ask."""
    kept = np.flatnonzero(screen.keep)
    in_run = snapshot[kept]
    rows = kept[in_run]  # chunk indices of the kept snapshot rows
    if not len(rows):
        return
    starts = _run_starts(in_run)[in_run]
    run_first = np.flatnonzero(starts)
    bids = np.where((side[rows] == SIDE_BID) & (qty[rows] > 0), price[rows], np.iinfo(np.int64).min)
    asks = np.where((side[rows] == SIDE_ASK) & (qty[rows] > 0), price[rows], np.iinfo(np.int64).max)
    best_bid = np.maximum.reduceat(bids, run_first)
    best_ask = np.minimum.reduceat(asks, run_first)
    run_of_row = np.cumsum(starts) - 1
    bad = np.zeros(len(chunk), dtype=np.bool_)
    bad[rows] = (best_bid >= best_ask)[run_of_row]

    def detail(i: int) -> str:
        run = int(run_of_row[np.searchsorted(rows, i)])
        return (
            f"snapshot starting at row={chunk.rows[rows[run_first[run]]]} is crossed:"
            f" best_bid={best_bid[run]} best_ask={best_ask[run]} ticks"
        )

    screen.reject("E_DATA_CROSSED", bad, detail)


def _book_events(source: _Source, chunks: Iterable[CsvChunk]) -> Iterator[EventBatch]:
    screen = source.screen
    for chunk in _whole_snapshots(chunks):
        screen.begin(chunk.rows)
        ts_ns, local_ns, price, amount = source.common(chunk)
        snapshot = parse_choice(screen, chunk, "is_snapshot", _BOOLEANS, "E_DATA_BAD_VALUE") == 1
        side = parse_choice(screen, chunk, "side", _BOOK_SIDES, "E_DATA_UNKNOWN_KIND")
        qty = source.lots(chunk, "amount", amount, positive=False)
        source.in_order(chunk, "timestamp", ts_ns)
        _reject_crossed(screen, chunk, snapshot, side, price, qty)
        keep = screen.end()
        rows = EventBatch(
            ts_ns[keep],
            local_ns[keep],
            np.where(snapshot[keep], KIND_SNAPSHOT, KIND_DEPTH).astype(np.int64),
            side[keep],
            price[keep],
            qty[keep],
        )
        yield _with_clears(rows, _run_starts(snapshot[keep]))


def _with_clears(rows: EventBatch, starts: Bools) -> EventBatch:
    """Return rows with a KIND_CLEAR row inserted before every snapshot run start."""
    if not starts.any():
        return rows
    position = np.arange(len(rows)) + np.cumsum(starts)
    clear = position[starts] - 1
    columns = []
    for name, fill in zip(COLUMNS, (0, 0, KIND_CLEAR, SIDE_NONE, 0, 0), strict=True):
        column = np.full(len(rows) + len(clear), fill, dtype=np.int64)
        column[position] = getattr(rows, name)
        columns.append(column)
    columns[0][clear] = rows.ts_exch_ns[starts]
    columns[1][clear] = rows.ts_local_ns[starts]
    return EventBatch(*columns)


def _trade_events(source: _Source, chunks: Iterable[CsvChunk]) -> Iterator[EventBatch]:
    screen = source.screen
    for chunk in chunks:
        screen.begin(chunk.rows)
        ts_ns, local_ns, price, amount = source.common(chunk)
        side = parse_choice(screen, chunk, "side", _TRADE_SIDES, "E_DATA_UNKNOWN_KIND")
        qty = source.lots(chunk, "amount", amount, positive=True)
        source.in_order(chunk, "timestamp", ts_ns)
        keep = screen.end()
        kind = np.full(int(keep.sum()), KIND_TRADE, dtype=np.int64)
        yield EventBatch(ts_ns[keep], local_ns[keep], kind, side[keep], price[keep], qty[keep])


def import_tardis(
    l2_path: str | os.PathLike[str] | None,
    trades_path: str | os.PathLike[str] | None,
    meta: InstrumentMeta,
    out: str | os.PathLike[str],
    strict: bool = True,
    on_rows: RowsDone | None = None,
) -> ImportReport:
    """Import Tardis incremental_book_L2 and/or trades CSV files into one event file.

    Strict mode (default) fails on the first bad row with an E_DATA_* error; lenient mode
    drops bad rows and counts them by code in the report. on_rows is told the events of
    each batch written.
    """
    if l2_path is None and trades_path is None:
        raise ValueError("import_tardis needs an incremental_book_L2 file, a trades file or both")
    sources: list[_Source] = []
    streams: list[Iterator[EventBatch]] = []
    if trades_path is not None:
        trades = _Source(Path(trades_path), meta, strict)
        sources.append(trades)
        streams.append(_trade_events(trades, iter_csv(trades.path, trades.screen, TRADE_COLUMNS)))
    if l2_path is not None:
        book = _Source(Path(l2_path), meta, strict)
        sources.append(book)
        streams.append(_book_events(book, iter_csv(book.path, book.screen, L2_COLUMNS)))
    return write_import(out, reporting(merge_by_ts(streams), on_rows), meta, strict, sources)
