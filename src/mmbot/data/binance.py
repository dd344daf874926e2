"""Import Binance public-data CSV (trades, aggTrades, bookTicker) into an event file.

Files come with or without a header; without one, columns are taken by position.
Timestamps are ms or us (newer spot files) and are read by magnitude. The files carry no
arrival time, so ts_local_ns = ts_exch_ns for trades; bookTicker uses its event_time
(when Binance sent the update). is_buyer_maker=true means the taker sold.

bookTicker rows become depth rows of the top level: when a price moves, the new level is
set before the old one is deleted, and the side the price moves toward goes first, so
the replayed book is never crossed nor empty between two rows of one update.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Final, Literal

import numpy as np

from mmbot.data.batch import I64, EventBatch
from mmbot.data.csvsource import CsvChunk, iter_csv
from mmbot.data.fields import (
    Bools,
    ImportSource,
    epoch_to_ns,
    parse_choice,
    parse_float,
    parse_int,
    write_import,
)
from mmbot.data.progress import RowsDone, reporting
from mmbot.data.report import ImportReport
from mmbot.data.schema import (
    KIND_DEPTH,
    KIND_TRADE,
    SIDE_ASK,
    SIDE_BID,
    SIDE_BUY,
    SIDE_SELL,
    InstrumentMeta,
)
from mmbot.data.screen import RowScreen

BinanceKind = Literal["trades", "aggTrades", "bookTicker"]
# Published column order; a file may have more columns after these.
COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "trades": ("id", "price", "qty", "quote_qty", "time", "is_buyer_maker"),
    "aggTrades": (
        "agg_trade_id",
        "price",
        "quantity",
        "first_trade_id",
        "last_trade_id",
        "transact_time",
        "is_buyer_maker",
    ),
    "bookTicker": (
        "update_id",
        "best_bid_price",
        "best_bid_qty",
        "best_ask_price",
        "best_ask_qty",
        "transaction_time",
        "event_time",
    ),
}
# (price, size, time) columns of the trade files.
_TRADE_FIELDS: Final = {
    "trades": ("price", "qty", "time"),
    "aggTrades": ("price", "quantity", "transact_time"),
}
# The columns an import reads; a file lacking one of them is E_DATA_MISSING_COLUMNS.
_USED: Final[dict[str, tuple[str, ...]]] = {
    "trades": (*_TRADE_FIELDS["trades"], "is_buyer_maker"),
    "aggTrades": (*_TRADE_FIELDS["aggTrades"], "is_buyer_maker"),
    "bookTicker": COLUMNS["bookTicker"][1:],
}
_TAKER_SIDE: Final = {"true": SIDE_SELL, "false": SIDE_BUY}  # keyed by is_buyer_maker
_NO_PRICE: Final = -1


class _Context(ImportSource):
    def price_ticks(self, chunk: CsvChunk, column: str) -> I64:
        """Screen a price column (number, > 0, on the grid); return ticks."""
        return self.ticks(chunk, column, parse_float(self.screen, chunk, column))

    def size_lots(self, chunk: CsvChunk, column: str, positive: bool) -> I64:
        """Screen a size column (number, >= 0 or > 0, on the grid); return lots."""
        return self.lots(chunk, column, parse_float(self.screen, chunk, column), positive)

    def time_ns(self, chunk: CsvChunk, column: str) -> I64:
        """Screen an epoch column (integer); return ns."""
        return epoch_to_ns(parse_int(self.screen, chunk, column))


def _trade_events(
    ctx: _Context, kind: BinanceKind, chunks: Iterable[CsvChunk]
) -> Iterator[EventBatch]:
    price_column, size_column, time_column = _TRADE_FIELDS[kind]
    screen = ctx.screen
    for chunk in chunks:
        screen.begin(chunk.rows)
        ts_ns = ctx.time_ns(chunk, time_column)
        price = ctx.price_ticks(chunk, price_column)
        qty = ctx.size_lots(chunk, size_column, positive=True)
        side = parse_choice(screen, chunk, "is_buyer_maker", _TAKER_SIDE, "E_DATA_BAD_VALUE")
        ctx.in_order(chunk, time_column, ts_ns)
        keep = screen.end()
        kinds = np.full(int(keep.sum()), KIND_TRADE, dtype=np.int64)
        yield EventBatch(ts_ns[keep], ts_ns[keep].copy(), kinds, side[keep], price[keep], qty[keep])


def _shifted(values: I64, first: int) -> I64:
    """Return values delayed by one row, first in front: the previous row's value."""
    return np.concatenate(([first], values[:-1])).astype(np.int64)


