"""200 seeded random fault schedules against the loopback Bybit fake; invariants after each.

The schedule runner and its fault kinds are the shared ones (`tests.loopback.harness`);
Bybit's schedules are shorter (4 steps) to keep this file near 20 s.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest
from tests.loopback.bybit_fake import FakeBybit
from tests.loopback.harness import run_schedule

SCHEDULES = 200
STEPS = 4


@pytest.mark.asyncio
async def test_200_seeded_bybit_fault_schedules_keep_position_orders_and_fills_consistent() -> None:
    started = time.perf_counter()
    totals: Counter[str] = Counter()
    failures = []
    for seed in range(SCHEDULES):
        fake = FakeBybit()
        await fake.start()
        try:
            figures = await run_schedule(seed, fake, STEPS)
        finally:
            await fake.stop()
        totals.update(figures)
        if any(figures.values()):
            failures.append((seed, figures))
    elapsed = time.perf_counter() - started
    print(
        f"\nFIGURE bybit schedules={SCHEDULES} steps_each={STEPS} seconds={elapsed:.1f} "
        + " ".join(f"{k}={totals[k]}" for k in sorted(totals))
        + f" failing_seeds={[s for s, _ in failures][:10]}"
    )
    assert failures == []
