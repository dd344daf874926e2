"""Market data: the event schema, importers, the synthetic market and fixtures."""

from mmbot.data.schema import (
    COLUMNS,
    DTYPES,
    KIND_CLEAR,
    KIND_DEPTH,
    KIND_SNAPSHOT,
    KIND_TRADE,
    KINDS,
    SIDE_ASK,
    SIDE_BID,
    SIDE_BUY,
    SIDE_NONE,
    SIDE_SELL,
    InstrumentMeta,
)

__all__ = [
    "COLUMNS",
    "DTYPES",
    "KINDS",
    "KIND_CLEAR",
    "KIND_DEPTH",
    "KIND_SNAPSHOT",
    "KIND_TRADE",
    "SIDE_ASK",
    "SIDE_BID",
    "SIDE_BUY",
    "SIDE_NONE",
    "SIDE_SELL",
    "InstrumentMeta",
]
