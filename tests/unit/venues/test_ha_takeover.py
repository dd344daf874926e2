"""An HA standby's adapter on the loopback Binance fake (docs/HA.md, "On a venue"): it starts
without touching the leader's orders or the dead-man switch, and take_over cancels exactly
the open orders of its tag under older epochs (read from the venue, not known to it),
reconciles and arms the switch; an order of another tag is left and blocks quoting. While
standing by, its reconciliations pass over the leader's orders."""

from __future__ import annotations

import pytest
from tests.loopback import FakeBinance
from tests.loopback.harness import intent, make_venue, running, settle

from mmbot.engine.orders import SEQS_PER_SESSION
from mmbot.venues.base import OrderIntent, VenueOrder
from mmbot.venues.idempotency import epoch_of

pytestmark = pytest.mark.asyncio
COUNTDOWN_MS = 60_000


async def test_standby_leaves_leader_alone_take_over_cancels_older_epochs_then_arms() -> None:
    async with FakeBinance() as fake, running(fake=fake) as (_, leader):
        await fake.push_book(1000, 1010)
        ours = [await leader.place(intent(SEQS_PER_SESSION + n, price=990 - n)) for n in (1, 2)]
        other = await leader.place(OrderIntent("other", SEQS_PER_SESSION + 3, -1, 1020, 1))
        assert all(isinstance(o, VenueOrder) for o in [*ours, other])
        standby = make_venue(fake, dead_man_countdown_ms=COUNTDOWN_MS)
        try:
            await standby.start_standby()
            await settle()
            assert standby.local_open_orders() == {} and len(fake.open_orders()) == 3
            assert ("countdown", str(COUNTDOWN_MS)) not in fake.stats.order_history
            assert (await standby.reconcile()).ok  # the leader's orders are not its own
            canceled = await standby.take_over(2, "mm1")
            assert canceled == 2
            assert {epoch_of(cid, "mm1") for cid in fake.open_client_ids()} == {None}
            assert fake.stats.order_history[-1] == ("countdown", str(COUNTDOWN_MS))
            assert (standby.quote_block() or "").startswith("E_RECON_OPEN_ORDERS")  # "other"
        finally:
            await standby.close()
