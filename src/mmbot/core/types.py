"""Small immutable domain values shared by the strategy stack, risk gate, engine and venues.

Prices and sizes are int ticks and lots; floats appear only in USD amounts and model outputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Final, NamedTuple


class Side(IntEnum):
    """Our side of an order or a fill; `Side(x).name.lower()` is its name in files and messages.

    The hot path (strategy, risk gate, order manager, venues) carries the plain ints BUY and
    SELL: an IntEnum member hashes and compares several times slower than an int.
    """

    BUY = 1
    SELL = -1


BUY: Final = Side.BUY.value
SELL: Final = Side.SELL.value


class MarketView(NamedTuple):
    """What the strategy sees at a decision point (local time, after feed latency).

    A NamedTuple rather than a frozen dataclass: it is built at every decision point and a
    NamedTuple costs a third of the construction time while staying immutable.

    Trade aggregates cover the trades seen since the previous decision; `*_trade_depth_ticks`
    is how far from the mid (at the previous decision) the farthest trade on that side
    reached, -1 when there was none - the input of the A/k intensity fit.
    """

    ts_ns: int
    best_bid_ticks: int
    best_bid_lots: int
    best_ask_ticks: int
    best_ask_lots: int
    bid_depth_lots: int
    ask_depth_lots: int
    buy_volume_lots: int
    sell_volume_lots: int
    buy_trade_depth_ticks: int
    sell_trade_depth_ticks: int


class _QuoteFields(NamedTuple):
    bid_ticks: int
    ask_ticks: int
    bid_lots: int
    ask_lots: int


class Quote(_QuoteFields):
    """A two-sided quote the strategy wants resting; a side with 0 lots is not quoted.

    An immutable NamedTuple validated on construction: it is built at every decision, and
    this costs half of a validated frozen dataclass (0.29 vs 0.57 us).
    """

    __slots__ = ()

    def __new__(cls, bid_ticks: int, ask_ticks: int, bid_lots: int, ask_lots: int) -> Quote:
        if bid_lots < 0 or ask_lots < 0:
            raise ValueError(f"quote sizes must be >= 0: bid={bid_lots} ask={ask_lots}")
        if bid_lots > 0 and ask_lots > 0 and bid_ticks >= ask_ticks:
            raise ValueError(f"crossed quote: bid={bid_ticks} >= ask={ask_ticks}")
        return tuple.__new__(cls, (bid_ticks, ask_ticks, bid_lots, ask_lots))


@dataclass(frozen=True, slots=True)
class PlaceOrder:
    """Place a post-only limit order."""

    client_id: str
    side: int
    price_ticks: int
    qty_lots: int


@dataclass(frozen=True, slots=True)
class CancelOrder:
    """Cancel a resting order."""

    client_id: str


@dataclass(frozen=True, slots=True)
class ReplaceOrder:
    """Move a resting order to a new price/size (loses queue priority unless only size drops)."""

    client_id: str
    new_client_id: str
    side: int
    price_ticks: int
    qty_lots: int


Action = PlaceOrder | CancelOrder | ReplaceOrder


@dataclass(frozen=True, slots=True)
class Denied:
    """A risk-gate rejection: a value the engine counts and logs, never an exception."""

    code: str
    reason: str
    action: Action
