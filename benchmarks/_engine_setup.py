"""The engine benchmarks' shared setup: the configs, the event data and built engines.

Both bench_decide.py and bench_engine.py run the full stack that `mmbot backtest run` builds
(`mmbot.node.build_engine`) on bench_sim's 1M-event file, with one config:

* the embedded defaults (GLFT, micro signals on, sizing, risk gate, allocator, 100 ms
  decisions, 10 ms feed/entry/response latency), plus
* `fees.volume_30d_usd = 60,000,000`: the maker-rebate tier (-0.5 bp). At the default base tier
  (maker +1 bp) the fee floor keeps both quotes ~50 ticks from the mid, nothing ever fills and
  the order path is barely exercised; at the rebate tier orders are placed, replaced and filled.

bench_engine.py also runs a book (`mmbot.node.stack.build_book_engine`): BOOK_SYMBOLS from the
multi-symbol synth (correlated mids, the same events per symbol as the single case), each
quoted by every model of BOOK_MODELS, over the same overlay. The mux's weights and caps are the
embedded defaults (caps 0.6 + 0.5 + 0.5 per symbol, >= 1 as a shared symbol needs); so are the
book's caps and each symbol's risk limits, except its order and cancel throttle: the default times
the symbol's legs, which share its gate (at the default 20 orders/s for three legs the 1M-event book
had ~70,000 actions throttled, the single case 65 denials: it measured another workload).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from _events import EventFile, ensure_event_file
from mmbot.backtest.wiring import check_instrument
from mmbot.config import MmConfig
from mmbot.data import (
    EventBatch,
    InstrumentMeta,
    MarketSpec,
    SynthParams,
    load_events,
    symbol_market,
    synthesize_symbol,
)
from mmbot.engine.loop import Engine
from mmbot.node import build_engine
from mmbot.node.stack import build_book_engine

SEED: Final = 7
N_EVENTS: Final = 1_000_000
STRATEGY_ID: Final = "bench"
CONFIG_OVERLAY: Final[dict[str, Any]] = {
    "fees": {"volume_30d_usd": 60_000_000.0},
    "strategy": {"model": "glft", "signals": {"enabled": True}},
}
CONFIG_LABEL: Final = "embedded defaults + fees.volume_30d_usd=60000000 (maker rebate tier)"
BOOK_SYMBOLS: Final = ("BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT")
BOOK_MODELS: Final = ("glft", "fixed_spread", "avellaneda_stoikov")
BOOK_CORRELATION: Final = 0.7


def bench_config() -> MmConfig:
    """Return the benchmark config: the embedded defaults with CONFIG_OVERLAY applied."""
    return MmConfig.model_validate(CONFIG_OVERLAY)


def load_bench_events(
    seed: int = SEED, n_events: int = N_EVENTS
) -> tuple[EventFile, EventBatch, InstrumentMeta]:
    """Return bench_sim's event file (generated once, sha-checked), its events and instrument."""
    event_file = ensure_event_file(seed, n_events)
    batch, meta = load_events(event_file.path)
    check_instrument(bench_config(), meta, Path(event_file.path))
    return event_file, batch, meta


def new_engine(batch: EventBatch, fused: bool = True) -> Engine:
    """Return a fresh engine over batch with the benchmark config (traces not kept); fused:
    Engine.run replays through the fused loop (venues/fused), else the engine's own loop."""
    return build_engine(bench_config(), batch, STRATEGY_ID, fused=fused)


def book_config(symbols: tuple[str, ...] = BOOK_SYMBOLS) -> MmConfig:
    """Return the book's config: symbols (instruments as the synth makes them), each quoted by
    every model of BOOK_MODELS (strategy id = model), over CONFIG_OVERLAY."""
    instruments = []
    for symbol in symbols:
        _params, meta = symbol_market(symbol, SynthParams())
        instruments.append(
            {"symbol": symbol, "venue": meta.venue, "tick_size": meta.tick_size,
             "lot_size": meta.lot_size}
        )  # fmt: skip
    strategies = [{"id": model, "model": model, "symbols": list(symbols)} for model in BOOK_MODELS]
    return MmConfig.model_validate(
        {**CONFIG_OVERLAY, "portfolio": {"instruments": instruments}, "strategies": strategies,
         "risk": _shared_throttle(len(BOOK_MODELS))}
    )  # fmt: skip


def _shared_throttle(legs_per_symbol: int) -> dict[str, float | int]:
    """Return the risk section whose per-symbol throttle gives each of a symbol's legs the
    one-strategy config's rates: the legs share their symbol's gate."""
    risk = MmConfig().risk
    return {
        "orders_per_s": legs_per_symbol * risk.orders_per_s,
        "cancels_per_s": legs_per_symbol * risk.cancels_per_s,
        "orders_burst": legs_per_symbol * risk.orders_burst,
        "cancels_burst": legs_per_symbol * risk.cancels_burst,
    }


def book_market(
    seed: int = SEED, n_events: int = N_EVENTS, symbols: tuple[str, ...] = BOOK_SYMBOLS
) -> MarketSpec:
    """Return the book's synthetic market: n_events per symbol, mids correlated."""
    return MarketSpec(seed, n_events, symbols, BOOK_CORRELATION)


def book_events(spec: MarketSpec) -> dict[str, EventBatch]:
    """Return every symbol's events of spec, generated in memory (~0.5 s per 1M events)."""
    return {symbol: EventBatch.concat(synthesize_symbol(spec, symbol)) for symbol in spec.symbols}


def new_book_engine(events: dict[str, EventBatch]) -> Engine:
    """Return a fresh book engine over events (symbol -> events) with the book's config."""
    return build_book_engine(book_config(tuple(events)), events)
