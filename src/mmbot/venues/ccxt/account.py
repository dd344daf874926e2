"""The venue's view of the account, read over REST: open orders, position, balances.

These are the reads a reconciliation compares with our own view and the Venue port hands
out as they are. On an adapter opened for market data only the client refuses each of them
before it is sent (E_VENUE_MARKET_DATA_ONLY).
"""

from __future__ import annotations

from mmbot.venues.base import Balance, Position, VenueOrder
from mmbot.venues.ccxt.client import ExchangeClient


class AccountReads:
    """Read the venue's open orders, position and balances for the client's instrument."""

    def __init__(self, client: ExchangeClient) -> None:
        self._client = client

    async def open_orders(self) -> list[VenueOrder]:
        """Return the venue's open orders for the instrument (every page)."""
        client, d = self._client, self._client.dialect
        pages = client.pages(d.ep.open_orders, d.symbol_params(client.inst),
                             d.next_open_orders_params)  # fmt: skip
        return [order async for raw in pages for order in d.open_orders(raw, client.inst)]

    async def position(self) -> tuple[int, float]:
        """Return the venue's (signed lots, entry price) in the instrument."""
        client, d = self._client, self._client.dialect
        raw = await client.request(d.ep.positions, d.symbol_params(client.inst))
        return d.position_lots(raw, client.inst)

    async def positions(self) -> list[Position]:
        """Return the venue's position in the instrument (empty when flat)."""
        lots, entry = await self.position()
        return [Position(self._client.inst.symbol, lots, entry)] if lots else []

    async def balances(self) -> list[Balance]:
        """Return the futures (Bybit: unified) wallet balances."""
        d = self._client.dialect
        raw = await self._client.request(d.ep.balances, d.balance_params())
        return d.balances(raw)
