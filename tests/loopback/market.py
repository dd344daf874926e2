"""The markets the fakes list, each on its own grid, and their strings.

BTCUSDT (0.1 tick, 0.001 lot) is every fake's first market, the one a one-symbol test
trades; ETHUSDT (0.01 tick, 0.01 lot) is the second a book of several symbols trades.
Venues send prices and quantities as decimal strings; the fakes keep ticks and lots as ints.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Market:
    """One listed linear perpetual: its venue symbol, base coin and grid."""

    symbol: str
    base: str
    tick: Decimal
    lot: Decimal

    def fmt_px(self, ticks: int) -> str:
        """Return the venue's price string of ticks."""
        return format(self.tick * ticks, "f")

    def fmt_qty(self, lots: int) -> str:
        """Return the venue's quantity string of lots."""
        return format(self.lot * lots, "f")

    def to_ticks(self, price: str) -> int:
        """Return the ticks of a venue price string."""
        return int(Decimal(price) / self.tick)

    def to_lots(self, qty: str) -> int:
        """Return the lots of a venue quantity string."""
        return int(Decimal(qty) / self.lot)


BTCUSDT = Market("BTCUSDT", "BTC", Decimal("0.1"), Decimal("0.001"))
ETHUSDT = Market("ETHUSDT", "ETH", Decimal("0.01"), Decimal("0.01"))
MARKETS = {market.symbol: market for market in (BTCUSDT, ETHUSDT)}
SYMBOL, TICK, LOT = BTCUSDT.symbol, BTCUSDT.tick, BTCUSDT.lot


def to_lots(qty: str) -> int:
    """Return the lots of a BTCUSDT quantity string (the one-symbol tests' market)."""
    return BTCUSDT.to_lots(qty)
