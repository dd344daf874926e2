"""`info`: what an event file holds, from one streaming pass (counts, time span, book replay)."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass

import numpy as np

from mmbot.artifacts import JsonValue, fmt6, utc_iso
from mmbot.data.book import BookReplay
from mmbot.data.schema import KIND_CLEAR, KIND_DEPTH, KIND_SNAPSHOT, KIND_TRADE
from mmbot.data.store import open_events

_NS_PER_S = 1_000_000_000


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
