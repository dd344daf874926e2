"""The venue side: requests arriving, taker walks, maker fills, reports.

Everything here runs at exchange time against the venue's book (BOOK_EXCH). Our orders are
not in the recorded data, so they never change the public levels, except that liquidity our
orders consume from the book is removed from it until the feed next updates the level.

Resting orders of ours are filled (as maker, at their own price) in two ways:
  - a public trade reaches them (on_trade): at our price it first eats the queue ahead of us;
    printed through our price it swept the level;
  - the book crosses them (on_cross): a depth or snapshot row puts a level on the other side
    at or through our price (an ask at or below our bid, a bid at or above our ask) with no
    trade. That order would have matched ours first: we rest at a price at least as good for
    it, and any public order at our price was gone (a level cannot rest against it), so queue
    position does not matter. The row's qty_lots is the crossing liquidity (no other level
    on that side can be at or through our price: it would have crossed us already). It fills
    our crossed orders best price first, then time, min(leaves, what is left of it) each;
    orders deeper than the row's price are untouched.
No double use of a crossing level: what we took is removed from the venue's level (like a
taker walk), and is remembered per side as "crossed, not yet printed" (R_CROSS_UNPRINTED_LOTS):
the tape may print the same order's execution after the depth row, so the next trades by that
side at or through the crossing price first pay that off before they may fill us. It is
dropped when the feed next writes that level (or clears the book, or starts a snapshot).
"""

from __future__ import annotations

from mmbot.data.schema import KIND_CLEAR, KIND_DEPTH, KIND_SNAPSHOT, KIND_TRADE, SIDE_BID
from mmbot.sim.book import level_qty, mid_ticks_x2, set_level, side_index
from mmbot.sim.fees import charge_fee, notional_usd
from mmbot.sim.jit import compiled, compiled_inline
from mmbot.sim.layout import (
    B_BEST_ASK_TICKS,
    B_BEST_BID_TICKS,
    B_IN_SNAPSHOT,
    BOOK_EXCH,
    FLAG_IOC,
    FLAG_POST_ONLY,
    L_CLIENT_ID,
    L_IS_MAKER,
    L_MID_TICKS_X2,
    L_ORDER_ID,
    L_PRICE_TICKS,
    L_QTY_LOTS,
    L_SIDE,
    L_TS_EXCH_NS,
    L_TS_LOCAL_NS,
    MAX_TAKER_LEVELS,
    O_CLIENT_ID,
    O_FILLED_LOTS,
    O_FLAGS,
    O_LEAVES_LOTS,
    O_ORDER_ID,
    O_PRICE_TICKS,
    O_PRIORITY,
    O_SIDE,
    O_TS_LIVE_NS,
    OX_QUEUE_AHEAD_LOTS,
    OX_TRADED_SINCE_DEPTH_LOTS,
    P_CLIENT_ID,
    P_IS_MAKER,
    P_KIND,
    P_LEAVES_LOTS,
    P_ORDER_ID,
    P_PRICE_TICKS,
    P_QTY_LOTS,
    P_REASON,
    P_SIDE,
    P_TS_EXCH_NS,
    P_TS_LOCAL_NS,
    Q_CLIENT_ID,
    Q_FLAGS,
    Q_ORDER_ID,
    Q_PRICE_TICKS,
    Q_QTY_LOTS,
    Q_SIDE,
    Q_TYPE,
    R_CROSS_PRICE_TICKS,
    R_CROSS_UNPRINTED_LOTS,
    R_N_ACTIVE,
    R_N_FILLS,
    R_N_FREE,
    R_POSITION_VENUE_LOTS,
    R_PRIORITY_SEQ,
    R_QUEUE_MODEL,
    R_REP_TAIL,
    R_RESPONSE_LATENCY_NS,
    REASON_POST_ONLY_CROSS,
    REASON_TOO_MANY_ORDERS,
    REASON_UNKNOWN_ORDER,
    REP_ACK,
    REP_CANCELED,
    REP_EXPIRED,
    REP_FILL,
    REP_MODIFIED,
    REP_REJECT,
    REQ_CANCEL,
    REQ_MODIFY,
    REQ_NEW,
    X_CASH_VENUE_USD,
    X_PROB_POWER,
)
from mmbot.sim.queue import queue_after_depth_change
from mmbot.sim.state import SimState

# Queue estimates are fractional under the prob model; this absorbs float round-off so that
# an excess of 2.9999999999 lots still fills 3 lots.
QUEUE_EPS_LOTS = 1e-9


