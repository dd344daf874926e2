"""Decode Binance USD-M stream payloads into typed messages with int ticks and lots.

Four payloads carry the market: the REST depth snapshot (`lastUpdateId`, `bids`, `asks`),
`depthUpdate` diffs (`U` first id, `u` last id, `pu` the previous diff's `u`, `b`, `a`),
`bookTicker` (best bid/ask and their sizes at update id `u`) and `trade` (`m` true when the
buyer was the maker: the taker sold). Every timestamp is the venue's transaction time `T`
(ms). Other payloads (a subscription answer, mark price, ...) are counted and skipped, as
are trades that did not match in the book (`X` other than MARKET: liquidations, ADL).

Prices and sizes of a chunk of lines are screened together, one row per level, through the
file's RowScreen (row = the line): strict mode fails on the first bad one, lenient mode
drops the bad level of a snapshot or diff, and the whole trade or ticker.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, Final

import numpy as np
import polars as pl

from mmbot.data.batch import I64
from mmbot.data.csvsource import CsvChunk
from mmbot.data.fields import ImportSource, parse_float, reject_not_positive
from mmbot.data.schema import SIDE_ASK, SIDE_BID, SIDE_BUY, SIDE_SELL
from mmbot.data.screen import RowScreen, data_error
from mmbot.data.stream_lines import StreamLine

_MS_TO_NS: Final = 1_000_000
_MATCHED_IN_BOOK: Final = "MARKET"
_LENIENT_HINT: Final = "import with --lenient to drop and count such lines"


class MessageKind(IntEnum):
    """What a message is; also its rank among book messages of one update id."""

    SNAPSHOT = 0
    DIFF = 1
    TICKER = 2
    TRADE = 3


@dataclass(slots=True)
class StreamMessage:
    """A decoded message. update_id: the snapshot's lastUpdateId, a diff's or ticker's `u`,
    a trade's id; first_id/prev_id: a diff's `U` and `pu` (0 otherwise). Levels: parallel
    lists of side, price_ticks, qty_lots (a trade: its aggressor side, price and size; a
    ticker: the best bid then the best ask)."""

    kind: MessageKind
    ts_ns: int
    local_ns: int
    update_id: int
    first_id: int
    prev_id: int
    sides: list[int]
    prices: list[int]
    qtys: list[int]
    file: str
    line: int


@dataclass(slots=True)
class DecodeCounts:
    """Messages seen by kind, and payloads skipped by what they were."""

    messages: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True, slots=True)
class _Pending:
    """A message whose levels are still text, and where its rows sit in the chunk."""

    message: StreamMessage
    rows: slice


class _BadLineError(Exception):
    """A line the decoder refuses: its E_DATA_* code and what is wrong."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


class _Rows:
    """The level rows of a chunk as text, before screening."""

    def __init__(self) -> None:
        self.lines: list[int] = []
        self.sides: list[int] = []
        self.prices: list[str] = []
        self.qtys: list[str] = []
        self.positive: list[bool] = []

    def add(self, line: int, side: int, levels: Sequence[Sequence[Any]], positive: bool) -> None:
        pairs = [(str(price), str(qty)) for price, qty in levels]
        self.lines.extend([line] * len(pairs))
        self.sides.extend([side] * len(pairs))
        self.prices.extend([price for price, _ in pairs])
        self.qtys.extend([qty for _, qty in pairs])
        self.positive.extend([positive] * len(pairs))

    def truncate(self, count: int) -> None:
        """Forget every row from row count on (a line that failed half-way)."""
        for column in (self.lines, self.sides, self.prices, self.qtys, self.positive):
            del column[count:]


