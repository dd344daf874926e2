"""The one market-event schema: columnar int64 arrays, stored as Parquet with instrument metadata.

Prices and sizes are integers (ticks, lots) everywhere inside; floats exist only at the
importers (parsing venue CSV) and in reports. Every consumer (the numba simulator, the
engine, the importers, `mmbot data info`) uses these names and codes.

Columns (all int64 on disk; `kind` and `side` are small codes):
    ts_exch_ns   exchange timestamp, ns since the Unix epoch (UTC)
    ts_local_ns  time the event reached us (recorded feed latency = ts_local_ns - ts_exch_ns)
    kind         KIND_* below
    side         SIDE_BID/SIDE_ASK for depth rows; for trades the aggressor side
                 (SIDE_BUY: a buyer lifted the ask, SIDE_SELL: a seller hit the bid);
                 SIDE_NONE for KIND_CLEAR
    price_ticks  price / tick_size, rounded to the nearest integer
    qty_lots     size / lot_size; for depth rows the NEW total size at that level (0 deletes)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

# Event kinds.
KIND_DEPTH: Final = 1  # incremental update: level (side, price_ticks) now holds qty_lots
KIND_SNAPSHOT: Final = 2  # a row of a snapshot; a run of snapshot rows replaces the book
KIND_CLEAR: Final = 3  # clear the whole book (e.g. before a snapshot, after a gap)
KIND_TRADE: Final = 4  # a trade in the public tape
KINDS: Final = {
    KIND_DEPTH: "depth",
    KIND_SNAPSHOT: "snapshot",
    KIND_CLEAR: "clear",
    KIND_TRADE: "trade",
}

# Sides. Depth rows: which book side. Trades: the aggressor (taker) side.
SIDE_NONE: Final = 0
SIDE_BID: Final = 1
SIDE_ASK: Final = -1
SIDE_BUY: Final = 1  # trade aggressor bought (hit the ask)
SIDE_SELL: Final = -1  # trade aggressor sold (hit the bid)

COLUMNS: Final = ("ts_exch_ns", "ts_local_ns", "kind", "side", "price_ticks", "qty_lots")
DTYPES: Final = {name: np.dtype(np.int64) for name in COLUMNS}

# Keys of the Parquet key-value metadata that carry the instrument.
META_PREFIX: Final = "mmbot."
META_KEYS: Final = ("venue", "symbol", "tick_size", "lot_size", "schema_version")
SCHEMA_VERSION: Final = "1"


@dataclass(frozen=True, slots=True)
class InstrumentMeta:
    """What an event file trades: floats live here, at the edge, and nowhere in the arrays."""

    venue: str
    symbol: str
    tick_size: float
    lot_size: float

    def __post_init__(self) -> None:
        if not (self.tick_size > 0 and self.lot_size > 0):
            raise ValueError(
                f"tick_size and lot_size must be > 0, got {self.tick_size}, {self.lot_size}"
            )
        if not self.venue or not self.symbol:
            raise ValueError("venue and symbol must be non-empty")
