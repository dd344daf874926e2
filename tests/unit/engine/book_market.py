"""A seeded market with known regimes for the book engine's tests: calm, then a strong trend.

Every 100 ms the book is a fresh 5-level snapshot around the mid; the mid walks +-1 tick at
random in the calm segment and climbs one tick in two steps on average in the trend (about
N(0, 1) and z ~ 10 over the mux's 30 s window). Trades sweep 2 ticks into one side of the book
now and then, so resting quotes near the touch fill.
"""

from __future__ import annotations

import numpy as np

from mmbot.data import KIND_CLEAR, KIND_SNAPSHOT, KIND_TRADE, EventBatch, InstrumentMeta

STEP_NS = 100_000_000
START_NS = 1_704_067_200_000_000_000  # 2024-01-01T00:00:00Z
LEVELS = 5
LEVEL_LOTS = 40


def calm_then_trend(
    seed: int, calm_s: float, trend_s: float, mid_ticks: int = 500_000, drift_prob: float = 0.5
) -> EventBatch:
    """Return calm_s seconds of a driftless walk, then trend_s seconds of an upward trend."""
    rng = np.random.default_rng(seed)
    calm_steps, trend_steps = round(calm_s * 10), round(trend_s * 10)
    rows: list[tuple[int, int, int, int]] = [(KIND_CLEAR, 0, 0, 0)]
    stamps: list[int] = [START_NS]
    mid = mid_ticks
    for step in range(calm_steps + trend_steps):
        ts = START_NS + step * STEP_NS
        if step < calm_steps:
            mid += int(rng.choice((-1, 0, 0, 1)))
        else:
            mid += int(rng.random() < drift_prob)
        for level in range(LEVELS):
            rows.append((KIND_SNAPSHOT, 1, mid - level, LEVEL_LOTS))
            rows.append((KIND_SNAPSHOT, -1, mid + 1 + level, LEVEL_LOTS))
        stamps.extend([ts] * (2 * LEVELS))
        if rng.random() < 0.3:
            aggressor = 1 if rng.random() < 0.5 else -1
            price = mid + 3 if aggressor == 1 else mid - 2  # sweeps 2 ticks past the touch
            rows.append((KIND_TRADE, aggressor, price, 3 * LEVEL_LOTS))
            stamps.append(ts + STEP_NS // 2)
    ts_exch = np.asarray(stamps, dtype=np.int64)
    columns = np.ascontiguousarray(np.asarray(rows, dtype=np.int64).T)
    return EventBatch(ts_exch, ts_exch + 1_000_000, *columns)


def meta(symbol: str) -> InstrumentMeta:
    """Return the metadata the book tests' instruments use (BTC-like grid)."""
    return InstrumentMeta(venue="synthetic", symbol=symbol, tick_size=0.1, lot_size=0.001)
