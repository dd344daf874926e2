"""The quoting decision: estimators, quote model, signals with impact cap, fee floor, sizing.

Theory of operation: `decide` is a fold over decision points. Each call feeds the view into
the estimators (trade-flow EWMA, per-interval trade depth for the A/k fit, mid for the
volatility EWMA), prices a quote from the model, moves the signal adjustment toward its
target within the impact cap, applies inventory skew and the maker-fee floor, and sizes both
sides. For speed the StrategyState is a mutable __slots__ object that `decide` owns and
returns: it holds only numbers and ring buffers (no I/O, clock or RNG), so one input sequence
always yields one output sequence. Do not share a state between two folds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, NamedTuple, TypeAlias

from mmbot.config import MmConfig, StrategyConfig
from mmbot.core.types import MarketView, Quote
from mmbot.strategy.intensity import IntensityEstimator
from mmbot.strategy.models import fixed_spread
from mmbot.strategy.quoting import (
    AVELLANEDA_STOIKOV,
    FIXED_SPREAD,
    GLFT,
    compiled_quote_numbers,
    quote_numbers,
)
from mmbot.strategy.signals import TradeFlow
from mmbot.strategy.trace import DecisionTrace
from mmbot.strategy.volatility import EwmaVolatility

ModelName = Literal["avellaneda_stoikov", "glft", "fixed_spread"]
_MODEL_CODES = {"glft": GLFT, "avellaneda_stoikov": AVELLANEDA_STOIKOV,
                "fixed_spread": FIXED_SPREAD}  # fmt: skip

_BPS = 1e-4


@dataclass(frozen=True, slots=True)
class StrategyParams:
    """Everything a decision needs, as plain numbers (no pydantic at decision time).

    maker_bps is the current fee tier's maker fee (negative: rebate). The position limit is
    max_position_usd converted to lots at each decision's mid.

    The fields after trade_flow_half_life_s are derived from the others in __post_init__
    (also on dataclasses.replace), so a decision does not recompute them.
    """

    tick_size: float
    lot_size: float
    model: ModelName
    risk_aversion: float
    fixed_half_spread_ticks: int
    fixed_skew_ticks_per_qty: float
    as_horizon_s: float
    order_qty_lots: int
    max_size_delta_lots: int
    max_position_usd: float
    maker_bps: float
    decision_interval_s: float
    vol_half_life_s: float
    intensity_window_s: float
    intensity_refit_s: float
    intensity_max_depth_ticks: int
    intensity_default_a_per_s: float
    intensity_default_k_per_tick: float
    signals_enabled: bool
    impact_cap_pct: float
    microprice_weight: float
    book_imbalance_weight: float
    trade_flow_weight: float
    trade_flow_half_life_s: float
    is_fixed_spread: bool = field(init=False, repr=False, compare=False)
    model_code: int = field(init=False, repr=False, compare=False)
    fixed_quote: tuple[float, float] = field(init=False, repr=False, compare=False)
    maker_fee: float = field(init=False, repr=False, compare=False)
    impact_cap_frac: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        fixed_quote = fixed_spread(self.fixed_half_spread_ticks, self.fixed_skew_ticks_per_qty)
        object.__setattr__(self, "is_fixed_spread", self.model == "fixed_spread")
        object.__setattr__(self, "model_code", _MODEL_CODES[self.model])
        object.__setattr__(self, "fixed_quote", fixed_quote)
        object.__setattr__(self, "maker_fee", self.maker_bps * _BPS)
        object.__setattr__(self, "impact_cap_frac", self.impact_cap_pct * 0.01)

    @classmethod
    def from_config(cls, cfg: MmConfig, maker_bps: float) -> StrategyParams:
        """Return the params of a validated config at the given maker fee (bps)."""
        instrument = cfg.instrument
        return cls.of(
            cfg.strategy,
            instrument.tick_size,
            instrument.lot_size,
            cfg.risk.max_position_usd,
            maker_bps,
            cfg.strategy.decision_interval_ms,
        )

    @classmethod
    def of(
        cls,
        strategy: StrategyConfig,
        tick_size: float,
        lot_size: float,
        max_position_usd: float,
        maker_bps: float,
        decision_interval_ms: int,
    ) -> StrategyParams:
        """Return the params of one strategy on one instrument (a leg of the book)."""
        signals = strategy.signals
        return cls(
            tick_size=tick_size,
            lot_size=lot_size,
            model=strategy.model,
            risk_aversion=strategy.risk_aversion,
            fixed_half_spread_ticks=strategy.fixed_half_spread_ticks,
            fixed_skew_ticks_per_qty=strategy.fixed_skew_ticks_per_qty,
            as_horizon_s=strategy.as_horizon_s,
            order_qty_lots=strategy.order_qty_lots,
            max_size_delta_lots=strategy.max_size_delta_lots,
            max_position_usd=max_position_usd,
            maker_bps=maker_bps,
            decision_interval_s=decision_interval_ms / 1000.0,
            vol_half_life_s=strategy.vol_half_life_s,
            intensity_window_s=strategy.intensity_window_s,
            intensity_refit_s=strategy.intensity_refit_s,
            intensity_max_depth_ticks=strategy.intensity_max_depth_ticks,
            intensity_default_a_per_s=strategy.intensity_default_a_per_s,
            intensity_default_k_per_tick=strategy.intensity_default_k_per_tick,
            signals_enabled=signals.enabled,
            impact_cap_pct=signals.impact_cap_pct,
            microprice_weight=signals.microprice_weight,
            book_imbalance_weight=signals.book_imbalance_weight,
            trade_flow_weight=signals.trade_flow_weight,
            trade_flow_half_life_s=signals.trade_flow_half_life_s,
        )


class StrategyState:
    """The fold's memory: estimators, the applied signal adjustment, the last capped sizes."""

    __slots__ = (
        "capped_ask_lots",
        "capped_bid_lots",
        "flow",
        "intensity",
        "signal_adj_ticks",
        "vol",
    )

    def __init__(self, vol: EwmaVolatility, intensity: IntensityEstimator, flow: TradeFlow) -> None:
        self.vol = vol
        self.intensity = intensity
        self.flow = flow
        self.signal_adj_ticks = 0.0
        self.capped_bid_lots = 0
        self.capped_ask_lots = 0


