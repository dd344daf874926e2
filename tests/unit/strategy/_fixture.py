"""A deterministic market for strategy tests: views, positions and budgets from one seed."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mmbot.config import MmConfig
from mmbot.core.types import MarketView
from mmbot.strategy import StrategyParams

START_TS_NS = 1_700_000_000_000_000_000
STEP_NS = 100_000_000
START_BID_TICKS = 600_000


@dataclass(frozen=True, slots=True)
class Step:
    """One decision point's inputs."""

    view: MarketView
    position_lots: int
    budget_lots: int | None


def make_steps(seed: int, n_steps: int) -> list[Step]:
    """Return n_steps decision inputs: random-walk mid, random depth and trades, 1% one-sided.

    Position is a bounded random walk (crossing the default 166-lot limit now and then) and
    the allocator budget jumps every 40 steps, so raw sizes move in steps the cap smooths.
    """
    rng = np.random.default_rng(seed)
    bid_ticks = START_BID_TICKS
    position_lots = 0
    budget_lots: int | None = None
    steps = []
    for index in range(n_steps):
        bid_ticks += int(rng.integers(-2, 3))
        spread_ticks = int(rng.integers(1, 4))
        bid_lots = int(rng.integers(1, 50))
        ask_lots = 0 if rng.random() < 0.01 else int(rng.integers(1, 50))
        buy_volume_lots = int(rng.poisson(3.0))
        sell_volume_lots = int(rng.poisson(3.0))
        view = MarketView(
            ts_ns=START_TS_NS + index * STEP_NS,
            best_bid_ticks=bid_ticks,
            best_bid_lots=bid_lots,
            best_ask_ticks=bid_ticks + spread_ticks,
            best_ask_lots=ask_lots,
            bid_depth_lots=bid_lots + int(rng.integers(0, 500)),
            ask_depth_lots=ask_lots + int(rng.integers(0, 500)),
            buy_volume_lots=buy_volume_lots,
            sell_volume_lots=sell_volume_lots,
            buy_trade_depth_ticks=int(rng.geometric(0.4)) - 1 if buy_volume_lots else -1,
            sell_trade_depth_ticks=int(rng.geometric(0.4)) - 1 if sell_volume_lots else -1,
        )
        # Small drift plus an occasional 10-lot fill, bounded beyond the 166-lot limit.
        fill_lots = 10 * int(rng.choice((-1, 1))) if rng.random() < 0.1 else 0
        position_lots += int(rng.integers(-2, 3)) + fill_lots
        position_lots = max(-200, min(200, position_lots))
        if index % 40 == 0:
            budget_lots = None if rng.random() < 0.3 else int(rng.integers(0, 16))
        steps.append(Step(view, position_lots, budget_lots))
    return steps


def fast_config(
    *,
    signals: dict[str, object] | None = None,
    max_position_usd: float = 10_000.0,
    **strategy: object,
) -> MmConfig:
    """Return the default config with short estimator windows, so tests warm up quickly."""
    document = {
        "strategy": {
            "vol_half_life_s": 2.0,
            "intensity_window_s": 10.0,
            "intensity_refit_s": 1.0,
            **strategy,
            "signals": signals or {},
        },
        "risk": {"max_position_usd": max_position_usd, "max_skew_usd": max_position_usd},
    }
    return MmConfig.model_validate(document)


def fast_params(maker_bps: float = 0.0, **strategy: object) -> StrategyParams:
    """Return StrategyParams of fast_config at the given maker fee."""
    return StrategyParams.from_config(fast_config(**strategy), maker_bps)
