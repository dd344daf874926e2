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
)
from mmbot.sim.queue import queue_after_depth_change
from mmbot.sim.state import F64, I64, Ledger, Orders

# Queue estimates are fractional under the prob model; this absorbs float round-off so that
# an excess of 2.9999999999 lots still fills 3 lots.
QUEUE_EPS_LOTS = 1e-9

# The calls made per market event (on_depth, trade_reaches_orders, settle_cross_credit) take
# the few arrays they use; the calls made per request, fill or crossing take the Ledger and
# Orders groups (state.py explains why).


@compiled
def _new_report(ledger: Ledger, ts_exch_ns: int, kind: int, price_ticks: int, qty_lots: int) -> int:
    """Append a report for the strategy (arriving after the response latency); return its row."""
    regs, rep = ledger.regs, ledger.rep
    tail = regs[R_REP_TAIL]
    p = tail & (len(rep) - 1)
    row = rep[p]
    row[:] = 0
    row[P_TS_EXCH_NS] = ts_exch_ns
    row[P_TS_LOCAL_NS] = ts_exch_ns + regs[R_RESPONSE_LATENCY_NS]
    row[P_KIND] = kind
    row[P_PRICE_TICKS] = price_ticks
    row[P_QTY_LOTS] = qty_lots
    ledger.rep_fee_usd[p] = 0.0
    regs[R_REP_TAIL] = tail + 1
    return int(p)


@compiled
def _report(
    ledger: Ledger, ord_i: I64, ts_exch_ns: int, kind: int, slot: int, qty_lots: int
) -> int:
    """Append a report about an order slot at the order's price; return its row."""
    order = ord_i[slot]
    p = _new_report(ledger, ts_exch_ns, kind, order[O_PRICE_TICKS], qty_lots)
    row = ledger.rep[p]
    row[P_ORDER_ID] = order[O_ORDER_ID]
    row[P_CLIENT_ID] = order[O_CLIENT_ID]
    row[P_SIDE] = order[O_SIDE]
    row[P_LEAVES_LOTS] = order[O_LEAVES_LOTS]
    return p


@compiled
def _reject(ledger: Ledger, request: I64, ts_exch_ns: int, reason: int) -> None:
    """Append the reject of a request (its row of the request ring); no order changes."""
    row = ledger.rep[_new_report(ledger, ts_exch_ns, REP_REJECT, request[Q_PRICE_TICKS], 0)]
    row[P_ORDER_ID] = request[Q_ORDER_ID]
    row[P_CLIENT_ID] = request[Q_CLIENT_ID]
    row[P_SIDE] = request[Q_SIDE]
    row[P_REASON] = reason


@compiled
def _fill(
    ledger: Ledger,
    ord_i: I64,
    slot: int,
    ts_exch_ns: int,
    price_ticks: int,
    qty_lots: int,
    is_maker: int,
    mid_x2: int,
) -> None:
    """Execute qty_lots of an order: cash, position, fee, fill log row and report."""
    regs, xregs = ledger.regs, ledger.xregs
    order = ord_i[slot]
    side = order[O_SIDE]
    notional = notional_usd(xregs, price_ticks, qty_lots)
    fee = charge_fee(ledger, notional, is_maker == 1)
    xregs[X_CASH_VENUE_USD] -= side * notional + fee
    regs[R_POSITION_VENUE_LOTS] += side * qty_lots
    order[O_LEAVES_LOTS] -= qty_lots
    order[O_FILLED_LOTS] += qty_lots
    n = regs[R_N_FILLS]
    row = ledger.fill_i[n]
    row[L_TS_EXCH_NS] = ts_exch_ns
    row[L_TS_LOCAL_NS] = ts_exch_ns + regs[R_RESPONSE_LATENCY_NS]
    row[L_ORDER_ID] = order[O_ORDER_ID]
    row[L_CLIENT_ID] = order[O_CLIENT_ID]
    row[L_SIDE] = side
    row[L_PRICE_TICKS] = price_ticks
    row[L_QTY_LOTS] = qty_lots
    row[L_IS_MAKER] = is_maker
    row[L_MID_TICKS_X2] = mid_x2
    ledger.fill_fee_usd[n] = fee
    regs[R_N_FILLS] = n + 1
    p = _report(ledger, ord_i, ts_exch_ns, REP_FILL, slot, qty_lots)
    # A taker fill names the level it took, not its limit.
    ledger.rep[p, P_PRICE_TICKS] = price_ticks
    ledger.rep[p, P_IS_MAKER] = is_maker
    ledger.rep_fee_usd[p] = fee