def _top_rows(
    ts: I64, local: I64, top: tuple[I64, I64, I64, I64], before: tuple[int, int, int, int]
) -> EventBatch:
    """Return the depth rows that turn the top `before` into each row's top in turn."""
    bid, bid_qty, ask, ask_qty = top
    prev_bid, prev_bid_qty, prev_ask, prev_ask_qty = (
        _shifted(column, first) for column, first in zip(top, before, strict=True)
    )
    # Each row writes up to four depth rows, in one of two orders (see module docstring).
    up = (bid + ask) > (prev_bid + prev_ask)
    set_bid = (bid != prev_bid) | (bid_qty != prev_bid_qty)
    del_bid = (prev_bid != _NO_PRICE) & (bid != prev_bid)
    set_ask = (ask != prev_ask) | (ask_qty != prev_ask_qty)
    del_ask = (prev_ask != _NO_PRICE) & (ask != prev_ask)
    zero = np.zeros_like(bid)
    bid_first = np.stack([set_bid, del_bid, set_ask, del_ask], axis=1)
    ask_first = np.stack([set_ask, del_ask, set_bid, del_bid], axis=1)
    emit: Bools = np.where(up[:, None], ask_first, bid_first)
    sides = np.array([SIDE_BID, SIDE_BID, SIDE_ASK, SIDE_ASK], dtype=np.int64)
    side = np.where(up[:, None], sides[::-1], sides)
    price = np.where(
        up[:, None],
        np.stack([ask, prev_ask, bid, prev_bid], axis=1),
        np.stack([bid, prev_bid, ask, prev_ask], axis=1),
    )
    qty = np.where(
        up[:, None],
        np.stack([ask_qty, zero, bid_qty, zero], axis=1),
        np.stack([bid_qty, zero, ask_qty, zero], axis=1),
    )
    mask = emit.reshape(-1)
    count = int(mask.sum())
    return EventBatch(
        np.repeat(ts, 4)[mask],
        np.repeat(local, 4)[mask],
        np.full(count, KIND_DEPTH, dtype=np.int64),
        side.reshape(-1)[mask],
        price.reshape(-1)[mask].astype(np.int64),
        qty.reshape(-1)[mask].astype(np.int64),
    )


def _reject_crossed(screen: RowScreen, chunk: CsvChunk, bid: I64, ask: I64) -> None:
    frame = chunk.frame
    screen.reject(
        "E_DATA_CROSSED",
        bid >= ask,
        lambda i: (
            f"best_bid_price={frame['best_bid_price'][i]} >="
            f" best_ask_price={frame['best_ask_price'][i]}; a top of book must not be crossed"
        ),
    )


def _book_ticker_events(ctx: _Context, chunks: Iterable[CsvChunk]) -> Iterator[EventBatch]:
    screen = ctx.screen
    before = (_NO_PRICE, 0, _NO_PRICE, 0)
    for chunk in chunks:
        screen.begin(chunk.rows)
        ts_ns = ctx.time_ns(chunk, "transaction_time")
        local_ns = ctx.time_ns(chunk, "event_time")
        bid = ctx.price_ticks(chunk, "best_bid_price")
        bid_qty = ctx.size_lots(chunk, "best_bid_qty", positive=False)
        ask = ctx.price_ticks(chunk, "best_ask_price")
        ask_qty = ctx.size_lots(chunk, "best_ask_qty", positive=False)
        _reject_crossed(screen, chunk, bid, ask)
        ctx.in_order(chunk, "transaction_time", ts_ns)
        keep = screen.end()
        if not keep.any():
            continue
        top = (bid[keep], bid_qty[keep], ask[keep], ask_qty[keep])
        yield _top_rows(ts_ns[keep], local_ns[keep], top, before)
        before = (int(top[0][-1]), int(top[1][-1]), int(top[2][-1]), int(top[3][-1]))


def import_binance(
    path: str | os.PathLike[str],
    kind: BinanceKind,
    meta: InstrumentMeta,
    out: str | os.PathLike[str],
    strict: bool = True,
    on_rows: RowsDone | None = None,
) -> ImportReport:
    """Import one Binance public-data CSV (.csv or .csv.gz) of the given kind into an event file.

    Strict mode (default) fails on the first bad row with an E_DATA_* error; lenient mode
    drops bad rows and counts them by code in the report. on_rows is told the events of
    each batch written.
    """
    if kind not in COLUMNS:
        raise ValueError(f"kind={kind!r} expected one of {', '.join(COLUMNS)}")
    ctx = _Context(Path(path), meta, strict)
    chunks = iter_csv(ctx.path, ctx.screen, _USED[kind], positional=COLUMNS[kind])
    if kind == "bookTicker":
        events = _book_ticker_events(ctx, chunks)
    else:
        events = _trade_events(ctx, kind, chunks)
    return write_import(out, reporting(events, on_rows), meta, strict, [ctx])