@compiled
def _new_report(st: SimState, ts_exch_ns: int, kind: int, price_ticks: int, qty_lots: int) -> int:
    """Append a report for the strategy (arriving after the response latency); return its row."""
    tail = st.regs[R_REP_TAIL]
    p = tail & (len(st.rep) - 1)
    row = st.rep[p]
    row[:] = 0
    row[P_TS_EXCH_NS] = ts_exch_ns
    row[P_TS_LOCAL_NS] = ts_exch_ns + st.regs[R_RESPONSE_LATENCY_NS]
    row[P_KIND] = kind
    row[P_PRICE_TICKS] = price_ticks
    row[P_QTY_LOTS] = qty_lots
    st.rep_fee_usd[p] = 0.0
    st.regs[R_REP_TAIL] = tail + 1
    return int(p)


@compiled
def _report(st: SimState, ts_exch_ns: int, kind: int, slot: int, qty_lots: int) -> int:
    """Append a report about an order slot at the order's price; return its row."""
    order = st.ord_i[slot]
    p = _new_report(st, ts_exch_ns, kind, order[O_PRICE_TICKS], qty_lots)
    row = st.rep[p]
    row[P_ORDER_ID] = order[O_ORDER_ID]
    row[P_CLIENT_ID] = order[O_CLIENT_ID]
    row[P_SIDE] = order[O_SIDE]
    row[P_LEAVES_LOTS] = order[O_LEAVES_LOTS]
    return p


@compiled
def _reject(st: SimState, q: int, ts_exch_ns: int, reason: int) -> None:
    """Append the reject of request row q; no order changes."""
    req = st.req[q]
    row = st.rep[_new_report(st, ts_exch_ns, REP_REJECT, req[Q_PRICE_TICKS], 0)]
    row[P_ORDER_ID] = req[Q_ORDER_ID]
    row[P_CLIENT_ID] = req[Q_CLIENT_ID]
    row[P_SIDE] = req[Q_SIDE]
    row[P_REASON] = reason


@compiled
def _fill(
    st: SimState,
    slot: int,
    ts_exch_ns: int,
    price_ticks: int,
    qty_lots: int,
    is_maker: int,
    mid_x2: int,
) -> None:
    """Execute qty_lots of an order: cash, position, fee, fill log row and report."""
    order = st.ord_i[slot]
    side = order[O_SIDE]
    notional = notional_usd(st, price_ticks, qty_lots)
    fee = charge_fee(st, notional, is_maker == 1)
    st.xregs[X_CASH_VENUE_USD] -= side * notional + fee
    st.regs[R_POSITION_VENUE_LOTS] += side * qty_lots
    order[O_LEAVES_LOTS] -= qty_lots
    order[O_FILLED_LOTS] += qty_lots
    n = st.regs[R_N_FILLS]
    row = st.fill_i[n]
    row[L_TS_EXCH_NS] = ts_exch_ns
    row[L_TS_LOCAL_NS] = ts_exch_ns + st.regs[R_RESPONSE_LATENCY_NS]
    row[L_ORDER_ID] = order[O_ORDER_ID]
    row[L_CLIENT_ID] = order[O_CLIENT_ID]
    row[L_SIDE] = side
    row[L_PRICE_TICKS] = price_ticks
    row[L_QTY_LOTS] = qty_lots
    row[L_IS_MAKER] = is_maker
    row[L_MID_TICKS_X2] = mid_x2
    st.fill_fee_usd[n] = fee
    st.regs[R_N_FILLS] = n + 1
    p = _report(st, ts_exch_ns, REP_FILL, slot, qty_lots)
    st.rep[p, P_PRICE_TICKS] = price_ticks  # a taker fill names the level it took, not its limit
    st.rep[p, P_IS_MAKER] = is_maker
    st.rep_fee_usd[p] = fee


@compiled
def _crosses(st: SimState, side: int, price_ticks: int) -> bool:
    """Return True when a limit at price_ticks would trade on arrival (post-only check)."""
    if side == SIDE_BID:
        return bool(price_ticks >= st.book_regs[BOOK_EXCH, B_BEST_ASK_TICKS])
    return bool(price_ticks <= st.book_regs[BOOK_EXCH, B_BEST_BID_TICKS])


