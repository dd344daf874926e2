"""200 seeded random fault schedules against the loopback exchange; invariants after each."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter

import numpy as np
import pytest
from tests.loopback import FakeBinance
from tests.loopback.harness import invariants, running, settle

from mmbot.venues.base import OrderIntent, TemporaryVenueError

SCHEDULES = 200
STEPS = 6
FAULTS = ["place", "retry_same_intent", "cancel", "modify", "fill", "fill_dup_ooo",
          "disconnect", "rate_limit", "reject", "drop", "ack_lost", "ws_drop_fill",
          "stale_book"]  # fmt: skip


async def run_schedule(seed: int, fake: FakeBinance) -> dict[str, int]:
    """Run one seeded schedule; return its figures (all must be 0)."""
    rng = np.random.default_rng(seed)
    fake.faults.retry_after_s = 0.02
    seq = 0
    intents: list[OrderIntent] = []
    async with running(fake=fake, max_book_age_ms=50) as (_, venue):
        await fake.push_book(1000, 1010)
        for _ in range(STEPS):
            kind = FAULTS[int(rng.integers(len(FAULTS)))]
            open_cids = sorted(venue.local_open_orders())
            if kind in ("reject", "drop", "ack_lost", "rate_limit", "place"):
                setattr_fault = {"reject": "reject_next", "drop": "drop_next",
                                 "ack_lost": "ack_lost_next",
                                 "rate_limit": "rate_limit_next"}.get(kind)  # fmt: skip
                if setattr_fault:
                    setattr(fake.faults, setattr_fault, 1)
                seq += 1
                side = 1 if rng.random() < 0.5 else -1
                price = (
                    1000 - int(rng.integers(1, 5)) if side > 0 else 1010 + int(rng.integers(1, 5))
                )
                intents.append(OrderIntent(f"s{seed}", seq, side, price, int(rng.integers(1, 5))))
                with contextlib.suppress(TemporaryVenueError):
                    await venue.place(intents[-1])
            elif kind == "retry_same_intent" and intents:
                with contextlib.suppress(TemporaryVenueError):
                    await venue.place(intents[int(rng.integers(len(intents)))])
            elif kind == "cancel" and open_cids:
                await venue.cancel(open_cids[int(rng.integers(len(open_cids)))])
            elif kind == "modify" and open_cids:
                cid = open_cids[int(rng.integers(len(open_cids)))]
                order = venue.local_open_orders()[cid]
                await venue.modify(cid, order.price_ticks - order.side, order.qty_lots + 1)
            elif kind in ("fill", "fill_dup_ooo", "ws_drop_fill") and fake.open_orders():
                target = fake.open_orders()[int(rng.integers(len(fake.open_orders())))]
                leaves = round((float(target["origQty"]) - float(target["executedQty"])) * 1000)
                parts = [1] * min(leaves, int(rng.integers(1, 3)))
                if kind == "fill_dup_ooo":
                    fake.faults.dup_fills = len(parts)
                if kind == "ws_drop_fill":
                    fake.faults.ws_drop_fills = len(parts)
                await fake.fill(target["clientOrderId"], parts, out_of_order=kind == "fill_dup_ooo")
            elif kind == "disconnect":
                await fake.disconnect()
                await asyncio.sleep(0.02)
            elif kind == "stale_book":
                fake.faults.stale_book = True
                await asyncio.sleep(0.06)
                assert (venue.quote_block() or "").startswith(
                    ("E_VENUE_STALE_BOOK", "E_VENUE_DISCONNECTED")
                )
                fake.faults.stale_book = False
            await fake.push_book(1000, 1010)
        await settle()
        await venue.reconcile()
        figures = invariants(fake, venue)
        posts = fake.stats.posts_by_client_id
        figures["reposts"] = sum(posts.values()) - len(posts)
        ids_per_seq = Counter(cid.rsplit("-", 1)[0] for cid in posts)
        figures["intents_under_two_ids"] = sum(1 for n in ids_per_seq.values() if n > 1)
        figures["recon_blocked"] = int((venue.quote_block() or "").startswith("E_RECON"))
    return figures


@pytest.mark.asyncio
async def test_200_seeded_fault_schedules_keep_position_orders_and_fills_consistent() -> None:
    started = time.perf_counter()
    totals: Counter[str] = Counter()
    failures = []
    for seed in range(SCHEDULES):
        fake = FakeBinance()
        await fake.start()
        try:
            figures = await run_schedule(seed, fake)
        finally:
            await fake.stop()
        totals.update(figures)
        if any(figures.values()):
            failures.append((seed, figures))
    elapsed = time.perf_counter() - started
    print(
        f"\nFIGURE schedules={SCHEDULES} steps_each={STEPS} seconds={elapsed:.1f} "
        + " ".join(f"{k}={totals[k]}" for k in sorted(totals))
        + f" failing_seeds={[s for s, _ in failures][:10]}"
    )
    assert failures == []
