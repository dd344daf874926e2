"""A full-depth book in int ticks and lots, kept while importing a depth stream.

The importer needs more than the best prices (data/book.py gives those): the size at the
top, to compare with the venue's bookTicker, and every level better than a price, to delete
what a bookTicker shows is gone. Each side is a dict price -> qty and a sorted list of its
prices (bisect: O(levels) per new or deleted level, a memmove of a few thousand ints).

A bookTicker moves the top of the book between two depth diffs (diffs come every ~50 ms,
the ticker in real time): `top_rows` returns the depth rows that make the book's top equal
the ticker, ordered so the book is never crossed nor has an empty side between two rows.
"""

from __future__ import annotations

import bisect
from typing import NamedTuple

from mmbot.data.schema import SIDE_ASK, SIDE_BID


class Level(NamedTuple):
    """One depth row: side, price_ticks and the new qty_lots there (0 deletes the level)."""

    side: int
    price_ticks: int
    qty_lots: int


class Top(NamedTuple):
    """The best bid and ask and their sizes."""

    bid_ticks: int
    bid_lots: int
    ask_ticks: int
    ask_lots: int


class _Side:
    """One side: better prices are higher for bids, lower for asks."""

    def __init__(self, side: int) -> None:
        self.side = side
        self.qty: dict[int, int] = {}
        self.prices: list[int] = []  # ascending

    def set(self, price_ticks: int, qty_lots: int) -> None:
        if qty_lots == 0:
            if self.qty.pop(price_ticks, None) is not None:
                del self.prices[bisect.bisect_left(self.prices, price_ticks)]
            return
        if price_ticks not in self.qty:
            bisect.insort(self.prices, price_ticks)
        self.qty[price_ticks] = qty_lots

    def best(self) -> int | None:
        if not self.prices:
            return None
        return self.prices[-1] if self.side == SIDE_BID else self.prices[0]

    def better_than(self, price_ticks: int) -> list[int]:
        """Return the prices strictly better than price_ticks, best last."""
        if self.side == SIDE_BID:
            return self.prices[bisect.bisect_right(self.prices, price_ticks) :]
        return self.prices[: bisect.bisect_left(self.prices, price_ticks)][::-1]

    def clear(self) -> None:
        self.qty.clear()
        self.prices.clear()


class LevelBook:
    """Both sides of a book; rows applied one at a time."""

    def __init__(self) -> None:
        self._sides = {SIDE_BID: _Side(SIDE_BID), SIDE_ASK: _Side(SIDE_ASK)}

    def clear(self) -> None:
        """Empty both sides."""
        for side in self._sides.values():
            side.clear()

    def apply(self, level: Level) -> None:
        """Set one level (qty 0 deletes it)."""
        self._sides[level.side].set(level.price_ticks, level.qty_lots)

    def top(self) -> Top | None:
        """Return the best bid and ask with their sizes; None when a side is empty."""
        bids, asks = self._sides[SIDE_BID], self._sides[SIDE_ASK]
        bid, ask = bids.best(), asks.best()
        if bid is None or ask is None:
            return None
        return Top(bid, bids.qty[bid], ask, asks.qty[ask])

    def crossed(self) -> bool:
        """Return True when both sides hold levels and best bid >= best ask."""
        top = self.top()
        return top is not None and top.bid_ticks >= top.ask_ticks

    def top_rows(self, top: Top) -> list[Level]:
        """Apply a bookTicker's top; return the rows that did it, in the order applied.

        Per side: set the new best level, then delete every level better than it. The ask
        side goes first when the new ask is above the current best bid (so setting it cannot
        cross), else the bid side (the new bid is below the new ask, which is at or below
        the current best bid, hence below every current ask).
        """
        best_bid = self._sides[SIDE_BID].best()
        ask_first = best_bid is None or top.ask_ticks > best_bid
        order = (SIDE_ASK, SIDE_BID) if ask_first else (SIDE_BID, SIDE_ASK)
        wanted = {SIDE_BID: (top.bid_ticks, top.bid_lots), SIDE_ASK: (top.ask_ticks, top.ask_lots)}
        rows: list[Level] = []
        for side_code in order:
            side = self._sides[side_code]
            price_ticks, qty_lots = wanted[side_code]
            changes = [] if side.qty.get(price_ticks) == qty_lots else [(price_ticks, qty_lots)]
            changes += [(price, 0) for price in side.better_than(price_ticks)]
            for price, qty in changes:
                level = Level(side_code, price, qty)
                side.set(price, qty)
                rows.append(level)
        return rows
