"""A synthetic market of several symbols: one event file each, mid moves correlated through
a common factor (synth_factor; docs/SYNTH_MODEL.md, "Several symbols").

Each symbol is the single-symbol model on its own seeded stream (derived from the seed and the
symbol's name, so a symbol's file does not depend on which other symbols are generated with
it), following the factor's regime and applying the factor's moves. The instrument and the
starting price come from the symbol's name (SYMBOL_PROFILES).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Final

import numpy as np

from mmbot.data.batch import EventBatch
from mmbot.data.progress import RowsDone, reporting
from mmbot.data.schema import InstrumentMeta
from mmbot.data.store import write_events
from mmbot.data.synth import Factor, generate_labeled
from mmbot.data.synth_factor import factor_blocks
from mmbot.data.synth_params import SynthParams

SYNTH_VENUE: Final = "synthetic"
# A symbol becomes a file name: letters, digits, '.', '_', '-', not starting with a dot.
_SYMBOL_NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
# Seed streams: spawn keys of numpy's SeedSequence under the user's seed.
_FACTOR_STREAM: Final = 0
_SYMBOL_STREAM: Final = 1


@dataclass(frozen=True, slots=True)
class SymbolProfile:
    """The instrument and starting price a symbol's name implies."""

    tick_size: float
    lot_size: float
    mid_start_usd: float


# Matched on the start of the symbol's name (BTCUSDT, BTC-PERP, ETHUSD, ...).
SYMBOL_PROFILES: Final = {
    "BTC": SymbolProfile(tick_size=0.1, lot_size=0.001, mid_start_usd=60_000.0),
    "ETH": SymbolProfile(tick_size=0.01, lot_size=0.01, mid_start_usd=3_000.0),
}
# Any other name: a 100-dollar coin with a 0.1 bp tick (about BTC's volatility in ticks).
OTHER_PROFILE: Final = SymbolProfile(tick_size=0.001, lot_size=0.1, mid_start_usd=100.0)


def symbol_profile(symbol: str) -> SymbolProfile:
    """Return the profile of the first SYMBOL_PROFILES prefix of symbol, else OTHER_PROFILE."""
    for prefix, profile in SYMBOL_PROFILES.items():
        if symbol.startswith(prefix):
            return profile
    return OTHER_PROFILE


def symbol_market(symbol: str, params: SynthParams) -> tuple[SynthParams, InstrumentMeta]:
    """Return params with the symbol's starting price, and its instrument (venue SYNTH_VENUE)."""
    profile = symbol_profile(symbol)
    meta = InstrumentMeta(SYNTH_VENUE, symbol, profile.tick_size, profile.lot_size)
    return replace(params, mid_start_usd=profile.mid_start_usd), meta


@dataclass(frozen=True, slots=True)
class MarketSpec:
    """A several-symbol synthetic market: n_events events per symbol; ValueError when bad.

    correlation is the target correlation of the symbols' mid returns, in [-1, 1]; a
    negative one needs exactly two symbols (the second one mirrors the factor's moves).
    """

    seed: int
    n_events: int
    symbols: tuple[str, ...]
    correlation: float = 0.0
    params: SynthParams = field(default_factory=SynthParams)

    def __post_init__(self) -> None:
        if self.seed < 0 or self.n_events < 0:
            raise ValueError(f"seed and events must be >= 0, got {self.seed}, {self.n_events}")
        if not self.symbols:
            raise ValueError("give at least one symbol")
        bad = [symbol for symbol in self.symbols if not _SYMBOL_NAME.fullmatch(symbol)]
        if bad:
            raise ValueError(
                f"symbol {bad[0]!r} is not a file name; expected letters, digits, '.', '_', '-'"
            )
        repeated = sorted({symbol for symbol in self.symbols if self.symbols.count(symbol) > 1})
        if repeated:
            raise ValueError(f"duplicate symbols: {','.join(repeated)}; give each symbol once")
        if not -1.0 <= self.correlation <= 1.0:
            raise ValueError(f"correlation={self.correlation} expected -1..1")
        if self.correlation < 0 and len(self.symbols) != 2:
            raise ValueError(
                f"correlation={self.correlation} < 0 needs exactly two symbols, got "
                f"{len(self.symbols)}: one factor cannot push three symbols apart pairwise"
            )


def _stream(seed: int, *key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


def _name_key(symbol: str) -> int:
    return int.from_bytes(hashlib.sha256(symbol.encode("ascii")).digest()[:8], "big")


def synthesize_symbol(spec: MarketSpec, symbol: str) -> Iterator[EventBatch]:
    """Yield the spec.n_events events of one of spec's symbols; same spec, same events."""
    if symbol not in spec.symbols:
        raise ValueError(f"symbol {symbol!r} is not one of {','.join(spec.symbols)}")
    params, meta = symbol_market(symbol, spec.params)
    move_share = abs(spec.correlation)
    sign = -1 if spec.correlation < 0 and symbol == spec.symbols[1] else 1
    blocks = factor_blocks(_stream(spec.seed, _FACTOR_STREAM), spec.params, move_share, sign)
    rng = _stream(spec.seed, _SYMBOL_STREAM, _name_key(symbol))
    factor = Factor(own_move_share=1.0 - move_share, blocks=blocks)
    for batch, _labels in generate_labeled(rng, spec.n_events, meta, params, factor):
        yield batch


def write_market(
    spec: MarketSpec, directory: str | os.PathLike[str], on_rows: RowsDone | None = None
) -> list[Path]:
    """Write directory/<symbol>.parquet for every symbol of spec (the folder is created);
    return the paths in spec.symbols order. on_rows is told the events of each batch."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for symbol in spec.symbols:
        _params, meta = symbol_market(symbol, spec.params)
        path = folder / f"{symbol}.parquet"
        paths.append(write_events(path, reporting(synthesize_symbol(spec, symbol), on_rows), meta))
    return paths
