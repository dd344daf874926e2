"""The compiled twin of the built-in decision (stack.decide) for the fused replay.

`decide_into` does for one MarketView, given as numbers, exactly what `decide` does: the
intensity, trade-flow and volatility estimators' updates (their Python float operations in
the same order), then the same compiled `quote_numbers`; the Python `decide` stays the
reference, and tests/unit/strategy/test_fused_strategy.py holds the two equal bit for bit.
Its state lives in numpy arrays (StrategyArrays, in decide_into's argument order) so the
fused replay's compiled loop calls it without returning to Python:

* state_f (float64, S_*): the volatility EWMA (previous mid, variance sum, weight, sigma),
  the trade flow (buy and sell EWMAs, imbalance), the applied signal adjustment and the
  intensity fit's A and k;
* state_i (int64, S_*): the estimators' flags (0/1) and previous timestamps, the last capped
  sizes and the intensity ring buffer's cursor, fill count and refit countdown;
* depths (int64): the intensity ring buffer of per-interval trade depths (-1: no trade);
* hist (int64): the histogram of those depths by tick (index max_depth_ticks: the last bin);
* params_f, params_i (P_*): StrategyParams as numbers (model code, flags as 0/1) and the
  estimators' constants.

`pack` builds the arrays from a StrategyState (fresh or not) and its params; `materialize`
writes them back into the state's estimators so it equals the state decide_python folded;
`decision_of` rebuilds the Decision decide returned from decide_into's outputs (for runs
that keep traces or quotes). decide_into allocates nothing and adds no rows (the arrays keep
their sizes), raises nothing on valid params, and holds Python's ints as int64: timestamps,
positions and budgets of realistic ranges do not overflow (quote_numbers' int() of the
position limit would only for a lot worth under 1e-19 of max_position_usd).
"""

from __future__ import annotations

import math
from typing import Final, NamedTuple

import numpy as np
import numpy.typing as npt

from mmbot.core.types import Quote
from mmbot.strategy.intensity import fit_intensity
from mmbot.strategy.jit import compiled
from mmbot.strategy.quoting import compiled_quote_numbers
from mmbot.strategy.stack import Decision, StrategyParams, StrategyState

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_NS_TO_S = 1e-9  # as volatility.py and signals.py convert event time

# state_f slots
S_VOL_PREV_MID_TICKS: Final = 0
S_VOL_VAR_SUM: Final = 1
S_VOL_WEIGHT: Final = 2
S_VOL_SIGMA: Final = 3
S_FLOW_BUY_LOTS: Final = 4
S_FLOW_SELL_LOTS: Final = 5
S_FLOW_IMBALANCE: Final = 6
S_SIGNAL_ADJ_TICKS: Final = 7
S_INTENSITY_A_PER_S: Final = 8
S_INTENSITY_K_PER_TICK: Final = 9
N_STATE_F: Final = 10

# state_i slots
S_VOL_HAS_PREV: Final = 0
S_VOL_PREV_TS_NS: Final = 1
S_VOL_WARM: Final = 2
S_FLOW_HAS_PREV: Final = 3
S_FLOW_PREV_TS_NS: Final = 4
S_CAPPED_BID_LOTS: Final = 5
S_CAPPED_ASK_LOTS: Final = 6
S_INTENSITY_NEXT: Final = 7
S_INTENSITY_FILLED: Final = 8
S_INTENSITY_UNTIL_FIT: Final = 9
S_INTENSITY_WARM: Final = 10
N_STATE_I: Final = 11

