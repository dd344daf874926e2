"""The ccxt adapter against the loopback Binance USD-M fake: one test per fault."""

from __future__ import annotations

import asyncio
import io
import logging

import pytest
from tests.loopback import API_KEY, API_SECRET, FakeBinance
from tests.loopback.harness import invariants, make_venue, running, settle

from mmbot.venues.base import OrderIntent, OrderStatus, Rejected, TemporaryVenueError, VenueOrder
from mmbot.venues.recon import LocalState

pytestmark = pytest.mark.asyncio
ZERO = dict.fromkeys(
    ["position_diff_lots", "orphan_orders", "ghost_orders", "unexplained_fills",
     "missed_fills", "double_counted_fills"], 0,
)  # fmt: skip


def intent(seq: int, side: int = 1, price: int = 990, qty: int = 3) -> OrderIntent:
    return OrderIntent("mm1", seq, side, price, qty)


async def test_place_fill_cancel_happy_path_matches_venue() -> None:
    async with running() as (fake, venue):
        await fake.push_book(1000, 1010)
        await settle()
        assert venue.quote_block() is None
        order = await venue.place(intent(1))
        assert isinstance(order, VenueOrder) and order.status is OrderStatus.NEW
        await fake.fill(order.client_id, [1])
        await settle()
        assert venue.journal.position_lots == 1
        done = await venue.cancel(order.client_id)
        assert isinstance(done, VenueOrder) and done.status is OrderStatus.CANCELED
        await venue.reconcile()
        assert invariants(fake, venue) == ZERO


async def test_disconnect_fills_missed_on_ws_are_caught_by_rest_recon() -> None:
    async with running() as (fake, venue):
        order = await venue.place(intent(1))
        assert isinstance(order, VenueOrder)
        fake.faults.ws_drop_fills = 2
        await fake.fill(order.client_id, [1, 1])
        await fake.disconnect()
        await asyncio.sleep(0.2)
        assert venue.stats.reconnects_total == 1
        assert venue.journal.by_source.get("rest") == 2
        # REST trades carry no client id; the fills handed on name the order all the same.
        delivered = [venue._fill_q.get_nowait() for _ in range(venue._fill_q.qsize())]
        assert [f.client_id for f in delivered] == [order.client_id, order.client_id]
        assert venue.quote_block() is not None  # no book yet, but the stream is back:
        assert not venue.quote_block().startswith("E_VENUE_DISCONNECTED")  # type: ignore[union-attr]
        assert invariants(fake, venue) == ZERO


async def test_disconnect_blocks_quoting_until_reconciled() -> None:
    async with running(reconnect_backoff_ms=150) as (fake, venue):
        await fake.push_book(1000, 1010)
        await fake.disconnect()
        await asyncio.sleep(0.05)
        assert (venue.quote_block() or "").startswith("E_VENUE_DISCONNECTED")
        await asyncio.sleep(0.3)
        await fake.push_book(1000, 1010)
        await settle()
        assert venue.quote_block() is None


async def test_rate_limit_429_retry_after_honoured_same_client_id() -> None:
    async with running() as (fake, venue):
        fake.faults.rate_limit_next = 2
        fake.faults.retry_after_s = 0.15
        loop = asyncio.get_running_loop()
        started = loop.time()
        order = await venue.place(intent(1))
        elapsed = loop.time() - started
        assert isinstance(order, VenueOrder)
        assert fake.stats.injected_429s == 2 and venue.stats.rate_limited_total == 2
        assert elapsed >= 0.29  # two Retry-After waits of 0.15 s
        assert fake.stats.posts_by_client_id[order.client_id] == 1  # 429s never reached it
        assert len(fake.stats.posts_by_client_id) == 1


async def test_reject_is_a_value_and_resubmit_returns_it() -> None:
    async with running() as (fake, venue):
        fake.faults.reject_next = 1
        result = await venue.place(intent(1))
        assert isinstance(result, Rejected) and result.code == "E_VENUE_REJECTED"
        assert "-5022" in result.reason or "Post Only" in result.reason
        again = await venue.place(intent(1))
        assert again == result and venue.idem.order_idem_hits_total == 1
        assert sum(fake.stats.posts_by_client_id.values()) == 1


async def test_post_only_crossing_the_book_is_rejected() -> None:
    async with running() as (fake, venue):
        await fake.push_book(1000, 1010)
        result = await venue.place(intent(1, price=1010))
        assert isinstance(result, Rejected) and not fake.open_orders()


