"""Build an engine over the simulated venue from a validated config and an event batch."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from mmbot.alloc import Allocator, AllocParams
from mmbot.config import MmConfig, load_config, shipped_configs_dir
from mmbot.core.clock import Clock, SimClock
from mmbot.core.errors import ConfigError
from mmbot.data import EventBatch, InstrumentMeta
from mmbot.engine.loop import Engine, EngineParams, EngineVenue
from mmbot.engine.orders import ExecutionPolicy
from mmbot.risk import RiskGate, RiskParams
from mmbot.sim import SimParams
from mmbot.strategy import StrategyParams
from mmbot.venues.sim import SimVenuePort

_NS_PER_MS = 1_000_000


def starting_maker_bps(cfg: MmConfig) -> float:
    """Return the maker fee of the tier the 30-day volume starts in."""
    tier = [t for t in cfg.fees.tiers if t.min_volume_30d_usd <= cfg.fees.volume_30d_usd][-1]
    return tier.maker_bps


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
    """Return the shipped configs (not profiles) whose instrument matches meta, as shown."""
    root = shipped_configs_dir()
    fits = []
    for path in sorted(root.rglob("*.yaml")):
        if "profiles" in path.relative_to(root).parts:
            continue
        try:
            config = load_config(path, {}).config
        except ConfigError:
            continue
        if not _mismatches(config, meta):
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


def engine_over(
    cfg: MmConfig,
    port: EngineVenue,
    strategy_id: str,
    *,
    signals_enabled: bool | None = None,
    keep_traces: bool = False,
    execution: ExecutionPolicy = "queue_aware",
    keep_quotes: bool = False,
    max_position_lots: int | None = None,
    clock: Clock | None = None,
) -> Engine:
    """Return the config's full stack (strategy, risk gate, allocator) over port.

    clock: the engine's time (default a SimClock the driver moves; a WallClock on a real venue).

    build_engine puts it over the simulated venue; the live modes over their venue ports.
    max_position_lots: a hard position cap in lots for the risk gate beside the config's USD
    one (canary's --max-position-lots), so reductions over it are sized by the gate.
    """
    strategy = StrategyParams.from_config(cfg, starting_maker_bps(cfg))
    if signals_enabled is not None:
        strategy = replace(strategy, signals_enabled=signals_enabled)
    params = EngineParams(
        strategy_id=strategy_id,
        decision_interval_ns=cfg.strategy.decision_interval_ms * _NS_PER_MS,
        keep_traces=keep_traces,
        execution=execution,
        keep_quotes=keep_quotes,
    )
    tick, lot = cfg.instrument.tick_size, cfg.instrument.lot_size
    return Engine(
        port,
        strategy,
        RiskGate(
            replace(RiskParams.from_config(cfg, tick, lot), max_position_lots=max_position_lots)
        ),
        Allocator(AllocParams.from_config(cfg), [strategy_id]),
        params,
        SimClock(0) if clock is None else clock,
    )


def build_engine(
    cfg: MmConfig,
    events: EventBatch,
    strategy_id: str,
    *,
    signals_enabled: bool | None = None,
    keep_traces: bool = False,
    execution: ExecutionPolicy = "queue_aware",
    keep_quotes: bool = False,
) -> Engine:
    """Return an engine in backtest mode: sim clock, sim venue, the config's full stack."""
    return engine_over(
        cfg,
        SimVenuePort(events, SimParams.from_config(cfg)),
        strategy_id,
        signals_enabled=signals_enabled,
        keep_traces=keep_traces,
        execution=execution,
        keep_quotes=keep_quotes,
    )