# params_f slots
P_RISK_AVERSION: Final = 0
P_AS_HORIZON_S: Final = 1
P_FIXED_HALF_SPREAD_TICKS: Final = 2
P_FIXED_SKEW_TICKS_PER_QTY: Final = 3
P_MICROPRICE_WEIGHT: Final = 4
P_BOOK_IMBALANCE_WEIGHT: Final = 5
P_TRADE_FLOW_WEIGHT: Final = 6
P_IMPACT_CAP_FRAC: Final = 7
P_MAKER_FEE: Final = 8
P_TICK_SIZE: Final = 9
P_LOT_SIZE: Final = 10
P_MAX_POSITION_USD: Final = 11
P_VOL_HALF_LIFE_S: Final = 12
P_FLOW_HALF_LIFE_S: Final = 13
P_INTENSITY_WINDOW_S: Final = 14
P_HALVING_BASE: Final = 15
N_PARAMS_F: Final = 16
# The estimators' decay is 2.0 ** (-dt / half_life) in Python (C pow). Compiled with the
# constant base 2.0, LLVM rewrites that pow into exp2, which rounds differently about once
# in a thousand; read from params_f, the base is unknown at compile time and pow stays pow.
_HALVING_BASE = 2.0

# params_i slots
P_MODEL_CODE: Final = 0
P_SIGNALS_ENABLED: Final = 1
P_IS_FIXED_SPREAD: Final = 2
P_ORDER_QTY_LOTS: Final = 3
P_MAX_SIZE_DELTA_LOTS: Final = 4
P_INTENSITY_MAX_DEPTH_TICKS: Final = 5
P_INTENSITY_REFIT_INTERVALS: Final = 6
N_PARAMS_I: Final = 7

# out_i slots: the Quote's fields, then the trace's sizes (all 0 without a quote)
OUT_BID_TICKS: Final = 0
OUT_ASK_TICKS: Final = 1
OUT_BID_LOTS: Final = 2
OUT_ASK_LOTS: Final = 3
OUT_RAW_BID_LOTS: Final = 4
OUT_RAW_ASK_LOTS: Final = 5
OUT_CAPPED_BID_LOTS: Final = 6
OUT_CAPPED_ASK_LOTS: Final = 7
N_OUT_I: Final = 8

# out_f slots: the trace's numbers, in DecisionTrace's order
OUT_FAIR_TICKS: Final = 0
OUT_SIGNAL_TARGET_TICKS: Final = 1
OUT_SIGNAL_ADJ_TICKS: Final = 2
OUT_HALF_SPREAD_TICKS: Final = 3
OUT_SKEW_TICKS: Final = 4
OUT_SIGMA: Final = 5
OUT_A: Final = 6
OUT_K: Final = 7
N_OUT_F: Final = 8


class StrategyArrays(NamedTuple):
    """A StrategyState and its StrategyParams as arrays, in decide_into's argument order."""

    state_f: FloatArray
    state_i: IntArray
    depths: IntArray
    hist: IntArray
    params_f: FloatArray
    params_i: IntArray


def pack(state: StrategyState, params: StrategyParams) -> StrategyArrays:
    """Return the arrays of state (its estimators' memory and constants) and params."""
    vol, flow, intensity = state.vol, state.flow, state.intensity
    state_f = np.zeros(N_STATE_F, dtype=np.float64)
    state_f[S_VOL_PREV_MID_TICKS] = vol._prev_mid_ticks
    state_f[S_VOL_VAR_SUM] = vol._var_sum
    state_f[S_VOL_WEIGHT] = vol._weight
    state_f[S_VOL_SIGMA] = vol.sigma_ticks_per_sqrt_s
    state_f[S_FLOW_BUY_LOTS] = flow._buy_lots
    state_f[S_FLOW_SELL_LOTS] = flow._sell_lots
    state_f[S_FLOW_IMBALANCE] = flow.imbalance
    state_f[S_SIGNAL_ADJ_TICKS] = state.signal_adj_ticks
    state_f[S_INTENSITY_A_PER_S] = intensity.a_per_s
    state_f[S_INTENSITY_K_PER_TICK] = intensity.k_per_tick
    state_i = np.zeros(N_STATE_I, dtype=np.int64)
    state_i[S_VOL_HAS_PREV] = vol._has_prev
    state_i[S_VOL_PREV_TS_NS] = vol._prev_ts_ns
    state_i[S_VOL_WARM] = vol.warm
    state_i[S_FLOW_HAS_PREV] = flow._has_prev
    state_i[S_FLOW_PREV_TS_NS] = flow._prev_ts_ns
    state_i[S_CAPPED_BID_LOTS] = state.capped_bid_lots
    state_i[S_CAPPED_ASK_LOTS] = state.capped_ask_lots
    state_i[S_INTENSITY_NEXT] = intensity._next
    state_i[S_INTENSITY_FILLED] = intensity._filled
    state_i[S_INTENSITY_UNTIL_FIT] = intensity._until_fit
    state_i[S_INTENSITY_WARM] = intensity.warm
    return StrategyArrays(
        state_f=state_f,
        state_i=state_i,
        depths=np.array(intensity._depths, dtype=np.int64),
        hist=np.array(intensity._hist, dtype=np.int64),
        params_f=_params_f(state, params),
        params_i=_params_i(state, params),
    )


