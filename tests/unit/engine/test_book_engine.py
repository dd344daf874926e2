"""The book engine: the mux in the loop moves sizes, legs never trade together, symbols stay
independent, attribution adds up.

Golden tests/golden/mux_engine_case1.out (the mux as the engine runs it, and the sizes that
follow): regenerate on purpose only with
`pytest tests/unit/engine/test_book_engine.py --update-golden`, check it, commit it alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from tests.unit.engine.book_market import START_NS, calm_then_trend

import mmbot.engine.loop as loop_module
from mmbot.artifacts import fmt6
from mmbot.config import MmConfig
from mmbot.core.clock import SimClock
from mmbot.core.types import BUY, Quote
from mmbot.data import EventBatch
from mmbot.engine.book import clamp_to_walls
from mmbot.engine.loop import Engine
from mmbot.node.stack import book_engine, build_book_engine, sim_port

CALM_S, TREND_S = 240.0, 240.0
NS = 1_000_000_000
INSTRUMENT = {"venue": "synthetic", "symbol": "BTCUSDT", "tick_size": 0.1, "lot_size": 0.001}


def book_config(strategies: list[dict[str, Any]], **sections: Any) -> MmConfig:
    """Return a one-symbol config quoted by strategies, with weights that differ by regime."""
    ids = [entry["id"] for entry in strategies]
    weights = {
        "calm": dict(zip(ids, (0.3, 0.7, 0.5), strict=False)),
        "trend": dict(zip(ids, (0.8, 0.2, 0.5), strict=False)),
        "volatile": dict.fromkeys(ids, 0.5),
    }
    document: dict[str, Any] = {
        "instrument": INSTRUMENT,
        "fees": {"volume_30d_usd": 60_000_000.0},  # the rebate tier: no fee floor
        "strategy": {"vol_half_life_s": 10.0, "intensity_window_s": 30.0},
        "strategies": strategies,
        "mux": {"weights": weights, "caps": dict.fromkeys(ids, 1.0)},
        **sections,
    }
    return MmConfig.model_validate(document)


TWO_STRATEGIES = [
    {"id": "glft", "model": "glft", "symbols": ["BTCUSDT"]},
    {"id": "fixed_spread", "model": "fixed_spread", "symbols": ["BTCUSDT"],
     "params": {"fixed_half_spread_ticks": 1}},
]  # fmt: skip


@pytest.fixture(scope="module")
def market() -> EventBatch:
    return calm_then_trend(seed=3, calm_s=CALM_S, trend_s=TREND_S)


@pytest.fixture(scope="module")
def traced_run(market: EventBatch) -> Engine:
    cfg = book_config(TWO_STRATEGIES)
    engine = book_engine(
        cfg, {"BTCUSDT": sim_port(cfg, market)}, clock=SimClock(0), keep_traces=True
    )
    engine.run()
    return engine


def _switch_ns(engine: Engine) -> int:
    return next(row.ts_ns for row in engine.mux_trace if row.active_regime == "trend")


def test_regime_switches_to_trend_one_hysteresis_after_the_trend_starts(
    traced_run: Engine,
) -> None:
    trend_start_ns = START_NS + round(CALM_S * NS)
    switch_ns = _switch_ns(traced_run)
    # Detected within the first seconds of the trend (z ~ 10 over 30 s), active 60 s later.
    assert trend_start_ns + 60 * NS <= switch_ns <= trend_start_ns + 80 * NS
    before = [row for row in traced_run.mux_trace if row.ts_ns < switch_ns]
    assert {row.active_regime for row in before} == {"calm"}
    after = [row for row in traced_run.mux_trace if row.ts_ns >= switch_ns]
    assert {row.active_regime for row in after} == {"trend"}
    assert before[-1].weights == pytest.approx((0.3, 0.7))
    assert after[0].weights == pytest.approx((0.8, 0.2))
    assert all(sum(row.weights) == pytest.approx(1.0) for row in traced_run.mux_trace)


def _base_lots(engine: Engine, leg_index: int, start_ns: int, end_ns: int) -> float:
    """Median size of a leg's quotes (the side not cut by inventory) over [start, end)."""
    traces = engine.record.traces[leg_index :: len(engine.legs)]
    sizes = [
        max(trace.raw_bid_lots, trace.raw_ask_lots)
        for trace in traces
        if start_ns <= trace.ts_ns < end_ns
    ]
    assert len(sizes) > 100
    return float(np.median(sizes))


