"""The ccxt adapter for market data only: a venue's public book stream, never its account.

Theory of operation. Shadow mode reads a real venue's market and sends nothing, so it needs
no API keys and must not touch the account. `CcxtFeed` runs a ccxt session for that: its
start does what `CcxtVenue.start` does before the account - load the venue's markets, check
the configured instrument grid, sample the venue clock - then runs only the public book
stream and the heartbeat (which samples the clock). It holds no credentials (ccxt signs
nothing), has no order entry, opens no private stream, arms no dead-man switch and
reconciles no position or open orders, so `quote_block()` names only what matters for a
feed: the book stream down, a stale book, clock skew. Order and account calls fail loudly
with E_VENUE_MARKET_DATA_ONLY before anything is sent: place/cancel/modify refuse outright,
and the session's client admits only the dialect's public calls (markets, time).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Final

from mmbot.venues.base import (
    Balance,
    BookTop,
    OrderIntent,
    PlaceResult,
    Position,
    Rejected,
    VenueFill,
    VenueOrder,
)
from mmbot.venues.ccxt.client import market_data_only
from mmbot.venues.ccxt.config import CcxtVenueConfig
from mmbot.venues.ccxt.dialect import Dialect
from mmbot.venues.ccxt.session import CcxtSession
from mmbot.venues.credentials import Credentials
from mmbot.venues.recon import LocalState, ReconReport, reconcile

__all__ = ["CcxtFeed"]

_NO_KEYS: Final = Credentials("", "")  # ccxt takes empty keys as none: it signs nothing


class CcxtFeed:
    """A ccxt adapter that reads the venue's public book stream only; see the module docstring."""

    def __init__(
        self,
        config: CcxtVenueConfig,
        now_ns: Callable[[], int] = time.time_ns,
        dialect: Dialect | None = None,
    ) -> None:
        # No orders to protect, so no dead-man switch: the heartbeat only samples the clock.
        config = replace(config, dead_man_countdown_ms=0)
        s = self._session = CcxtSession(config, _NO_KEYS, now_ns, dialect, public_only=True)
        # The session's state that tests read, under the adapter's names (the journal stays
        # empty: the bridge reads it from every venue).
        self.dialect, self.exchange, self.clock_guard = s.dialect, s.client.exchange, s.clock_guard
        self.journal = s.journal

    @property
    def order_idem_hits_total(self) -> int:
        """Return 0: a market-data-only adapter places nothing."""
        return 0

    async def start(self, local: LocalState | None = None, adopt: bool = False) -> ReconReport:
        """Load markets, check the grid, sample the clock, start the book stream; no account.

        local and adopt do not apply: a feed has no position or orders to compare or take.
        """
        await self._session.open_market()
        self._session.start_streams(reconcile=None)
        await self._session.streams.wait_until_up("public")
        return reconcile(LocalState(), 0, [])  # nothing to compare: an empty, ok report

    async def close(self) -> None:
        """Stop the book stream and the heartbeat, close ccxt's sessions."""
        await self._session.stop_streams()
        await self._session.close()

    def quote_block(self) -> str | None:
        """Return why the feed cannot be quoted on now (stream, book age, clock); else None."""
        if "public" not in self._session.streams.up:
            return "E_VENUE_DISCONNECTED: public book stream down; expected it connected"
        return self._session.market_block()

    def books(self) -> AsyncIterator[BookTop]:
        """Yield the newest best bid/ask (older ones are dropped when the reader lags)."""
        return self._session.inbox.books()

    def fills(self) -> AsyncIterator[VenueFill]:
        """Yield nothing: a feed places no orders (the iterator waits until closed)."""
        return self._session.tracker.fills()

    def local_open_orders(self) -> dict[str, VenueOrder]:
        """Return no orders: a feed places none."""
        return self._session.tracker.local_open_orders()

    async def place(self, intent: OrderIntent) -> PlaceResult:
        """Refuse: a feed sends no orders."""
        raise market_data_only("place")

    async def cancel(self, client_id: str) -> VenueOrder | Rejected:
        """Refuse: a feed sends no orders."""
        raise market_data_only("cancel")

    async def modify(self, client_id: str, price_ticks: int, qty_lots: int) -> PlaceResult:
        """Refuse: a feed sends no orders."""
        raise market_data_only("modify")

    async def open_orders(self) -> list[VenueOrder]:
        """Refuse: the client sends no account call (E_VENUE_MARKET_DATA_ONLY)."""
        return await self._session.account.open_orders()

    async def positions(self) -> list[Position]:
        """Refuse: the client sends no account call (E_VENUE_MARKET_DATA_ONLY)."""
        return await self._session.account.positions()

    async def balances(self) -> list[Balance]:
        """Refuse: the client sends no account call (E_VENUE_MARKET_DATA_ONLY)."""
        return await self._session.account.balances()

    async def arm_dead_man(self) -> None:
        """Refuse: the client sends no dead-man call (E_VENUE_MARKET_DATA_ONLY)."""
        await self._session.heartbeat.arm_dead_man()