def _params_f(state: StrategyState, params: StrategyParams) -> FloatArray:
    """Return params_f (P_* slots) of params and of state's estimators."""
    params_f = np.zeros(N_PARAMS_F, dtype=np.float64)
    params_f[P_RISK_AVERSION] = params.risk_aversion
    params_f[P_AS_HORIZON_S] = params.as_horizon_s
    params_f[P_FIXED_HALF_SPREAD_TICKS], params_f[P_FIXED_SKEW_TICKS_PER_QTY] = params.fixed_quote
    params_f[P_MICROPRICE_WEIGHT] = params.microprice_weight
    params_f[P_BOOK_IMBALANCE_WEIGHT] = params.book_imbalance_weight
    params_f[P_TRADE_FLOW_WEIGHT] = params.trade_flow_weight
    params_f[P_IMPACT_CAP_FRAC] = params.impact_cap_frac
    params_f[P_MAKER_FEE] = params.maker_fee
    params_f[P_TICK_SIZE] = params.tick_size
    params_f[P_LOT_SIZE] = params.lot_size
    params_f[P_MAX_POSITION_USD] = params.max_position_usd
    # The estimators' constants as the state's estimators hold them (initial_state derived
    # them from the params).
    params_f[P_VOL_HALF_LIFE_S] = state.vol._half_life_s
    params_f[P_FLOW_HALF_LIFE_S] = state.flow._half_life_s
    params_f[P_INTENSITY_WINDOW_S] = state.intensity._window_s
    params_f[P_HALVING_BASE] = _HALVING_BASE
    return params_f


def _params_i(state: StrategyState, params: StrategyParams) -> IntArray:
    """Return params_i (P_* slots) of params and of state's estimators."""
    params_i = np.zeros(N_PARAMS_I, dtype=np.int64)
    params_i[P_MODEL_CODE] = params.model_code
    params_i[P_SIGNALS_ENABLED] = params.signals_enabled
    params_i[P_IS_FIXED_SPREAD] = params.is_fixed_spread
    params_i[P_ORDER_QTY_LOTS] = params.order_qty_lots
    params_i[P_MAX_SIZE_DELTA_LOTS] = params.max_size_delta_lots
    params_i[P_INTENSITY_MAX_DEPTH_TICKS] = state.intensity._max_depth_ticks
    params_i[P_INTENSITY_REFIT_INTERVALS] = state.intensity._refit_intervals
    return params_i