def test_regime_change_moves_each_strategys_size_to_its_new_weight(traced_run: Engine) -> None:
    switch_ns = _switch_ns(traced_run)
    calm = (START_NS + 120 * NS, START_NS + round(CALM_S * NS))
    trend = (switch_ns + 5 * NS, switch_ns + 120 * NS)
    # order_qty_lots 10 times the weight (the allocator grants the demand in full here).
    assert _base_lots(traced_run, 0, *calm) in (2.0, 3.0)  # glft 0.3
    assert _base_lots(traced_run, 1, *calm) in (6.0, 7.0)  # fixed_spread 0.7
    assert _base_lots(traced_run, 0, *trend) in (7.0, 8.0)  # glft 0.8
    assert _base_lots(traced_run, 1, *trend) in (1.0, 2.0)  # fixed_spread 0.2


def test_allocations_follow_the_weights_and_stay_within_the_budget(traced_run: Engine) -> None:
    rows = traced_run.allocations
    assert rows and all(row.budget_available_usd > 0 for row in rows)
    for row in rows:
        assert sum(row.budget_usd) <= row.budget_available_usd + 1e-9
        assert row.weights == pytest.approx(row.weights)  # aligned with legs: two entries
        assert len(row.weights) == len(row.budget_usd) == 2
    values = traced_run.values()
    assert values["allocator_hwm_equity_usd"] >= 100_000.0
    assert values["portfolio_budget_available_usd"] > 0


def test_both_strategies_trade_and_every_fill_is_attributed_to_one(traced_run: Engine) -> None:
    fills = [leg.ledger.fills for leg in traced_run.legs]
    assert all(count > 10 for count in fills)
    position = sum(leg.ledger.position_lots for leg in traced_run.legs)
    assert traced_run.books[0].position_lots == position


# --- our strategies never trade with each other ------------------------------------------


def test_clamp_moves_a_crossing_side_inside_the_walls_and_leaves_others() -> None:
    quote = Quote(101, 103, 5, 5)
    assert clamp_to_walls(quote, bid_wall=99, ask_wall=104) == (quote, 0)
    assert clamp_to_walls(quote, bid_wall=99, ask_wall=101) == (Quote(100, 103, 5, 5), 1)
    assert clamp_to_walls(quote, bid_wall=103, ask_wall=101) == (Quote(100, 104, 5, 5), 2)
    # a side that rests nothing is not moved
    assert clamp_to_walls(Quote(101, 103, 0, 5), 99, 101) == (Quote(101, 103, 0, 5), 0)


def _crossing_legs(engine: Engine) -> None:
    """Plant a self-cross: the second leg quotes 4 ticks higher than its model says."""
    planted = engine.legs[1]
    decide = planted.decide

    def shifted(state: Any, view: Any, position: int, budget: int | None, params: Any) -> Any:
        decision = decide(state, view, position, budget, params)
        if decision.quote is None:
            return decision
        q = decision.quote
        return decision._replace(quote=Quote(q.bid_ticks + 4, q.ask_ticks + 4, q.bid_lots,
                                             q.ask_lots))  # fmt: skip

    planted.decide = shifted


def _worst_overlap_ticks(engine: Engine, market: EventBatch, steps: int) -> Iterator[int]:
    """Step the engine; yield, per step, how far one leg's bid reaches over another's ask."""
    clock = engine.clock
    assert isinstance(clock, SimClock)
    ts = engine.first_ts_ns()
    for _ in range(steps):
        clock.advance_to(ts)
        engine.step()
        prices = [leg.orders.working_prices() for leg in engine.legs]
        worst = -(1 << 62)
        for i, mine in enumerate(prices):
            bids = [p for side, p in mine if side == BUY]
            asks = [p for j, theirs in enumerate(prices) if j != i
                    for side, p in theirs if side != BUY]  # fmt: skip
            if bids and asks:
                worst = max(worst, max(bids) - min(asks))
        yield worst
        ts += engine.params.decision_interval_ns


