"""Helpers shared by the loopback tests: build an adapter for a fake, check invariants.

Every helper takes either fake (`FakeBinance`, `FakeBybit`): both have the same controls and
views (`tests.loopback.server`), the adapter's dialect and keys follow the fake's `venue`, and
`run_schedule` is the seeded random fault schedule both venues' suites run (the same fault
kinds, the same invariants).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import numpy as np
from tests.loopback.binance_fake import FakeBinance
from tests.loopback.bybit_fake import FakeBybit

from mmbot.venues.base import Instrument, OrderIntent, TemporaryVenueError
from mmbot.venues.ccxt import CcxtBook, CcxtBookVenue, CcxtVenue, CcxtVenueConfig
from mmbot.venues.credentials import Credentials
from mmbot.venues.recon import LocalState

INSTRUMENT = Instrument("BTC/USDT:USDT", "BTCUSDT", Decimal("0.1"), Decimal("0.001"))
ETH_INSTRUMENT = Instrument("ETH/USDT:USDT", "ETHUSDT", Decimal("0.01"), Decimal("0.01"))
BOOK_SYMBOLS = (INSTRUMENT.venue_symbol, ETH_INSTRUMENT.venue_symbol)  # a fake of two markets
Fake = FakeBinance | FakeBybit
VENUES = ["binance", "bybit"]
# What `invariants` returns when the adapter and the fake agree.
ZERO = dict.fromkeys(
    ["position_diff_lots", "orphan_orders", "ghost_orders", "unexplained_fills",
     "missed_fills", "double_counted_fills"], 0,
)  # fmt: skip
FAULTS = ["place", "retry_same_intent", "cancel", "modify", "fill", "fill_dup_ooo",
          "disconnect", "rate_limit", "reject", "drop", "ack_lost", "ws_drop_fill",
          "stale_book"]  # fmt: skip
_PLACE_FAULTS = {"reject": "reject_next", "drop": "drop_next", "ack_lost": "ack_lost_next",
                 "rate_limit": "rate_limit_next", "place": ""}  # fmt: skip


def new_fake(venue: str = "binance", **limits: Any) -> Fake:
    """Return a fake of venue ("binance" or "bybit"), not started (`async with` runs it)."""
    return FakeBybit(**limits) if venue == "bybit" else FakeBinance(**limits)


async def until(
    condition: Callable[[], bool], timeout_s: float = 5.0, what: str | None = None
) -> None:
    """Wait until condition holds (polling the event loop); the timeout only guards a hang.

    A timeout raises TimeoutError, saying what was awaited when `what` is given.
    """
    try:
        async with asyncio.timeout(timeout_s):
            while not condition():
                await asyncio.sleep(0.01)
    except TimeoutError:
        if what is None:
            raise
        raise TimeoutError(f"timed out after {timeout_s} s waiting for {what}") from None


@asynccontextmanager
async def publishing(fake: Fake, bid: int, ask: int, period_s: float,
                     symbols: tuple[str, ...] = ()) -> AsyncIterator[None]:  # fmt: skip
    """Push the book bid/ask of each of symbols (none given: the fake's first) to fake every
    period_s while the block runs."""

    async def publish() -> None:
        while True:
            for symbol in symbols or fake.symbols[:1]:
                await fake.push_book(bid, ask, symbol=symbol)
            await asyncio.sleep(period_s)

    publisher = asyncio.create_task(publish())
    try:
        yield
    finally:
        publisher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await publisher


def intent(seq: int, side: int = 1, price: int = 990, qty: int = 3) -> OrderIntent:
    """Return strategy mm1's intent seq (a bid of 3 lots at 990 unless told)."""
    return OrderIntent("mm1", seq, side, price, qty)


def venue_config(fake: Fake, **overrides: Any) -> CcxtVenueConfig:
    """Return an adapter's config pointed at fake (fast timeouts for tests), in its dialect."""
    settings: dict[str, Any] = {
        "instrument": INSTRUMENT, "timeout_ms": 1000, "heartbeat_ms": 1000,
        "dead_man_countdown_ms": 0, "retry_backoff_ms": 5, "reconnect_backoff_ms": 5,
        "close_grace_ms": 0, "venue": fake.venue,
    }  # fmt: skip
    settings.update(overrides)
    return CcxtVenueConfig(rest_base_url=fake.rest_url, ws_base_url=fake.ws_url, **settings)


def make_venue(fake: Fake, **overrides: Any) -> CcxtVenue:
    """Return an adapter pointed at fake (fast timeouts for tests), in the fake's dialect."""
    return CcxtVenue(venue_config(fake, **overrides), Credentials(fake.api_key, fake.api_secret))


def make_book(fake: Fake, **overrides: Any) -> CcxtBook:
    """Return one session for BTCUSDT and ETHUSDT pointed at fake (see venue_config)."""
    return CcxtBook(venue_config(fake, **overrides), (INSTRUMENT, ETH_INSTRUMENT),
                    Credentials(fake.api_key, fake.api_secret))  # fmt: skip


@asynccontextmanager
async def running(
    local: LocalState | None = None, adopt: bool = False, fake: Fake | None = None,
    **overrides: Any,
) -> AsyncIterator[tuple[Any, CcxtVenue]]:  # fmt: skip
    """Start a fake (unless given; venue="bybit" picks FakeBybit) and an adapter on it."""
    async with contextlib.AsyncExitStack() as stack:
        if fake is None:
            fake = new_fake(overrides.get("venue", "binance"))
            await stack.enter_async_context(fake)
        venue = make_venue(fake, **overrides)
        try:
            await venue.start(local, adopt)
            yield fake, venue
        finally:
            await venue.close()


async def settle(seconds: float = 0.02) -> None:
    """Let WS messages in flight arrive."""
    await asyncio.sleep(seconds)


def invariants(fake: Fake, venue: CcxtVenue | CcxtBookVenue) -> dict[str, int]:
    """Return the fault-suite figures of the venue's symbol: each must be 0 after a reconcile."""
    symbol = venue.config.instrument.venue_symbol
    venue_trades = fake.trade_ids(symbol)
    local_trades = venue.journal.trade_ids()
    fake_open = fake.open_client_ids(symbol)
    local_open = set(venue.local_open_orders())
    return {
        "position_diff_lots": abs(venue.journal.position_lots - fake.positions[symbol]),
        "orphan_orders": len(fake_open - local_open),
        "ghost_orders": len(local_open - fake_open),
        "unexplained_fills": len(local_trades - venue_trades) + len(venue.stats.unexplained_fills),
        "missed_fills": len(venue_trades - local_trades),
        "double_counted_fills": venue.journal.applied_total - len(local_trades),
    }


async def run_schedule(seed: int, fake: Fake, steps: int) -> dict[str, int]:
    """Run one seeded random fault schedule on fake; return its figures (all must be 0)."""
    rng = np.random.default_rng(seed)
    fake.faults.retry_after_s = 0.02
    seq = 0
    intents: list[OrderIntent] = []
    async with running(fake=fake, max_book_age_ms=50) as (_, venue):
        await fake.push_book(1000, 1010)
        for _ in range(steps):
            kind = FAULTS[int(rng.integers(len(FAULTS)))]
            open_cids = sorted(venue.local_open_orders())
            if kind in _PLACE_FAULTS:
                if _PLACE_FAULTS[kind]:
                    setattr(fake.faults, _PLACE_FAULTS[kind], 1)
                seq += 1
                side = 1 if rng.random() < 0.5 else -1
                offset = int(rng.integers(1, 5))
                price = 1000 - offset if side > 0 else 1010 + offset
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
            elif kind in ("fill", "fill_dup_ooo", "ws_drop_fill") and fake.leaves():
                leaves = fake.leaves()
                cid, left = leaves[int(rng.integers(len(leaves)))]
                parts = [1] * min(left, int(rng.integers(1, 3)))
                if kind == "fill_dup_ooo":
                    fake.faults.dup_fills = len(parts)
                if kind == "ws_drop_fill":
                    fake.faults.ws_drop_fills = len(parts)
                await fake.fill(cid, parts, out_of_order=kind == "fill_dup_ooo")
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