def materialize(arrays: StrategyArrays, state: StrategyState) -> None:
    """Write the arrays' state into state's fields and estimators (their constants stay)."""
    state_f, state_i = arrays.state_f.tolist(), arrays.state_i.tolist()
    vol, flow, intensity = state.vol, state.flow, state.intensity
    vol._has_prev = bool(state_i[S_VOL_HAS_PREV])
    vol._prev_ts_ns = state_i[S_VOL_PREV_TS_NS]
    vol._prev_mid_ticks = state_f[S_VOL_PREV_MID_TICKS]
    vol._var_sum = state_f[S_VOL_VAR_SUM]
    vol._weight = state_f[S_VOL_WEIGHT]
    vol.sigma_ticks_per_sqrt_s = state_f[S_VOL_SIGMA]
    vol.warm = bool(state_i[S_VOL_WARM])
    flow._has_prev = bool(state_i[S_FLOW_HAS_PREV])
    flow._prev_ts_ns = state_i[S_FLOW_PREV_TS_NS]
    flow._buy_lots = state_f[S_FLOW_BUY_LOTS]
    flow._sell_lots = state_f[S_FLOW_SELL_LOTS]
    flow.imbalance = state_f[S_FLOW_IMBALANCE]
    intensity._depths = arrays.depths.tolist()
    intensity._hist = arrays.hist.tolist()
    intensity._next = state_i[S_INTENSITY_NEXT]
    intensity._filled = state_i[S_INTENSITY_FILLED]
    intensity._until_fit = state_i[S_INTENSITY_UNTIL_FIT]
    intensity.a_per_s = state_f[S_INTENSITY_A_PER_S]
    intensity.k_per_tick = state_f[S_INTENSITY_K_PER_TICK]
    intensity.warm = bool(state_i[S_INTENSITY_WARM])
    state.signal_adj_ticks = state_f[S_SIGNAL_ADJ_TICKS]
    state.capped_bid_lots = state_i[S_CAPPED_BID_LOTS]
    state.capped_ask_lots = state_i[S_CAPPED_ASK_LOTS]


def decision_of(
    out_i: IntArray, out_f: FloatArray, has_quote: int, ts_ns: int, state: StrategyState
) -> Decision:
    """Return the Decision decide returned where decide_into wrote out_i, out_f, has_quote."""
    sizes = out_i.tolist()
    quote = Quote(*sizes[OUT_BID_TICKS : OUT_ASK_LOTS + 1]) if has_quote else None
    return Decision(state, quote, ts_ns, *out_f.tolist(), *sizes[OUT_RAW_BID_LOTS:])


@compiled
def _intensity_update(
    state_f: FloatArray,
    state_i: IntArray,
    depths: IntArray,
    hist: IntArray,
    params_f: FloatArray,
    params_i: IntArray,
    depth_ticks: int,
) -> None:
    """IntensityEstimator.update on the arrays."""
    max_depth_ticks = params_i[P_INTENSITY_MAX_DEPTH_TICKS]
    depth = depth_ticks if depth_ticks <= max_depth_ticks else max_depth_ticks
    slot = state_i[S_INTENSITY_NEXT]
    dropped = depths[slot]
    if dropped >= 0:
        hist[dropped] -= 1
    depths[slot] = depth
    if depth >= 0:
        hist[depth] += 1
    slot += 1
    state_i[S_INTENSITY_NEXT] = 0 if slot == len(depths) else slot
    if state_i[S_INTENSITY_FILLED] < len(depths):
        state_i[S_INTENSITY_FILLED] += 1
        if state_i[S_INTENSITY_FILLED] < len(depths):
            return
    if state_i[S_INTENSITY_UNTIL_FIT] > 0:
        state_i[S_INTENSITY_UNTIL_FIT] -= 1
        return
    state_i[S_INTENSITY_UNTIL_FIT] = params_i[P_INTENSITY_REFIT_INTERVALS] - 1
    fitted = fit_intensity(hist, params_f[P_INTENSITY_WINDOW_S])
    if fitted is not None:
        state_f[S_INTENSITY_A_PER_S], state_f[S_INTENSITY_K_PER_TICK] = fitted
        state_i[S_INTENSITY_WARM] = 1


