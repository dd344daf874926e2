"""L2 books on price-indexed arrays over a window (region of interest) of the price axis.

Each book side is an int64 array of qty_lots indexed by price_ticks - roi_lo. Levels outside
the window are not kept; when a level that would be the new best falls outside, the window
re-centres on it (rare: the window is tens of thousands of ticks wide).

Every function takes the two arrays of the books (SimState.book_qty, SimState.book_regs),
never the whole SimState: numba reference-counts each array of a tuple at every call or
inlined call that takes it (two dozen counter updates a call), which on these per-event
functions cost several times their work. `qty` is [book, side_index, price - roi_lo] and
`regs` is [book, B_*].
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from mmbot.data.schema import KIND_CLEAR, KIND_DEPTH, KIND_SNAPSHOT, SIDE_BID
from mmbot.sim.jit import compiled, compiled_inline
from mmbot.sim.layout import (
    B_BEST_ASK_TICKS,
    B_BEST_BID_TICKS,
    B_IN_SNAPSHOT,
    B_ROI_LO_TICKS,
    NO_ASK_TICKS,
    NO_BID_TICKS,
)

I64 = NDArray[np.int64]


@compiled_inline
def side_index(side: int) -> int:
    """Map SIDE_BID (+1) to row 0 and SIDE_ASK (-1) to row 1."""
    return (1 - side) >> 1


@compiled_inline
def level_qty(qty: I64, regs: I64, book: int, side: int, price_ticks: int) -> int:
    """Return the qty_lots at a level; 0 outside the window."""
    idx = price_ticks - regs[book, B_ROI_LO_TICKS]
    if idx < 0 or idx >= qty.shape[2]:
        return 0
    return int(qty[book, side_index(side), idx])


@compiled_inline
def mid_ticks_x2(regs: I64, book: int) -> int:
    """Return best_bid + best_ask (twice the mid, an integer), 0 when a side is empty."""
    bid = regs[book, B_BEST_BID_TICKS]
    ask = regs[book, B_BEST_ASK_TICKS]
    if bid == NO_BID_TICKS or ask == NO_ASK_TICKS:
        return 0
    return int(bid + ask)


@compiled_inline
def _best_of(qty: I64, regs: I64, book: int, side: int, from_idx: int) -> int:
    """Return the best price of a book side at or beyond from_idx (towards worse prices),
    or the side's sentinel."""
    # Indexes the 3-d array rather than taking a view of the side: a view is one more
    # reference to count in the per-event code that inlines this.
    width = qty.shape[2]
    row = side_index(side)
    roi_lo = regs[book, B_ROI_LO_TICKS]
    if side == SIDE_BID:
        for idx in range(min(from_idx, width - 1), -1, -1):
            if qty[book, row, idx] > 0:
                return int(roi_lo + idx)
        return NO_BID_TICKS
    for idx in range(max(from_idx, 0), width):
        if qty[book, row, idx] > 0:
            return int(roi_lo + idx)
    return NO_ASK_TICKS


@compiled
def clear_book(qty: I64, regs: I64, book: int) -> None:
    """Empty both sides of a book."""
    qty[book, :, :] = 0
    regs[book, B_BEST_BID_TICKS] = NO_BID_TICKS
    regs[book, B_BEST_ASK_TICKS] = NO_ASK_TICKS


@compiled
def _recentre(qty: I64, regs: I64, book: int, price_ticks: int) -> None:
    """Move the window so price_ticks sits in its middle, keeping the levels that overlap."""
    width = qty.shape[2]
    old_lo = regs[book, B_ROI_LO_TICKS]
    new_lo = price_ticks - width // 2
    shift = new_lo - old_lo
    for row in range(2):
        levels = qty[book, row]
        # Copy in the direction that never overwrites a level before it has moved.
        if shift > 0:
            for idx in range(width):
                levels[idx] = levels[idx + shift] if idx + shift < width else 0
        else:
            for idx in range(width - 1, -1, -1):
                levels[idx] = levels[idx + shift] if idx + shift >= 0 else 0
    regs[book, B_ROI_LO_TICKS] = new_lo
    regs[book, B_BEST_BID_TICKS] = _best_of(qty, regs, book, SIDE_BID, width - 1)
    regs[book, B_BEST_ASK_TICKS] = _best_of(qty, regs, book, -SIDE_BID, 0)


@compiled
def _uncross(qty: I64, regs: I64, book: int, side: int, price_ticks: int) -> None:
    """Delete opposite levels at or through a new best: L2 feeds send those removals late."""
    roi_lo = regs[book, B_ROI_LO_TICKS]
    opposite_col = B_BEST_ASK_TICKS if side == SIDE_BID else B_BEST_BID_TICKS
    opposite_ticks = regs[book, opposite_col]
    low_idx = min(opposite_ticks, price_ticks) - roi_lo
    high_idx = max(opposite_ticks, price_ticks) - roi_lo
    qty[book, side_index(-side), low_idx : high_idx + 1] = 0
    regs[book, opposite_col] = _best_of(qty, regs, book, -side, price_ticks - roi_lo)


@compiled_inline
def set_level(qty: I64, regs: I64, book: int, side: int, price_ticks: int, qty_lots: int) -> int:
    """Set a level to qty_lots (0 deletes) and return its previous qty_lots."""
    width = qty.shape[2]
    idx = price_ticks - regs[book, B_ROI_LO_TICKS]
    if idx < 0 or idx >= width:
        if qty_lots == 0:
            return 0
        best = regs[book, B_BEST_BID_TICKS if side == SIDE_BID else B_BEST_ASK_TICKS]
        if side * (price_ticks - best) <= 0:
            return 0  # a deep level outside the window: not needed near the touch
        _recentre(qty, regs, book, price_ticks)
        idx = price_ticks - regs[book, B_ROI_LO_TICKS]
    row = side_index(side)
    prev_lots = qty[book, row, idx]
    qty[book, row, idx] = qty_lots
    best_col = B_BEST_BID_TICKS if side == SIDE_BID else B_BEST_ASK_TICKS
    best = regs[book, best_col]
    if qty_lots > 0:
        if side * (price_ticks - best) > 0:
            regs[book, best_col] = price_ticks
            opposite = regs[book, B_BEST_ASK_TICKS if side == SIDE_BID else B_BEST_BID_TICKS]
            if side * (price_ticks - opposite) >= 0:
                _uncross(qty, regs, book, side, price_ticks)
    elif price_ticks == best:
        regs[book, best_col] = _best_of(qty, regs, book, side, idx - side)
    return int(prev_lots)


@compiled_inline
def apply_event(
    qty: I64, regs: I64, book: int, kind: int, side: int, price_ticks: int, qty_lots: int
) -> int:
    """Apply one event row to a book; return the level's previous qty_lots (0 if not a level)."""
    if kind == KIND_SNAPSHOT:
        # The first row of a run of snapshot rows replaces the whole book.
        if regs[book, B_IN_SNAPSHOT] == 0:
            clear_book(qty, regs, book)
            regs[book, B_IN_SNAPSHOT] = 1
        return set_level(qty, regs, book, side, price_ticks, qty_lots)
    regs[book, B_IN_SNAPSHOT] = 0
    if kind == KIND_DEPTH:
        return set_level(qty, regs, book, side, price_ticks, qty_lots)
    if kind == KIND_CLEAR:
        clear_book(qty, regs, book)
    return 0
