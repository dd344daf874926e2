"""The one market both fakes list: BTCUSDT on a 0.1 tick, 0.001 lot grid, and its strings.

Venues send prices and quantities as decimal strings; the fakes keep ticks and lots as ints.
"""

from __future__ import annotations

from decimal import Decimal

SYMBOL = "BTCUSDT"
TICK = Decimal("0.1")
LOT = Decimal("0.001")


def fmt_px(ticks: int) -> str:
    """Return the venue's price string of ticks."""
    return format(TICK * ticks, "f")


def fmt_qty(lots: int) -> str:
    """Return the venue's quantity string of lots."""
    return format(LOT * lots, "f")


def to_ticks(price: str) -> int:
    """Return the ticks of a venue price string."""
    return int(Decimal(price) / TICK)


def to_lots(qty: str) -> int:
    """Return the lots of a venue quantity string."""
    return int(Decimal(qty) / LOT)
