"""The compiled part of a decision gives the Python function's results, bit for bit."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mmbot.strategy.quoting import (
    AVELLANEDA_STOIKOV,
    FIXED_SPREAD,
    GLFT,
    compiled_quote_numbers,
    quote_numbers,
)

_positive = st.floats(min_value=1e-3, max_value=1e3, allow_nan=False, allow_infinity=False)
_weight = st.floats(min_value=-2.0, max_value=2.0, allow_nan=False)
_lots = st.integers(min_value=0, max_value=10_000)


@settings(max_examples=300, deadline=None)
@given(
    model_code=st.sampled_from((GLFT, AVELLANEDA_STOIKOV, FIXED_SPREAD)),
    risk_aversion=_positive,
    sigma=st.floats(min_value=0.0, max_value=50.0),
    a_per_s=_positive,
    k_per_tick=_positive,
    signals_enabled=st.booleans(),
    weights=st.tuples(_weight, _weight, _weight),
    bid_ticks=st.integers(min_value=1, max_value=10_000_000),
    spread_ticks=st.integers(min_value=1, max_value=50),
    top=st.tuples(_lots, _lots, _lots, _lots),
    flow_imbalance=st.floats(min_value=-1.0, max_value=1.0),
    prev_adj_ticks=st.floats(min_value=-20.0, max_value=20.0),
    position_lots=st.integers(min_value=-5_000, max_value=5_000),
    budget_lots=st.integers(min_value=-5, max_value=200),
    maker_bps=st.floats(min_value=-2.0, max_value=5.0),
    prev_lots=st.tuples(_lots, _lots),
)
def test_compiled_quote_numbers_equal_python_bit_for_bit(
    model_code: int,
    risk_aversion: float,
    sigma: float,
    a_per_s: float,
    k_per_tick: float,
    signals_enabled: bool,
    weights: tuple[float, float, float],
    bid_ticks: int,
    spread_ticks: int,
    top: tuple[int, int, int, int],
    flow_imbalance: float,
    prev_adj_ticks: float,
    position_lots: int,
    budget_lots: int,
    maker_bps: float,
    prev_lots: tuple[int, int],
) -> None:
    ask_ticks = bid_ticks + spread_ticks
    args = (
        model_code, risk_aversion, 60.0, 2.0, 0.5, sigma, a_per_s, k_per_tick, signals_enabled,
        *weights, bid_ticks, top[0], ask_ticks, top[1], top[2], top[3], flow_imbalance,
        prev_adj_ticks, 0.5, 0.5 * (bid_ticks + ask_ticks), position_lots, 10, budget_lots,
        maker_bps * 1e-4, 0.1, 0.001, 10_000.0, *prev_lots, 5,
    )  # fmt: skip
    python = quote_numbers(*args)
    compiled = compiled_quote_numbers(*args)
    # repr: the same float bits print the same (and 0.0 vs -0.0 differ), ints as ints.
    assert repr(compiled) == repr(python)
