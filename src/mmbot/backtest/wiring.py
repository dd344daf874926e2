"""How backtest code meets its engine and its data: the engine factory it is handed, and the
check that a config's instrument is the data's.

Backtest code builds no engine: the composition root (mmbot.node) assembles every engine and
hands backtest code a factory, node.build_engine. It is a module-level function, so a
walk-forward task carries it to a worker process (local pool or Ray) by reference.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from mmbot.config import MmConfig, load_config, shipped_configs_dir
from mmbot.config.book import book_of
from mmbot.core.errors import ConfigError
from mmbot.data import EventBatch, InstrumentMeta
from mmbot.engine.loop import Engine
from mmbot.sim import EventStream

# Return a fresh backtest engine (sim clock, sim venue, the config's full stack) over events,
# in memory or streamed.
EngineFactory = Callable[[MmConfig, EventBatch | EventStream], Engine]
# Return a fresh backtest engine of the config's book over each symbol's events (in memory or
# streamed).
BookEngineFactory = Callable[[MmConfig, Mapping[str, EventBatch | EventStream]], Engine]
# One symbol's data in a book backtest: its events, the file's metadata, the file.
BookFile = tuple[EventBatch, InstrumentMeta, Path]


def _mismatches(cfg: MmConfig, meta: InstrumentMeta) -> list[tuple[str, object, object]]:
    """Return (key, config value, data value) where cfg's instrument disagrees with meta.

    tick_size and lot_size always count (the engine trades on them); venue and symbol only
    when the config sets them - the embedded defaults name no particular market.
    """
    instrument = cfg.instrument
    named = [key for key in ("venue", "symbol") if key in instrument.model_fields_set]
    return [
        (key, getattr(instrument, key), getattr(meta, key))
        for key in (*named, "tick_size", "lot_size")
        if getattr(instrument, key) != getattr(meta, key)
    ]


def _shown(path: Path) -> str:
    """Return path relative to the working directory when it is under it (as typed)."""
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)


def fitting_shipped_configs(meta: InstrumentMeta) -> list[str]:
    """Return the shipped one-symbol configs (not profiles, not books) whose instrument
    matches meta, as shown."""
    root = shipped_configs_dir()
    fits = []
    for path in sorted(root.rglob("*.yaml")):
        if "profiles" in path.relative_to(root).parts:
            continue
        try:
            config = load_config(path, {}).config
        except ConfigError:
            continue
        if not book_of(config).is_portfolio and not _mismatches(config, meta):
            fits.append(_shown(path))
    return fits


def check_instrument(cfg: MmConfig, meta: InstrumentMeta, data_path: Path) -> None:
    """Refuse a config whose instrument (venue, symbol, tick/lot size) disagrees with the
    data's metadata: one line naming both values, the key, and the shipped configs that fit."""
    found = _mismatches(cfg, meta)
    if not found:
        return
    key, configured, recorded = found[0]
    fits = fitting_shipped_configs(meta)
    hint = f"shipped configs that fit it: {', '.join(fits)}" if fits else "none shipped fits it"
    raise ConfigError(
        "E_CFG_DATA_MISMATCH",
        f"key=instrument.{key} config={configured} data={recorded} file={data_path}; set "
        f"instrument.{key} or pick the matching data ({hint})",
    )


def check_book_instrument(cfg: MmConfig, meta: InstrumentMeta, data_path: Path) -> None:
    """Refuse an event file whose symbol is not in the config's book, or whose venue or grid
    disagrees with that symbol's instrument: one line naming the key, both values, the file."""
    book = book_of(cfg)
    if meta.symbol not in book.symbols:
        raise ConfigError(
            "E_CFG_DATA_MISMATCH",
            f"key=portfolio.instruments data symbol={meta.symbol} file={data_path}: not one of "
            f"the book's symbols {list(book.symbols)}; add it or drop the file",
        )
    if cfg.portfolio is None:
        check_instrument(cfg, meta, data_path)
        return
    instrument = book.instrument(meta.symbol)
    for key in ("venue", "tick_size", "lot_size"):
        configured, recorded = getattr(instrument, key), getattr(meta, key)
        if configured != recorded:
            index = book.symbols.index(meta.symbol)
            raise ConfigError(
                "E_CFG_DATA_MISMATCH",
                f"key=portfolio.instruments.{index}.{key} config={configured} data={recorded} "
                f"file={data_path}; set the instrument's {key} or pick the matching data",
            )
