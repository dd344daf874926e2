"""What the strategy sees at a decision point, gathered in compiled code from the local book.

`local_view` reads the strategy's book (feed latency applied) and the trades that reached
the strategy since the previous decision, so the Python decision path gets one small int64
array instead of walking events itself. `advance_with_view` is the decision point's one
compiled call: it runs the simulation and then fills the same array, without moving the trade
cursor (V_CURSOR) to V_VIEW_END until the caller takes the view: each Python -> compiled
call unboxes the state's ~20 arrays, and a view filled but never read (a catch-up that decides
nothing) must leave its trades to the next view.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray

from mmbot.data.schema import KIND_TRADE, SIDE_ASK, SIDE_BID, SIDE_BUY
from mmbot.sim.book import level_qty, mid_ticks_x2, side_index
from mmbot.sim.engine import advance
from mmbot.sim.jit import compiled
from mmbot.sim.layout import (
    B_BEST_ASK_TICKS,
    B_BEST_BID_TICKS,
    B_ROI_LO_TICKS,
    BOOK_EXCH,
    BOOK_LOCAL,
    NO_ASK_TICKS,
    NO_BID_TICKS,
    R_LOCAL_CURSOR,
    R_NOW_NS,
    R_REP_DELIVERED,
    R_REP_HEAD,
    ST_REACHED,
)
from mmbot.sim.state import I64, SimState

# Columns of the view array.
V_BEST_BID_TICKS: Final = 0
V_BEST_BID_LOTS: Final = 1
V_BEST_ASK_TICKS: Final = 2
V_BEST_ASK_LOTS: Final = 3
V_BID_DEPTH_LOTS: Final = 4
V_ASK_DEPTH_LOTS: Final = 5
V_BUY_VOLUME_LOTS: Final = 6
V_SELL_VOLUME_LOTS: Final = 7
V_BUY_TRADE_DEPTH_TICKS: Final = 8
V_SELL_TRADE_DEPTH_TICKS: Final = 9
V_EXCH_MID_TICKS_X2: Final = 10
V_CURSOR: Final = 11  # first event whose trades the next view sums
V_VIEW_END: Final = 12  # the strategy's event cursor when the view was filled
V_N_EVENTS: Final = 13  # events loaded when the view was filled
V_REPORTS_WAITING: Final = 14  # reports delivered to the strategy and not taken yet
N_VIEW: Final = 15

# advance_with_view's answer when until_ns is before the simulation's clock: nothing ran.
ST_BEHIND: Final = -1


def new_view() -> NDArray[np.int64]:
    """Return an empty view array (reuse it across decisions: no allocation per decision)."""
    return np.zeros(N_VIEW, dtype=np.int64)


@compiled
def _depth_lots(book_qty: I64, book_regs: I64, side: int, best_ticks: int, levels: int) -> int:
    """Sum the qty of the first `levels` non-empty price levels from the best outwards."""
    width = book_qty.shape[2]
    row = side_index(side)
    idx = best_ticks - book_regs[BOOK_LOCAL, B_ROI_LO_TICKS]
    total = 0
    found = 0
    step = -1 if side == SIDE_BID else 1
    while 0 <= idx < width and found < levels:
        qty = book_qty[BOOK_LOCAL, row, idx]
        if qty > 0:
            total += qty
            found += 1
        idx += step
    return total


@compiled
def local_view(st: SimState, ref_mid_x2: int, depth_levels: int, out: I64) -> None:
    """Fill out with the view now and take it: its trades are not summed again."""
    fill_view(st, ref_mid_x2, depth_levels, out)
    out[V_CURSOR] = out[V_VIEW_END]


@compiled
def advance_with_view(
    st: SimState, until_ns: int, ref_mid_x2: int, depth_levels: int, out: I64
) -> int:
    """engine.advance, then (once it reached until_ns) fill_view; return advance's ST_* code,
    or ST_BEHIND (nothing done) when until_ns is before the simulation's clock."""
    if until_ns < st.regs[R_NOW_NS]:
        return ST_BEHIND
    status = advance(st, until_ns)
    if status == ST_REACHED:
        fill_view(st, ref_mid_x2, depth_levels, out)
    return status


@compiled
def fill_view(st: SimState, ref_mid_x2: int, depth_levels: int, out: I64) -> None:
    """Fill out (V_* columns) with the strategy's book and the trades from out[V_CURSOR] to
    the strategy's cursor (V_VIEW_END); out[V_CURSOR] stays: the caller moves it when it
    takes the view.

    Trade depth is how far from ref_mid_x2/2 (the mid at the previous decision) the farthest
    trade on each side reached, in whole ticks; -1 when that side did not trade.
    """
    # Taken out of the state once: numba counts a reference to every array of the tuple at
    # each call that takes it (engine.py explains).
    book_qty, book_regs = st.book_qty, st.book_regs
    kind, side, price_ticks, qty_lots = st.kind, st.side, st.price_ticks, st.qty_lots
    bid = book_regs[BOOK_LOCAL, B_BEST_BID_TICKS]
    ask = book_regs[BOOK_LOCAL, B_BEST_ASK_TICKS]
    has_bid = bid != NO_BID_TICKS
    has_ask = ask != NO_ASK_TICKS
    out[V_BEST_BID_TICKS] = bid if has_bid else 0
    out[V_BEST_ASK_TICKS] = ask if has_ask else 0
    out[V_BEST_BID_LOTS] = (
        level_qty(book_qty, book_regs, BOOK_LOCAL, SIDE_BID, bid) if has_bid else 0
    )
    out[V_BEST_ASK_LOTS] = (
        level_qty(book_qty, book_regs, BOOK_LOCAL, SIDE_ASK, ask) if has_ask else 0
    )
    out[V_BID_DEPTH_LOTS] = (
        _depth_lots(book_qty, book_regs, SIDE_BID, bid, depth_levels) if has_bid else 0
    )
    out[V_ASK_DEPTH_LOTS] = (
        _depth_lots(book_qty, book_regs, SIDE_ASK, ask, depth_levels) if has_ask else 0
    )
    buy_lots = 0
    sell_lots = 0
    buy_depth = -1
    sell_depth = -1
    end = st.regs[R_LOCAL_CURSOR]
    for i in range(out[V_CURSOR], end):
        if kind[i] != KIND_TRADE:
            continue
        # Twice the distance from the reference mid, floored to whole ticks.
        distance_x2 = side[i] * (2 * price_ticks[i] - ref_mid_x2)
        depth = max(distance_x2, 0) // 2
        if side[i] == SIDE_BUY:
            buy_lots += qty_lots[i]
            buy_depth = max(buy_depth, depth)
        else:
            sell_lots += qty_lots[i]
            sell_depth = max(sell_depth, depth)
    out[V_BUY_VOLUME_LOTS] = buy_lots
    out[V_SELL_VOLUME_LOTS] = sell_lots
    out[V_BUY_TRADE_DEPTH_TICKS] = buy_depth
    out[V_SELL_TRADE_DEPTH_TICKS] = sell_depth
    out[V_EXCH_MID_TICKS_X2] = mid_ticks_x2(book_regs, BOOK_EXCH)
    out[V_VIEW_END] = end
    out[V_N_EVENTS] = len(kind)
    out[V_REPORTS_WAITING] = st.regs[R_REP_DELIVERED] - st.regs[R_REP_HEAD]
