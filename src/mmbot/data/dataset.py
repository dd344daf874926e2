"""Data sets: the event files one replay reads, named by a file, a folder or a glob.

API (backtest run and walk-forward across days use it)::

    ds = resolve_dataset(spec, lenient=False, max_gap_ns=DEFAULT_MAX_GAP_NS)
    ds.symbols                    # ('BTCUSDT', ...), sorted
    ds.files[symbol]              # that symbol's DataFiles, in replay order
    ds.stream(symbol, chunk_rows) # its events as one iterator of checked EventBatches
    ds.breaks                     # the continuity breaks found (only with lenient=True)
    write_days(batches, meta, folder, days=N, events=E)  # a daily set from one event stream

spec: one event file; a folder (its *.parquet files and those of its subfolders, e.g. daily
files `BTCUSDT/2026-01-02.parquet`); or a glob pattern (`data/BTCUSDT/2026-01-0*.parquet`).
Files are grouped by the symbol of their metadata and ordered by their first exchange time.
Consecutive files of a symbol must join up:
  - overlap: the next file starts (first ts_exch_ns) before the previous one ends (last
    ts_exch_ns): replayed in order, the stream would go back in time (E_DATA_OVERLAP);
  - gap: the next file's first ts_local_ns is more than max_gap_ns after the previous file's
    last ts_local_ns (exactly max_gap_ns is no gap): hours of missing market (E_DATA_GAP).
A break is one E_DATA_* line, or with lenient=True is counted in `breaks` and replayed as it is.
Only the footer and the first and last row group of each file are read to resolve a set.
"""

from __future__ import annotations

import glob
import itertools
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

import pyarrow.parquet as pq

from mmbot.core.errors import DataError
from mmbot.data.batch import EventBatch
from mmbot.data.book_files import EVENT_FILE_SUFFIX
from mmbot.data.schema import InstrumentMeta
from mmbot.data.screen import data_error
from mmbot.data.store import iter_events, read_meta, require_events, write_events

DEFAULT_MAX_GAP_NS: Final = 60 * 1_000_000_000  # one quiet minute is a market, not a hole
GAP: Final = "E_DATA_GAP"
OVERLAP: Final = "E_DATA_OVERLAP"


@dataclass(frozen=True, slots=True)
class DataFile:
    """One event file of a data set: its instrument, row count and first/last timestamps."""

    path: Path
    meta: InstrumentMeta
    rows: int
    first_ts_exch_ns: int
    last_ts_exch_ns: int
    first_ts_local_ns: int
    last_ts_local_ns: int


@dataclass(frozen=True, slots=True)
class Break:
    """Where two consecutive files of a symbol do not join up (code GAP or OVERLAP)."""

    code: str
    symbol: str
    before: Path
    after: Path
    detail: str

    def line(self) -> str:
        """Return the break as one E_DATA_* line."""
        return f"{self.code}: {self.where()}"

    def where(self) -> str:
        """Return the symbol, the two files and what is wrong between them."""
        return f"symbol={self.symbol} files={self.before},{self.after} {self.detail}"


@dataclass(frozen=True, slots=True)
class DataSet:
    """Event files by symbol, each symbol's in replay order; breaks: what lenient let by."""

    files: Mapping[str, tuple[DataFile, ...]]
    breaks: tuple[Break, ...]

    @property
    def symbols(self) -> tuple[str, ...]:
        """Return the symbols, sorted."""
        return tuple(sorted(self.files))

    @property
    def paths(self) -> tuple[Path, ...]:
        """Return every file, by symbol then replay order."""
        return tuple(one.path for symbol in self.symbols for one in self.files[symbol])

    def meta(self, symbol: str) -> InstrumentMeta:
        """Return the instrument of a symbol's files."""
        return self.files[symbol][0].meta

    def stream(self, symbol: str, chunk_rows: int) -> Iterator[EventBatch]:
        """Yield a symbol's events, file after file, in checked batches of <= chunk_rows."""
        for one in self.files[symbol]:
            yield from iter_events(one.path, chunk_rows)


def resolve_dataset(
    spec: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    lenient: bool = False,
    max_gap_ns: int = DEFAULT_MAX_GAP_NS,
) -> DataSet:
    """Return the data set spec names (module docstring; a sequence: all its specs name);
    E_DATA_FILE_MISSING when a spec names no event file, E_DATA_METADATA when one symbol's
    files disagree on the instrument, the first break as E_DATA_GAP / E_DATA_OVERLAP unless
    lenient."""
    if max_gap_ns < 0:
        raise ValueError(f"max_gap_ns must be >= 0, got {max_gap_ns}")
    specs = [spec] if isinstance(spec, str | os.PathLike) else list(spec)
    by_symbol: dict[str, list[DataFile]] = {}
    for path in [path for one in specs for path in _paths_of(os.fspath(one))]:
        one = _data_file(path)
        by_symbol.setdefault(one.meta.symbol, []).append(one)
    files = {
        symbol: tuple(sorted(group, key=lambda f: (f.first_ts_exch_ns, str(f.path))))
        for symbol, group in by_symbol.items()
    }
    breaks = [found for group in files.values() for found in _breaks(group, max_gap_ns)]
    if breaks and not lenient:
        first = breaks[0]
        raise DataError(first.code, f"{first.where()}; fix the data set or pass --lenient")
    return DataSet(files, tuple(breaks))