@compiled
def _take(st: SimState, slot: int, ts_exch_ns: int) -> None:
    """Walk the opposite side up to the order's limit, one fill per level (slippage)."""
    order = st.ord_i[slot]
    side = order[O_SIDE]
    limit_ticks = order[O_PRICE_TICKS]
    best_col = B_BEST_ASK_TICKS if side == SIDE_BID else B_BEST_BID_TICKS
    # The mid our order met, before it moved the book.
    mid_x2 = mid_ticks_x2(st.book_regs, BOOK_EXCH)
    for _ in range(MAX_TAKER_LEVELS):
        if order[O_LEAVES_LOTS] == 0 or not _crosses(st, side, limit_ticks):
            return
        level_ticks = st.book_regs[BOOK_EXCH, best_col]
        available_lots = level_qty(st.book_qty, st.book_regs, BOOK_EXCH, -side, level_ticks)
        qty_lots = min(available_lots, order[O_LEAVES_LOTS])
        # No double use: what we took is gone until the feed next rewrites this level.
        set_level(
            st.book_qty, st.book_regs, BOOK_EXCH, -side, level_ticks, available_lots - qty_lots
        )
        _fill(st, slot, ts_exch_ns, level_ticks, qty_lots, 0, mid_x2)


@compiled
def _release(st: SimState, slot: int) -> None:
    st.free[st.regs[R_N_FREE]] = slot
    st.regs[R_N_FREE] += 1


@compiled
def _find_active(st: SimState, order_id: int) -> int:
    """Return the index in st.active of a resting order, or -1."""
    for k in range(st.regs[R_N_ACTIVE]):
        if st.ord_i[st.active[k], O_ORDER_ID] == order_id:
            return k
    return -1


@compiled
def _deactivate(st: SimState, k: int) -> None:
    last = st.regs[R_N_ACTIVE] - 1
    st.active[k] = st.active[last]
    st.regs[R_N_ACTIVE] = last


@compiled
def _execute(st: SimState, slot: int, ts_exch_ns: int) -> None:
    """Take what crosses, then rest the remainder at the back of its level's queue."""
    order = st.ord_i[slot]
    if _crosses(st, order[O_SIDE], order[O_PRICE_TICKS]):
        _take(st, slot, ts_exch_ns)
    if order[O_LEAVES_LOTS] == 0:
        _release(st, slot)
        return
    if order[O_FLAGS] & FLAG_IOC:
        _report(st, ts_exch_ns, REP_EXPIRED, slot, order[O_LEAVES_LOTS])
        _release(st, slot)
        return
    st.regs[R_PRIORITY_SEQ] += 1
    order[O_PRIORITY] = st.regs[R_PRIORITY_SEQ]
    order[O_TS_LIVE_NS] = ts_exch_ns
    visible = level_qty(st.book_qty, st.book_regs, BOOK_EXCH, order[O_SIDE], order[O_PRICE_TICKS])
    st.ord_x[slot, OX_QUEUE_AHEAD_LOTS] = float(visible)
    st.ord_x[slot, OX_TRADED_SINCE_DEPTH_LOTS] = 0.0
    st.active[st.regs[R_N_ACTIVE]] = slot
    st.regs[R_N_ACTIVE] += 1


@compiled
def _on_new(st: SimState, q: int, ts_exch_ns: int) -> None:
    req = st.req[q]
    if st.regs[R_N_FREE] == 0:
        _reject(st, q, ts_exch_ns, REASON_TOO_MANY_ORDERS)
        return
    if req[Q_FLAGS] & FLAG_POST_ONLY and _crosses(st, req[Q_SIDE], req[Q_PRICE_TICKS]):
        _reject(st, q, ts_exch_ns, REASON_POST_ONLY_CROSS)
        return
    st.regs[R_N_FREE] -= 1
    slot = st.free[st.regs[R_N_FREE]]
    order = st.ord_i[slot]
    order[O_ORDER_ID] = req[Q_ORDER_ID]
    order[O_CLIENT_ID] = req[Q_CLIENT_ID]
    order[O_SIDE] = req[Q_SIDE]
    order[O_PRICE_TICKS] = req[Q_PRICE_TICKS]
    order[O_LEAVES_LOTS] = req[Q_QTY_LOTS]
    order[O_FILLED_LOTS] = 0
    order[O_FLAGS] = req[Q_FLAGS]
    _report(st, ts_exch_ns, REP_ACK, slot, req[Q_QTY_LOTS])
    _execute(st, slot, ts_exch_ns)