@pytest.mark.parametrize("guarded", [True, False])
def test_a_planted_self_cross_between_two_strategies_is_prevented(
    monkeypatch: pytest.MonkeyPatch, market: EventBatch, guarded: bool
) -> None:
    # Two fixed-spread strategies, the second one planted to quote through the first.
    cfg = book_config([
        {"id": "fixed_spread", "model": "fixed_spread", "symbols": ["BTCUSDT"],
         "params": {"fixed_half_spread_ticks": 1}},
        {"id": "glft", "model": "fixed_spread", "symbols": ["BTCUSDT"],
         "params": {"fixed_half_spread_ticks": 1}},
    ])  # fmt: skip
    engine = build_book_engine(cfg, {"BTCUSDT": market})
    _crossing_legs(engine)
    if not guarded:  # the same run without the clamp: the test must see the cross
        monkeypatch.setattr(loop_module, "clamp_to_walls", lambda quote, *_: (quote, 0))
    overlaps = list(_worst_overlap_ticks(engine, market, steps=1500))
    if guarded:
        assert max(overlaps) < 0  # every bid strictly below every other leg's ask
        assert engine.self_cross_prevented_total > 0
        assert engine.values()["self_cross_prevented_total"] == engine.self_cross_prevented_total
    else:
        assert max(overlaps) >= 0


# --- symbols are independent --------------------------------------------------------------


def _portfolio(symbols: list[str]) -> MmConfig:
    return MmConfig.model_validate({
        "fees": {"volume_30d_usd": 60_000_000.0},
        "strategy": {"vol_half_life_s": 10.0, "intensity_window_s": 30.0},
        "portfolio": {"instruments": [{**INSTRUMENT, "symbol": s} for s in symbols]},
        "strategies": [{"id": "glft", "model": "glft", "symbols": symbols}],
    })  # fmt: skip


def _fills_of(engine: Engine, symbol: str) -> list[tuple[int, ...]]:
    book = next(book for book in engine.books if book.symbol == symbol)
    log = book.legs[0].ledger.fill_log()
    return list(zip(log.ts_ns.tolist(), log.side.tolist(), log.price_ticks.tolist(),
                    log.qty_lots.tolist(), log.order_id.tolist(), strict=True))  # fmt: skip


def test_a_symbols_results_in_a_book_equal_its_run_alone(market: EventBatch) -> None:
    other = calm_then_trend(seed=11, calm_s=CALM_S, trend_s=TREND_S, mid_ticks=400_000)
    both = build_book_engine(_portfolio(["BTCUSDT", "ETHUSDT"]),
                             {"BTCUSDT": market, "ETHUSDT": other})  # fmt: skip
    both.run()
    alone = build_book_engine(_portfolio(["BTCUSDT"]), {"BTCUSDT": market})
    alone.run()
    assert len(_fills_of(alone, "BTCUSDT")) > 10
    assert _fills_of(both, "BTCUSDT") == _fills_of(alone, "BTCUSDT")
    assert both.books[0].record.mid_ticks_x2 == alone.books[0].record.mid_ticks_x2


def test_a_portfolio_of_one_trades_as_the_one_symbol_config(market: EventBatch) -> None:
    single = MmConfig.model_validate({
        "instrument": INSTRUMENT,
        "fees": {"volume_30d_usd": 60_000_000.0},
        "strategy": {"vol_half_life_s": 10.0, "intensity_window_s": 30.0},
    })  # fmt: skip
    legacy = build_book_engine(single, {"BTCUSDT": market})
    legacy.run()
    book = build_book_engine(_portfolio(["BTCUSDT"]), {"BTCUSDT": market})
    book.run()
    assert _fills_of(book, "BTCUSDT") == _fills_of(legacy, "BTCUSDT")
    assert replace(legacy.params, keep_book_trace=True) == book.params


# --- the mux golden from an engine run ----------------------------------------------------

GOLDEN = "mux_engine_case1.out"


