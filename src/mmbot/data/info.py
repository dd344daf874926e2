"""`info`: what an event file holds, from one streaming pass (counts, time span, book replay);
DataSetSummary: what a data set of daily files holds, from its footers."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from mmbot.artifacts import JsonValue, fmt6, utc_iso
from mmbot.data.book import BookReplay
from mmbot.data.dataset import GAP, OVERLAP, DataSet
from mmbot.data.schema import KIND_CLEAR, KIND_DEPTH, KIND_SNAPSHOT, KIND_TRADE
from mmbot.data.store import open_events

_NS_PER_S = 1_000_000_000
_NS_PER_DAY = 86_400 * _NS_PER_S


@dataclass(frozen=True, slots=True)
class DataInfo:
    """Summary of an event file. Timestamps are exchange time; None when the file is empty.

    crossed_events counts events after which best bid >= best ask; crossed_count counts
    exchange timestamps after whose last event the book is still crossed (a venue message
    split into several rows may cross for a row or two without the book being wrong).
    """

    file: str
    venue: str
    symbol: str
    tick_size: float
    lot_size: float
    rows: int
    rows_depth: int
    rows_snapshot: int
    rows_clear: int
    rows_trade: int
    first_ts_exch_ns: int | None
    last_ts_exch_ns: int | None
    span_ns: int
    crossed_events: int
    crossed_count: int

    def as_dict(self) -> dict[str, JsonValue]:
        """Return the fields as a JSON-ready mapping."""
        return dict(asdict(self))

    def lines(self) -> list[str]:
        """Return one `key=value` line per field, plus UTC times and the span in seconds."""
        out = [f"{key}={'none' if value is None else value}" for key, value in asdict(self).items()]
        first, last = self.first_ts_exch_ns, self.last_ts_exch_ns
        out.append(f"first_utc={'none' if first is None else utc_iso(first)}")
        out.append(f"last_utc={'none' if last is None else utc_iso(last)}")
        out.append(f"span_s={fmt6(self.span_ns / _NS_PER_S)}")
        return out


def info(path: str | os.PathLike[str]) -> DataInfo:
    """Return the summary of an event file, replaying its book to count crossed states."""
    meta, batches = open_events(path, allow_empty=True)
    book = BookReplay()
    counts = dict.fromkeys((KIND_DEPTH, KIND_SNAPSHOT, KIND_CLEAR, KIND_TRADE), 0)
    rows = crossed_events = crossed_count = 0
    first: int | None = None
    last: int | None = None
    pending_crossed = False  # crossed state after the last event of the previous batch
    for batch in batches:
        if not len(batch):
            continue
        kinds, kind_counts = np.unique(batch.kind, return_counts=True)
        for kind, count in zip(kinds.tolist(), kind_counts.tolist(), strict=True):
            counts[kind] += count
        best_bid, best_ask = book.tops(batch)
        crossed = best_bid >= best_ask
        ts = batch.ts_exch_ns
        if last is not None and int(ts[0]) != last and pending_crossed:
            crossed_count += 1
        group_end = np.append(ts[1:] != ts[:-1], False)
        crossed_count += int((crossed & group_end).sum())
        crossed_events += int(crossed.sum())
        pending_crossed = bool(crossed[-1])
        first = int(ts[0]) if first is None else first
        last = int(ts[-1])
        rows += len(batch)
    crossed_count += int(pending_crossed)
    return DataInfo(
        file=os.fspath(path),
        venue=meta.venue,
        symbol=meta.symbol,
        tick_size=meta.tick_size,
        lot_size=meta.lot_size,
        rows=rows,
        rows_depth=counts[KIND_DEPTH],
        rows_snapshot=counts[KIND_SNAPSHOT],
        rows_clear=counts[KIND_CLEAR],
        rows_trade=counts[KIND_TRADE],
        first_ts_exch_ns=first,
        last_ts_exch_ns=last,
        span_ns=0 if first is None or last is None else last - first,
        crossed_events=crossed_events,
        crossed_count=crossed_count,
    )


@dataclass(frozen=True, slots=True)
class DataSetInfo:
    """Summary of several event files replayed together: each file's DataInfo, then the
    span they all cover (latest first event to earliest last event; None when a file is
    empty) and its length (0 when they do not overlap)."""

    files: tuple[DataInfo, ...]

    @property
    def common_first_ts_exch_ns(self) -> int | None:
        """Return the latest first timestamp of the files (None when one is empty)."""
        firsts = [one.first_ts_exch_ns for one in self.files]
        return None if None in firsts else max(ts for ts in firsts if ts is not None)

    @property
    def common_last_ts_exch_ns(self) -> int | None:
        """Return the earliest last timestamp of the files (None when one is empty)."""
        lasts = [one.last_ts_exch_ns for one in self.files]
        return None if None in lasts else min(ts for ts in lasts if ts is not None)

    @property
    def overlap_ns(self) -> int:
        """Return how long every file has events, 0 when they do not overlap."""
        first, last = self.common_first_ts_exch_ns, self.common_last_ts_exch_ns
        return 0 if first is None or last is None else max(0, last - first)

    def summary(self) -> dict[str, JsonValue]:
        """Return the set-wide fields as a JSON-ready mapping."""
        return {
            "files": len(self.files),
            "symbols": ",".join(one.symbol for one in self.files),
            "rows_total": sum(one.rows for one in self.files),
            "common_first_ts_exch_ns": self.common_first_ts_exch_ns,
            "common_last_ts_exch_ns": self.common_last_ts_exch_ns,
            "overlap_ns": self.overlap_ns,
        }

    def as_dict(self) -> dict[str, JsonValue]:
        """Return every file's fields and the summary as a JSON-ready mapping."""
        return {"files": [one.as_dict() for one in self.files], "summary": self.summary()}

    def lines(self) -> list[str]:
        """Return each file's lines (each block opens with its `file=` line), then one
        `key=value` line per summary field, the common span in UTC and its length in s."""
        out = [line for one in self.files for line in one.lines()]
        out += [
            f"{key}={'none' if value is None else value}" for key, value in self.summary().items()
        ]
        first, last = self.common_first_ts_exch_ns, self.common_last_ts_exch_ns
        out.append(f"common_first_utc={'none' if first is None else utc_iso(first)}")
        out.append(f"common_last_utc={'none' if last is None else utc_iso(last)}")
        out.append(f"overlap_s={fmt6(self.overlap_ns / _NS_PER_S)}")
        return out


