"""The market-data-only ccxt adapter (`CcxtFeed`) on both loopback venues.

The feed is built from a config alone (no credentials exist in these tests). A task publishes
the fake's book every 50 ms; waits are on the adapter's state, never on fixed sleeps. After
each test the fake must have seen only public REST calls, and the adapter must hold no
private stream (the fakes count REST calls but not websocket connections, so the private
stream is checked on the adapter's side).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from tests.loopback.harness import INSTRUMENT, VENUES, new_fake, publishing, until

from mmbot.venues.base import OrderIntent, VenueAuthError
from mmbot.venues.ccxt import CcxtFeed, CcxtVenueConfig

pytestmark = pytest.mark.asyncio

BID, ASK = 1000, 1010
PUBLIC_CALLS = {  # the fakes' request keys of the venue's public REST calls
    "binance": {"GET exchangeInfo", "GET time"},
    "bybit": {"GET market/instruments-info", "GET market/time"},
}


@asynccontextmanager
async def feeding(venue: str) -> AsyncIterator[tuple[Any, CcxtFeed]]:
    """Run a fake of venue publishing its book and a started feed on it; check what it saw."""
    async with new_fake(venue) as fake, publishing(fake, BID, ASK, 0.05):
        feed = CcxtFeed(CcxtVenueConfig(
            INSTRUMENT, rest_base_url=fake.rest_url, ws_base_url=fake.ws_url, timeout_ms=2000,
            heartbeat_ms=100, max_book_age_ms=500, retry_backoff_ms=5, reconnect_backoff_ms=5,
            close_grace_ms=0, venue=venue,
        ))  # fmt: skip
        try:
            await feed.start()
            yield fake, feed
            assert not [url for url in feed.exchange.clients if feed.dialect.is_stream_url(
                "private", url)]  # fmt: skip
        finally:
            await feed.close()
    assert set(fake.stats.requests) <= PUBLIC_CALLS[venue], fake.stats.requests
    assert not fake.stats.posts_by_client_id and fake.stats.bad_signatures == 0
    assert not fake.dead_man_armed


@pytest.mark.parametrize("venue", VENUES)
async def test_feed_book_arrives_and_quote_block_clears_with_public_calls_only(
    venue: str,
) -> None:
    async with feeding(venue) as (fake, feed):
        await until(lambda: feed.quote_block() is None)
        book = await asyncio.wait_for(anext(feed.books()), 5)
    assert (book.symbol, book.bid_ticks, book.ask_ticks) == (INSTRUMENT.symbol, BID, ASK)
    assert set(fake.stats.requests) == PUBLIC_CALLS[venue]  # markets loaded, clock sampled
    assert feed.clock_guard.samples_total >= 1


async def _partition(fake: Any, on: bool) -> None:
    fake.faults.partition = on


async def _stale_book(fake: Any, on: bool) -> None:
    fake.faults.stale_book = on


async def _clock_skew(fake: Any, on: bool) -> None:
    fake.clock_offset_ms = 2_000 if on else 0


@pytest.mark.parametrize("venue", VENUES)
@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (_partition, "E_VENUE_DISCONNECTED: public book stream down"),
        (_stale_book, "E_VENUE_STALE_BOOK: symbol=BTC/USDT:USDT age_ms="),
        (_clock_skew, "E_VENUE_CLOCK_SKEW: venue-local offset_ms="),
    ],
    ids=["stream_down", "stale_book", "clock_skew"],
)
async def test_feed_quote_block_follows_stream_book_and_clock(
    venue: str, fault: Callable[[Any, bool], Awaitable[None]], expected: str
) -> None:
    async with feeding(venue) as (fake, feed):
        await until(lambda: feed.quote_block() is None)
        await fault(fake, True)
        await until(lambda: (feed.quote_block() or "").startswith(expected))
        await fault(fake, False)
        await until(lambda: feed.quote_block() is None)


ORDER_AND_ACCOUNT_CALLS: dict[str, Callable[[CcxtFeed], Awaitable[object]]] = {
    "place": lambda feed: feed.place(OrderIntent("mm1", 1, 1, BID, 1)),
    "cancel": lambda feed: feed.cancel("mm1-1-0badc0de"),
    "modify": lambda feed: feed.modify("mm1-1-0badc0de", BID, 1),
    "open_orders": lambda feed: feed.open_orders(),
    "positions": lambda feed: feed.positions(),
    "balances": lambda feed: feed.balances(),
    "arm_dead_man": lambda feed: feed.arm_dead_man(),
}


@pytest.mark.parametrize("venue", VENUES)
async def test_feed_refuses_order_and_account_calls_before_sending(venue: str) -> None:
    lines = {}
    async with feeding(venue) as (_, feed):
        for name, call in ORDER_AND_ACCOUNT_CALLS.items():
            with pytest.raises(VenueAuthError) as refused:
                await call(feed)
            lines[name] = refused.value.line()
    assert all(line.startswith("E_VENUE_MARKET_DATA_ONLY: ") for line in lines.values()), lines
    assert lines["place"] == (
        "E_VENUE_MARKET_DATA_ONLY: place refused: the adapter was started for market data only "
        "(no credentials); expected no order or account call"
    )
