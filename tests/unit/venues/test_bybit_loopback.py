"""The ccxt adapter in its Bybit v5 linear dialect against the loopback Bybit fake."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from tests.loopback.bybit_fake import API_KEY, API_SECRET, FakeBybit
from tests.loopback.harness import invariants, make_venue, running, settle

from mmbot.venues.base import OrderIntent, OrderStatus, Rejected, TemporaryVenueError, VenueOrder
from mmbot.venues.bybit_ccxt import retry_after_s
from mmbot.venues.credentials import Credentials
from mmbot.venues.recon import LocalState

ZERO = dict.fromkeys(
    ["position_diff_lots", "orphan_orders", "ghost_orders", "unexplained_fills",
     "missed_fills", "double_counted_fills"], 0,
)  # fmt: skip


def intent(seq: int, side: int = 1, price: int = 990, qty: int = 3) -> OrderIntent:
    return OrderIntent("mm1", seq, side, price, qty)


@asynccontextmanager
async def bybit(fake: FakeBybit | None = None, **kw: Any) -> AsyncIterator[tuple[FakeBybit, Any]]:
    async with running(fake=fake, venue="bybit", **kw) as (f, venue):
        yield f, venue


@pytest.mark.asyncio
async def test_place_fill_cancel_happy_path_matches_venue() -> None:
    async with bybit() as (fake, venue):
        await fake.push_book(1000, 1010)
        await settle()
        assert venue.quote_block() is None
        order = await venue.place(intent(1))
        assert isinstance(order, VenueOrder) and order.status is OrderStatus.NEW
        await fake.fill(order.client_id, [1])
        await settle()
        assert venue.journal.position_lots == 1 and venue.journal.by_source == {"ws": 1}
        done = await venue.cancel(order.client_id)
        assert isinstance(done, VenueOrder) and done.status is OrderStatus.CANCELED
        assert done.filled_lots == 1
        moved = await venue.place(intent(2))
        assert isinstance(moved, VenueOrder)
        amended = await venue.modify(moved.client_id, 985, 4)
        assert isinstance(amended, VenueOrder) and (amended.price_ticks, amended.qty_lots) == (
            985, 4,
        )  # fmt: skip
        assert [b.asset for b in await venue.balances()] == ["USDT"]
        assert [p.qty_lots for p in await venue.positions()] == [1]
        await venue.reconcile()
        assert invariants(fake, venue) == ZERO and fake.stats.bad_signatures == 0


@pytest.mark.asyncio
async def test_disconnect_fills_missed_on_ws_are_caught_by_rest_recon() -> None:
    async with bybit() as (fake, venue):
        order = await venue.place(intent(1))
        assert isinstance(order, VenueOrder)
        fake.faults.ws_drop_fills = 2
        await fake.fill(order.client_id, [1, 1])
        await fake.disconnect()
        await asyncio.sleep(0.2)
        assert venue.stats.reconnects_total == 1
        assert venue.journal.by_source.get("rest") == 2
        assert not (venue.quote_block() or "").startswith("E_VENUE_DISCONNECTED")
        assert invariants(fake, venue) == ZERO


@pytest.mark.asyncio
async def test_disconnect_blocks_quoting_until_reconciled() -> None:
    async with bybit(reconnect_backoff_ms=150) as (fake, venue):
        await fake.push_book(1000, 1010)
        await fake.disconnect()
        await asyncio.sleep(0.05)
        assert (venue.quote_block() or "").startswith("E_VENUE_DISCONNECTED")
        await asyncio.sleep(0.3)
        await fake.push_book(1000, 1010)
        await settle()
        assert venue.quote_block() is None


@pytest.mark.asyncio
async def test_rate_limit_10006_reset_timestamp_honoured_same_client_id() -> None:
    async with bybit() as (fake, venue):
        fake.faults.rate_limit_next = 2
        fake.faults.retry_after_s = 0.15
        loop = asyncio.get_running_loop()
        started = loop.time()
        order = await venue.place(intent(1))
        elapsed = loop.time() - started
        assert isinstance(order, VenueOrder)
        assert fake.stats.injected_429s == 2 and venue.stats.rate_limited_total == 2
        assert elapsed >= 0.28  # two waits until X-Bapi-Limit-Reset-Timestamp (0.15 s each)
        assert fake.stats.posts_by_client_id[order.client_id] == 1
        assert len(fake.stats.posts_by_client_id) == 1


def test_retry_after_prefers_header_then_reset_minus_venue_time() -> None:
    assert retry_after_s({"Retry-After": "2"}) == 2.0
    assert retry_after_s({"X-Bapi-Limit-Reset-Timestamp": "1500", "Timenow": "1000"}) == 0.5
    assert retry_after_s({}) == 1.0


@pytest.mark.asyncio
async def test_reject_is_a_value_and_resubmit_returns_it() -> None:
    async with bybit() as (fake, venue):
        fake.faults.reject_next = 1
        result = await venue.place(intent(1))
        assert isinstance(result, Rejected) and result.code == "E_VENUE_REJECTED"
        assert "110007" in result.reason
        again = await venue.place(intent(1))
        assert again == result and venue.idem.order_idem_hits_total == 1
        assert sum(fake.stats.posts_by_client_id.values()) == 1


@pytest.mark.asyncio
async def test_post_only_crossing_is_cancelled_by_the_venue() -> None:
    async with bybit() as (fake, venue):
        await fake.push_book(1000, 1010)
        result = await venue.place(intent(1, price=1010))
        await settle()
        assert isinstance(result, VenueOrder) and not fake.open_orders()
        assert venue.local_open_orders() == {}  # the order stream said Cancelled
        await venue.reconcile()
        assert invariants(fake, venue) == ZERO


@pytest.mark.asyncio
async def test_duplicate_and_out_of_order_fills_counted_once() -> None:
    async with bybit() as (fake, venue):
        order = await venue.place(intent(1, qty=5))
        assert isinstance(order, VenueOrder)
        fake.faults.dup_fills = 3
        await fake.fill(order.client_id, [1, 2, 2], out_of_order=True)
        await settle()
        assert venue.journal.applied_total == 3 and venue.journal.duplicates_total == 3
        assert venue.journal.position_lots == 5
        assert venue.local_open_orders() == {}  # Filled despite the reversed updates
        await venue.reconcile()
        assert invariants(fake, venue) == ZERO


@pytest.mark.asyncio
async def test_stale_book_blocks_quoting() -> None:
    async with bybit(max_book_age_ms=100) as (fake, venue):
        await fake.push_book(1000, 1010)
        await settle()
        assert venue.quote_block() is None
        fake.faults.stale_book = True
        await fake.push_book(1001, 1011)
        await asyncio.sleep(0.15)
        assert (venue.quote_block() or "").startswith("E_VENUE_STALE_BOOK:")


@pytest.mark.parametrize("fault", ["ack_lost_next", "drop_next"])
@pytest.mark.asyncio
async def test_unknown_outcome_resolved_by_client_id_never_reposted(fault: str) -> None:
    async with bybit() as (fake, venue):
        setattr(fake.faults, fault, 1)
        result = await venue.place(intent(1))
        cid = next(iter(fake.stats.posts_by_client_id))
        if fault == "ack_lost_next":
            assert isinstance(result, VenueOrder) and result.client_id == cid
            assert venue.idem.resolved_found_total == 1
        else:
            assert isinstance(result, Rejected) and result.code == "E_VENUE_NOT_PLACED"
            assert venue.idem.resolved_absent_total == 1
        again = await venue.place(intent(1))
        assert again == result or (isinstance(again, VenueOrder) and again.client_id == cid)
        reposts = sum(fake.stats.posts_by_client_id.values()) - 1
        print(f"\nFIGURE bybit fault={fault} reposts={reposts} "
              f"idem_hits={venue.idem.order_idem_hits_total}")  # fmt: skip
        assert reposts == 0 and venue.idem.order_idem_hits_total == 1
        await venue.reconcile()
        assert invariants(fake, venue) == ZERO


@pytest.mark.asyncio
async def test_ack_timeout_resolved_by_query() -> None:
    async with bybit(timeout_ms=150) as (fake, venue):
        fake.faults.ack_lost_next = 1
        fake.faults.ack_delay_s = 0.4
        result = await venue.place(intent(1))
        assert isinstance(result, VenueOrder) and result.status is OrderStatus.NEW
        assert sum(fake.stats.posts_by_client_id.values()) == 1


@pytest.mark.asyncio
async def test_outcome_unknown_while_venue_unreachable_raises_temporary() -> None:
    async with bybit() as (fake, venue):
        fake.faults.ack_lost_next = 1

        async def cut_after_post() -> None:
            while not fake.stats.posts_by_client_id:
                await asyncio.sleep(0.001)
            fake.faults.partition = True

        cutter = asyncio.create_task(cut_after_post())
        with pytest.raises(TemporaryVenueError) as info:
            await venue.place(intent(1))
        await cutter
        assert info.value.code == "E_VENUE_OUTCOME_UNKNOWN"
        fake.faults.partition = False
        await asyncio.sleep(0.2)
        assert isinstance(await venue.place(intent(1)), VenueOrder)
        assert sum(fake.stats.posts_by_client_id.values()) == 1


@pytest.mark.asyncio
async def test_dcp_dead_man_cancels_orders_when_the_link_is_cut() -> None:
    async with bybit(dead_man_countdown_ms=3000, heartbeat_ms=200) as (fake, venue):
        assert fake.dcp_window_s == 3 and venue.stats.dead_man_arms_total == 1
        for seq in (1, 2):
            assert isinstance(await venue.place(intent(seq, price=990 - seq)), VenueOrder)
        await fake.disconnect()  # a short drop inside the window cancels nothing
        await asyncio.sleep(0.3)
        assert len(fake.open_orders()) == 2 and fake.stats.dead_man_cancels == 0
        fake.faults.partition = True  # cut the link: requests fail, streams drop
        loop = asyncio.get_running_loop()
        cut = loop.time()
        while fake.open_orders() and loop.time() - cut < 5:
            await asyncio.sleep(0.05)
        print(f"\nFIGURE bybit dcp_cancels={fake.stats.dead_man_cancels} open_after_cut="
              f"{len(fake.open_orders())} seconds_to_cancel={loop.time() - cut:.1f}")  # fmt: skip
        assert fake.open_orders() == [] and fake.stats.dead_man_cancels == 2
        fake.faults.partition = False
        await asyncio.sleep(0.3)
        await venue.reconcile()
        assert venue.local_open_orders() == {}
        assert invariants(fake, venue) == ZERO


@pytest.mark.asyncio
async def test_rate_limit_soak_stays_under_70_percent_of_ip_and_endpoint_limits() -> None:
    fake = FakeBybit(ip_limit=120, ip_window_s=1.0)
    await fake.start()
    try:
        async with bybit(fake=fake, weight_limit=120, weight_window_s=1.0) as (_, venue):
            assert venue.budget.cap == 84
            assert venue.endpoint_budgets["privatePostV5OrderCreate"].cap == 7
            loop = asyncio.get_running_loop()
            started = loop.time()

            async def worker(k: int) -> None:
                for i in range(5):
                    await venue.place(intent(100 * k + i, price=900 - k))
                    await venue.open_orders()
                    await venue.positions()

            await asyncio.gather(*(worker(k) for k in range(4)))
            elapsed = loop.time() - started
        peak, create_peak = fake.stats.max_window_weight, fake.endpoint_peak["order/create"]
        print(
            f"\nFIGURE bybit soak_requests={sum(fake.stats.requests.values())} "
            f"seconds={elapsed:.1f} peak_ip_window={peak} ip_limit=120 "
            f"peak_ip_pct={100 * peak / 120:.0f} peak_create_per_s={create_peak} "
            f"create_limit=10 venue_limit_hits={fake.stats.limit_429s}"
        )
        assert peak <= 84 and create_peak <= 7 and fake.stats.limit_429s == 0
    finally:
        await fake.stop()


@pytest.mark.asyncio
async def test_clock_guard_blocks_quoting_beyond_500ms() -> None:
    fake = FakeBybit()
    await fake.start()
    try:
        fake.clock_offset_ms = 800
        async with bybit(fake=fake) as (_, venue):
            await fake.push_book(1000, 1010)
            await settle()
            assert (venue.quote_block() or "").startswith("E_VENUE_CLOCK_SKEW:")
            fake.clock_offset_ms = 100
            await venue.sync_clock()
            await fake.push_book(1000, 1010)
            await settle()
            assert venue.quote_block() is None
    finally:
        await fake.stop()


async def _seed_venue_state(fake: FakeBybit) -> str:
    """Leave a position of 2 lots and one open order at the fake (a previous session)."""
    async with bybit(fake=fake) as (_, venue):
        first = await venue.place(intent(1, qty=2))
        second = await venue.place(intent(2, price=980))
        assert isinstance(first, VenueOrder) and isinstance(second, VenueOrder)
        await fake.fill(first.client_id, [2])
        return second.client_id


@pytest.mark.parametrize("case", ["position", "open_orders", "adopt"])
@pytest.mark.asyncio
async def test_startup_reconciliation(case: str) -> None:
    fake = FakeBybit()
    await fake.start()
    try:
        open_cid = await _seed_venue_state(fake)
        local = LocalState(position_lots=2) if case == "open_orders" else None
        async with bybit(fake=fake, local=local, adopt=case == "adopt") as (_, venue):
            await fake.push_book(1000, 1010)
            await settle()
            line = venue.quote_block() or ""
            if case == "position":
                assert line.startswith("E_RECON_POSITION:") and "\n" not in line
                await venue.reconcile()
                assert (venue.quote_block() or "").startswith("E_RECON_POSITION:")
            elif case == "open_orders":
                assert line.startswith("E_RECON_OPEN_ORDERS:") and open_cid in line
            else:
                assert line == "" and venue.journal.position_lots == 2
                assert set(venue.local_open_orders()) == {open_cid}
                await fake.fill(open_cid, [1])
                await settle()
                assert venue.journal.position_lots == 3
    finally:
        await fake.stop()


@pytest.mark.asyncio
async def test_secret_never_logged_even_at_debug_and_bad_key_is_auth_error() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    fake = FakeBybit()
    await fake.start()
    try:
        venue = make_venue(fake)
        await venue.start()
        await venue.place(intent(1))
        fake.faults.rate_limit_next = 1
        fake.faults.retry_after_s = 0.01
        await venue.open_orders()
        await venue.close()
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    try:
        text = stream.getvalue()
        assert "v5/order/create" in text  # ccxt's debug request lines were captured
        assert API_SECRET not in text and API_KEY not in text
        creds = Credentials.from_env("bybit", {"MM_BYBIT_API_KEY": "k1",
                                               "MM_BYBIT_API_SECRET": "s3cr3t"})  # fmt: skip
        assert "s3cr3t" not in repr(creds)
        from mmbot.venues.base import VenueAuthError
        from mmbot.venues.ccxt_venue import CcxtVenue

        wrong = CcxtVenue(make_venue(fake).config, Credentials(API_KEY, "wrong-secret"))
        with pytest.raises(VenueAuthError):
            await wrong.balances()
        await wrong.close()
        assert fake.stats.bad_signatures == 1
    finally:
        await fake.stop()