@compiled
def _on_modify(st: SimState, q: int, ts_exch_ns: int) -> None:
    req = st.req[q]
    k = _find_active(st, req[Q_ORDER_ID])
    if k < 0:
        _reject(st, q, ts_exch_ns, REASON_UNKNOWN_ORDER)
        return
    slot = st.active[k]
    order = st.ord_i[slot]
    new_price, new_qty = req[Q_PRICE_TICKS], req[Q_QTY_LOTS]
    if new_price == order[O_PRICE_TICKS] and new_qty <= order[O_LEAVES_LOTS]:
        order[O_LEAVES_LOTS] = new_qty  # a pure size reduction keeps queue priority
        _report(st, ts_exch_ns, REP_MODIFIED, slot, new_qty)
        return
    if order[O_FLAGS] & FLAG_POST_ONLY and _crosses(st, order[O_SIDE], new_price):
        # The amend is refused; the original order keeps resting untouched.
        _reject(st, q, ts_exch_ns, REASON_POST_ONLY_CROSS)
        return
    _deactivate(st, k)
    order[O_PRICE_TICKS] = new_price
    order[O_LEAVES_LOTS] = new_qty
    _report(st, ts_exch_ns, REP_MODIFIED, slot, new_qty)
    _execute(st, slot, ts_exch_ns)


@compiled
def on_request(st: SimState, q: int, ts_exch_ns: int) -> None:
    """Handle request row q arriving at the venue."""
    kind = st.req[q, Q_TYPE]
    if kind == REQ_NEW:
        _on_new(st, q, ts_exch_ns)
    elif kind == REQ_MODIFY:
        _on_modify(st, q, ts_exch_ns)
    elif kind == REQ_CANCEL:
        k = _find_active(st, st.req[q, Q_ORDER_ID])
        if k < 0:
            _reject(st, q, ts_exch_ns, REASON_UNKNOWN_ORDER)
            return
        slot = st.active[k]
        leaves = st.ord_i[slot, O_LEAVES_LOTS]
        _report(st, ts_exch_ns, REP_CANCELED, slot, leaves)
        _deactivate(st, k)
        _release(st, slot)


@compiled_inline
def on_depth(st: SimState, side: int, price_ticks: int, prev_lots: int, new_lots: int) -> bool:
    """Move our orders at a level forward after the level changed size.

    Return True when the level (new_lots > 0) crosses one of our orders on the other side.
    """
    model = st.regs[R_QUEUE_MODEL]
    power = st.xregs[X_PROB_POWER]
    crossed = False
    for k in range(st.regs[R_N_ACTIVE]):
        slot = st.active[k]
        order_side = st.ord_i[slot, O_SIDE]
        order_price_ticks = st.ord_i[slot, O_PRICE_TICKS]
        if order_side != side:
            # Our bid at or above the new ask level, our ask at or below the new bid level.
            crossed = crossed or order_side * (order_price_ticks - price_ticks) >= 0
            continue
        if order_price_ticks != price_ticks:
            continue
        queue = st.ord_x[slot]
        queue[OX_QUEUE_AHEAD_LOTS] = queue_after_depth_change(
            queue[OX_QUEUE_AHEAD_LOTS],
            queue[OX_TRADED_SINCE_DEPTH_LOTS],
            prev_lots,
            new_lots,
            model,
            power,
        )
        queue[OX_TRADED_SINCE_DEPTH_LOTS] = 0.0
    return crossed and new_lots > 0


@compiled_inline
def _fillable_in_priority(st: SimState, aggressor: int, price_ticks: int) -> int:
    """Put our orders a trade can reach into st.scratch, best price then time first."""
    n = 0
    for k in range(st.regs[R_N_ACTIVE]):
        slot = st.active[k]
        side = st.ord_i[slot, O_SIDE]
        # A seller (aggressor -1) reaches our bids at or above the trade price, and so on.
        if side != -aggressor or side * (st.ord_i[slot, O_PRICE_TICKS] - price_ticks) < 0:
            continue
        key_price = -side * st.ord_i[slot, O_PRICE_TICKS]
        key_time = st.ord_i[slot, O_PRIORITY]
        j = n
        while j > 0:
            other = st.scratch[j - 1]
            other_price = -side * st.ord_i[other, O_PRICE_TICKS]
            if other_price < key_price or (
                other_price == key_price and st.ord_i[other, O_PRIORITY] < key_time
            ):
                break
            st.scratch[j] = other
            j -= 1
        st.scratch[j] = slot
        n += 1
    return n


@compiled_inline
def _maker_fill(st: SimState, slot: int, ts_exch_ns: int, fill_lots: int, mid_x2: int) -> int:
    """Fill a resting order at its own price as maker; retire it once filled. Return fill_lots."""
    if fill_lots == 0:
        return 0
    order = st.ord_i[slot]
    _fill(st, slot, ts_exch_ns, order[O_PRICE_TICKS], fill_lots, 1, mid_x2)
    if order[O_LEAVES_LOTS] == 0:
        _deactivate(st, _find_active(st, order[O_ORDER_ID]))
        _release(st, slot)
    return fill_lots


