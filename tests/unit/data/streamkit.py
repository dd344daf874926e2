"""Tiny Binance USD-M stream recordings for the importer's tests (collector format).

Every message is stamped: transaction time T (ms), send time E = T + 1, and a local receive
time LOCAL_BEHIND_MS behind the venue's clock plus `latency_ms` (the published recordings run
~1.52 s behind). Prices are BTCUSDT's: tick 0.1, lot 0.001.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from mmbot.data import InstrumentMeta, usdm_instrument

META: InstrumentMeta = usdm_instrument("BTCUSDT")
T0_MS = 1_721_347_000_000
LOCAL_BEHIND_MS = 1_500
MS = 1_000_000
Levels = list[tuple[str, str]]


def _line(t_ms: int, payload: dict[str, object], latency_ms: int, stream: str | None) -> str:
    local_ns = (t_ms + 1 + latency_ms - LOCAL_BEHIND_MS) * MS
    message = payload if stream is None else {"stream": stream, "data": payload}
    return f"{local_ns} {json.dumps(message, separators=(',', ':'))}"


def snapshot(t_ms: int, last_id: int, bids: Levels, asks: Levels, latency_ms: int = 5) -> str:
    """Return the REST depth snapshot line (book after update last_id)."""
    payload = {"lastUpdateId": last_id, "E": t_ms + 1, "T": t_ms, "bids": bids, "asks": asks}
    return _line(t_ms, payload, latency_ms, None)


def diff(
    t_ms: int, ids: tuple[int, int, int], bids: Levels, asks: Levels, latency_ms: int = 5
) -> str:
    """Return a depthUpdate line; ids = (U, u, pu)."""
    first_id, last_id, prev_id = ids
    payload = {
        "e": "depthUpdate", "E": t_ms + 1, "T": t_ms, "s": "BTCUSDT",
        "U": first_id, "u": last_id, "pu": prev_id, "b": bids, "a": asks,
    }  # fmt: skip
    return _line(t_ms, payload, latency_ms, "btcusdt@depth@0ms")


def ticker(
    t_ms: int, update_id: int, bid: tuple[str, str], ask: tuple[str, str], latency_ms: int = 5
) -> str:
    """Return a bookTicker line: best bid (price, qty) and best ask at update_id."""
    payload = {
        "e": "bookTicker", "u": update_id, "s": "BTCUSDT", "b": bid[0], "B": bid[1],
        "a": ask[0], "A": ask[1], "T": t_ms, "E": t_ms + 1,
    }  # fmt: skip
    return _line(t_ms, payload, latency_ms, "btcusdt@bookTicker")


def trade(
    t_ms: int, trade_id: int, price: str, qty: str, taker_sold: bool, latency_ms: int = 5,
    how: str = "MARKET",
) -> str:  # fmt: skip
    """Return a trade line (m: the buyer was the maker, i.e. the taker sold)."""
    payload = {
        "e": "trade", "E": t_ms + 1, "T": t_ms, "s": "BTCUSDT", "t": trade_id,
        "p": price, "q": qty, "X": how, "m": taker_sold,
    }  # fmt: skip
    return _line(t_ms, payload, latency_ms, "btcusdt@trade")


def write_recording(path: Path, lines: list[str]) -> Path:
    """Write lines as a recording (gzip when path ends with .gz); return path."""
    text = "".join(line + "\n" for line in lines).encode("ascii")
    path.write_bytes(gzip.compress(text, mtime=0) if path.suffix == ".gz" else text)
    return path


BOOK_BIDS: Levels = [("100.0", "1.000"), ("99.9", "2.000")]
BOOK_ASKS: Levels = [("100.1", "1.500"), ("100.2", "3.000")]


def synced_start() -> list[str]:
    """Return a recording's start: a diff older than the snapshot (arrives first), the
    snapshot at id 100, then the first diff (ids 95..105, straddling 100)."""
    return [
        diff(T0_MS, (80, 90, 70), [("100.0", "0.500")], []),
        snapshot(T0_MS + 10, 100, BOOK_BIDS, BOOK_ASKS),
        diff(T0_MS + 20, (95, 105, 90), [("99.8", "4.000")], [("100.1", "1.400")]),
    ]
