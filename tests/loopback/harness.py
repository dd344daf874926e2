"""Helpers shared by the loopback tests: build an adapter for a fake, check invariants."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

from tests.loopback.binance_fake import API_KEY, API_SECRET, FakeBinance

from mmbot.venues.base import Instrument
from mmbot.venues.ccxt_venue import CcxtVenue, CcxtVenueConfig
from mmbot.venues.credentials import Credentials
from mmbot.venues.recon import LocalState

INSTRUMENT = Instrument("BTC/USDT:USDT", "BTCUSDT", Decimal("0.1"), Decimal("0.001"))


def make_venue(fake: FakeBinance, **overrides: Any) -> CcxtVenue:
    """Return an adapter pointed at fake (fast timeouts for tests)."""
    settings: dict[str, Any] = {
        "timeout_ms": 1000, "heartbeat_ms": 1000, "dead_man_countdown_ms": 0,
        "retry_backoff_ms": 5, "reconnect_backoff_ms": 5, "close_grace_ms": 0,
    }  # fmt: skip
    settings.update(overrides)
    config = CcxtVenueConfig(INSTRUMENT, rest_base_url=fake.rest_url, ws_base_url=fake.ws_url,
                             **settings)  # fmt: skip
    return CcxtVenue(config, Credentials(API_KEY, API_SECRET))


@asynccontextmanager
async def running(
    local: LocalState | None = None, adopt: bool = False, fake: FakeBinance | None = None,
    **overrides: Any,
) -> AsyncIterator[tuple[FakeBinance, CcxtVenue]]:  # fmt: skip
    """Start a fake (unless given) and an adapter on it; stop both afterwards."""
    own = fake is None
    fake = fake or FakeBinance()
    if own:
        await fake.start()
    venue = make_venue(fake, **overrides)
    try:
        await venue.start(local, adopt)
        yield fake, venue
    finally:
        await venue.close()
        if own:
            await fake.stop()


async def settle(seconds: float = 0.02) -> None:
    """Let WS messages in flight arrive."""
    await asyncio.sleep(seconds)


def invariants(fake: FakeBinance, venue: CcxtVenue) -> dict[str, int]:
    """Return the fault-suite figures: each must be 0 after a reconcile."""
    venue_trades = {str(t["id"]) for t in fake.trades}
    local_trades = venue.journal.trade_ids()
    fake_open = {o["clientOrderId"] for o in fake.open_orders()}
    local_open = set(venue.local_open_orders())
    return {
        "position_diff_lots": abs(venue.journal.position_lots - fake.position_lots),
        "orphan_orders": len(fake_open - local_open),
        "ghost_orders": len(local_open - fake_open),
        "unexplained_fills": len(local_trades - venue_trades) + len(venue.stats.unexplained_fills),
        "missed_fills": len(venue_trades - local_trades),
        "double_counted_fills": venue.journal.applied_total - len(local_trades),
    }