async def test_duplicate_and_out_of_order_fills_counted_once() -> None:
    async with running() as (fake, venue):
        order = await venue.place(intent(1, qty=5))
        assert isinstance(order, VenueOrder)
        fake.faults.dup_fills = 3
        await fake.fill(order.client_id, [1, 2, 2], out_of_order=True)
        await settle()
        assert venue.journal.applied_total == 3 and venue.journal.duplicates_total == 3
        assert venue.journal.position_lots == 5
        assert venue.local_open_orders() == {}  # FILLED despite the reversed updates
        await venue.reconcile()
        assert invariants(fake, venue) == ZERO


async def test_stale_book_blocks_quoting() -> None:
    async with running(max_book_age_ms=100) as (fake, venue):
        await fake.push_book(1000, 1010)
        await settle()
        assert venue.quote_block() is None
        fake.faults.stale_book = True
        await fake.push_book(1001, 1011)
        await asyncio.sleep(0.15)
        assert (venue.quote_block() or "").startswith("E_VENUE_STALE_BOOK:")


@pytest.mark.parametrize("fault", ["ack_lost_next", "drop_next"])
async def test_unknown_outcome_resolved_by_client_id_never_reposted(fault: str) -> None:
    async with running() as (fake, venue):
        setattr(fake.faults, fault, 1)
        result = await venue.place(intent(1))
        cid = next(iter(fake.stats.posts_by_client_id))
        if fault == "ack_lost_next":  # accepted, answer lost: found by query
            assert isinstance(result, VenueOrder) and result.client_id == cid
            assert venue.idem.resolved_found_total == 1
        else:  # never processed: fenced and reported as not placed
            assert isinstance(result, Rejected) and result.code == "E_VENUE_NOT_PLACED"
            assert venue.idem.resolved_absent_total == 1
        again = await venue.place(intent(1))  # the caller's retry of the same intent
        assert again == result or (isinstance(again, VenueOrder) and again.client_id == cid)
        reposts = sum(fake.stats.posts_by_client_id.values()) - 1
        print(
            f"\nFIGURE fault={fault} reposts={reposts} idem_hits={venue.idem.order_idem_hits_total}"
        )
        assert reposts == 0 and venue.idem.order_idem_hits_total == 1
        await venue.reconcile()
        assert invariants(fake, venue) == ZERO


async def test_ack_timeout_resolved_by_query() -> None:
    async with running(timeout_ms=150) as (fake, venue):
        fake.faults.ack_lost_next = 1
        fake.faults.ack_delay_s = 0.4
        result = await venue.place(intent(1))
        assert isinstance(result, VenueOrder) and result.status is OrderStatus.NEW
        assert sum(fake.stats.posts_by_client_id.values()) == 1


async def test_dead_man_switch_cancels_orders_when_the_link_is_cut() -> None:
    async with running(dead_man_countdown_ms=300, heartbeat_ms=50) as (fake, venue):
        for seq in (1, 2):
            assert isinstance(await venue.place(intent(seq, price=990 - seq)), VenueOrder)
        await asyncio.sleep(0.4)  # heartbeats keep re-arming: nothing cancelled
        assert len(fake.open_orders()) == 2 and venue.stats.dead_man_arms_total >= 3
        fake.faults.partition = True  # cut the link: requests fail, streams drop
        await asyncio.sleep(0.5)
        print(
            f"\nFIGURE dead_man_cancels={fake.stats.dead_man_cancels} open_after_cut="
            f"{len(fake.open_orders())}"
        )
        assert fake.open_orders() == [] and fake.stats.dead_man_cancels == 2
        fake.faults.partition = False
        await asyncio.sleep(0.3)
        await venue.reconcile()
        assert venue.local_open_orders() == {}
        assert invariants(fake, venue) == ZERO


async def test_weight_budget_soak_stays_under_70_percent_of_the_limit() -> None:
    fake = FakeBinance(weight_limit=120, weight_window_s=1.0)
    await fake.start()
    try:
        async with running(fake=fake) as (_, venue):
            assert venue.budget.limit == 120 and venue.budget.cap == 84
            loop = asyncio.get_running_loop()
            started = loop.time()

            async def worker(k: int) -> None:
                for i in range(6):
                    await venue.place(intent(100 * k + i, price=900 - k))
                    await venue.open_orders()
                    await venue.positions()

            await asyncio.gather(*(worker(k) for k in range(4)))
            elapsed = loop.time() - started
        peak = fake.stats.max_window_weight
        print(
            f"\nFIGURE soak_requests={sum(fake.stats.requests.values())} seconds={elapsed:.1f} "
            f"peak_window_weight={peak} limit=120 peak_pct={100 * peak / 120:.0f} "
            f"venue_429s={fake.stats.limit_429s}"
        )
        assert peak <= 84 and fake.stats.limit_429s == 0
    finally:
        await fake.stop()