def info_set(paths: Sequence[str | os.PathLike[str]]) -> DataSetInfo:
    """Return the summary of several event files (each one's info, in the order given)."""
    return DataSetInfo(tuple(info(path) for path in paths))


@dataclass(frozen=True, slots=True)
class DataSetSummary:
    """What a data set of daily files holds (mmbot.data.dataset), from the file footers and
    first/last row groups only: per symbol its files, the UTC days they span (a synthetic
    set's "days" are shares of its events, so the two may differ), rows, first and last exchange
    time, and the continuity breaks between its files (counted, as --lenient does)."""

    dataset: DataSet

    def _symbol_fields(self, symbol: str) -> dict[str, JsonValue]:
        files = self.dataset.files[symbol]
        codes = [b.code for b in self.dataset.breaks if b.symbol == symbol]
        return {
            "symbol": symbol,
            "files": len(files),
            "utc_days": _utc_days(files[0].first_ts_exch_ns, files[-1].last_ts_exch_ns),
            "rows": sum(one.rows for one in files),
            "first_utc": utc_iso(files[0].first_ts_exch_ns),
            "last_utc": utc_iso(files[-1].last_ts_exch_ns),
            "gaps": codes.count(GAP),
            "overlaps": codes.count(OVERLAP),
        }

    def as_dict(self) -> dict[str, JsonValue]:
        """Return the per-symbol fields, the totals and every break line."""
        symbols = self.dataset.symbols
        return {
            "symbols": ",".join(symbols),
            "files": len(self.dataset.paths),
            "rows_total": sum(one.rows for s in symbols for one in self.dataset.files[s]),
            "by_symbol": [self._symbol_fields(symbol) for symbol in symbols],
            "breaks": [found.line() for found in self.dataset.breaks],
        }

    def lines(self) -> list[str]:
        """Return the totals, one line per symbol, then `breaks=N` and one line per break."""
        fields = self.as_dict()
        by_symbol, breaks = fields.pop("by_symbol"), fields.pop("breaks")
        assert isinstance(by_symbol, list) and isinstance(breaks, list)
        out = [f"{key}={value}" for key, value in fields.items()]
        for one in by_symbol:
            assert isinstance(one, dict)
            out.append(" ".join(f"{key}={value}" for key, value in one.items()))
        return [*out, f"breaks={len(breaks)}", *map(str, breaks)]


def _utc_days(first_ts_ns: int, last_ts_ns: int) -> int:
    """Return how many UTC calendar days the span touches."""
    return (last_ts_ns // _NS_PER_DAY) - (first_ts_ns // _NS_PER_DAY) + 1
