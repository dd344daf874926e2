"""The config's full stack (strategy, risk gate, allocator) over a venue port: every Engine
of every mode is constructed here, with its clock and its port passed in, never swapped later."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from mmbot.alloc import Allocator, AllocParams
from mmbot.config import MmConfig
from mmbot.core.clock import Clock, SimClock
from mmbot.data import EventBatch
from mmbot.engine.kill_switch import KillSwitchFile
from mmbot.engine.live_ports import FeedSource, ShadowVenue
from mmbot.engine.loop import Engine, EngineParams, EngineVenue
from mmbot.engine.orders import ExecutionPolicy
from mmbot.risk import RiskGate, RiskParams
from mmbot.sim import SimParams
from mmbot.strategy import StrategyParams
from mmbot.venues import SimVenuePort

_NS_PER_MS = 1_000_000


def starting_maker_bps(cfg: MmConfig) -> float:
    """Return the maker fee of the tier the 30-day volume starts in."""
    tier = [t for t in cfg.fees.tiers if t.min_volume_30d_usd <= cfg.fees.volume_30d_usd][-1]
    return tier.maker_bps


def engine_over(
    cfg: MmConfig,
    port: EngineVenue,
    strategy_id: str,
    *,
    clock: Clock,
    signals_enabled: bool | None = None,
    keep_traces: bool = False,
    execution: ExecutionPolicy = "queue_aware",
    keep_quotes: bool = False,
    max_position_lots: int | None = None,
) -> Engine:
    """Return the config's full stack (strategy, risk gate, allocator) over port.

    port: the venue port with every wrapper of the mode already around it; clock: the
    engine's time (a SimClock its driver moves, or a WallClock on a real venue).
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
        clock,
    )


def sim_port(cfg: MmConfig, events: EventBatch) -> SimVenuePort:
    """Return the simulated venue over events with the config's sim settings."""
    return SimVenuePort(events, SimParams.from_config(cfg))


def build_engine(
    cfg: MmConfig,
    events: EventBatch,
    strategy_id: str | None = None,
    *,
    signals_enabled: bool | None = None,
    keep_traces: bool = False,
    execution: ExecutionPolicy = "queue_aware",
    keep_quotes: bool = False,
) -> Engine:
    """Return an engine in backtest mode: sim clock, sim venue, the config's full stack.

    strategy_id: None names the strategy after the config's model. With the defaults this is
    the backtest code's engine factory (backtest.wiring.EngineFactory); a module-level
    function, so walk-forward tasks pickle it by reference to worker processes.
    """
    return engine_over(
        cfg,
        sim_port(cfg, events),
        cfg.strategy.model if strategy_id is None else strategy_id,
        clock=SimClock(0),
        signals_enabled=signals_enabled,
        keep_traces=keep_traces,
        execution=execution,
        keep_quotes=keep_quotes,
    )


def build_policy_engine(
    cfg: MmConfig, events: EventBatch, strategy_id: str, execution: ExecutionPolicy
) -> Engine:
    """Return build_engine's backtest engine with the given execution policy, recording
    quotes (the latency study: backtest.latency.latency_figures)."""
    return build_engine(cfg, events, strategy_id, execution=execution, keep_quotes=True)


def kill_switch_watcher(cfg: MmConfig) -> KillSwitchFile | None:
    """Return the watcher of the config's kill-switch flag file (None: no file configured)."""
    path = cfg.risk.kill_switch_file
    return KillSwitchFile(Path(path)) if path else None


def paper_venue(cfg: MmConfig, feed: FeedSource) -> ShadowVenue:
    """Return shadow mode's venue over feed: paper fills at the config's starting maker fee."""
    inst = cfg.instrument
    return ShadowVenue(feed, inst.tick_size, inst.lot_size, starting_maker_bps(cfg))