@compiled_inline
def _crosses(book_regs: I64, side: int, price_ticks: int) -> bool:
    """Return True when a limit at price_ticks would trade on arrival (post-only check)."""
    if side == SIDE_BID:
        return bool(price_ticks >= book_regs[BOOK_EXCH, B_BEST_ASK_TICKS])
    return bool(price_ticks <= book_regs[BOOK_EXCH, B_BEST_BID_TICKS])


@compiled
def _take(
    ledger: Ledger, ord_i: I64, book_qty: I64, book_regs: I64, slot: int, ts_exch_ns: int
) -> None:
    """Walk the opposite side up to the order's limit, one fill per level (slippage)."""
    order = ord_i[slot]
    side = order[O_SIDE]
    limit_ticks = order[O_PRICE_TICKS]
    best_col = B_BEST_ASK_TICKS if side == SIDE_BID else B_BEST_BID_TICKS
    # The mid our order met, before it moved the book.
    mid_x2 = mid_ticks_x2(book_regs, BOOK_EXCH)
    for _ in range(MAX_TAKER_LEVELS):
        if order[O_LEAVES_LOTS] == 0 or not _crosses(book_regs, side, limit_ticks):
            return
        level_ticks = book_regs[BOOK_EXCH, best_col]
        available_lots = level_qty(book_qty, book_regs, BOOK_EXCH, -side, level_ticks)
        qty_lots = min(available_lots, order[O_LEAVES_LOTS])
        # No double use: what we took is gone until the feed next rewrites this level.
        set_level(book_qty, book_regs, BOOK_EXCH, -side, level_ticks, available_lots - qty_lots)
        _fill(ledger, ord_i, slot, ts_exch_ns, level_ticks, qty_lots, 0, mid_x2)


@compiled
def _release(regs: I64, free: I64, slot: int) -> None:
    free[regs[R_N_FREE]] = slot
    regs[R_N_FREE] += 1


@compiled
def _find_active(regs: I64, ord_i: I64, active: I64, order_id: int) -> int:
    """Return the index in active of a resting order, or -1."""
    for k in range(regs[R_N_ACTIVE]):
        if ord_i[active[k], O_ORDER_ID] == order_id:
            return k
    return -1


@compiled
def _deactivate(regs: I64, active: I64, k: int) -> None:
    last = regs[R_N_ACTIVE] - 1
    active[k] = active[last]
    regs[R_N_ACTIVE] = last


@compiled
def _execute(
    ledger: Ledger, orders: Orders, book_qty: I64, book_regs: I64, slot: int, ts_exch_ns: int
) -> None:
    """Take what crosses, then rest the remainder at the back of its level's queue."""
    regs, ord_i = ledger.regs, orders.ord_i
    order = ord_i[slot]
    if _crosses(book_regs, order[O_SIDE], order[O_PRICE_TICKS]):
        _take(ledger, ord_i, book_qty, book_regs, slot, ts_exch_ns)
    if order[O_LEAVES_LOTS] == 0:
        _release(regs, orders.free, slot)
        return
    if order[O_FLAGS] & FLAG_IOC:
        _report(ledger, ord_i, ts_exch_ns, REP_EXPIRED, slot, order[O_LEAVES_LOTS])
        _release(regs, orders.free, slot)
        return
    regs[R_PRIORITY_SEQ] += 1
    order[O_PRIORITY] = regs[R_PRIORITY_SEQ]
    order[O_TS_LIVE_NS] = ts_exch_ns
    visible = level_qty(book_qty, book_regs, BOOK_EXCH, order[O_SIDE], order[O_PRICE_TICKS])
    orders.ord_x[slot, OX_QUEUE_AHEAD_LOTS] = float(visible)
    orders.ord_x[slot, OX_TRADED_SINCE_DEPTH_LOTS] = 0.0
    orders.active[regs[R_N_ACTIVE]] = slot
    regs[R_N_ACTIVE] += 1


