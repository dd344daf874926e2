"""The strategy port (Leg.decide): a plain-Python strategy runs where the built-in one does.

The built-in strategy's arithmetic is compiled (strategy/quoting.py); decide_python is the same
strategy in plain Python. Both must make the same decisions, bit for bit, through the engine;
and a user's own Python function of the same signature quotes what it says.
"""

from __future__ import annotations

import dataclasses

import pytest

from mmbot.config import MmConfig
from mmbot.core.types import MarketView, Quote
from mmbot.data import SYNTH_META, EventBatch, synthesize
from mmbot.engine.loop import Engine
from mmbot.node import build_engine
from mmbot.strategy import Decision, StrategyParams, StrategyState, decide_python

# ~80 s of market: the estimators warm up and the rebate tier gets orders placed and filled.
N_EVENTS = 40_000
REBATE_TIER = {"fees": {"volume_30d_usd": 60_000_000.0}}


@pytest.fixture(scope="module")
def market() -> EventBatch:
    return EventBatch.concat(synthesize(7, N_EVENTS, meta=SYNTH_META))


def _run(market: EventBatch, overlay: dict[str, object], python: bool) -> Engine:
    engine = build_engine(MmConfig.model_validate(overlay), market, "port")
    engine.params = dataclasses.replace(engine.params, keep_traces=True)
    if python:
        engine.legs[0].decide = decide_python
    engine.run()
    return engine


def _columns(engine: Engine) -> list[bytes]:
    """Return the bytes of every column of the engine's fill log."""
    return [column.tobytes() for column in dataclasses.astuple(engine.ledger.fill_log())]


@pytest.mark.parametrize("model", ["glft", "avellaneda_stoikov", "fixed_spread"])
def test_the_plain_python_strategy_decides_exactly_as_the_compiled_one(
    market: EventBatch, model: str
) -> None:
    overlay = {**REBATE_TIER, "strategy": {"model": model, "signals": {"enabled": True}}}
    compiled, python = _run(market, overlay, False), _run(market, overlay, True)
    assert compiled.orders.quotes_placed_total > 0
    assert sum(trace.half_spread_ticks > 0 for trace in compiled.record.traces) > 100
    # repr: the same float bits print the same; every number behind every decision.
    assert repr(python.record.traces) == repr(compiled.record.traces)
    assert _columns(python) == _columns(compiled)
    assert python.record.inventory_lots == compiled.record.inventory_lots
    assert python.values() == compiled.values()
    assert [o.price_ticks for o in python.orders.orders] == [
        o.price_ticks for o in compiled.orders.orders
    ]


def three_ticks_out(
    state: StrategyState,
    view: MarketView,
    position_lots: int,
    budget_lots: int | None,
    params: StrategyParams,
) -> Decision:
    """A user's strategy (docs/STRATEGY.md, "Your own strategy"): one lot three ticks either
    side of the best prices, nothing while the book is one-sided."""
    quote = None
    if view.best_bid_lots > 0 and view.best_ask_lots > 0:
        quote = Quote(view.best_bid_ticks - 3, view.best_ask_ticks + 3, 1, 1)
    return Decision.quoting(state, view.ts_ns, quote)


def test_a_users_python_strategy_quotes_through_the_port(market: EventBatch) -> None:
    engine = build_engine(MmConfig.model_validate(REBATE_TIER), market, "mine")
    engine.legs[0].decide = three_ticks_out
    seen: list[tuple[int, int]] = []  # each order's side and distance from the touch it saw
    place = engine.venue.place

    def spying_place(side: int, price_ticks: int, qty_lots: int, client_seq: int) -> int:
        view = engine.books[0].view
        assert view is not None and qty_lots == 1
        touch = view.best_bid_ticks if side == 1 else view.best_ask_ticks
        seen.append((side, (touch - price_ticks) * side))
        return place(side, price_ticks, qty_lots, client_seq)

    engine.venue.place = spying_place  # type: ignore[method-assign]
    engine.run()
    assert len(seen) >= 2
    assert {distance for _, distance in seen} == {3}
