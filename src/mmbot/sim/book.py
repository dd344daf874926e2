"""L2 books on price-indexed arrays over a window (region of interest) of the price axis.

Each book side is an int64 array of qty_lots indexed by price_ticks - roi_lo. Levels outside
the window are not kept; when a level that would be the new best falls outside, the window
re-centres on it (rare: the window is tens of thousands of ticks wide).
"""

from __future__ import annotations

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
from mmbot.sim.state import SimState


@compiled_inline
def side_index(side: int) -> int:
    """Map SIDE_BID (+1) to row 0 and SIDE_ASK (-1) to row 1."""
    return (1 - side) >> 1


@compiled_inline
def level_qty(st: SimState, book: int, side: int, price_ticks: int) -> int:
    """Return the qty_lots at a level; 0 outside the window."""
    idx = price_ticks - st.book_regs[book, B_ROI_LO_TICKS]
    if idx < 0 or idx >= st.book_qty.shape[2]:
        return 0
    return int(st.book_qty[book, side_index(side), idx])


@compiled_inline
def mid_ticks_x2(st: SimState, book: int) -> int:
    """Return best_bid + best_ask (twice the mid, an integer), 0 when a side is empty."""
    bid = st.book_regs[book, B_BEST_BID_TICKS]
    ask = st.book_regs[book, B_BEST_ASK_TICKS]
    if bid == NO_BID_TICKS or ask == NO_ASK_TICKS:
        return 0
    return int(bid + ask)


@compiled
def _scan_best(st: SimState, book: int, side: int, from_idx: int) -> int:
    """Return the best price at or beyond from_idx (towards worse prices), or the sentinel."""
    width = st.book_qty.shape[2]
    row = side_index(side)
    roi_lo = st.book_regs[book, B_ROI_LO_TICKS]
    if side == SIDE_BID:
        for idx in range(min(from_idx, width - 1), -1, -1):
            if st.book_qty[book, row, idx] > 0:
                return int(roi_lo + idx)
        return NO_BID_TICKS
    for idx in range(max(from_idx, 0), width):
        if st.book_qty[book, row, idx] > 0:
            return int(roi_lo + idx)
    return NO_ASK_TICKS


@compiled
def clear_book(st: SimState, book: int) -> None:
    """Empty both sides of a book."""
    st.book_qty[book, :, :] = 0
    st.book_regs[book, B_BEST_BID_TICKS] = NO_BID_TICKS
    st.book_regs[book, B_BEST_ASK_TICKS] = NO_ASK_TICKS


@compiled
def _recentre(st: SimState, book: int, price_ticks: int) -> None:
    """Move the window so price_ticks sits in its middle, keeping the levels that overlap."""
    width = st.book_qty.shape[2]
    old_lo = st.book_regs[book, B_ROI_LO_TICKS]
    new_lo = price_ticks - width // 2
    shift = new_lo - old_lo
    for row in range(2):
        levels = st.book_qty[book, row]
        # Copy in the direction that never overwrites a level before it has moved.
        if shift > 0:
            for idx in range(width):
                levels[idx] = levels[idx + shift] if idx + shift < width else 0
        else:
            for idx in range(width - 1, -1, -1):
                levels[idx] = levels[idx + shift] if idx + shift >= 0 else 0
    st.book_regs[book, B_ROI_LO_TICKS] = new_lo
    st.book_regs[book, B_BEST_BID_TICKS] = _scan_best(st, book, SIDE_BID, width - 1)
    st.book_regs[book, B_BEST_ASK_TICKS] = _scan_best(st, book, -SIDE_BID, 0)


@compiled
def _uncross(st: SimState, book: int, side: int, price_ticks: int) -> None:
    """Delete opposite levels at or through a new best: L2 feeds send those removals late."""
    roi_lo = st.book_regs[book, B_ROI_LO_TICKS]
    opposite_col = B_BEST_ASK_TICKS if side == SIDE_BID else B_BEST_BID_TICKS
    opposite_ticks = st.book_regs[book, opposite_col]
    low_idx = min(opposite_ticks, price_ticks) - roi_lo
    high_idx = max(opposite_ticks, price_ticks) - roi_lo
    st.book_qty[book, side_index(-side), low_idx : high_idx + 1] = 0
    st.book_regs[book, opposite_col] = _scan_best(st, book, -side, price_ticks - roi_lo)


@compiled_inline
def set_level(st: SimState, book: int, side: int, price_ticks: int, qty_lots: int) -> int:
    """Set a level to qty_lots (0 deletes) and return its previous qty_lots."""
    width = st.book_qty.shape[2]
    idx = price_ticks - st.book_regs[book, B_ROI_LO_TICKS]
    if idx < 0 or idx >= width:
        if qty_lots == 0:
            return 0
        best = st.book_regs[book, B_BEST_BID_TICKS if side == SIDE_BID else B_BEST_ASK_TICKS]
        if side * (price_ticks - best) <= 0:
            return 0  # a deep level outside the window: not needed near the touch
        _recentre(st, book, price_ticks)
        idx = price_ticks - st.book_regs[book, B_ROI_LO_TICKS]
    row = side_index(side)
    prev_lots = st.book_qty[book, row, idx]
    st.book_qty[book, row, idx] = qty_lots
    best_col = B_BEST_BID_TICKS if side == SIDE_BID else B_BEST_ASK_TICKS
    best = st.book_regs[book, best_col]
    if qty_lots > 0:
        if side * (price_ticks - best) > 0:
            st.book_regs[book, best_col] = price_ticks
            opposite = st.book_regs[
                book, B_BEST_ASK_TICKS if side == SIDE_BID else B_BEST_BID_TICKS
            ]
            if side * (price_ticks - opposite) >= 0:
                _uncross(st, book, side, price_ticks)
    elif price_ticks == best:
        st.book_regs[book, best_col] = _scan_best(st, book, side, idx - side)
    return int(prev_lots)


@compiled_inline
def apply_event(st: SimState, book: int, i: int) -> int:
    """Apply event i to a book; return the level's previous qty_lots (0 if not a level)."""
    kind = st.kind[i]
    if kind == KIND_SNAPSHOT:
        # The first row of a run of snapshot rows replaces the whole book.
        if st.book_regs[book, B_IN_SNAPSHOT] == 0:
            clear_book(st, book)
            st.book_regs[book, B_IN_SNAPSHOT] = 1
        return set_level(st, book, st.side[i], st.price_ticks[i], st.qty_lots[i])
    st.book_regs[book, B_IN_SNAPSHOT] = 0
    if kind == KIND_DEPTH:
        return set_level(st, book, st.side[i], st.price_ticks[i], st.qty_lots[i])
    if kind == KIND_CLEAR:
        clear_book(st, book)
    return 0
