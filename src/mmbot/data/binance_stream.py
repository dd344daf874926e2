"""Import a Binance USD-M stream recording (L2 diffs, snapshot, trades, bookTicker).

The recording is hftbacktest's collector format (data/stream_lines.py): day files of one
symbol, read in order. Two passes over the files, in bounded memory (pass 2 holds a chunk
of lines and a second of messages at a time):

1. the clock offset: the smallest `local - E` (E: the venue's send time) over every
   line. The recorder's clock is not the venue's (the published BTCUSDT/ETHUSDT files run
   ~1.52 s behind); with the offset subtracted, the fastest message arrives the instant it
   was sent and no event reaches us before it happened.
2. the events: lines decoded (stream_messages), put into exchange order (stream_order),
   the book rebuilt and checked, rows written (stream_book). Exchange time is the venue's
   transaction time `T`; local time is the recorded arrival minus the offset.

The report (stream_report) is printed by the command and kept beside the event file
(import_record), where `mmbot data info` finds it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Final

from mmbot.data.batch import EventBatch
from mmbot.data.fields import ImportSource, write_import
from mmbot.data.import_record import write_record
from mmbot.data.progress import RowsDone, reporting
from mmbot.data.schema import InstrumentMeta
from mmbot.data.screen import data_error
from mmbot.data.stream_book import StreamBook
from mmbot.data.stream_lines import StreamReader, parse_line, raw_lines
from mmbot.data.stream_messages import DecodeCounts, MessageDecoder, StreamMessage
from mmbot.data.stream_order import WINDOW_NS, ExchangeOrder
from mmbot.data.stream_report import StreamImportReport

IMPORTER: Final = "binance-stream"
USDM_VENUE: Final = "binance-usdm"
# PRICE_FILTER tickSize and LOT_SIZE stepSize of Binance USD-M perpetuals (exchangeInfo,
# July 2024); any other symbol needs its tick and lot given.
USDM_INSTRUMENTS: Final = {"BTCUSDT": (0.1, 0.001), "ETHUSDT": (0.01, 0.001)}
_MS_TO_NS: Final = 1_000_000
_ROWS_PER_BATCH: Final = 1 << 16
_SENT_MS: Final = re.compile(rb'"E":(\d+)')


def usdm_instrument(
    symbol: str, tick_size: float | None = None, lot_size: float | None = None
) -> InstrumentMeta:
    """Return the instrument of a USD-M symbol: the given tick/lot, else the known ones.

    ValueError names what is missing for a symbol not in USDM_INSTRUMENTS.
    """
    known = USDM_INSTRUMENTS.get(symbol)
    if known is None and (tick_size is None or lot_size is None):
        raise ValueError(
            f"symbol {symbol} has no known tick/lot ({', '.join(USDM_INSTRUMENTS)} do); "
            "give --tick-size and --lot-size"
        )
    default_tick, default_lot = known or (0.0, 0.0)
    return InstrumentMeta(
        USDM_VENUE,
        symbol,
        tick_size if tick_size is not None else default_tick,
        lot_size if lot_size is not None else default_lot,
    )


def recorded_symbol(paths: Sequence[str | os.PathLike[str]]) -> str:
    """Return the symbol (`s`) of the first message that names one (E_DATA_EMPTY if none)."""
    for path in paths:
        for _, raw in raw_lines(Path(path)):
            parsed = parse_line(raw)
            symbol = parsed[1].get("s") if isinstance(parsed, tuple) else None
            if isinstance(symbol, str) and symbol:
                return symbol
    raise data_error("E_DATA_EMPTY", ",".join(map(str, paths)), 0, "no message names a symbol")


def clock_offset_ns(paths: Sequence[str | os.PathLike[str]]) -> int | None:
    """Return min(local - E) in ns over the lines of a recording; None when no line has E.

    Reads each line's local time and its `"E":` field (the venue's send time, ms; at the top
    level of every payload that has one) without decoding the JSON: a line the import drops
    still measures the same two clocks.
    """
    offset: int | None = None
    for path in paths:
        for _, raw in raw_lines(Path(path)):
            stamp = raw.split(b" ", 1)[0]
            sent = _SENT_MS.search(raw)
            if stamp.isdigit() and sent is not None:
                gap_ns = int(stamp) - int(sent.group(1)) * _MS_TO_NS
                offset = gap_ns if offset is None else min(offset, gap_ns)
    return offset


class _Import:
    """Pass 2: lines to decoded messages to exchange order to the book and its rows."""

    def __init__(self, paths: Sequence[Path], meta: InstrumentMeta, strict: bool, offset_ns: int):
        self.sources = [ImportSource(path, meta, strict) for path in paths]
        self.reader = StreamReader(paths, [source.screen for source in self.sources])
        self.counts = DecodeCounts()
        self.decoders = [MessageDecoder(s, meta.symbol, self.counts) for s in self.sources]
        self.book = StreamBook(offset_ns, {s.screen.file: s.screen for s in self.sources})
        self.order = ExchangeOrder()

    def events(self) -> Iterator[EventBatch]:
        for index, chunk in self.reader.chunks():
            for message in self.decoders[index].decode(chunk):
                if not self.order.push(message):
                    self._late(message)
                for ready in self.order.ready():
                    self.book.handle(ready)
            if len(self.book.rows) >= _ROWS_PER_BATCH:
                yield self.book.rows.take()
        for message in self.order.drain():
            self.book.handle(message)
        self._require_a_book()
        if len(self.book.rows):
            yield self.book.rows.take()

    def _require_a_book(self) -> None:
        """Strict: depth diffs without any snapshot to start them from is E_DATA_NO_SNAPSHOT."""
        diffs = self.counts.messages["diff"]
        if self.sources[0].screen.strict and diffs and not self.book.tally.snapshots_used:
            raise data_error(
                "E_DATA_NO_SNAPSHOT", ",".join(map(str, self.reader.paths)), 0,
                f"{diffs} depth diffs but no depth snapshot (lastUpdateId) to start the book "
                "from; record one, or import with --lenient to keep the trades alone",
            )  # fmt: skip

    def _late(self, message: StreamMessage) -> None:
        screen = self.book.screens[message.file]
        detail = (
            f"{message.kind.name.lower()} T={message.ts_ns // _MS_TO_NS} arrived more than "
            f"{WINDOW_NS // _MS_TO_NS} ms after messages the venue stamped later"
        )
        if screen.strict:
            raise data_error(
                "E_DATA_NONMONOTONIC", message.file, message.line,
                f"{detail}; import with --lenient to drop and count such messages",
            )  # fmt: skip
        screen.count_external("E_DATA_NONMONOTONIC", 1)


def import_binance_stream(
    paths: Sequence[str | os.PathLike[str]],
    meta: InstrumentMeta,
    out: str | os.PathLike[str],
    strict: bool = True,
    on_rows: RowsDone | None = None,
) -> StreamImportReport:
    """Import one symbol's stream recording (its day files in order) into an event file.

    Strict mode (default) fails on the first problem with one E_DATA_* line naming the file
    and line; lenient mode drops and counts bad lines and levels, and resyncs the book from
    the next snapshot after a sequence gap. Also writes the import record beside `out`.
    on_rows is told the events of each batch written.
    """
    files = [Path(path) for path in paths]
    if not files:
        raise ValueError("import_binance_stream needs at least one file")
    offset_ns = clock_offset_ns(files)
    run = _Import(files, meta, strict, offset_ns or 0)
    written = write_import(out, reporting(run.events(), on_rows), meta, strict, run.sources)
    report = StreamImportReport.of(
        os.fspath(out), strict, meta.symbol,
        zip(map(str, files), run.reader.lines_read, strict=True),
        run.counts, offset_ns, run.book.tally, written.events_written,
        [source.screen for source in run.sources],
    )  # fmt: skip
    write_record(out, IMPORTER, report.summary(), report.as_dict())
    return report