@compiled
def _on_new(
    ledger: Ledger, orders: Orders, book_qty: I64, book_regs: I64, request: I64, ts_exch_ns: int
) -> None:
    regs = ledger.regs
    if regs[R_N_FREE] == 0:
        _reject(ledger, request, ts_exch_ns, REASON_TOO_MANY_ORDERS)
        return
    if request[Q_FLAGS] & FLAG_POST_ONLY and _crosses(
        book_regs, request[Q_SIDE], request[Q_PRICE_TICKS]
    ):
        _reject(ledger, request, ts_exch_ns, REASON_POST_ONLY_CROSS)
        return
    regs[R_N_FREE] -= 1
    slot = orders.free[regs[R_N_FREE]]
    order = orders.ord_i[slot]
    order[O_ORDER_ID] = request[Q_ORDER_ID]
    order[O_CLIENT_ID] = request[Q_CLIENT_ID]
    order[O_SIDE] = request[Q_SIDE]
    order[O_PRICE_TICKS] = request[Q_PRICE_TICKS]
    order[O_LEAVES_LOTS] = request[Q_QTY_LOTS]
    order[O_FILLED_LOTS] = 0
    order[O_FLAGS] = request[Q_FLAGS]
    _report(ledger, orders.ord_i, ts_exch_ns, REP_ACK, slot, request[Q_QTY_LOTS])
    _execute(ledger, orders, book_qty, book_regs, slot, ts_exch_ns)


@compiled
def _on_modify(
    ledger: Ledger, orders: Orders, book_qty: I64, book_regs: I64, request: I64, ts_exch_ns: int
) -> None:
    regs, ord_i = ledger.regs, orders.ord_i
    k = _find_active(regs, ord_i, orders.active, request[Q_ORDER_ID])
    if k < 0:
        _reject(ledger, request, ts_exch_ns, REASON_UNKNOWN_ORDER)
        return
    slot = orders.active[k]
    order = ord_i[slot]
    new_price, new_qty = request[Q_PRICE_TICKS], request[Q_QTY_LOTS]
    if new_price == order[O_PRICE_TICKS] and new_qty <= order[O_LEAVES_LOTS]:
        order[O_LEAVES_LOTS] = new_qty  # a pure size reduction keeps queue priority
        _report(ledger, ord_i, ts_exch_ns, REP_MODIFIED, slot, new_qty)
        return
    if order[O_FLAGS] & FLAG_POST_ONLY and _crosses(book_regs, order[O_SIDE], new_price):
        # The amend is refused; the original order keeps resting untouched.
        _reject(ledger, request, ts_exch_ns, REASON_POST_ONLY_CROSS)
        return
    _deactivate(regs, orders.active, k)
    order[O_PRICE_TICKS] = new_price
    order[O_LEAVES_LOTS] = new_qty
    _report(ledger, ord_i, ts_exch_ns, REP_MODIFIED, slot, new_qty)
    _execute(ledger, orders, book_qty, book_regs, slot, ts_exch_ns)


@compiled
def on_request(
    ledger: Ledger, orders: Orders, book_qty: I64, book_regs: I64, request: I64, ts_exch_ns: int
) -> None:
    """Handle a request (its row of the request ring) arriving at the venue."""
    kind = request[Q_TYPE]
    if kind == REQ_NEW:
        _on_new(ledger, orders, book_qty, book_regs, request, ts_exch_ns)
    elif kind == REQ_MODIFY:
        _on_modify(ledger, orders, book_qty, book_regs, request, ts_exch_ns)
    elif kind == REQ_CANCEL:
        regs, ord_i, active = ledger.regs, orders.ord_i, orders.active
        k = _find_active(regs, ord_i, active, request[Q_ORDER_ID])
        if k < 0:
            _reject(ledger, request, ts_exch_ns, REASON_UNKNOWN_ORDER)
            return
        slot = active[k]
        _report(ledger, ord_i, ts_exch_ns, REP_CANCELED, slot, ord_i[slot, O_LEAVES_LOTS])
        _deactivate(regs, active, k)
        _release(regs, orders.free, slot)


