"""Market data: the event schema, event files, importers, the synthetic market, book replay."""

from mmbot.data.batch import EventBatch
from mmbot.data.binance import BinanceKind, import_binance
from mmbot.data.book import NO_ASK, NO_BID, BookReplay
from mmbot.data.info import DataInfo, info
from mmbot.data.merge import merge_by_ts
from mmbot.data.report import ImportReport
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
from mmbot.data.store import count_events, iter_events, load_events, read_meta, write_events
from mmbot.data.synth import synthesize, synthesize_labeled
from mmbot.data.synth_params import PRESETS, SYNTH_META, SynthParams, preset
from mmbot.data.tardis import import_tardis

__all__ = [
    "COLUMNS",
    "DTYPES",
    "KINDS",
    "KIND_CLEAR",
    "KIND_DEPTH",
    "KIND_SNAPSHOT",
    "KIND_TRADE",
    "NO_ASK",
    "NO_BID",
    "PRESETS",
    "SIDE_ASK",
    "SIDE_BID",
    "SIDE_BUY",
    "SIDE_NONE",
    "SIDE_SELL",
    "SYNTH_META",
    "BinanceKind",
    "BookReplay",
    "DataInfo",
    "EventBatch",
    "ImportReport",
    "InstrumentMeta",
    "SynthParams",
    "count_events",
    "import_binance",
    "import_tardis",
    "info",
    "iter_events",
    "load_events",
    "merge_by_ts",
    "preset",
    "read_meta",
    "synthesize",
    "synthesize_labeled",
    "write_events",
]
