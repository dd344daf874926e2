"""The engine benchmarks' shared setup: the config, the event file and a built engine.

Both bench_decide.py and bench_engine.py run the full stack that `mmbot backtest run` builds
(`mmbot.node.build_engine`) on bench_sim's 1M-event file, with one config:

* the embedded defaults (GLFT, micro signals on, sizing, risk gate, allocator, 100 ms
  decisions, 10 ms feed/entry/response latency), plus
* `fees.volume_30d_usd = 60,000,000`: the maker-rebate tier (-0.5 bp). At the default base tier
  (maker +1 bp) the fee floor keeps both quotes ~50 ticks from the mid, nothing ever fills and
  the order path is barely exercised; at the rebate tier orders are placed, replaced and filled.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from _events import EventFile, ensure_event_file
from mmbot.backtest.wiring import check_instrument
from mmbot.config import MmConfig
from mmbot.data import EventBatch, InstrumentMeta, load_events
from mmbot.engine.loop import Engine
from mmbot.node import build_engine

SEED: Final = 7
N_EVENTS: Final = 1_000_000
STRATEGY_ID: Final = "bench"
CONFIG_OVERLAY: Final[dict[str, Any]] = {
    "fees": {"volume_30d_usd": 60_000_000.0},
    "strategy": {"model": "glft", "signals": {"enabled": True}},
}
CONFIG_LABEL: Final = "embedded defaults + fees.volume_30d_usd=60000000 (maker rebate tier)"


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


def new_engine(batch: EventBatch) -> Engine:
    """Return a fresh engine over batch with the benchmark config (traces not kept)."""
    return build_engine(bench_config(), batch, STRATEGY_ID)
