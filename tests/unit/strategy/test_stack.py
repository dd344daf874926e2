"""decide(): impact cap, fee floor, inventory skew, sizing, no-quote cases, determinism."""

from __future__ import annotations

import math

import pytest
from tests.unit.strategy._fixture import fast_config, fast_params, make_steps

from mmbot.artifacts import fmt6
from mmbot.core.types import MarketView
from mmbot.strategy import (
    Decision,
    DecisionTrace,
    StrategyParams,
    decide,
    format_trace,
    initial_state,
)

MODELS = ("glft", "avellaneda_stoikov", "fixed_spread")
N_STEPS = 1500


def _view(
    bid_ticks: int, ask_ticks: int, ts_ns: int = 0, bid_lots: int = 10, ask_lots: int = 10
) -> MarketView:
    return MarketView(
        ts_ns=ts_ns,
        best_bid_ticks=bid_ticks,
        best_bid_lots=bid_lots,
        best_ask_ticks=ask_ticks,
        best_ask_lots=ask_lots,
        bid_depth_lots=100,
        ask_depth_lots=100,
        buy_volume_lots=0,
        sell_volume_lots=0,
        buy_trade_depth_ticks=-1,
        sell_trade_depth_ticks=-1,
    )


def _fixed(maker_bps: float = 0.0, **fields: object) -> StrategyParams:
    """Fixed-spread params without signals: quotes follow from the arithmetic alone."""
    cfg = fast_config(
        model="fixed_spread", fixed_skew_ticks_per_qty=0.5, signals={"enabled": False}, **fields
    )
    return StrategyParams.from_config(cfg, maker_bps)


def _run(params: StrategyParams, seed: int = 1, n_steps: int = N_STEPS) -> list[DecisionTrace]:
    state = initial_state(params)
    traces = []
    for step in make_steps(seed, n_steps):
        decision = decide(state, step.view, step.position_lots, step.budget_lots, params)
        traces.append(decision.trace)
    return traces


def test_from_config_maps_sections_and_fee() -> None:
    params = StrategyParams.from_config(fast_config(), maker_bps=-0.5)
    assert params.model == "glft"
    assert params.maker_bps == -0.5
    assert params.decision_interval_s == 0.1
    assert params.max_position_usd == 10_000.0
    assert params.impact_cap_pct == 10.0
    assert (params.tick_size, params.lot_size) == (0.1, 0.001)


@pytest.mark.parametrize("model", MODELS)
def test_decide_impact_cap_every_fixture_step_holds(model: str) -> None:
    traces = _run(fast_params(model=model))
    prev_adj_ticks = 0.0
    binding_steps = 0
    for trace in traces:
        step_ticks = abs(trace.signal_adj_ticks - prev_adj_ticks)
        # cap = impact_cap_pct/100 * half spread; no-quote steps (half 0) must not move it
        assert step_ticks <= 0.10 * trace.half_spread_ticks + 1e-9, trace
        binding_steps += trace.signal_adj_ticks != trace.signal_target_ticks
        prev_adj_ticks = trace.signal_adj_ticks
    assert binding_steps > 0  # the fixture exercises the cap, not only easy targets


@pytest.mark.parametrize("model", MODELS)
def test_decide_positive_maker_fee_every_quote_beyond_break_even(model: str) -> None:
    params = fast_params(maker_bps=1.0, model=model)
    state = initial_state(params)
    fee = 1.0e-4
    quoted = 0
    for step in make_steps(2, N_STEPS):
        decision = decide(state, step.view, step.position_lots, step.budget_lots, params)
        if decision.quote is None:
            continue
        quoted += 1
        fair_ticks = decision.trace.fair_ticks
        # break-even: bid <= fair/(1+f), ask >= fair/(1-f)
        assert fair_ticks - decision.quote.bid_ticks >= fair_ticks * fee / (1 + fee) - 1e-9
        assert decision.quote.ask_ticks - fair_ticks >= fair_ticks * fee / (1 - fee) - 1e-9
    assert quoted > N_STEPS // 2


def test_decide_positive_maker_fee_hand_case_rounds_away_from_fair() -> None:
    params = _fixed(maker_bps=1.0)
    decision = decide(initial_state(params), _view(600_000, 600_002), 0, None, params)
    # fair 600001; floors 600001*1e-4/(1+1e-4) = 59.994, 600001*1e-4/(1-1e-4) = 60.006 (> half 2)
    # bid = floor(600001 - 59.994) = 599941, ask = ceil(600001 + 60.006) = 600062
    assert decision.quote is not None
    assert (decision.quote.bid_ticks, decision.quote.ask_ticks) == (599_941, 600_062)


def test_decide_rebate_no_floor_beyond_one_tick_from_fair() -> None:
    params = _fixed(maker_bps=-0.5)
    # fair 1002, half 2, short 30 lots = -3 order sizes: skew = 0.5*-3 = -1.5
    # bid distance 2 - 1.5 = 0.5 -> floor(1001.5) = 1001: 1 tick from fair, no fee floor
    decision = decide(initial_state(params), _view(1000, 1004), -30, None, params)
    assert decision.quote is not None
    assert decision.quote.bid_ticks == 1001
    # short 60 lots: skew -3, bid distance -1 would cross fair; it stays one tick below
    decision = decide(initial_state(params), _view(1000, 1004), -60, None, params)
    assert decision.quote is not None
    assert decision.quote.bid_ticks == 1001