class Decision(NamedTuple):
    """The result of one decision: the state, the quote (None: rest nothing, cancel what
    rests) and, from ts_ns on, the numbers behind it (DecisionTrace's fields)."""

    # The trace's numbers as fields of this NamedTuple, not a DecisionTrace: the engine keeps a
    # trace only when asked, and building the 13-field frozen trace costs ~1.5 us, a sixth of
    # a decision; `trace` builds it on access. Flat, not a nested NamedTuple of the 13: that
    # one costs another ~0.3 us to build at every decision.

    state: StrategyState
    quote: Quote | None
    ts_ns: int
    fair_ticks: float
    signal_target_ticks: float
    signal_adj_ticks: float
    half_spread_ticks: float
    skew_ticks: float
    sigma: float
    A: float
    k: float
    raw_bid_lots: int
    raw_ask_lots: int
    capped_bid_lots: int
    capped_ask_lots: int

    @property
    def trace(self) -> DecisionTrace:
        """Return the numbers behind this decision."""
        return DecisionTrace(*self[2:])  # the fields after state and quote

    @classmethod
    def quoting(cls, state: StrategyState, ts_ns: int, quote: Quote | None) -> Decision:
        """Return a decision of a strategy that keeps no trace numbers (a user's own: they
        read 0 in the run's traces)."""
        return cls(state, quote, ts_ns, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0, 0, 0, 0)


def _intervals(span_s: float, interval_s: float) -> int:
    """Return how many decision intervals cover span_s (at least one)."""
    return max(1, round(span_s / interval_s))


def initial_state(params: StrategyParams) -> StrategyState:
    """Return a fresh state: estimators empty, A/k at their defaults, no adjustment, size 0."""
    interval_s = params.decision_interval_s
    return StrategyState(
        vol=EwmaVolatility(params.vol_half_life_s),
        intensity=IntensityEstimator(
            window_intervals=_intervals(params.intensity_window_s, interval_s),
            interval_s=interval_s,
            refit_intervals=_intervals(params.intensity_refit_s, interval_s),
            max_depth_ticks=params.intensity_max_depth_ticks,
            default_a_per_s=params.intensity_default_a_per_s,
            default_k_per_tick=params.intensity_default_k_per_tick,
        ),
        flow=TradeFlow(params.trade_flow_half_life_s),
    )


DecideFn: TypeAlias = Callable[
    [StrategyState, MarketView, int, "int | None", StrategyParams], Decision
]
"""The strategy port: what the engine calls at every decision point of a leg (Leg.decide).

Any Python function of this signature is a strategy (docs/STRATEGY.md, "Your own strategy");
the built-in one is `decide`, `decide_python` the same in plain Python.
"""

