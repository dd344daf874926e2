"""Market data: the event schema, event files, importers, the synthetic market, book replay."""

from mmbot.data.batch import EventBatch
from mmbot.data.binance import BinanceKind, import_binance
from mmbot.data.binance_stream import (
    USDM_INSTRUMENTS,
    USDM_VENUE,
    clock_offset_ns,
    import_binance_stream,
    recorded_symbol,
    usdm_instrument,
)
from mmbot.data.book import NO_ASK, NO_BID, BookReplay
from mmbot.data.book_files import book_files_in, event_files_in, load_book_files
from mmbot.data.import_record import ImportRecord, read_record, record_path
from mmbot.data.info import DataInfo, DataSetInfo, info, info_set
from mmbot.data.info_record import RecordedInfo, RecordedSetInfo, describe
from mmbot.data.merge import merge_by_ts
from mmbot.data.report import ImportReport
from mmbot.data.returns import ReturnCorrelation, mid_log_returns, return_correlations
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
from mmbot.data.stream_report import StreamImportReport
from mmbot.data.synth import synthesize, synthesize_labeled
from mmbot.data.synth_multi import (
    OTHER_PROFILE,
    SYMBOL_PROFILES,
    SYNTH_VENUE,
    MarketSpec,
    SymbolProfile,
    symbol_market,
    synthesize_symbol,
    write_market,
)
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
    "OTHER_PROFILE",
    "PRESETS",
    "SIDE_ASK",
    "SIDE_BID",
    "SIDE_BUY",
    "SIDE_NONE",
    "SIDE_SELL",
    "SYMBOL_PROFILES",
    "SYNTH_META",
    "SYNTH_VENUE",
    "USDM_INSTRUMENTS",
    "USDM_VENUE",
    "BinanceKind",
    "BookReplay",
    "DataInfo",
    "DataSetInfo",
    "EventBatch",
    "ImportRecord",
    "ImportReport",
    "InstrumentMeta",
    "MarketSpec",
    "RecordedInfo",
    "RecordedSetInfo",
    "ReturnCorrelation",
    "StreamImportReport",
    "SymbolProfile",
    "SynthParams",
    "book_files_in",
    "clock_offset_ns",
    "count_events",
    "describe",
    "event_files_in",
    "import_binance",
    "import_binance_stream",
    "import_tardis",
    "info",
    "info_set",
    "iter_events",
    "load_book_files",
    "load_events",
    "merge_by_ts",
    "mid_log_returns",
    "preset",
    "read_meta",
    "read_record",
    "record_path",
    "recorded_symbol",
    "return_correlations",
    "symbol_market",
    "synthesize",
    "synthesize_labeled",
    "synthesize_symbol",
    "usdm_instrument",
    "write_events",
    "write_market",
]