def test_decide_long_inventory_shifts_both_quotes_down() -> None:
    params = _fixed()
    flat = decide(initial_state(params), _view(1000, 1002), 0, None, params).quote
    long = decide(initial_state(params), _view(1000, 1002), 20, None, params).quote
    # fair 1001, half 2; flat: 999 / 1003. Long 20 lots = 2 sizes: skew 0.5*2 = 1
    # bid = floor(1001 - 3) = 998, ask = ceil(1001 + 1) = 1002
    assert flat is not None and long is not None
    assert (flat.bid_ticks, flat.ask_ticks) == (999, 1003)
    assert (long.bid_ticks, long.ask_ticks) == (998, 1002)


@pytest.mark.parametrize("model", ["glft", "avellaneda_stoikov"])
def test_decide_long_inventory_model_skew_is_positive(model: str) -> None:
    params = fast_params(model=model)
    state = initial_state(params)
    for step in make_steps(4, 200):
        decision = decide(state, step.view, 50, step.budget_lots, params)
    assert decision.quote is not None
    assert decision.trace.skew_ticks > 0.0
    assert decision.quote.ask_ticks - decision.trace.fair_ticks < decision.trace.half_spread_ticks


def test_decide_one_sided_book_does_not_quote() -> None:
    params = _fixed()
    decision = decide(initial_state(params), _view(1000, 1002, ask_lots=0), 0, None, params)
    assert decision.quote is None
    assert decision.trace.capped_bid_lots == decision.trace.capped_ask_lots == 0


def test_decide_glft_before_volatility_warm_does_not_quote() -> None:
    params = fast_params(model="glft")
    decision = decide(initial_state(params), _view(1000, 1002), 0, None, params)
    assert decision.quote is None


def test_decide_size_ramps_by_max_delta_and_drops_at_limit() -> None:
    # 1001 ticks * 0.1 * 0.001 = 0.1001 USD a lot: 10 USD allows int(99.9) = 99 lots
    params = _fixed(order_qty_lots=10, max_size_delta_lots=5, max_position_usd=10.0)
    state = initial_state(params)
    first = decide(state, _view(1000, 1002, ts_ns=0), 0, None, params).quote
    second = decide(state, _view(1000, 1002, ts_ns=1), 0, None, params).quote
    at_limit = decide(state, _view(1000, 1002, ts_ns=2), 99, None, params).quote
    assert first is not None and second is not None and at_limit is not None
    assert (first.bid_lots, second.bid_lots) == (5, 10)
    assert at_limit.bid_lots == 0  # the limit wins over the step cap (10 -> 0 at once)
    assert at_limit.ask_lots == 10


def test_decide_quotes_are_post_only_legal_on_fixture() -> None:
    params = fast_params(model="glft")
    state = initial_state(params)
    for step in make_steps(5, N_STEPS):
        quote = decide(state, step.view, step.position_lots, step.budget_lots, params).quote
        if quote is None:
            continue
        assert quote.bid_ticks < step.view.best_ask_ticks
        assert quote.ask_ticks > step.view.best_bid_ticks
        assert quote.bid_ticks < quote.ask_ticks


def _trace_bytes(traces: list[DecisionTrace]) -> bytes:
    lines = []
    for trace in traces:
        values = [getattr(trace, name) for name in DecisionTrace.__slots__]
        lines.append(" ".join(fmt6(float(value)) for value in values))
    return ("\n".join(lines) + "\n" + format_trace(traces)).encode("ascii")


@pytest.mark.parametrize("model", MODELS)
def test_decide_two_runs_same_inputs_identical_trace_bytes(model: str) -> None:
    params = fast_params(model=model)
    assert _trace_bytes(_run(params)) == _trace_bytes(_run(params))


def test_decide_trace_numbers_are_finite_on_fixture() -> None:
    for trace in _run(fast_params(model="avellaneda_stoikov"), n_steps=300):
        assert all(math.isfinite(float(getattr(trace, name))) for name in DecisionTrace.__slots__)


def test_decision_names_the_numbers_behind_it_and_its_trace_repeats_them() -> None:
    assert Decision._fields[:2] == ("state", "quote")
    assert Decision._fields[2:] == DecisionTrace.__slots__  # the trace's names, in its order
    params = fast_params(model="glft")
    state = initial_state(params)
    quoted = 0
    for step in make_steps(1, 400):
        decision = decide(state, step.view, step.position_lots, step.budget_lots, params)
        assert decision.ts_ns == step.view.ts_ns
        assert [getattr(decision.trace, name) for name in DecisionTrace.__slots__] == list(
            decision[2:]
        )
        if decision.quote is None:
            assert (decision.raw_bid_lots, decision.capped_ask_lots) == (0, 0)
            continue
        quoted += 1
        view = step.view
        mid_ticks = 0.5 * (view.best_bid_ticks + view.best_ask_ticks)
        assert decision.fair_ticks == mid_ticks + decision.signal_adj_ticks
        quote_lots = (decision.quote.bid_lots, decision.quote.ask_lots)
        assert (decision.capped_bid_lots, decision.capped_ask_lots) == quote_lots
    assert quoted > 300