QuoteNumbersFn: TypeAlias = Callable[..., tuple[float, float, float, float, float, int, int,
                                                 int, int, int, int]]  # fmt: skip


def decide_with(numbers: QuoteNumbersFn) -> DecideFn:
    """Return the built-in decision whose arithmetic after the estimators is `numbers`
    (strategy/quoting.py: quote_numbers, or its compiled twin)."""

    def decide(
        state: StrategyState,
        view: MarketView,
        position_lots: int,
        budget_lots: int | None,
        params: StrategyParams,
    ) -> Decision:
        """Return the quote for this decision point; mutate and return `state` (the fold
        owns it).

        budget_lots is the allocator's size budget (None: unconstrained). No quote when the
        book is one-sided or, for the volatility-driven models, before the volatility is warm.
        """
        ts_ns = view.ts_ns
        bid_ticks = view.best_bid_ticks
        ask_ticks = view.best_ask_ticks
        intensity = state.intensity
        vol = state.vol
        intensity.update(max(view.buy_trade_depth_ticks, view.sell_trade_depth_ticks))
        state.flow.update(ts_ns, view.buy_volume_lots, view.sell_volume_lots)
        two_sided = view.best_bid_lots > 0 and view.best_ask_lots > 0 and ask_ticks > bid_ticks
        mid_ticks = 0.5 * (bid_ticks + ask_ticks) if two_sided else 0.0
        if two_sided:
            vol.update(ts_ns, mid_ticks)
        sigma = vol.sigma_ticks_per_sqrt_s
        a_per_s = intensity.a_per_s
        k_per_tick = intensity.k_per_tick
        if not two_sided or not (vol.warm or params.is_fixed_spread):
            state.capped_bid_lots = 0
            state.capped_ask_lots = 0
            adj_ticks = state.signal_adj_ticks
            return Decision(
                state, None, ts_ns, mid_ticks, 0.0, adj_ticks, 0.0, 0.0, sigma, a_per_s, k_per_tick,
                0, 0, 0, 0,
            )  # fmt: skip

        # The rest is one call: compiled (decide) instead of ~15 Python ones (decide_python).
        fixed_half_spread_ticks, fixed_skew_ticks_per_qty = params.fixed_quote
        (
            half_spread_ticks, target_ticks, adj_ticks, fair_ticks, skew_ticks, quote_bid_ticks,
            quote_ask_ticks, raw_bid_lots, raw_ask_lots, capped_bid_lots, capped_ask_lots,
        ) = numbers(
            params.model_code, params.risk_aversion, params.as_horizon_s, fixed_half_spread_ticks,
            fixed_skew_ticks_per_qty, sigma, a_per_s, k_per_tick, params.signals_enabled,
            params.microprice_weight, params.book_imbalance_weight, params.trade_flow_weight,
            bid_ticks, view.best_bid_lots, ask_ticks, view.best_ask_lots, view.bid_depth_lots,
            view.ask_depth_lots, state.flow.imbalance, state.signal_adj_ticks,
            params.impact_cap_frac, mid_ticks, position_lots, params.order_qty_lots,
            # No budget sizes like a budget of one order (raw_sizes: min(order, budget)).
            params.order_qty_lots if budget_lots is None else budget_lots,
            params.maker_fee, params.tick_size, params.lot_size, params.max_position_usd,
            state.capped_bid_lots, state.capped_ask_lots, params.max_size_delta_lots,
        )  # fmt: skip
        state.signal_adj_ticks = adj_ticks
        state.capped_bid_lots = capped_bid_lots
        state.capped_ask_lots = capped_ask_lots

        quote = Quote(quote_bid_ticks, quote_ask_ticks, capped_bid_lots, capped_ask_lots)
        return Decision(
            state,
            quote,
            ts_ns,
            fair_ticks,
            target_ticks,
            adj_ticks,
            half_spread_ticks,
            skew_ticks,
            sigma,
            a_per_s,
            k_per_tick,
            raw_bid_lots,
            raw_ask_lots,
            capped_bid_lots,
            capped_ask_lots,
        )

    return decide


# The built-in strategy: the arithmetic after the estimators compiled (strategy/quoting.py).
decide = decide_with(compiled_quote_numbers)
# The same strategy in plain Python, bit for bit the same decisions: what a strategy written
# in Python costs through the same port (benchmarks/bench_decide.py reports both).
decide_python = decide_with(quote_numbers)
