"""The compiled twin of the decision (strategy/fused.py) decides exactly as decide_python.

Every Decision field at every step (floats by their bits: repr) and, at the end, the
materialized StrategyState against the one decide_python folded, attribute by attribute.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.strategy._fixture import START_BID_TICKS, START_TS_NS, STEP_NS, fast_params

from mmbot.config import MmConfig
from mmbot.core.types import MarketView
from mmbot.data import SYNTH_META, EventBatch, synthesize
from mmbot.node import build_engine
from mmbot.strategy import Decision, StrategyParams, StrategyState, decide_python, initial_state
from mmbot.strategy.fused import (
    N_OUT_F,
    N_OUT_I,
    StrategyArrays,
    decide_into,
    decision_of,
    materialize,
    pack,
)

MODELS = ("glft", "avellaneda_stoikov", "fixed_spread")
# Short windows: the volatility warms within a few steps and the intensity refits every
# third step once its ten-step window is full; trades reach past the last depth bin.
SHORT_WINDOWS = {
    "vol_half_life_s": 0.5,
    "intensity_window_s": 1.0,
    "intensity_refit_s": 0.3,
    "intensity_max_depth_ticks": 5,
}

Step = tuple[MarketView, int, int]  # view, position_lots, budget_lots


@functools.cache
def _params(model: str, signals: bool, maker_bps: float) -> StrategyParams:
    return fast_params(
        maker_bps, model=model, signals={"enabled": signals}, fixed_skew_ticks_per_qty=0.5,
        **SHORT_WINDOWS,
    )  # fmt: skip


def _fields(obj: object, prefix: str = "state") -> dict[str, str]:
    """Return every attribute of obj, its estimators' expanded, as repr (floats by their
    bits, and types: 1 is not 1.0 nor True)."""
    fields = {}
    for name in type(obj).__slots__:
        value = getattr(obj, name)
        if hasattr(type(value), "__slots__"):  # an estimator (numbers and lists have none)
            fields.update(_fields(value, f"{prefix}.{name}"))
        else:
            fields[f"{prefix}.{name}"] = repr(value)
    return fields


def _decision_fields(decision: Decision) -> str:
    return repr(decision[1:])  # everything but the state object


class Twin:
    """A state folded by decide_into, beside the StrategyState it materializes into."""

    def __init__(self, state: StrategyState, params: StrategyParams) -> None:
        self.state = state
        self.arrays: StrategyArrays = pack(state, params)
        self.out_i = np.zeros(N_OUT_I, dtype=np.int64)
        self.out_f = np.zeros(N_OUT_F, dtype=np.float64)

    def decide(self, view: MarketView, position_lots: int, budget_lots: int) -> Decision:
        has_quote = decide_into(
            *self.arrays, *view, position_lots, budget_lots, self.out_i, self.out_f
        )
        return decision_of(self.out_i, self.out_f, has_quote, view.ts_ns, self.state)


def _assert_same_fold(params: StrategyParams, steps: Iterable[Step]) -> int:
    """Fold steps through decide_python and the twin from fresh states; return the quotes."""
    python_state = initial_state(params)
    twin = Twin(initial_state(params), params)
    quotes = 0
    for index, (view, position_lots, budget_lots) in enumerate(steps):
        python = decide_python(python_state, view, position_lots, budget_lots, params)
        fused = twin.decide(view, position_lots, budget_lots)
        assert _decision_fields(fused) == _decision_fields(python), f"step {index}: {view}"
        quotes += python.quote is not None
    materialize(twin.arrays, twin.state)
    assert _fields(twin.state) == _fields(python_state)
    return quotes


def _view(ts_ns: int, bid_ticks: int, spread_ticks: int, numbers: Sequence[int]) -> MarketView:
    return MarketView(ts_ns, bid_ticks, numbers[0], bid_ticks + spread_ticks, *numbers[1:])


@st.composite
def _steps(draw: st.DrawFn) -> list[Step]:
    """A sequence of views: time mostly forward (sometimes standing or going back), a walking
    bid with a spread that is sometimes locked or crossed, empty sides, trades or none."""
    lots, depth_lots = st.integers(0, 40), st.integers(0, 500)
    volume, trade_depth = st.integers(0, 20), st.integers(-1, 8)
    budget = st.one_of(st.integers(0, 30), st.integers(0, 10**6))
    ts_ns, bid_ticks, steps = START_TS_NS, START_BID_TICKS, []
    for _ in range(draw(st.integers(1, 120))):
        ts_ns += draw(st.one_of(st.just(STEP_NS), st.integers(-STEP_NS, 5 * STEP_NS)))
        bid_ticks += draw(st.integers(-3, 3))
        spread_ticks = draw(st.integers(-2, 6))
        numbers = [draw(x) for x in (lots, lots, depth_lots, depth_lots, volume, volume)]
        numbers += [draw(trade_depth), draw(trade_depth)]
        view = _view(ts_ns, bid_ticks, spread_ticks, numbers)
        steps.append((view, draw(st.integers(-300, 300)), draw(budget)))
    return steps


@pytest.mark.parametrize("signals", [True, False])
@pytest.mark.parametrize("model", MODELS)
@settings(max_examples=40, deadline=None)
@given(steps=_steps(), maker_bps=st.sampled_from((-0.5, 0.0, 1.0)))
def test_the_twin_decides_and_folds_like_decide_python(
    model: str, signals: bool, steps: list[Step], maker_bps: float
) -> None:
    _assert_same_fold(_params(model, signals, maker_bps), steps)


@functools.cache
def _engine_steps(model: str) -> tuple[StrategyParams, list[Step]]:
    """Return the params and every (view, position, budget) the engine decided from over a
    small synthetic market (rebate tier: orders fill, the position moves)."""
    overlay = {
        "fees": {"volume_30d_usd": 60_000_000.0},
        "strategy": {"model": model, "signals": {"enabled": True}, "vol_half_life_s": 5.0,
                     "intensity_window_s": 10.0, "intensity_refit_s": 1.0},
    }  # fmt: skip
    market = EventBatch.concat(synthesize(7, 40_000, meta=SYNTH_META))
    engine = build_engine(MmConfig.model_validate(overlay), market, "fused")
    steps: list[Step] = []

    def recording_decide(
        state: StrategyState,
        view: MarketView,
        position_lots: int,
        budget_lots: int | None,
        params: StrategyParams,
    ) -> Decision:
        assert budget_lots is not None  # the engine passes the leg's budget
        steps.append((view, position_lots, budget_lots))
        return decide_python(state, view, position_lots, budget_lots, params)

    engine.legs[0].decide = recording_decide
    engine.run()
    return engine.legs[0].params, steps


@pytest.mark.parametrize("model", MODELS)
def test_the_twin_decides_like_decide_python_on_an_engines_views(model: str) -> None:
    params, steps = _engine_steps(model)
    assert len(steps) > 300
    assert _assert_same_fold(params, steps) > 100


def test_a_twin_packed_from_a_used_state_continues_its_fold() -> None:
    params, steps = _engine_steps("glft")
    half = len(steps) // 2
    assert len({position_lots for _, position_lots, _ in steps[half:]}) > 3  # orders fill
    python_state, used_state = initial_state(params), initial_state(params)
    for view, position_lots, budget_lots in steps[:half]:
        decide_python(python_state, view, position_lots, budget_lots, params)
        decide_python(used_state, view, position_lots, budget_lots, params)
    assert used_state.intensity.warm and used_state.vol.warm
    twin = Twin(used_state, params)
    for view, position_lots, budget_lots in steps[half:]:
        python = decide_python(python_state, view, position_lots, budget_lots, params)
        assert _decision_fields(twin.decide(view, position_lots, budget_lots)) == (
            _decision_fields(python)
        )
    materialize(twin.arrays, used_state)
    assert _fields(used_state) == _fields(python_state)