@compiled_inline
def on_depth(
    ord_i: I64,
    ord_x: F64,
    active: I64,
    n_active: int,
    queue_model: int,
    prob_power: float,
    side: int,
    price_ticks: int,
    prev_lots: int,
    new_lots: int,
) -> bool:
    """Move our orders at a level forward after the level changed size.

    Our orders rest in active[:n_active]; queue_model and prob_power are the run's
    (regs[R_QUEUE_MODEL], xregs[X_PROB_POWER]). Return True when the level (new_lots > 0)
    crosses one of our orders on the other side.
    """
    crossed = False
    for k in range(n_active):
        slot = active[k]
        order_side = ord_i[slot, O_SIDE]
        order_price_ticks = ord_i[slot, O_PRICE_TICKS]
        if order_side != side:
            # Our bid at or above the new ask level, our ask at or below the new bid level.
            crossed = crossed or order_side * (order_price_ticks - price_ticks) >= 0
            continue
        if order_price_ticks != price_ticks:
            continue
        # Indexed in place, not through a row view: see _best_of in book.py.
        ord_x[slot, OX_QUEUE_AHEAD_LOTS] = queue_after_depth_change(
            ord_x[slot, OX_QUEUE_AHEAD_LOTS],
            ord_x[slot, OX_TRADED_SINCE_DEPTH_LOTS],
            prev_lots,
            new_lots,
            queue_model,
            prob_power,
        )
        ord_x[slot, OX_TRADED_SINCE_DEPTH_LOTS] = 0.0
    return crossed and new_lots > 0


@compiled_inline
def _reaches(aggressor: int, price_ticks: int, order_side: int, order_price_ticks: int) -> bool:
    """Return True when a trade (aggressor side, price) reaches a resting order of ours.

    A seller (aggressor -1) reaches our bids at or above the trade price, and so on.
    """
    return bool(order_side == -aggressor and order_side * (order_price_ticks - price_ticks) >= 0)


@compiled_inline
def trade_reaches_orders(
    ord_i: I64, active: I64, n_active: int, aggressor: int, price_ticks: int
) -> bool:
    """Return True when a trade reaches one of our orders resting in active[:n_active]."""
    for k in range(n_active):
        slot = active[k]
        if _reaches(aggressor, price_ticks, ord_i[slot, O_SIDE], ord_i[slot, O_PRICE_TICKS]):
            return True
    return False


@compiled_inline
def _fillable_in_priority(
    regs: I64, ord_i: I64, active: I64, scratch: I64, aggressor: int, price_ticks: int
) -> int:
    """Put our orders a trade can reach into scratch, best price then time first."""
    n = 0
    for k in range(regs[R_N_ACTIVE]):
        slot = active[k]
        side = ord_i[slot, O_SIDE]
        if not _reaches(aggressor, price_ticks, side, ord_i[slot, O_PRICE_TICKS]):
            continue
        key_price = -side * ord_i[slot, O_PRICE_TICKS]
        key_time = ord_i[slot, O_PRIORITY]
        j = n
        while j > 0:
            other = scratch[j - 1]
            other_price = -side * ord_i[other, O_PRICE_TICKS]
            if other_price < key_price or (
                other_price == key_price and ord_i[other, O_PRIORITY] < key_time
            ):
                break
            scratch[j] = other
            j -= 1
        scratch[j] = slot
        n += 1
    return n


@compiled_inline
def _maker_fill(
    ledger: Ledger, orders: Orders, slot: int, ts_exch_ns: int, fill_lots: int, mid_x2: int
) -> int:
    """Fill a resting order at its own price as maker; retire it once filled. Return fill_lots."""
    if fill_lots == 0:
        return 0
    regs, ord_i = ledger.regs, orders.ord_i
    order = ord_i[slot]
    _fill(ledger, ord_i, slot, ts_exch_ns, order[O_PRICE_TICKS], fill_lots, 1, mid_x2)
    if order[O_LEAVES_LOTS] == 0:
        _deactivate(
            regs, orders.active, _find_active(regs, ord_i, orders.active, order[O_ORDER_ID])
        )
        _release(regs, orders.free, slot)
    return fill_lots


