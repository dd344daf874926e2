"""The config's full stack (strategy, risk gate, allocator) over a venue port: every Engine
of every mode is constructed here, with its clock and its port passed in, never swapped later."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from mmbot.alloc import Allocator, AllocParams
from mmbot.config import MmConfig
from mmbot.config.book import InstrumentSpec, StrategySpec, book_of
from mmbot.config.schema import PortfolioRiskConfig
from mmbot.core.clock import Clock, SimClock
from mmbot.data import EventBatch
from mmbot.engine.book import Leg, SymbolBook
from mmbot.engine.kill_switch import KillSwitchFile
from mmbot.engine.loop import Engine, EngineParams, EngineVenue, Replay
from mmbot.engine.orders import ClientSeqs, ExecutionPolicy
from mmbot.risk import BookLimits, BookRisk, RiskGate, RiskParams
from mmbot.sim import EventStream, SimParams
from mmbot.strategy import StrategyParams
from mmbot.strategy.mux import Mux, MuxParams
from mmbot.venues import SimVenuePort
from mmbot.venues.fused import fused_replay

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
    replay: Replay | None = None,
) -> Engine:
    """Return the config's full stack (strategy, risk gate, allocator) over port: a one-symbol
    config's engine (book_engine's, its one port given).

    port: the venue port with every wrapper of the mode already around it; clock: the
    engine's time (a SimClock its driver moves, or a WallClock on a real venue).
    max_position_lots: a hard position cap in lots for the risk gate beside the config's USD
    one (canary's --max-position-lots), so reductions over it are sized by the gate.
    replay: how Engine.run replays a backtest (None: the engine's own loop).
    """
    return book_engine(
        cfg, {cfg.instrument.symbol: port}, clock=clock, strategy_id=strategy_id,
        signals_enabled=signals_enabled, keep_traces=keep_traces, execution=execution,
        keep_quotes=keep_quotes, max_position_lots=max_position_lots, replay=replay,
    )  # fmt: skip


def book_engine(
    cfg: MmConfig,
    ports: Mapping[str, EngineVenue],
    *,
    clock: Clock,
    strategy_id: str | None = None,
    signals_enabled: bool | None = None,
    keep_traces: bool = False,
    execution: ExecutionPolicy = "queue_aware",
    keep_quotes: bool = False,
    max_position_lots: int | None = None,
    seqs: Mapping[str, ClientSeqs] | None = None,
    replay: Replay | None = None,
) -> Engine:
    """Return the engine of the config's book over one venue port per symbol.

    Each symbol gets its risk gate (its own caps), a mux when 2+ strategies quote it, and one
    leg per strategy quoting it; one allocator splits the budget over every leg; a portfolio
    config adds the book's caps (risk/book.py). strategy_id renames a one-strategy config's
    strategy (None: the model's name).
    """
    spec = book_of(cfg, strategy_id)
    maker_bps = starting_maker_bps(cfg)
    mux_params = MuxParams.from_config(cfg)
    books = []
    for instrument in spec.instruments:
        # One venue connection per symbol: its legs share its order numbers.
        numbers = seqs[instrument.symbol] if seqs is not None else ClientSeqs()
        strategies = spec.strategies_of(instrument.symbol)
        legs = [
            Leg(strategy.id, instrument.symbol,
                _leg_params(cfg, strategy, instrument, maker_bps, signals_enabled),
                execution, numbers)
            for strategy in strategies
        ]  # fmt: skip
        risk = RiskGate(replace(_risk_params(cfg, instrument), max_position_lots=max_position_lots))
        mux = Mux(mux_params, [s.id for s in strategies]) if len(strategies) > 1 else None
        books.append(SymbolBook(instrument.symbol, ports[instrument.symbol], risk, legs, mux))
    params = EngineParams(
        decision_interval_ns=cfg.strategy.decision_interval_ms * _NS_PER_MS,
        keep_traces=keep_traces,
        execution=execution,
        keep_quotes=keep_quotes,
        keep_book_trace=spec.is_portfolio,
    )
    keys = [leg.key for book in books for leg in book.legs]
    limits = cfg.portfolio.risk if cfg.portfolio is not None else PortfolioRiskConfig()
    book_risk = BookRisk(BookLimits.from_config(limits)) if spec.is_portfolio else None
    allocator = Allocator(AllocParams.from_config(cfg), keys)
    return Engine(books, allocator, params, clock, book_risk, replay)


def _leg_params(
    cfg: MmConfig,
    strategy: StrategySpec,
    instrument: InstrumentSpec,
    maker_bps: float,
    signals_enabled: bool | None,
) -> StrategyParams:
    params = StrategyParams.of(
        strategy.config, instrument.tick_size, instrument.lot_size, instrument.max_position_usd,
        maker_bps, cfg.strategy.decision_interval_ms,
    )  # fmt: skip
    return params if signals_enabled is None else replace(params, signals_enabled=signals_enabled)


def _risk_params(cfg: MmConfig, instrument: InstrumentSpec) -> RiskParams:
    return RiskParams.of(
        cfg.risk, instrument.tick_size, instrument.lot_size, instrument.min_qty_lots,
        instrument.min_notional_usd, instrument.max_position_usd, instrument.max_skew_usd,
    )  # fmt: skip


def sim_port(cfg: MmConfig, events: EventBatch | EventStream) -> SimVenuePort:
    """Return the simulated venue over events (in memory or streamed) with the config's sim
    settings."""
    return SimVenuePort(events, SimParams.from_config(cfg))


def build_engine(
    cfg: MmConfig,
    events: EventBatch | EventStream,
    strategy_id: str | None = None,
    *,
    signals_enabled: bool | None = None,
    keep_traces: bool = False,
    execution: ExecutionPolicy = "queue_aware",
    keep_quotes: bool = False,
    fused: bool = True,
) -> Engine:
    """Return a one-symbol engine in backtest mode: sim clock, sim venue, the config's stack.

    fused: Engine.run replays through the fused compiled loop (venues/fused) where it serves
    the engine - the same results as the engine's own loop, several times faster; False: the
    engine's own loop (the reference the fused loop is tested against).
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
        replay=fused_replay if fused else None,
    )


def build_book_engine(cfg: MmConfig, events: Mapping[str, EventBatch | EventStream]) -> Engine:
    """Return the config's book in backtest mode: sim clock, one simulated venue per symbol
    over that symbol's events (backtest.wiring.BookEngineFactory)."""
    return book_engine(
        cfg, {symbol: sim_port(cfg, batch) for symbol, batch in events.items()}, clock=SimClock(0)
    )


def build_policy_engine(
    cfg: MmConfig, events: EventBatch | EventStream, strategy_id: str, execution: ExecutionPolicy
) -> Engine:
    """Return build_engine's backtest engine with the given execution policy, recording
    quotes (the latency study: backtest.latency.latency_figures)."""
    return build_engine(cfg, events, strategy_id, execution=execution, keep_quotes=True)


def kill_switch_watcher(cfg: MmConfig) -> KillSwitchFile | None:
    """Return the watcher of the config's kill-switch flag file (None: no file configured)."""
    path = cfg.risk.kill_switch_file
    return KillSwitchFile(Path(path)) if path else None
