"""The ccxt adapter against both loopback fakes: one test per fault, each run on every venue.

Both fakes take the same controls (`tests.loopback.server`), so each scenario is written once.
Where the venues answer the same scenario in their own way the difference is a row of
`EXPECT`; what only Bybit has is in test_bybit_loopback.py.
"""

from __future__ import annotations

import asyncio
import copy
import io
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from tests.loopback.harness import (
    VENUES,
    ZERO,
    intent,
    invariants,
    make_venue,
    new_fake,
    running,
    settle,
)

from mmbot.venues.base import (
    OrderStatus,
    Rejected,
    TemporaryVenueError,
    VenueAuthError,
    VenueOrder,
)
from mmbot.venues.ccxt import CcxtVenue
from mmbot.venues.credentials import Credentials
from mmbot.venues.recon import LocalState, ReconRefusedError

pytestmark = [pytest.mark.asyncio, pytest.mark.parametrize("venue", VENUES)]


@dataclass(frozen=True, slots=True)
class Expect:
    """How one venue answers the shared scenarios where the venues differ."""

    reject_code: str  # in the reason of a post the venue refuses (reject_next)
    post_only_cross: type[Rejected | VenueOrder]  # Bybit accepts it, then cancels it
    rate_limit_wait_s: float  # two 0.15 s waits, as the venue's headers round them
    dead_man_ms: int  # the switch's window (Bybit's DCP takes 3 s at least)
    heartbeat_ms: int
    rearms_dead_man: bool  # Binance re-arms its countdown every heartbeat; Bybit sets DCP once
    soak_rounds: int  # per worker (Bybit's create limit is 10/s: fewer rounds, same time)
    soak_config: dict[str, Any]  # Bybit publishes no IP limit: the adapter is told it
    order_post_path: str  # in ccxt's debug line of an order post


EXPECT = {
    "binance": Expect(
        reject_code="-5022", post_only_cross=Rejected, rate_limit_wait_s=0.29,
        dead_man_ms=300, heartbeat_ms=50, rearms_dead_man=True,
        soak_rounds=6, soak_config={}, order_post_path="fapi/v1/order",
    ),
    "bybit": Expect(
        reject_code="110007", post_only_cross=VenueOrder, rate_limit_wait_s=0.28,
        dead_man_ms=3000, heartbeat_ms=200, rearms_dead_man=False,
        soak_rounds=5, soak_config={"weight_limit": 120, "weight_window_s": 1.0},
        order_post_path="v5/order/create",
    ),
}  # fmt: skip


async def test_place_fill_cancel_happy_path_matches_venue(venue: str) -> None:
    async with running(venue=venue) as (fake, adapter):
        await fake.push_book(1000, 1010)
        await settle()
        assert adapter.quote_block() is None
        order = await adapter.place(intent(1))
        assert isinstance(order, VenueOrder) and order.status is OrderStatus.NEW
        await fake.fill(order.client_id, [1])
        await settle()
        assert adapter.journal.position_lots == 1 and adapter.journal.by_source == {"ws": 1}
        done = await adapter.cancel(order.client_id)
        assert isinstance(done, VenueOrder) and done.status is OrderStatus.CANCELED
        assert done.filled_lots == 1
        moved = await adapter.place(intent(2))
        assert isinstance(moved, VenueOrder)
        amended = await adapter.modify(moved.client_id, 985, 4)
        assert isinstance(amended, VenueOrder)
        assert (amended.price_ticks, amended.qty_lots) == (985, 4)
        assert [b.asset for b in await adapter.balances()] == ["USDT"]
        assert [p.qty_lots for p in await adapter.positions()] == [1]
        await adapter.reconcile()
        assert invariants(fake, adapter) == ZERO and fake.stats.bad_signatures == 0