@compiled
def on_trade(
    st: SimState, ts_exch_ns: int, aggressor: int, price_ticks: int, qty_lots: int
) -> None:
    """Fill our resting orders from a public trade; the traded qty is used at most once."""
    n = _fillable_in_priority(st, aggressor, price_ticks)
    remaining_lots = qty_lots
    mid_x2 = mid_ticks_x2(st.book_regs, BOOK_EXCH)
    for j in range(n):
        if remaining_lots == 0:
            return
        slot = st.scratch[j]
        order = st.ord_i[slot]
        fill_lots = min(order[O_LEAVES_LOTS], remaining_lots)
        if order[O_PRICE_TICKS] == price_ticks:
            # At our price the trade first eats the queue in front of us.
            queue = st.ord_x[slot]
            excess_lots = remaining_lots - queue[OX_QUEUE_AHEAD_LOTS]
            queue[OX_QUEUE_AHEAD_LOTS] = max(-excess_lots, 0.0)
            queue[OX_TRADED_SINCE_DEPTH_LOTS] += remaining_lots
            fill_lots = min(fill_lots, max(int(excess_lots + QUEUE_EPS_LOTS), 0))
        # else: the trade printed through our price, so the whole level was swept.
        remaining_lots -= _maker_fill(st, slot, ts_exch_ns, fill_lots, mid_x2)


@compiled
def on_cross(
    st: SimState, ts_exch_ns: int, side: int, price_ticks: int, qty_lots: int, mid_x2: int
) -> None:
    """Fill our resting orders that a new level (side, price_ticks, qty_lots) crosses.

    See the module docstring: maker fills at our prices, best price then time first, at most
    qty_lots in all; what we took leaves the venue's level and is owed by the next trades.
    mid_x2 is the venue mid before the crossing row: the prevailing mid our order met.
    """
    n = _fillable_in_priority(st, side, price_ticks)  # the level acts like an aggressor
    remaining_lots = qty_lots
    for j in range(n):
        slot = st.scratch[j]
        order = st.ord_i[slot]
        # The public orders at our price are gone (book._uncross deleted them too), so what
        # is left of ours, if the crossing level runs out, is at the front of its queue.
        st.ord_x[slot, OX_QUEUE_AHEAD_LOTS] = 0.0
        st.ord_x[slot, OX_TRADED_SINCE_DEPTH_LOTS] = 0.0
        fill_lots = min(order[O_LEAVES_LOTS], remaining_lots)
        remaining_lots -= _maker_fill(st, slot, ts_exch_ns, fill_lots, mid_x2)
    used_lots = qty_lots - remaining_lots
    if used_lots == 0:
        return
    set_level(st.book_qty, st.book_regs, BOOK_EXCH, side, price_ticks, remaining_lots)
    st.regs[R_CROSS_UNPRINTED_LOTS + side_index(side)] += used_lots
    st.regs[R_CROSS_PRICE_TICKS + side_index(side)] = price_ticks


@compiled
def settle_cross_credit(st: SimState, i: int) -> int:
    """Apply event i (not yet in the book) to the crossing liquidity owed; return its usable qty.

    A trade by a side that crossed us, at or through that level's price, is first counted
    against what we took from the level (it may be the same order's execution, printed late);
    the rest of it may fill us. A feed row at that level, a clear or a new snapshot drops what
    is owed. Only called while something is owed.
    """
    kind = st.kind[i]
    qty_lots = int(st.qty_lots[i])
    new_snapshot = kind == KIND_SNAPSHOT and st.book_regs[BOOK_EXCH, B_IN_SNAPSHOT] == 0
    if kind == KIND_CLEAR or new_snapshot:
        st.regs[R_CROSS_UNPRINTED_LOTS] = 0
        st.regs[R_CROSS_UNPRINTED_LOTS + 1] = 0
        return qty_lots
    side = st.side[i]
    owed = R_CROSS_UNPRINTED_LOTS + side_index(side)
    cross_ticks = st.regs[R_CROSS_PRICE_TICKS + side_index(side)]
    if kind == KIND_TRADE:
        # The crossing order never trades past its own limit (a seller below its ask price).
        if side * (st.price_ticks[i] - cross_ticks) > 0:
            return qty_lots
        paid_lots = min(qty_lots, int(st.regs[owed]))
        st.regs[owed] -= paid_lots
        return qty_lots - paid_lots
    if kind in (KIND_DEPTH, KIND_SNAPSHOT) and st.price_ticks[i] == cross_ticks:
        st.regs[owed] = 0  # the feed rewrote the level: the crossing order is accounted for
    return qty_lots