@compiled
def _flow_update(
    state_f: FloatArray,
    state_i: IntArray,
    params_f: FloatArray,
    ts_ns: int,
    buy_volume_lots: int,
    sell_volume_lots: int,
) -> None:
    """TradeFlow.update on the arrays."""
    if state_i[S_FLOW_HAS_PREV]:
        dt_s = (ts_ns - state_i[S_FLOW_PREV_TS_NS]) * _NS_TO_S
        decay = (
            params_f[P_HALVING_BASE] ** (-dt_s / params_f[P_FLOW_HALF_LIFE_S])
            if dt_s > 0.0
            else 1.0
        )
        state_f[S_FLOW_BUY_LOTS] *= decay
        state_f[S_FLOW_SELL_LOTS] *= decay
    state_i[S_FLOW_HAS_PREV] = 1
    state_i[S_FLOW_PREV_TS_NS] = ts_ns
    state_f[S_FLOW_BUY_LOTS] += buy_volume_lots
    state_f[S_FLOW_SELL_LOTS] += sell_volume_lots
    buy_lots = state_f[S_FLOW_BUY_LOTS]
    sell_lots = state_f[S_FLOW_SELL_LOTS]
    total = buy_lots + sell_lots
    state_f[S_FLOW_IMBALANCE] = (buy_lots - sell_lots) / total if total > 0.0 else 0.0


@compiled
def _vol_update(
    state_f: FloatArray, state_i: IntArray, params_f: FloatArray, ts_ns: int, mid_ticks: float
) -> None:
    """EwmaVolatility.update on the arrays."""
    if not state_i[S_VOL_HAS_PREV]:
        state_i[S_VOL_HAS_PREV] = 1
        state_i[S_VOL_PREV_TS_NS] = ts_ns
        state_f[S_VOL_PREV_MID_TICKS] = mid_ticks
        return
    dt_s = (ts_ns - state_i[S_VOL_PREV_TS_NS]) * _NS_TO_S
    if dt_s <= 0.0:
        return
    move_ticks = mid_ticks - state_f[S_VOL_PREV_MID_TICKS]
    decay = params_f[P_HALVING_BASE] ** (-dt_s / params_f[P_VOL_HALF_LIFE_S])
    var_sum = decay * state_f[S_VOL_VAR_SUM] + (1.0 - decay) * (move_ticks * move_ticks / dt_s)
    weight = decay * state_f[S_VOL_WEIGHT] + (1.0 - decay)
    state_f[S_VOL_VAR_SUM] = var_sum
    state_f[S_VOL_WEIGHT] = weight
    state_i[S_VOL_PREV_TS_NS] = ts_ns
    state_f[S_VOL_PREV_MID_TICKS] = mid_ticks
    state_f[S_VOL_SIGMA] = math.sqrt(var_sum / weight)
    state_i[S_VOL_WARM] = weight >= 0.5


