"""Start and close of the ccxt adapter on both loopback venues, and the bridge over it.

Start: the configured instrument grid against the venue's market, and Bybit's open orders
read to the last page. Close: the dead-man switch disarmed when nothing of ours rests, left
armed otherwise. The bridge: an order whose status query keeps failing stops quoting.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from decimal import Decimal

import pytest
from tests.loopback.bybit_fake import ENDPOINT_LIMITS, FakeBybit
from tests.loopback.harness import (
    INSTRUMENT,
    VENUES,
    intent,
    make_venue,
    new_fake,
    running,
    settle,
    until,
)

from mmbot.core.errors import ConfigError
from mmbot.core.events import OrderEventKind
from mmbot.venues.base import Rejected, TemporaryVenueError, VenueOrder
from mmbot.venues.bridge import BridgeConfig, LiveBridge
from mmbot.venues.ccxt import CcxtVenue
from mmbot.venues.recon import LocalState, ReconRefusedError

pytestmark = pytest.mark.asyncio
DEAD_MAN_MS = {"binance": 2000, "bybit": 3000}  # Bybit's DCP window is 3 s at least


@pytest.mark.parametrize("venue", VENUES)
@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("match", ""),
        ("tick_size", " tick_size config=0.5 venue=0.1;"),
        ("lot_size", " lot_size config=0.01 venue=0.001;"),
        ("min_qty", " min_qty venue=0.005 expected<=lot_size=0.001;"),
    ],
)
async def test_start_checks_instrument_grid_against_venue_market(
    venue: str, case: str, expected: str
) -> None:
    instrument = INSTRUMENT
    if case == "tick_size":
        instrument = dataclasses.replace(INSTRUMENT, tick_size=Decimal("0.5"))
    if case == "lot_size":
        instrument = dataclasses.replace(INSTRUMENT, lot_size=Decimal("0.01"))
    async with new_fake(venue) as fake:
        if case == "min_qty":
            fake.min_qty = Decimal("0.005")
        adapter = make_venue(fake, venue=venue, instrument=instrument, dead_man_countdown_ms=3000)
        try:
            if not expected:
                assert (await adapter.start()).ok
                assert adapter.stats.dead_man_arms_total == 1
                return
            with pytest.raises(ConfigError) as info:
                await adapter.start()
        finally:
            await adapter.close()
    line = info.value.line()
    print(f"\nFIGURE {venue} instrument_refusal={line}")
    assert line.startswith("E_RECON_INSTRUMENT: symbol=BTCUSDT" + expected), line
    assert info.value.exit_code == 2 and "\n" not in line
    assert adapter.stats.dead_man_arms_total == 0 and not fake.dead_man_armed  # refused first


@pytest.mark.parametrize("venue", VENUES)
async def test_clean_close_disarms_dead_man_so_a_later_cut_cancels_nothing(venue: str) -> None:
    countdown_ms = DEAD_MAN_MS[venue]
    async with new_fake(venue) as fake:
        async with running(fake=fake, venue=venue, dead_man_countdown_ms=countdown_ms,
                           heartbeat_ms=100) as (_, armed):  # fmt: skip
            order = await armed.place(intent(1))
            assert isinstance(order, VenueOrder) and fake.dead_man_armed
            await armed.cancel(order.client_id)  # nothing of ours rests: a clean close
        assert not fake.dead_man_armed
        # A later session without the switch (or a person) leaves an order resting.
        async with running(fake=fake, venue=venue) as (_, later):
            assert isinstance(await later.place(intent(2)), VenueOrder)
        fake.faults.partition = True  # the link is cut for longer than the switch's window
        await asyncio.sleep(countdown_ms / 1000 + 0.5)
        print(f"\nFIGURE {venue} open_after_cut={len(fake.open_orders())} "
              f"dead_man_cancels={fake.stats.dead_man_cancels}")  # fmt: skip
        assert len(fake.open_orders()) == 1 and fake.stats.dead_man_cancels == 0


async def test_close_with_an_order_still_open_leaves_the_dead_man_armed() -> None:
    async with new_fake("binance") as fake:
        async with running(fake=fake, dead_man_countdown_ms=300, heartbeat_ms=50) as (_, venue):
            assert isinstance(await venue.place(intent(1)), VenueOrder)
        assert fake.dead_man_armed and len(fake.open_orders()) == 1  # the switch is its net
        fake.faults.partition = True
        await until(lambda: not fake.open_orders())
        assert fake.stats.dead_man_cancels == 1


async def test_clean_close_beside_another_sessions_order_leaves_the_dead_man_armed() -> None:
    async with new_fake("binance") as fake:
        closing = make_venue(fake, dead_man_countdown_ms=60_000)
        await closing.start()  # flat and order-less: a clean start
        async with running(fake=fake, dead_man_countdown_ms=60_000) as (_, other):
            foreign = await other.place(intent(7))  # the other session's order, not ours
            assert isinstance(foreign, VenueOrder) and fake.dead_man_armed
            assert not closing.local_open_orders()  # this session placed nothing
            await closing.close()
            assert fake.dead_man_armed, "disarmed over another session's resting order"
            assert fake.open_client_ids() == {foreign.client_id}
            assert fake.stats.requests["POST countdownCancelAll"] == 2  # the two arms, no 0
            await other.cancel(foreign.client_id)
        assert not fake.dead_man_armed  # the other's close was clean: nothing rests


@pytest.mark.parametrize("venue", VENUES)
async def test_close_leaves_the_dead_man_armed_when_open_orders_cannot_be_read(venue: str) -> None:
    async with new_fake(venue) as fake:
        async with running(fake=fake, venue=venue, dead_man_countdown_ms=DEAD_MAN_MS[venue]):
            fake.faults.fail_open_orders = True  # nothing of ours rests, but who knows
        assert fake.dead_man_armed


async def test_bybit_startup_reconciliation_reads_every_page_of_open_orders() -> None:
    fast_create = FakeBybit(endpoint_limits={**ENDPOINT_LIMITS, "order/create": 1000})
    async with fast_create as fake:
        async with running(fake=fake, venue="bybit") as (_, previous):
            placed = [await previous.place(intent(seq)) for seq in range(1, 61)]
        cids = frozenset(o.client_id for o in placed if isinstance(o, VenueOrder))
        assert len(cids) == 60 and fake.open_client_ids() == cids
        pages_before = fake.stats.requests["GET order/realtime"]
        local = LocalState(open_client_ids=cids)  # we know all 60, the venue pages them by 50
        async with running(local, fake=fake, venue="bybit") as (_, venue):
            pages = fake.stats.requests["GET order/realtime"] - pages_before
            await fake.push_book(1000, 1010)
            await settle()
            assert venue.quote_block() is None  # no E_RECON_OPEN_ORDERS: every page was read
            assert set(venue.local_open_orders()) == cids
    assert pages == 2


@pytest.mark.parametrize("venue", VENUES)
async def test_bridge_stops_quoting_when_the_order_status_query_keeps_failing(
    venue: str,
) -> None:
    limit_s = 0.3
    async with new_fake(venue) as fake:
        config = BridgeConfig(max_unknown_outcome_s=limit_s)
        bridge = LiveBridge(lambda: make_venue(fake, venue=venue), "mm-test", 0.1, 0.001,
                            config=config)  # fmt: skip
        await bridge.start()
        try:
            await fake.push_book(1000, 1010)
            fake.faults.ack_lost_next = 1  # the order rests, its answer is lost...
            fake.faults.fail_queries = True  # ...and every query about it fails
            bridge.place(1, 990, 3, 1)
            await until(lambda: bool(fake.stats.posts_by_client_id))
            posted_ns = time.time_ns()
            await until(lambda: not bridge.run_until(time.time_ns()) or
                        bridge.quote_block() is not None)  # fmt: skip
            stopped_ns = time.time_ns()
            line = bridge.quote_block() or ""
            print(f"\nFIGURE {venue} outcome_stop_after_s={(stopped_ns - posted_ns) / 1e9:.2f} "
                  f"line={line}")  # fmt: skip
            assert line.startswith("E_VENUE_OUTCOME_TIMEOUT: client_id=mmtest-1-"), line
            assert stopped_ns - posted_ns > limit_s * 1e9
            assert bridge.market_view(stopped_ns).best_bid_lots == 0  # nothing is decided
            fake.faults.fail_queries = False  # the asking went on: the answer still arrives
            reports = []
            async with asyncio.timeout(10):  # a guard against a hang, never reached passing
                while OrderEventKind.ACCEPTED not in [r.kind for r in reports]:
                    assert bridge.run_until(time.time_ns())
                    reports += bridge.reports()
                    await asyncio.sleep(0.01)
            assert [(r.kind, r.order_id) for r in reports] == [
                (OrderEventKind.UNKNOWN_OUTCOME, 1),  # told once, however often it was asked
                (OrderEventKind.ACCEPTED, 1),
            ]
            assert bridge.quote_block() == line  # latched, as the kill switch is
            assert bridge.summary()["latched_stop"] == line
        finally:
            await bridge.close()
        assert sum(fake.stats.posts_by_client_id.values()) == 1  # never posted again
        assert fake.open_orders() == []  # close canceled what rested


@pytest.mark.parametrize("venue", VENUES)
@pytest.mark.parametrize("adopt", [False, True], ids=["refused", "adopted"])
async def test_bridge_adopting_start_cancels_the_orders_an_earlier_session_left(
    venue: str, adopt: bool
) -> None:
    async with new_fake(venue) as fake:
        async with running(fake=fake, venue=venue) as (_, earlier):  # closes without cancel
            assert isinstance(await earlier.place(intent(1)), VenueOrder)
        assert len(fake.open_orders()) == 1
        bridge = LiveBridge(lambda: make_venue(fake, venue=venue), "mm-test", 0.1, 0.001,
                            config=BridgeConfig(adopt=adopt))  # fmt: skip
        try:
            if not adopt:  # refused: the start raises, the order is left alone
                with pytest.raises(ReconRefusedError) as info:
                    await bridge.start()
                line = info.value.line()
                assert line.startswith("E_RECON_OPEN_ORDERS: symbol=BTCUSDT found open_orders "
                                       "venue_only=mm1-1-"), line  # fmt: skip
                return
            await bridge.start()
            await fake.push_book(1000, 1010)

            def quoting() -> bool:  # adopted and its orders canceled, not still starting
                return bridge.run_until(time.time_ns()) and bridge.quote_block() is None

            await until(quoting)
            assert fake.open_orders() == [] and bridge.summary()["adopt_cancels"] == 1
        finally:
            await bridge.close()
            if not adopt:  # the close after a refusal cancels nothing either
                assert len(fake.open_orders()) == 1
                assert bridge.summary()["close_cancels"] == bridge.summary()["adopt_cancels"] == 0


async def test_bridge_adopted_order_that_cannot_be_cancelled_stops_quoting() -> None:
    async with new_fake("binance") as fake:
        async with running(fake=fake) as (_, earlier):
            left = await earlier.place(intent(1))
        assert isinstance(left, VenueOrder)

        def venue_refusing_one_cancel() -> CcxtVenue:
            venue = make_venue(fake)
            cancel = venue.cancel
            refusals = [TemporaryVenueError("E_VENUE_TEMPORARY", "HTTP 503")]

            async def flaky_cancel(client_id: str) -> VenueOrder | Rejected:
                if refusals:
                    raise refusals.pop()
                return await cancel(client_id)

            venue.cancel = flaky_cancel  # type: ignore[method-assign]
            return venue

        bridge = LiveBridge(venue_refusing_one_cancel, "mm-test", 0.1, 0.001,
                            config=BridgeConfig(adopt=True))  # fmt: skip
        await bridge.start()
        try:
            expected = (
                f"E_RECON_OPEN_ORDERS: adopted client_ids={left.client_id} still resting after "
                "cancel expected none; quoting stopped for the run (cancel them at the venue)"
            )
            assert bridge.quote_block() == expected
            assert bridge.summary()["latched_stop"] == expected
            assert len(fake.open_orders()) == 1
        finally:
            await bridge.close()
        assert fake.open_orders() == []  # close cancels it: the venue answers again