async def _eventually(condition: Callable[[], bool], timeout_s: float = 5.0) -> None:
    """Return once condition holds, polling every 10 ms; give up after timeout_s."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not condition() and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.01)


async def test_disconnect_fills_missed_on_ws_are_caught_by_rest_recon(venue: str) -> None:
    async with running(venue=venue) as (fake, adapter):
        order = await adapter.place(intent(1))
        assert isinstance(order, VenueOrder)
        fake.faults.ws_drop_fills = 2
        await fake.fill(order.client_id, [1, 1])
        await fake.disconnect()
        # The reconnect and its REST catch-up take a few event-loop turns; on a loaded machine
        # more than a fixed 0.2 s, so wait for them (bounded) rather than sleep.
        await _eventually(
            lambda: (
                adapter.journal.by_source.get("rest") == 2
                and not (adapter.quote_block() or "").startswith("E_VENUE_DISCONNECTED")
            )
        )
        assert adapter.stats.reconnects_total == 1
        assert adapter.journal.by_source.get("rest") == 2
        # REST trades may carry no client id; the fills handed on name the order all the same.
        delivered = [adapter._fill_q.get_nowait() for _ in range(adapter._fill_q.qsize())]
        assert [f.client_id for f in delivered] == [order.client_id, order.client_id]
        block = adapter.quote_block()
        assert block is not None  # no book yet, but the stream is back:
        assert not block.startswith("E_VENUE_DISCONNECTED")
        assert invariants(fake, adapter) == ZERO


async def test_disconnect_blocks_quoting_until_reconciled(venue: str) -> None:
    async with running(venue=venue, reconnect_backoff_ms=150) as (fake, adapter):
        await fake.push_book(1000, 1010)
        await fake.disconnect()
        await asyncio.sleep(0.05)
        assert (adapter.quote_block() or "").startswith("E_VENUE_DISCONNECTED")
        await asyncio.sleep(0.3)
        await fake.push_book(1000, 1010)
        await settle()
        assert adapter.quote_block() is None


async def test_rate_limit_retry_after_honoured_same_client_id(venue: str) -> None:
    # Binance: 429 + Retry-After; Bybit: retCode 10006, wait until X-Bapi-Limit-Reset-Timestamp.
    async with running(venue=venue) as (fake, adapter):
        fake.faults.rate_limit_next = 2
        fake.faults.retry_after_s = 0.15
        loop = asyncio.get_running_loop()
        started = loop.time()
        order = await adapter.place(intent(1))
        elapsed = loop.time() - started
        assert isinstance(order, VenueOrder)
        assert fake.stats.injected_429s == 2 and adapter.stats.rate_limited_total == 2
        assert elapsed >= EXPECT[venue].rate_limit_wait_s  # two waits of 0.15 s
        assert fake.stats.posts_by_client_id[order.client_id] == 1  # 429s never reached it
        assert len(fake.stats.posts_by_client_id) == 1


async def test_reject_is_a_value_and_resubmit_returns_it(venue: str) -> None:
    async with running(venue=venue) as (fake, adapter):
        fake.faults.reject_next = 1
        result = await adapter.place(intent(1))
        assert isinstance(result, Rejected) and result.code == "E_VENUE_REJECTED"
        assert EXPECT[venue].reject_code in result.reason, result.reason
        again = await adapter.place(intent(1))
        assert again == result and adapter.idem.order_idem_hits_total == 1
        assert sum(fake.stats.posts_by_client_id.values()) == 1


async def test_post_only_crossing_the_book_never_rests(venue: str) -> None:
    async with running(venue=venue) as (fake, adapter):
        await fake.push_book(1000, 1010)
        result = await adapter.place(intent(1, price=1010))
        await settle()
        assert isinstance(result, EXPECT[venue].post_only_cross) and not fake.open_orders()
        assert adapter.local_open_orders() == {}  # Bybit: the order stream said Cancelled
        await adapter.reconcile()
        assert invariants(fake, adapter) == ZERO


async def test_duplicate_and_out_of_order_fills_counted_once(venue: str) -> None:
    async with running(venue=venue) as (fake, adapter):
        order = await adapter.place(intent(1, qty=5))
        assert isinstance(order, VenueOrder)
        fake.faults.dup_fills = 3
        await fake.fill(order.client_id, [1, 2, 2], out_of_order=True)
        await settle()
        assert adapter.journal.applied_total == 3 and adapter.journal.duplicates_total == 3
        assert adapter.journal.position_lots == 5
        assert adapter.local_open_orders() == {}  # filled despite the reversed updates
        await adapter.reconcile()
        assert invariants(fake, adapter) == ZERO


async def test_stale_book_blocks_quoting(venue: str) -> None:
    async with running(venue=venue, max_book_age_ms=100) as (fake, adapter):
        await fake.push_book(1000, 1010)
        await settle()
        assert adapter.quote_block() is None
        fake.faults.stale_book = True
        await fake.push_book(1001, 1011)
        await asyncio.sleep(0.15)
        assert (adapter.quote_block() or "").startswith("E_VENUE_STALE_BOOK:")


@pytest.mark.parametrize("fault", ["ack_lost_next", "drop_next"])
async def test_unknown_outcome_resolved_by_client_id_never_reposted(venue: str, fault: str) -> None:
    async with running(venue=venue) as (fake, adapter):
        setattr(fake.faults, fault, 1)
        result = await adapter.place(intent(1))
        cid = next(iter(fake.stats.posts_by_client_id))
        if fault == "ack_lost_next":  # accepted, answer lost: found by query
            assert isinstance(result, VenueOrder) and result.client_id == cid
            assert adapter.idem.resolved_found_total == 1
        else:  # never processed: fenced and reported as not placed
            assert isinstance(result, Rejected) and result.code == "E_VENUE_NOT_PLACED"
            assert adapter.idem.resolved_absent_total == 1
        again = await adapter.place(intent(1))  # the caller's retry of the same intent
        assert again == result or (isinstance(again, VenueOrder) and again.client_id == cid)
        reposts = sum(fake.stats.posts_by_client_id.values()) - 1
        hits = adapter.idem.order_idem_hits_total
        print(f"\nFIGURE {venue} fault={fault} reposts={reposts} idem_hits={hits}")
        assert reposts == 0 and hits == 1
        await adapter.reconcile()
        assert invariants(fake, adapter) == ZERO


async def test_ack_timeout_resolved_by_query(venue: str) -> None:
    async with running(venue=venue, timeout_ms=150) as (fake, adapter):
        fake.faults.ack_lost_next = 1
        fake.faults.ack_delay_s = 0.4
        result = await adapter.place(intent(1))
        assert isinstance(result, VenueOrder) and result.status is OrderStatus.NEW
        assert sum(fake.stats.posts_by_client_id.values()) == 1


async def test_outcome_unknown_while_venue_unreachable_raises_temporary(venue: str) -> None:
    async with running(venue=venue) as (fake, adapter):
        # The order is accepted, its ack is lost and the link drops in the same instant, so
        # the query by client id cannot reach the venue either.
        fake.faults.ack_lost_next = 1
        fake.faults.partition_on_ack_lost = True
        with pytest.raises(TemporaryVenueError) as info:
            await adapter.place(intent(1))
        assert info.value.code == "E_VENUE_OUTCOME_UNKNOWN"
        fake.faults.partition = False
        await asyncio.sleep(0.2)
        result = await adapter.place(intent(1))  # the retry resolves, it does not re-post
        assert isinstance(result, VenueOrder)
        assert sum(fake.stats.posts_by_client_id.values()) == 1


async def test_dead_man_switch_cancels_orders_when_the_link_is_cut(venue: str) -> None:
    expect = EXPECT[venue]
    settings: dict[str, Any] = {
        "dead_man_countdown_ms": expect.dead_man_ms,
        "heartbeat_ms": expect.heartbeat_ms,
    }
    async with running(venue=venue, **settings) as (fake, adapter):
        for seq in (1, 2):
            assert isinstance(await adapter.place(intent(seq, price=990 - seq)), VenueOrder)
        assert fake.dead_man_armed and fake.dead_man_window_ms == expect.dead_man_ms
        await fake.disconnect()  # a stream drop, the heartbeats go on: nothing is cancelled
        await asyncio.sleep(0.4)
        assert len(fake.open_orders()) == 2 and fake.stats.dead_man_cancels == 0
        arms = adapter.stats.dead_man_arms_total
        assert (arms >= 3) if expect.rearms_dead_man else (arms == 1), arms
        fake.faults.partition = True  # cut the link: requests fail, streams drop
        loop = asyncio.get_running_loop()
        cut = loop.time()
        while fake.open_orders() and loop.time() - cut < 5:
            await asyncio.sleep(0.05)
        print(f"\nFIGURE {venue} dead_man_cancels={fake.stats.dead_man_cancels} open_after_cut="
              f"{len(fake.open_orders())} seconds_to_cancel={loop.time() - cut:.1f}")  # fmt: skip
        assert fake.open_orders() == [] and fake.stats.dead_man_cancels == 2
        fake.faults.partition = False
        await asyncio.sleep(0.3)
        await adapter.reconcile()
        assert adapter.local_open_orders() == {}
        assert invariants(fake, adapter) == ZERO


async def test_request_soak_stays_under_70_percent_of_every_venue_limit(venue: str) -> None:
    expect = EXPECT[venue]
    async with new_fake(venue, weight_limit=120, weight_window_s=1.0) as fake:
        async with running(fake=fake, **expect.soak_config) as (_, adapter):
            assert adapter.budget.limit == 120 and adapter.budget.cap == 84
            loop = asyncio.get_running_loop()
            started = loop.time()

            async def worker(k: int) -> None:
                for i in range(expect.soak_rounds):
                    await adapter.place(intent(100 * k + i, price=900 - k))
                    await adapter.open_orders()
                    await adapter.positions()

            await asyncio.gather(*(worker(k) for k in range(4)))
            elapsed = loop.time() - started
        peak, endpoint_peak = fake.stats.max_window_weight, fake.stats.endpoint_peak
        per_endpoint = "".join(  # Bybit's per-second limits of each endpoint; Binance has none
            f" peak_per_s[{path}]={endpoint_peak[path]}/{limit}"
            for path, limit in sorted(fake.endpoint_limits.items()) if endpoint_peak[path]
        )  # fmt: skip
        print(
            f"\nFIGURE {venue} soak_requests={sum(fake.stats.requests.values())} "
            f"seconds={elapsed:.1f} peak_window_weight={peak} limit=120 "
            f"peak_pct={100 * peak / 120:.0f} venue_limit_hits={fake.stats.limit_429s}"
            + per_endpoint
        )
        over = {path: endpoint_peak[path] for path, limit in fake.endpoint_limits.items()
                if endpoint_peak[path] > int(limit * 0.7)}  # fmt: skip
        assert peak <= 84 and over == {} and fake.stats.limit_429s == 0


async def test_clock_guard_blocks_quoting_beyond_500ms(venue: str) -> None:
    async with new_fake(venue) as fake:
        fake.clock_offset_ms = 800
        async with running(fake=fake) as (_, adapter):
            await fake.push_book(1000, 1010)
            await settle()
            assert (adapter.quote_block() or "").startswith("E_VENUE_CLOCK_SKEW:")
            fake.clock_offset_ms = 100
            await adapter.sync_clock()
            await fake.push_book(1000, 1010)
            await settle()
            assert adapter.quote_block() is None


async def _seed_venue_state(fake: Any) -> str:
    """Leave a position of 2 lots and one open order at the fake (a previous session)."""
    async with running(fake=fake) as (_, adapter):
        first = await adapter.place(intent(1, qty=2))
        second = await adapter.place(intent(2, price=980))
        assert isinstance(first, VenueOrder) and isinstance(second, VenueOrder)
        await fake.fill(first.client_id, [2])
        return second.client_id


async def _refused_start(fake: Any, local: LocalState | None = None) -> str:
    """Start an adapter with the dead-man switch on against fake's state, which it must refuse;
    check that the venue was left exactly as found and return the refusal line."""
    orders_before = copy.deepcopy(fake.orders)
    requests_before = Counter(fake.stats.requests)
    armed_before = fake.dead_man_armed
    adapter = make_venue(fake, dead_man_countdown_ms=60_000)
    try:
        with pytest.raises(ReconRefusedError) as info:
            await adapter.start(local)
    finally:
        await adapter.close()
    sent = Counter(fake.stats.requests)
    sent.subtract(requests_before)
    verbs = {request.split()[0] for request, count in sent.items() if count}
    assert verbs <= {"GET"}, sent  # reads only: nothing placed, canceled, (dis)armed
    assert fake.orders == orders_before and fake.dead_man_armed == armed_before
    assert not fake.stats.posts_by_client_id.keys() - orders_before.keys()
    line = info.value.line()
    assert "\n" not in line and info.value.exit_code == 2
    assert "restart with --adopt" in line
    return line


async def test_startup_mismatch_refuses_to_start_with_recon_code(venue: str) -> None:
    async with new_fake(venue) as fake:
        open_cid = await _seed_venue_state(fake)
        line = await _refused_start(fake)
    print(f"\nFIGURE {venue} startup_refusal={line}")
    assert line.startswith("E_RECON_POSITION: symbol=BTCUSDT found position venue_lots=2 "
                           f"local_lots=0 and open_orders venue_only={open_cid} local_only=- "
                           "at the venue"), line  # fmt: skip


async def test_startup_open_order_mismatch_refuses(venue: str) -> None:
    async with new_fake(venue) as fake:
        open_cid = await _seed_venue_state(fake)
        local = LocalState(position_lots=2)  # right position, but the open order is unknown
        line = await _refused_start(fake, local)
    assert line.startswith("E_RECON_OPEN_ORDERS: symbol=BTCUSDT found open_orders "
                           f"venue_only={open_cid} local_only=- at the venue"), line  # fmt: skip


async def test_startup_adopt_takes_the_venue_state(venue: str) -> None:
    async with new_fake(venue) as fake:
        open_cid = await _seed_venue_state(fake)
        async with running(adopt=True, fake=fake) as (_, adapter):
            await fake.push_book(1000, 1010)
            await settle()
            assert adapter.quote_block() is None
            assert adapter.journal.position_lots == 2
            assert set(adapter.local_open_orders()) == {open_cid}
            await fake.fill(open_cid, [1])
            await settle()
            assert adapter.journal.position_lots == 3


async def test_secret_never_logged_even_at_debug(venue: str) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        async with new_fake(venue) as fake:
            adapter = make_venue(fake)
            adapter.exchange.verbose = False
            await adapter.start()
            await adapter.place(intent(1))
            fake.faults.rate_limit_next = 1
            fake.faults.retry_after_s = 0.01
            await adapter.open_orders()
            await adapter.close()
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    text = stream.getvalue()
    assert EXPECT[venue].order_post_path in text  # ccxt's debug request lines were captured
    assert fake.api_secret not in text and fake.api_key not in text
    assert fake.api_secret not in repr(adapter.exchange.mm_on_headers)
    assert "secret" not in repr(adapter._redactor)


async def test_wrong_secret_is_an_auth_error(venue: str) -> None:
    async with new_fake(venue) as fake:
        wrong = CcxtVenue(make_venue(fake).config, Credentials(fake.api_key, "wrong-secret"))
        with pytest.raises(VenueAuthError):
            await wrong.balances()
        await wrong.close()
        assert fake.stats.bad_signatures == 1


async def test_auth_missing_env_is_one_line_code(venue: str) -> None:
    key_var, secret_var = f"MM_{venue.upper()}_API_KEY", f"MM_{venue.upper()}_API_SECRET"
    with pytest.raises(VenueAuthError) as info:
        Credentials.from_env(venue, {key_var: "k"})
    assert info.value.line() == f"E_VENUE_AUTH: env {secret_var} unset; expected API credentials"
    creds = Credentials.from_env(venue, {key_var: "k1", secret_var: "s3cr3t"})
    assert "s3cr3t" not in repr(creds) and "k1" not in repr(creds)