@compiled
def on_trade(
    ledger: Ledger,
    orders: Orders,
    book_regs: I64,
    ts_exch_ns: int,
    aggressor: int,
    price_ticks: int,
    qty_lots: int,
) -> None:
    """Fill our resting orders from a public trade; the traded qty is used at most once."""
    ord_i, ord_x, scratch = orders.ord_i, orders.ord_x, orders.scratch
    n = _fillable_in_priority(ledger.regs, ord_i, orders.active, scratch, aggressor, price_ticks)
    remaining_lots = qty_lots
    mid_x2 = mid_ticks_x2(book_regs, BOOK_EXCH)
    for j in range(n):
        if remaining_lots == 0:
            return
        slot = scratch[j]
        order = ord_i[slot]
        fill_lots = min(order[O_LEAVES_LOTS], remaining_lots)
        if order[O_PRICE_TICKS] == price_ticks:
            # At our price the trade first eats the queue in front of us.
            queue = ord_x[slot]
            excess_lots = remaining_lots - queue[OX_QUEUE_AHEAD_LOTS]
            queue[OX_QUEUE_AHEAD_LOTS] = max(-excess_lots, 0.0)
            queue[OX_TRADED_SINCE_DEPTH_LOTS] += remaining_lots
            fill_lots = min(fill_lots, max(int(excess_lots + QUEUE_EPS_LOTS), 0))
        # else: the trade printed through our price, so the whole level was swept.
        remaining_lots -= _maker_fill(ledger, orders, slot, ts_exch_ns, fill_lots, mid_x2)


@compiled
def on_cross(
    ledger: Ledger,
    orders: Orders,
    book_qty: I64,
    book_regs: I64,
    ts_exch_ns: int,
    side: int,
    price_ticks: int,
    qty_lots: int,
    mid_x2: int,
) -> None:
    """Fill our resting orders that a new level (side, price_ticks, qty_lots) crosses.

    See the module docstring: maker fills at our prices, best price then time first, at most
    qty_lots in all; what we took leaves the venue's level and is owed by the next trades.
    mid_x2 is the venue mid before the crossing row: the prevailing mid our order met.
    """
    regs, ord_i, ord_x, scratch = ledger.regs, orders.ord_i, orders.ord_x, orders.scratch
    # The level acts like an aggressor.
    n = _fillable_in_priority(regs, ord_i, orders.active, scratch, side, price_ticks)
    remaining_lots = qty_lots
    for j in range(n):
        slot = scratch[j]
        order = ord_i[slot]
        # The public orders at our price are gone (book._uncross deleted them too), so what
        # is left of ours, if the crossing level runs out, is at the front of its queue.
        ord_x[slot, OX_QUEUE_AHEAD_LOTS] = 0.0
        ord_x[slot, OX_TRADED_SINCE_DEPTH_LOTS] = 0.0
        fill_lots = min(order[O_LEAVES_LOTS], remaining_lots)
        remaining_lots -= _maker_fill(ledger, orders, slot, ts_exch_ns, fill_lots, mid_x2)
    used_lots = qty_lots - remaining_lots
    if used_lots == 0:
        return
    set_level(book_qty, book_regs, BOOK_EXCH, side, price_ticks, remaining_lots)
    regs[R_CROSS_UNPRINTED_LOTS + side_index(side)] += used_lots
    regs[R_CROSS_PRICE_TICKS + side_index(side)] = price_ticks


@compiled
def settle_cross_credit(
    regs: I64, book_regs: I64, kind: int, side: int, price_ticks: int, qty_lots: int
) -> int:
    """Apply an event (not yet in the book) to the crossing liquidity owed; return its usable qty.

    A trade by a side that crossed us, at or through that level's price, is first counted
    against what we took from the level (it may be the same order's execution, printed late);
    the rest of it may fill us. A feed row at that level, a clear or a new snapshot drops what
    is owed. Only called while something is owed.
    """
    new_snapshot = kind == KIND_SNAPSHOT and book_regs[BOOK_EXCH, B_IN_SNAPSHOT] == 0
    if kind == KIND_CLEAR or new_snapshot:
        regs[R_CROSS_UNPRINTED_LOTS] = 0
        regs[R_CROSS_UNPRINTED_LOTS + 1] = 0
        return qty_lots
    owed = R_CROSS_UNPRINTED_LOTS + side_index(side)
    cross_ticks = regs[R_CROSS_PRICE_TICKS + side_index(side)]
    if kind == KIND_TRADE:
        # The crossing order never trades past its own limit (a seller below its ask price).
        if side * (price_ticks - cross_ticks) > 0:
            return qty_lots
        paid_lots = min(qty_lots, int(regs[owed]))
        regs[owed] -= paid_lots
        return qty_lots - paid_lots
    if kind in (KIND_DEPTH, KIND_SNAPSHOT) and price_ticks == cross_ticks:
        regs[owed] = 0  # the feed rewrote the level: the crossing order is accounted for
    return qty_lots