def _int_field(payload: dict[str, Any], key: str) -> int:
    value = payload[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{key}={value!r} expected an integer")
    return value


def _message(kind: MessageKind, line: StreamLine, ids: tuple[int, int, int]) -> StreamMessage:
    update_id, first_id, prev_id = ids
    ts_ns = _int_field(line.payload, "T") * _MS_TO_NS
    return StreamMessage(
        kind, ts_ns, line.local_ns, update_id, first_id, prev_id, [], [], [], line.file, line.line
    )


class MessageDecoder:
    """Decode chunks of one file's lines for one symbol."""

    def __init__(self, source: ImportSource, symbol: str, counts: DecodeCounts) -> None:
        self.source = source
        self.symbol = symbol
        self.counts = counts

    def decode(self, chunk: Sequence[StreamLine]) -> list[StreamMessage]:
        """Return the chunk's market messages, levels screened and in ticks and lots."""
        rows = _Rows()
        pending: list[_Pending] = []
        for line in chunk:
            start = len(rows.lines)
            try:
                message = self._shape(line, rows)
            except (KeyError, TypeError, ValueError) as exc:
                rows.truncate(start)
                self._reject(line, _BadLineError("E_DATA_FORMAT", f"malformed message ({exc!r})"),
                             rows, pending)  # fmt: skip
                continue
            except _BadLineError as bad:
                self._reject(line, bad, rows, pending)
                continue
            if message is not None:
                self.counts.messages[message.kind.name.lower()] += 1
                pending.append(_Pending(message, slice(start, len(rows.lines))))
        return self._screened(rows, pending)

    def _shape(self, line: StreamLine, rows: _Rows) -> StreamMessage | None:
        """Return the message of a line, its level rows added to rows; None when skipped."""
        payload = line.payload
        if "lastUpdateId" in payload:
            ids = (_int_field(payload, "lastUpdateId"), 0, 0)
            rows.add(line.line, SIDE_BID, payload["bids"], positive=True)
            rows.add(line.line, SIDE_ASK, payload["asks"], positive=True)
            return _message(MessageKind.SNAPSHOT, line, ids)
        event = str(payload.get("e", "no_event"))
        if event not in ("depthUpdate", "bookTicker", "trade"):
            self.counts.skipped[event] += 1
            return None
        if payload.get("s") != self.symbol:
            raise _BadLineError(
                "E_DATA_METADATA",
                f"symbol {payload.get('s')!r} is not {self.symbol!r}; import one symbol per file",
            )
        if event == "depthUpdate":
            ids = (_int_field(payload, "u"), _int_field(payload, "U"), _int_field(payload, "pu"))
            rows.add(line.line, SIDE_BID, payload["b"], positive=False)
            rows.add(line.line, SIDE_ASK, payload["a"], positive=False)
            return _message(MessageKind.DIFF, line, ids)
        if event == "bookTicker":
            rows.add(line.line, SIDE_BID, [(payload["b"], payload["B"])], positive=True)
            rows.add(line.line, SIDE_ASK, [(payload["a"], payload["A"])], positive=True)
            return _message(MessageKind.TICKER, line, (_int_field(payload, "u"), 0, 0))
        if payload.get("X", _MATCHED_IN_BOOK) != _MATCHED_IN_BOOK:
            self.counts.skipped[f"trade:{payload['X']}"] += 1
            return None
        taker_sold = payload["m"]
        if not isinstance(taker_sold, bool):
            raise TypeError(f"m={taker_sold!r} expected true or false")
        aggressor = SIDE_SELL if taker_sold else SIDE_BUY
        rows.add(line.line, aggressor, [(payload["p"], payload["q"])], positive=True)
        return _message(MessageKind.TRADE, line, (_int_field(payload, "t"), 0, 0))

    def _reject(
        self, line: StreamLine, bad: _BadLineError, rows: _Rows, pending: list[_Pending]
    ) -> None:
        """Fail on a bad line (strict) or count it as dropped (lenient)."""
        screen = self.source.screen
        if screen.strict:
            self._screened(rows, pending)  # a bad level on an earlier line is the first error
            raise data_error(bad.code, line.file, line.line, f"{bad.detail}; {_LENIENT_HINT}")
        screen.count_external(bad.code, 1)

    def _screened(self, rows: _Rows, pending: list[_Pending]) -> list[StreamMessage]:
        if not rows.lines:
            return [item.message for item in pending]
        screen = self.source.screen
        chunk = CsvChunk(
            np.asarray(rows.lines, dtype=np.int64),
            pl.DataFrame({"price": rows.prices, "qty": rows.qtys}, schema={"price": pl.String,
                                                                           "qty": pl.String}),
        )  # fmt: skip
        screen.begin(chunk.rows)
        price_ticks = self.source.ticks(chunk, "price", parse_float(screen, chunk, "price"))
        qty_values = parse_float(screen, chunk, "qty")
        qty_lots = self.source.lots(chunk, "qty", qty_values, positive=False)
        must_be_positive = np.asarray(rows.positive, dtype=np.bool_)
        reject_not_positive(screen, chunk, "qty", np.where(must_be_positive, qty_values, 1.0))
        _reject_crossed_tickers(screen, pending, price_ticks)
        keep = screen.end()
        sides = np.asarray(rows.sides, dtype=np.int64)
        messages = []
        for item in pending:
            message, kept = item.message, keep[item.rows]
            whole = message.kind in (MessageKind.TICKER, MessageKind.TRADE)
            if whole and not kept.all():
                continue
            message.sides = sides[item.rows][kept].tolist()
            message.prices = price_ticks[item.rows][kept].tolist()
            message.qtys = qty_lots[item.rows][kept].tolist()
            messages.append(message)
        return messages


def _reject_crossed_tickers(
    screen: RowScreen, pending: Sequence[_Pending], price_ticks: I64
) -> None:
    """Reject the bid row of every ticker whose bid >= ask (the whole ticker is dropped)."""
    bid_rows = np.asarray(
        [item.rows.start for item in pending if item.message.kind == MessageKind.TICKER],
        dtype=np.int64,
    )
    crossed = np.zeros(len(price_ticks), dtype=np.bool_)
    crossed[bid_rows] = price_ticks[bid_rows] >= price_ticks[bid_rows + 1]
    screen.reject(
        "E_DATA_CROSSED",
        crossed,
        lambda i: f"bookTicker bid={price_ticks[i]} >= ask={price_ticks[i + 1]} ticks",
    )
