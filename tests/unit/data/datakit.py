"""Shared helpers of the data tests: tiny CSV files and event batches."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from mmbot.data import EventBatch, InstrumentMeta

META = InstrumentMeta(venue="BINANCE", symbol="BTCUSDT", tick_size=0.1, lot_size=0.001)
L2_HEADER = "exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount"
TRADES_HEADER = "exchange,symbol,timestamp,local_timestamp,id,side,price,amount"


def write_csv(path: Path, lines: list[str]) -> Path:
    """Write lines as a CSV (gzip-compressed when path ends with .gz); return path."""
    text = "".join(line + "\n" for line in lines).encode("ascii")
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text, mtime=0))
    else:
        path.write_bytes(text)
    return path


def l2_row(ts_us: int, side: str, price: str, amount: str, snapshot: bool = False) -> str:
    """Return one Tardis incremental_book_L2 row of binance-futures BTCUSDT."""
    flag = "true" if snapshot else "false"
    return f"binance-futures,BTCUSDT,{ts_us},{ts_us + 5},{flag},{side},{price},{amount}"


def trade_row(ts_us: int, side: str, price: str, amount: str) -> str:
    """Return one Tardis trades row of binance-futures BTCUSDT."""
    return f"binance-futures,BTCUSDT,{ts_us},{ts_us + 5},{ts_us},{side},{price},{amount}"


def snapshot_rows(ts_us: int) -> list[str]:
    """Return a two-level snapshot: bids 100.0/99.9, asks 100.1/100.2."""
    return [
        l2_row(ts_us, "bid", "100.0", "1.5", snapshot=True),
        l2_row(ts_us, "bid", "99.9", "2", snapshot=True),
        l2_row(ts_us, "ask", "100.1", "0.5", snapshot=True),
        l2_row(ts_us, "ask", "100.2", "3", snapshot=True),
    ]


def emptied(path: Path) -> Path:
    """Rewrite an event file with no rows, keeping its schema and metadata (as another tool
    might write it: mmbot's writer refuses to); return path."""
    table = pq.read_table(path)
    pq.write_table(table.slice(0, 0), path)
    return path


def batch(*rows: tuple[int, int, int, int, int, int]) -> EventBatch:
    """Return a batch of (ts_exch_ns, ts_local_ns, kind, side, price_ticks, qty_lots) rows."""
    columns = np.array(rows, dtype=np.int64).reshape(-1, 6).T
    return EventBatch(*(np.ascontiguousarray(column) for column in columns))