def _mux_golden_text(engine: Engine) -> bytes:
    """The engine's mux trace every 100 decisions (10 s) and at every change of regime, then
    each leg's median quote size per active regime."""
    lines = ["ts_s symbol detected active realized_vol_bps trend_z w_glft w_fixed_spread"]
    previous = None
    for index, row in enumerate(engine.mux_trace):
        offset_ns = row.ts_ns - START_NS
        changed = (row.detected_regime, row.active_regime) != previous
        previous = (row.detected_regime, row.active_regime)
        if changed or index % 100 == 0:
            lines.append(
                f"{fmt6(offset_ns / NS)} {row.symbol} {row.detected_regime} {row.active_regime} "
                f"{fmt6(row.realized_vol_bps)} {fmt6(row.trend_z)} "
                + " ".join(fmt6(weight) for weight in row.weights)
            )
    switch_ns = _switch_ns(engine)
    for index, leg in enumerate(engine.legs):
        calm = _base_lots(engine, index, START_NS + 120 * NS, switch_ns)
        trend = _base_lots(engine, index, switch_ns + 5 * NS, switch_ns + 120 * NS)
        lines.append(f"size {leg.key} calm_lots={fmt6(calm)} trend_lots={fmt6(trend)}")
    return ("\n".join(lines) + "\n").encode("ascii")


def test_mux_golden_from_an_engine_run_same_bytes_twice(
    traced_run: Engine, market: EventBatch, golden: Callable[[str, bytes], None]
) -> None:
    first = _mux_golden_text(traced_run)
    cfg = book_config(TWO_STRATEGIES)
    again = book_engine(cfg, {"BTCUSDT": sim_port(cfg, market)}, clock=SimClock(0),
                        keep_traces=True)  # fmt: skip
    again.run()
    assert _mux_golden_text(again) == first
    golden(GOLDEN, first)


# --- the book's caps in the loop ------------------------------------------------------------


def _tight_book(**risk: float) -> MmConfig:
    cfg = _portfolio(["BTCUSDT", "ETHUSDT"])
    assert cfg.portfolio is not None
    book_risk = cfg.portfolio.risk.model_copy(update=risk)
    return cfg.model_copy(
        update={"portfolio": cfg.portfolio.model_copy(update={"risk": book_risk})}
    )


def _worst_usd(engine: Engine, measure: Callable[[float, float], float]) -> float:
    """The largest measure of the two symbols' positions in USD over the run's decisions."""
    btc, eth = engine.books
    return max(
        measure(a * 0.001 * x2 * 0.05, b * 0.001 * y2 * 0.05)
        for a, b, x2, y2 in zip(btc.record.inventory_lots, eth.record.inventory_lots,
                                btc.record.mid_ticks_x2, eth.record.mid_ticks_x2, strict=False)
    )  # fmt: skip


@pytest.mark.parametrize(
    ("cap", "measure"),
    [
        ({"max_gross_notional_usd": 1_000.0}, lambda a, b: abs(a) + abs(b)),
        ({"max_net_delta_usd": 600.0}, lambda a, b: abs(a + b)),
    ],
)
def test_book_caps_hold_worst_case_across_symbols_while_both_keep_trading(
    market: EventBatch, cap: dict[str, float], measure: Callable[[float, float], float]
) -> None:
    other = calm_then_trend(seed=11, calm_s=CALM_S, trend_s=TREND_S, mid_ticks=400_000)
    data = {"BTCUSDT": market, "ETHUSDT": other}
    free = build_book_engine(_tight_book(), data)  # the embedded book caps: far away here
    free.run()
    engine = build_book_engine(_tight_book(**cap), data)
    engine.run()
    limit = next(iter(cap.values()))
    assert _worst_usd(free, measure) > 1.5 * limit  # the cap has work to do in this market
    # Worst case within the cap (the mids' moves since a fill may carry it 1% past it) ...
    assert 0.8 * limit <= _worst_usd(engine, measure) <= 1.01 * limit
    # ... while every strategy keeps trading.
    assert all(leg.ledger.fills > 0.5 * free_leg.ledger.fills
               for leg, free_leg in zip(engine.legs, free.legs, strict=True))  # fmt: skip


def test_a_symbol_whose_data_starts_later_waits_for_it(market: EventBatch) -> None:
    other = calm_then_trend(seed=11, calm_s=CALM_S, trend_s=TREND_S, mid_ticks=400_000)
    late = EventBatch(other.ts_exch_ns + 43_000_000, other.ts_local_ns + 43_000_000, other.kind,
                      other.side, other.price_ticks, other.qty_lots)  # fmt: skip
    engine = build_book_engine(_portfolio(["BTCUSDT", "ETHUSDT"]),
                               {"BTCUSDT": market, "ETHUSDT": late})  # fmt: skip
    engine.run()  # starts at BTCUSDT's first event, 43 ms before ETHUSDT has any
    assert all(leg.ledger.fills > 10 for leg in engine.legs)
