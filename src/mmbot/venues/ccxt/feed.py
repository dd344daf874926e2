"""The ccxt adapter for market data only: a venue's public book stream, never its account.

Theory of operation. Shadow mode reads a real venue's market and sends nothing, so it needs
no API keys and must not touch the account. `CcxtFeed` is the ccxt adapter started for that.
Its start does what `CcxtVenue.start` does before the account - load the venue's markets,
check the configured instrument grid, sample the venue clock - then runs only the public
book stream and the heartbeat (which samples the clock). It holds no credentials (ccxt signs
nothing), opens no private stream, arms no dead-man switch and reconciles no position or open
orders, so `quote_block()` names only what matters for a feed: the book stream down, a stale
book, clock skew. Order and account calls fail loudly with E_VENUE_MARKET_DATA_ONLY before
anything is sent: place/cancel/modify refuse outright, and the REST path admits only the
dialect's public calls (markets, time).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Final

from mmbot.venues.base import (
    OrderIntent,
    PlaceResult,
    Rejected,
    VenueAuthError,
    VenueOrder,
)
from mmbot.venues.ccxt_core import CcxtVenueConfig
from mmbot.venues.ccxt_dialect import Dialect
from mmbot.venues.ccxt_venue import CcxtVenue
from mmbot.venues.credentials import Credentials
from mmbot.venues.recon import LocalState, ReconReport, reconcile

__all__ = ["CcxtFeed"]

_NO_KEYS: Final = Credentials("", "")  # ccxt takes empty keys as none: it signs nothing


class CcxtFeed(CcxtVenue):
    """A CcxtVenue that reads the venue's public book stream only; see the module docstring."""

    def __init__(
        self,
        config: CcxtVenueConfig,
        now_ns: Callable[[], int] = time.time_ns,
        dialect: Dialect | None = None,
    ) -> None:
        # No orders to protect, so no dead-man switch: the heartbeat only samples the clock.
        super().__init__(replace(config, dead_man_countdown_ms=0), _NO_KEYS, now_ns, dialect)

    async def start(self, local: LocalState | None = None, adopt: bool = False) -> ReconReport:
        """Load markets, check the grid, sample the clock, start the book stream; no account.

        local and adopt do not apply: a feed has no position or orders to compare or take.
        """
        await self._open_market()
        self._start_streams(private=False)
        await self._wait_for(lambda: "public" in self._streams_up, self.config.timeout_ms)
        return reconcile(LocalState(), 0, [])  # nothing to compare: an empty, ok report

    def quote_block(self) -> str | None:
        """Return why the feed cannot be quoted on now (stream, book age, clock); else None."""
        if "public" not in self._streams_up:
            return "E_VENUE_DISCONNECTED: public book stream down; expected it connected"
        return self._market_block()

    async def place(self, intent: OrderIntent) -> PlaceResult:
        """Refuse: a feed sends no orders."""
        raise _refusal("place")

    async def cancel(self, client_id: str) -> VenueOrder | Rejected:
        """Refuse: a feed sends no orders."""
        raise _refusal("cancel")

    async def modify(self, client_id: str, price_ticks: int, qty_lots: int) -> PlaceResult:
        """Refuse: a feed sends no orders."""
        raise _refusal("modify")

    async def _rest_once(self, endpoint: str, params: dict[str, Any]) -> Any:
        """Send a public call; refuse every other (account reads, orders, dead-man switch)."""
        if endpoint not in (self.dialect.ep.markets, self.dialect.ep.time):
            raise _refusal(endpoint)
        return await super()._rest_once(endpoint, params)


def _refusal(call: str) -> VenueAuthError:
    """A human must act, as with missing keys: something wired a feed where a venue belongs."""
    return VenueAuthError(
        "E_VENUE_MARKET_DATA_ONLY",
        f"{call} refused: the adapter was started for market data only (no credentials); "
        "expected no order or account call",
    )