def _paths_of(spec: str) -> list[Path]:
    if Path(spec).is_file():
        return [Path(spec)]
    if Path(spec).is_dir():
        pattern = os.path.join(glob.escape(spec), "**", f"*{EVENT_FILE_SUFFIX}")
        found = sorted(Path(p) for p in glob.glob(pattern, recursive=True))
    else:
        found = sorted(Path(p) for p in glob.glob(spec, recursive=True))
    found = [path for path in found if path.is_file()]
    if not found:
        raise data_error(
            "E_DATA_FILE_MISSING", spec, 0,
            f"names no *{EVENT_FILE_SUFFIX} event file (give a file, a folder or a glob); write "
            "one with `mmbot data synth` or `mmbot data import ...`",
        )  # fmt: skip
    return found


def _data_file(path: Path) -> DataFile:
    meta = read_meta(path)  # checks the file is an event file first
    parquet = pq.ParquetFile(path)
    require_events(parquet, os.fspath(path))
    rows = parquet.metadata.num_rows
    columns = ["ts_exch_ns", "ts_local_ns"]
    head = parquet.read_row_group(0, columns=columns)
    tail = parquet.read_row_group(parquet.num_row_groups - 1, columns=columns)
    return DataFile(
        path=path,
        meta=meta,
        rows=rows,
        first_ts_exch_ns=int(head.column(0)[0].as_py()),
        last_ts_exch_ns=int(tail.column(0)[-1].as_py()),
        first_ts_local_ns=int(head.column(1)[0].as_py()),
        last_ts_local_ns=int(tail.column(1)[-1].as_py()),
    )


def _breaks(group: tuple[DataFile, ...], max_gap_ns: int) -> list[Break]:
    first = group[0]
    for other in group[1:]:
        if other.meta != first.meta:
            raise data_error(
                "E_DATA_METADATA", os.fspath(other.path), 0,
                f"instrument {other.meta} differs from {first.meta} of {first.path}; one "
                "symbol's files must describe the same instrument",
            )  # fmt: skip
    found = []
    for before, after in itertools.pairwise(group):
        if after.first_ts_exch_ns < before.last_ts_exch_ns:
            detail = (
                f"first ts_exch_ns={after.first_ts_exch_ns} is before the previous file's last "
                f"ts_exch_ns={before.last_ts_exch_ns} (overlap "
                f"{before.last_ts_exch_ns - after.first_ts_exch_ns} ns)"
            )
            found.append(Break(OVERLAP, first.meta.symbol, before.path, after.path, detail))
        gap_ns = after.first_ts_local_ns - before.last_ts_local_ns
        if gap_ns > max_gap_ns:
            detail = (
                f"no events for {gap_ns} ns between the files' ts_local_ns (more than "
                f"max_gap_ns={max_gap_ns})"
            )
            found.append(Break(GAP, first.meta.symbol, before.path, after.path, detail))
    return found


def write_days(
    batches: Iterable[EventBatch],
    meta: InstrumentMeta,
    folder: str | os.PathLike[str],
    *,
    days: int,
    events: int,
    row_group_rows: int = 1_000_000,
) -> list[Path]:
    """Write a stream of events as `days` continuous files of equal size (the last shorter),
    folder/<symbol>/<YYYY-MM-DD>.parquet dated from the first event's UTC day on; return
    them. A synthetic "day" is a share of the events, not 24 hours of them. Streams: one
    batch in memory at a time."""
    if days <= 0 or events < days:
        raise ValueError(f"days must be in 1..events ({events}), got {days}")
    per_day = -(-events // days)
    stream = iter(batches)
    first = next(stream, None)
    if first is None or not len(first):
        raise data_error("E_DATA_EMPTY", os.fspath(folder), 0, "no events to write")
    start = datetime.fromtimestamp(int(first.ts_exch_ns[0]) // 1_000_000_000, tz=UTC).date()
    rows = _Recut(itertools.chain([first], stream))
    paths = []
    for day in range(days):
        path = Path(folder) / meta.symbol / f"{(start + timedelta(days=day)).isoformat()}.parquet"
        share = min(per_day, events - day * per_day)
        paths.append(write_events(path, rows.take(share), meta, row_group_rows))
    return paths


class _Recut:
    """A batch stream re-cut on demand: take(n) yields its next n events."""

    def __init__(self, batches: Iterator[EventBatch]) -> None:
        self._batches = batches
        self._pending = EventBatch.empty()

    def take(self, count: int) -> Iterator[EventBatch]:
        """Yield the next count events (fewer at the end of the stream), in batches."""
        while count > 0:
            if not len(self._pending):
                self._pending = next(self._batches, EventBatch.empty())
                if not len(self._pending):
                    return
            part = self._pending.slice(0, min(count, len(self._pending)))
            self._pending = self._pending.slice(len(part), len(self._pending))
            count -= len(part)
            yield part