async def test_clock_guard_blocks_quoting_beyond_500ms() -> None:
    fake = FakeBinance()
    await fake.start()
    try:
        fake.clock_offset_ms = 800
        async with running(fake=fake) as (_, venue):
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


async def _seed_venue_state(fake: FakeBinance) -> str:
    """Leave a position of 2 lots and one open order at the fake (a previous session)."""
    async with running(fake=fake) as (_, venue):
        first = await venue.place(intent(1, qty=2))
        second = await venue.place(intent(2, price=980))
        assert isinstance(first, VenueOrder) and isinstance(second, VenueOrder)
        await fake.fill(first.client_id, [2])
        return second.client_id


async def test_startup_mismatch_refuses_to_quote_with_recon_code() -> None:
    fake = FakeBinance()
    await fake.start()
    try:
        await _seed_venue_state(fake)
        async with running(fake=fake) as (_, venue):
            await fake.push_book(1000, 1010)
            await settle()
            line = venue.quote_block() or ""
            print(f"\nFIGURE startup_refusal={line}")
            assert line.startswith("E_RECON_POSITION:") and "\n" not in line
            await venue.reconcile()  # a later recon does not lift a startup refusal
            assert (venue.quote_block() or "").startswith("E_RECON_POSITION:")
    finally:
        await fake.stop()


async def test_startup_open_order_mismatch_refuses() -> None:
    fake = FakeBinance()
    await fake.start()
    try:
        open_cid = await _seed_venue_state(fake)
        local = LocalState(position_lots=2)  # right position, but the open order is unknown
        async with running(local, fake=fake) as (_, venue):
            assert (venue.quote_block() or "").startswith("E_RECON_OPEN_ORDERS:")
            assert open_cid in (venue.quote_block() or "")
    finally:
        await fake.stop()


async def test_startup_adopt_takes_the_venue_state() -> None:
    fake = FakeBinance()
    await fake.start()
    try:
        open_cid = await _seed_venue_state(fake)
        async with running(adopt=True, fake=fake) as (_, venue):
            await fake.push_book(1000, 1010)
            await settle()
            assert venue.quote_block() is None
            assert venue.journal.position_lots == 2 and set(venue.local_open_orders()) == {open_cid}
            await fake.fill(open_cid, [1])
            await settle()
            assert venue.journal.position_lots == 3
    finally:
        await fake.stop()


async def test_secret_never_logged_even_at_debug() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        fake = FakeBinance()
        await fake.start()
        venue = make_venue(fake)
        venue.exchange.verbose = False
        await venue.start()
        await venue.place(intent(1))
        fake.faults.rate_limit_next = 1
        fake.faults.retry_after_s = 0.01
        await venue.open_orders()
        await venue.close()
        await fake.stop()
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    text = stream.getvalue()
    assert "fapi/v1/order" in text  # ccxt's debug request lines were captured
    assert API_SECRET not in text and API_KEY not in text
    assert API_SECRET not in repr(venue.exchange.mm_on_headers) and "secret" not in repr(
        venue._redactor
    )


async def test_auth_missing_env_is_one_line_code() -> None:
    from mmbot.venues.base import VenueAuthError
    from mmbot.venues.credentials import Credentials

    with pytest.raises(VenueAuthError) as info:
        Credentials.from_env("binance", {"MM_BINANCE_API_KEY": "k"})
    assert info.value.line() == (
        "E_VENUE_AUTH: env MM_BINANCE_API_SECRET unset; expected API credentials"
    )
    creds = Credentials.from_env("binance", {"MM_BINANCE_API_KEY": "k1",
                                             "MM_BINANCE_API_SECRET": "s3cr3t"})  # fmt: skip
    assert "s3cr3t" not in repr(creds) and "k1" not in repr(creds)


async def test_outcome_unknown_while_venue_unreachable_raises_temporary() -> None:
    async with running() as (fake, venue):
        # The order is accepted, its ack is lost and the link drops in the same instant, so
        # the query by client id cannot reach the venue either.
        fake.faults.ack_lost_next = 1
        fake.faults.partition_on_ack_lost = True
        with pytest.raises(TemporaryVenueError) as info:
            await venue.place(intent(1))
        assert info.value.code == "E_VENUE_OUTCOME_UNKNOWN"
        fake.faults.partition = False
        await asyncio.sleep(0.2)
        result = await venue.place(intent(1))  # the retry resolves, it does not re-post
        assert isinstance(result, VenueOrder)
        assert sum(fake.stats.posts_by_client_id.values()) == 1
