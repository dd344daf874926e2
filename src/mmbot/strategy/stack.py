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

import math
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from mmbot.config import MmConfig, StrategyConfig
from mmbot.core.types import MarketView, Quote
from mmbot.strategy.intensity import IntensityEstimator
from mmbot.strategy.models import avellaneda_stoikov, fixed_spread, glft
from mmbot.strategy.signals import TradeFlow, cap_adjustment, signal_target_ticks
from mmbot.strategy.sizing import capped_sizes, raw_sizes, room_lots
from mmbot.strategy.trace import DecisionTrace
from mmbot.strategy.volatility import EwmaVolatility

ModelName = Literal["avellaneda_stoikov", "glft", "fixed_spread"]

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
    fixed_quote: tuple[float, float] = field(init=False, repr=False, compare=False)
    maker_fee: float = field(init=False, repr=False, compare=False)
    impact_cap_frac: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        fixed_quote = fixed_spread(self.fixed_half_spread_ticks, self.fixed_skew_ticks_per_qty)
        object.__setattr__(self, "is_fixed_spread", self.model == "fixed_spread")
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


def _model_quote(
    params: StrategyParams, sigma: float, a_per_s: float, k_per_tick: float
) -> tuple[float, float]:
    """Return (half_spread_ticks, skew_ticks_per_qty) of the configured model."""
    if params.model == "glft":
        return glft(params.risk_aversion, sigma, a_per_s, k_per_tick)
    if params.model == "avellaneda_stoikov":
        return avellaneda_stoikov(params.risk_aversion, sigma, k_per_tick, params.as_horizon_s)
    return params.fixed_quote


def _fee_floors_ticks(fair_ticks: float, fee: float) -> tuple[float, float]:
    """Return the (bid, ask) distances from fair at which a maker fill breaks even.

    A buy at P with fee f*P is worth fair - P - f*P >= 0, so P <= fair / (1 + f); a sell
    needs P >= fair / (1 - f). A rebate (f <= 0) asks for no distance.
    """
    if fee <= 0.0:
        return 0.0, 0.0
    return fair_ticks * fee / (1.0 + fee), fair_ticks * fee / (1.0 - fee)


def decide(
    state: StrategyState,
    view: MarketView,
    position_lots: int,
    budget_lots: int | None,
    params: StrategyParams,
) -> Decision:
    """Return the quote for this decision point; mutate and return `state` (the fold owns it).

    budget_lots is the allocator's size budget (None: unconstrained). No quote when the book
    is one-sided or, for the volatility-driven models, before the volatility is warm.
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

    half_spread_ticks, skew_per_qty = _model_quote(params, sigma, a_per_s, k_per_tick)
    target_ticks = 0.0
    if params.signals_enabled:
        target_ticks = signal_target_ticks(
            view,
            state.flow.imbalance,
            params.microprice_weight,
            params.book_imbalance_weight,
            params.trade_flow_weight,
        )
    adj_ticks = cap_adjustment(
        state.signal_adj_ticks, target_ticks, half_spread_ticks, params.impact_cap_frac
    )
    state.signal_adj_ticks = adj_ticks
    fair_ticks = mid_ticks + adj_ticks

    skew_ticks = skew_per_qty * (position_lots / params.order_qty_lots)
    bid_floor_ticks, ask_floor_ticks = _fee_floors_ticks(fair_ticks, params.maker_fee)
    bid_dist_ticks = max(half_spread_ticks + skew_ticks, bid_floor_ticks)
    ask_dist_ticks = max(half_spread_ticks - skew_ticks, ask_floor_ticks)
    # Round away from fair (never inside the floor), keep each side strictly on its side of
    # fair, and keep both post-only legal (never at or through the opposite best).
    quote_bid_ticks = min(
        math.floor(fair_ticks - bid_dist_ticks), math.ceil(fair_ticks) - 1, ask_ticks - 1
    )
    quote_ask_ticks = max(
        math.ceil(fair_ticks + ask_dist_ticks), math.floor(fair_ticks) + 1, bid_ticks + 1
    )

    lot_usd = mid_ticks * params.tick_size * params.lot_size
    max_position_lots = int(params.max_position_usd / lot_usd) if lot_usd > 0.0 else 0
    room = room_lots(position_lots, max_position_lots)
    raw_bid_lots, raw_ask_lots = raw_sizes(
        params.order_qty_lots, budget_lots, position_lots, max_position_lots, room
    )
    capped_bid_lots, capped_ask_lots = capped_sizes(
        (state.capped_bid_lots, state.capped_ask_lots),
        (raw_bid_lots, raw_ask_lots),
        room,
        params.max_size_delta_lots,
    )
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
