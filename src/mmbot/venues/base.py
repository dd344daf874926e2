"""The live Venue port: an async protocol, the values it trades in and its exceptions.

Prices and sizes cross the port as int ticks and lots, like everywhere else in mmbot; the
adapter converts at the edge with the instrument's tick and lot size. Rejections the strategy
must handle (post-only would cross, insufficient margin, unknown order) are values
(`Rejected`); exceptions are grouped by who must act: `TemporaryVenueError` -> retry later
(network, timeout, 5xx, 429 with `retry_after_s`), `VenueAuthError` -> a human fixes keys.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Protocol, runtime_checkable

from mmbot.core.errors import MmError


class OrderStatus(Enum):
    """An order's state as the venue reports it."""

    NEW = "new"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELED = "canceled"
    REJECTED = "rejected"
    EXPIRED = "expired"

    @property
    def is_open(self) -> bool:
        """Return True while the order rests on the book."""
        return self in (OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED)


@dataclass(frozen=True, slots=True)
class Instrument:
    """What the adapter needs to turn ticks/lots into venue prices/quantities."""

    symbol: str  # the unified (ccxt) symbol, e.g. "BTC/USDT:USDT"
    venue_symbol: str  # the venue's own id, e.g. "BTCUSDT"
    tick_size: Decimal
    lot_size: Decimal

    def __post_init__(self) -> None:
        if self.tick_size <= 0 or self.lot_size <= 0:
            raise ValueError(f"tick/lot size must be > 0: {self.tick_size} {self.lot_size}")

    def price_str(self, price_ticks: int) -> str:
        """Return price_ticks as the venue's decimal price text."""
        return format(self.tick_size * price_ticks, "f")

    def qty_str(self, qty_lots: int) -> str:
        """Return qty_lots as the venue's decimal quantity text."""
        return format(self.lot_size * qty_lots, "f")

    def to_ticks(self, price: str | float | Decimal) -> int:
        """Return a venue price in ticks (exact: refuses a price off the grid)."""
        return _exact(Decimal(str(price)) / self.tick_size, "price", price)

    def to_lots(self, qty: str | float | Decimal) -> int:
        """Return a venue quantity in lots (exact: refuses a quantity off the grid)."""
        return _exact(Decimal(str(qty)) / self.lot_size, "qty", qty)


def _exact(units: Decimal, what: str, raw: object) -> int:
    whole = int(units.to_integral_value())
    if units != whole:
        raise ValueError(f"{what} {raw} is not on the instrument grid")
    return whole


@dataclass(frozen=True, slots=True)
class OrderIntent:
    """What the strategy wants resting: the client id is derived from it (deterministic)."""

    strategy_id: str
    seq: int
    side: int  # BUY (+1) or SELL (-1)
    price_ticks: int
    qty_lots: int
    post_only: bool = True

    def __post_init__(self) -> None:
        if self.side not in (1, -1):
            raise ValueError(f"side must be +1 or -1, got {self.side}")
        if self.qty_lots <= 0 or self.price_ticks <= 0:
            raise ValueError(f"price/qty must be > 0: {self.price_ticks} {self.qty_lots}")


@dataclass(frozen=True, slots=True)
class VenueOrder:
    """An order as the venue last described it."""

    client_id: str
    venue_order_id: str
    side: int
    price_ticks: int
    qty_lots: int
    filled_lots: int
    status: OrderStatus
    ts_ms: int

    @property
    def leaves_lots(self) -> int:
        """Return the quantity still resting."""
        return self.qty_lots - self.filled_lots if self.status.is_open else 0


@dataclass(frozen=True, slots=True)
class VenueFill:
    """One execution, keyed by the venue's trade id (the dedup key of every fill path)."""

    trade_id: str
    venue_order_id: str
    client_id: str  # "" when the path that delivered it does not carry one
    side: int
    price_ticks: int
    qty_lots: int
    fee_usd: float
    is_maker: bool
    ts_ms: int


@dataclass(frozen=True, slots=True)
class Position:
    """The venue's net position in one instrument (one-way mode)."""

    symbol: str
    qty_lots: int  # signed: > 0 long
    entry_price: float


@dataclass(frozen=True, slots=True)
class Balance:
    """One asset's wallet balance."""

    asset: str
    total: float
    free: float


@dataclass(frozen=True, slots=True)
class BookTop:
    """Best bid/ask from the venue's book stream; ts_ms is the venue's event time."""

    symbol: str
    bid_ticks: int
    bid_lots: int
    ask_ticks: int
    ask_lots: int
    ts_ms: int


@dataclass(frozen=True, slots=True)
class Rejected:
    """A rejection the strategy handles: a value, never an exception."""

    code: str  # an E_VENUE_* code
    client_id: str
    reason: str

    def line(self) -> str:
        """Return the rejection as one ASCII line."""
        return f"{self.code}: client_id={self.client_id} {self.reason}"


PlaceResult = VenueOrder | Rejected


class TemporaryVenueError(MmError):
    """The venue could not answer now (network, timeout, 5xx, 429): retry later."""

    def __init__(self, code: str, detail: str, retry_after_s: float = 0.0) -> None:
        super().__init__(code, detail)
        self.retry_after_s = retry_after_s


class VenueAuthError(MmError):
    """Credentials are missing or refused: a human must act."""

    exit_code = 2


@runtime_checkable
class Venue(Protocol):
    """The port the live engine drives; a ccxt adapter and test fakes implement it."""

    async def place(self, intent: OrderIntent) -> PlaceResult:
        """Place a (post-only) limit order; idempotent per intent (same intent, same order)."""
        ...

    async def cancel(self, client_id: str) -> VenueOrder | Rejected:
        """Cancel an order by client id; return its final state or a rejection."""
        ...

    async def modify(self, client_id: str, price_ticks: int, qty_lots: int) -> PlaceResult:
        """Move a resting order to a new price/size, keeping its client id."""
        ...

    async def open_orders(self) -> list[VenueOrder]:
        """Return the venue's open orders for the instrument."""
        ...

    async def positions(self) -> list[Position]:
        """Return the venue's positions."""
        ...

    async def balances(self) -> list[Balance]:
        """Return the venue's wallet balances."""
        ...

    def fills(self) -> AsyncIterator[VenueFill]:
        """Yield each new fill once (deduplicated by trade id across WS and REST paths)."""
        ...

    def books(self) -> AsyncIterator[BookTop]:
        """Yield best bid/ask updates."""
        ...

    def quote_block(self) -> str | None:
        """Return the one-line reason quoting is blocked now (clock, book, stream, recon)."""
        ...
