"""The quoting strategy: quote models, estimators, micro signals with impact cap, sizing."""

from mmbot.strategy.intensity import IntensityEstimator, fit_intensity
from mmbot.strategy.models import avellaneda_stoikov, fixed_spread, glft
from mmbot.strategy.signals import (
    TradeFlow,
    book_imbalance,
    cap_adjustment,
    microprice_ticks,
    signal_target_ticks,
)
from mmbot.strategy.sizing import cap_step, capped_sizes, raw_sizes, room_lots
from mmbot.strategy.stack import (
    DecideFn,
    Decision,
    StrategyParams,
    StrategyState,
    decide,
    decide_python,
    decide_with,
    initial_state,
)
from mmbot.strategy.trace import DecisionTrace, format_trace
from mmbot.strategy.volatility import EwmaVolatility

__all__ = [
    "DecideFn",
    "Decision",
    "DecisionTrace",
    "EwmaVolatility",
    "IntensityEstimator",
    "StrategyParams",
    "StrategyState",
    "TradeFlow",
    "avellaneda_stoikov",
    "book_imbalance",
    "cap_adjustment",
    "cap_step",
    "capped_sizes",
    "decide",
    "decide_python",
    "decide_with",
    "fit_intensity",
    "fixed_spread",
    "format_trace",
    "glft",
    "initial_state",
    "microprice_ticks",
    "raw_sizes",
    "room_lots",
    "signal_target_ticks",
]
