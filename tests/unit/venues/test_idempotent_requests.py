"""Replace and cancel are idempotent at the adapter: the same request again while it is in
flight, or within the idempotency window after an answer that took effect, is answered from
the store (order_idem_hits_total) and reaches the venue once (the fake counts the requests
it received); one that did not take, or one past the window, goes out again."""

from __future__ import annotations

import asyncio

import pytest
from tests.loopback.harness import VENUES, Fake, intent, running, settle

from mmbot.engine.orders import SEQS_PER_SESSION
from mmbot.venues.base import OrderStatus, Rejected, VenueOrder

pytestmark = [pytest.mark.asyncio, pytest.mark.parametrize("venue", VENUES)]

# The fake's request counter keys of a modify and of a cancel, per venue.
_MODIFY = {"binance": "PUT order", "bybit": "POST order/amend"}
_CANCEL = {"binance": "DELETE order", "bybit": "POST order/cancel"}


def _sent(fake: Fake, keys: dict[str, str]) -> int:
    return fake.stats.requests[keys[fake.venue]]


async def test_same_modify_again_in_flight_and_after_answer_reaches_venue_once(
    venue: str,
) -> None:
    async with running(venue=venue) as (fake, adapter):
        await fake.push_book(1000, 1010)
        placed = await adapter.place(intent(7))
        assert isinstance(placed, VenueOrder)
        hits = adapter.idem.order_idem_hits_total
        together = await asyncio.gather(*(adapter.modify(placed.client_id, 989, 3)
                                          for _ in range(3)))  # fmt: skip
        later = await adapter.modify(placed.client_id, 989, 3)
        assert all(isinstance(a, VenueOrder) and a.price_ticks == 989 for a in together)
        assert later == together[0]
        assert _sent(fake, _MODIFY) == 1
        assert adapter.idem.order_idem_hits_total == hits + 3
        moved_back = await adapter.modify(placed.client_id, 990, 3)  # another request: sent
        assert isinstance(moved_back, VenueOrder) and _sent(fake, _MODIFY) == 2


async def test_same_cancel_again_reaches_venue_once(venue: str) -> None:
    async with running(venue=venue) as (fake, adapter):
        await fake.push_book(1000, 1010)
        placed = await adapter.place(intent(8))
        assert isinstance(placed, VenueOrder)
        first, second = await asyncio.gather(adapter.cancel(placed.client_id),
                                             adapter.cancel(placed.client_id))  # fmt: skip
        third = await adapter.cancel(placed.client_id)
        await settle()
        assert isinstance(first, VenueOrder) and first.status is OrderStatus.CANCELED
        assert second == first and third == first
        assert _sent(fake, _CANCEL) == 1 and adapter.idem.order_idem_hits_total == 2


async def test_repeat_past_the_window_or_after_a_refusal_goes_out_again(venue: str) -> None:
    async with running(venue=venue, idem_window_ms=0) as (fake, adapter):
        await fake.push_book(1000, 1010)
        placed = await adapter.place(intent(9))
        assert isinstance(placed, VenueOrder)
        await adapter.modify(placed.client_id, 989, 3)
        await asyncio.sleep(0.01)
        await adapter.modify(placed.client_id, 989, 3)
        assert _sent(fake, _MODIFY) == 2 and adapter.idem.order_idem_hits_total == 0
    async with running(venue=venue) as (fake, adapter):
        await fake.push_book(1000, 1010)
        placed = await adapter.place(intent(SEQS_PER_SESSION + 1))
        assert isinstance(await adapter.place(intent(2 * SEQS_PER_SESSION + 1)), VenueOrder)
        refused = [await adapter.modify(placed.client_id, 989, 3) for _ in range(2)]
        assert all(isinstance(a, Rejected) for a in refused)  # an older epoch: stale token
        assert _sent(fake, _MODIFY) == 2 and adapter.idem.order_idem_hits_total == 0
