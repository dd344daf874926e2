"""The loopback fakes as a fencing venue: an order posted or amended under an older epoch
(fencing token) than the newest posted is refused; cancels pass; and the idempotency smoke:
the same intent placed, replaced or canceled again is answered from the store and reaches
the venue once."""

from __future__ import annotations

import pytest
from tests.loopback.harness import VENUES, intent, running, settle

from mmbot.engine.orders import SEQS_PER_SESSION
from mmbot.venues.base import Rejected, VenueOrder

pytestmark = [pytest.mark.asyncio, pytest.mark.parametrize("venue", VENUES)]


async def test_fake_refuses_post_and_amend_under_an_older_epoch(venue: str) -> None:
    async with running(venue=venue) as (fake, adapter):
        await fake.push_book(1000, 1010)
        old = await adapter.place(intent(1 * SEQS_PER_SESSION + 1, price=990))
        new = await adapter.place(intent(2 * SEQS_PER_SESSION + 1, price=991))
        stale = await adapter.place(intent(1 * SEQS_PER_SESSION + 2, price=992))
        assert isinstance(old, VenueOrder) and isinstance(new, VenueOrder)
        assert isinstance(stale, Rejected) and "stale fencing token" in stale.reason
        amended = await adapter.modify(old.client_id, 989, 3)
        assert isinstance(amended, Rejected) and "stale fencing token" in amended.reason
        canceled = await adapter.cancel(old.client_id)  # the new leader clears older epochs
        await settle()
        assert isinstance(canceled, VenueOrder) and fake.stats.stale_token_refusals == 2
        assert fake.open_client_ids() == {new.client_id}


async def test_idempotency_same_place_replace_cancel_again_hits_store(venue: str) -> None:
    async with running(venue=venue) as (fake, adapter):
        await fake.push_book(1000, 1010)
        first = await adapter.place(intent(SEQS_PER_SESSION + 7))
        again = [await adapter.place(intent(SEQS_PER_SESSION + 7)) for _ in range(3)]
        assert isinstance(first, VenueOrder)
        assert all(isinstance(a, VenueOrder) and a.client_id == first.client_id for a in again)
        assert adapter.idem.order_idem_hits_total == 3
        assert fake.stats.posts_by_client_id[first.client_id] == 1
        moves = [await adapter.modify(first.client_id, 989, 3) for _ in range(2)]
        cancels = [await adapter.cancel(first.client_id) for _ in range(2)]
        assert moves[0] == moves[1] and cancels[0] == cancels[1]
        assert adapter.idem.order_idem_hits_total == 5