@compiled
def decide_into(
    state_f: FloatArray,
    state_i: IntArray,
    depths: IntArray,
    hist: IntArray,
    params_f: FloatArray,
    params_i: IntArray,
    ts_ns: int,
    best_bid_ticks: int,
    best_bid_lots: int,
    best_ask_ticks: int,
    best_ask_lots: int,
    bid_depth_lots: int,
    ask_depth_lots: int,
    buy_volume_lots: int,
    sell_volume_lots: int,
    buy_trade_depth_ticks: int,
    sell_trade_depth_ticks: int,
    position_lots: int,
    budget_lots: int,
    out_i: IntArray,
    out_f: FloatArray,
) -> int:
    """Decide one view (MarketView's fields) like `decide`: mutate the state arrays, write the
    quote and trace into out_i / out_f (OUT_*), return 1 for a quote, 0 for none."""
    _intensity_update(
        state_f, state_i, depths, hist, params_f, params_i,
        max(buy_trade_depth_ticks, sell_trade_depth_ticks),
    )  # fmt: skip
    _flow_update(state_f, state_i, params_f, ts_ns, buy_volume_lots, sell_volume_lots)
    two_sided = best_bid_lots > 0 and best_ask_lots > 0 and best_ask_ticks > best_bid_ticks
    mid_ticks = 0.5 * (best_bid_ticks + best_ask_ticks) if two_sided else 0.0
    if two_sided:
        _vol_update(state_f, state_i, params_f, ts_ns, mid_ticks)
    out_f[OUT_SIGMA] = state_f[S_VOL_SIGMA]
    out_f[OUT_A] = state_f[S_INTENSITY_A_PER_S]
    out_f[OUT_K] = state_f[S_INTENSITY_K_PER_TICK]
    if not two_sided or not (state_i[S_VOL_WARM] or params_i[P_IS_FIXED_SPREAD]):
        state_i[S_CAPPED_BID_LOTS] = 0
        state_i[S_CAPPED_ASK_LOTS] = 0
        out_i[:] = 0
        out_f[OUT_FAIR_TICKS] = mid_ticks
        out_f[OUT_SIGNAL_TARGET_TICKS] = 0.0
        out_f[OUT_SIGNAL_ADJ_TICKS] = state_f[S_SIGNAL_ADJ_TICKS]
        out_f[OUT_HALF_SPREAD_TICKS] = 0.0
        out_f[OUT_SKEW_TICKS] = 0.0
        return 0
    (
        out_f[OUT_HALF_SPREAD_TICKS], out_f[OUT_SIGNAL_TARGET_TICKS], adj_ticks,
        out_f[OUT_FAIR_TICKS], out_f[OUT_SKEW_TICKS], out_i[OUT_BID_TICKS], out_i[OUT_ASK_TICKS],
        out_i[OUT_RAW_BID_LOTS], out_i[OUT_RAW_ASK_LOTS], capped_bid_lots, capped_ask_lots,
    ) = compiled_quote_numbers(
        params_i[P_MODEL_CODE], params_f[P_RISK_AVERSION], params_f[P_AS_HORIZON_S],
        params_f[P_FIXED_HALF_SPREAD_TICKS], params_f[P_FIXED_SKEW_TICKS_PER_QTY],
        out_f[OUT_SIGMA], out_f[OUT_A], out_f[OUT_K], params_i[P_SIGNALS_ENABLED] != 0,
        params_f[P_MICROPRICE_WEIGHT], params_f[P_BOOK_IMBALANCE_WEIGHT],
        params_f[P_TRADE_FLOW_WEIGHT], best_bid_ticks, best_bid_lots, best_ask_ticks,
        best_ask_lots, bid_depth_lots, ask_depth_lots, state_f[S_FLOW_IMBALANCE],
        state_f[S_SIGNAL_ADJ_TICKS], params_f[P_IMPACT_CAP_FRAC], mid_ticks, position_lots,
        params_i[P_ORDER_QTY_LOTS], budget_lots, params_f[P_MAKER_FEE], params_f[P_TICK_SIZE],
        params_f[P_LOT_SIZE], params_f[P_MAX_POSITION_USD], state_i[S_CAPPED_BID_LOTS],
        state_i[S_CAPPED_ASK_LOTS], params_i[P_MAX_SIZE_DELTA_LOTS],
    )  # fmt: skip
    state_f[S_SIGNAL_ADJ_TICKS] = adj_ticks
    out_f[OUT_SIGNAL_ADJ_TICKS] = adj_ticks
    state_i[S_CAPPED_BID_LOTS] = capped_bid_lots
    state_i[S_CAPPED_ASK_LOTS] = capped_ask_lots
    out_i[OUT_BID_LOTS] = capped_bid_lots
    out_i[OUT_CAPPED_BID_LOTS] = capped_bid_lots
    out_i[OUT_ASK_LOTS] = capped_ask_lots
    out_i[OUT_CAPPED_ASK_LOTS] = capped_ask_lots
    return 1
