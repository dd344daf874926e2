"""200 seeded random fault schedules against each loopback venue; invariants after each.

One schedule runner (`tests.loopback.harness.run_schedule`) serves both dialects; Bybit's
schedules are shorter (4 steps) to keep the suite's time in bounds.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest
from tests.loopback.harness import VENUES, new_fake, run_schedule

SCHEDULES = 200
STEPS = {"binance": 6, "bybit": 4}  # steps per schedule


@pytest.mark.asyncio
@pytest.mark.parametrize("venue", VENUES)
async def test_200_seeded_fault_schedules_keep_position_orders_and_fills_consistent(
    venue: str,
) -> None:
    steps = STEPS[venue]
    started = time.perf_counter()
    totals: Counter[str] = Counter()
    failures = []
    for seed in range(SCHEDULES):
        async with new_fake(venue) as fake:
            figures = await run_schedule(seed, fake, steps)
        totals.update(figures)
        if any(figures.values()):
            failures.append((seed, figures))
    elapsed = time.perf_counter() - started
    print(
        f"\nFIGURE {venue} schedules={SCHEDULES} steps_each={steps} seconds={elapsed:.1f} "
        + " ".join(f"{k}={totals[k]}" for k in sorted(totals))
        + f" failing_seeds={[s for s, _ in failures][:10]}"
    )
    assert failures == []
