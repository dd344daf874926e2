"""The simulator's clock: one compiled loop that merges four time-ordered queues.

Theory of operation
-------------------
There are two places and four kinds of things that happen at a time:
  1. a market event reaches the venue          at ts_exch_ns            (venue book, queues, fills:
                                               trades, and levels that cross our orders)
  2. one of our requests reaches the venue     at submit + entry latency  (matching)
  3. a market event reaches us                 at ts_local_ns, or ts_exch_ns + feed latency
  4. a venue report (ack/reject/fill/...) reaches us   at venue time + response latency
`advance(st, until_ns)` repeatedly takes the earliest of the four heads and applies it, until
the next one is later than until_ns (the strategy's local clock). Ties go in the order above:
market data first, so an order arriving at the same nanosecond as a trade does not catch it.

The venue matches on its own book (updated at exchange time); the strategy reads a second
book updated at local time, and learns about its orders only through reports of kind 4,
which update the position and cash it is shown. Requests and reports each travel with one
constant latency, so their queues are FIFO rings. A request only becomes an order at the
venue when it arrives: nothing rests, and nothing fills, before the entry latency passes.

When a report or fill buffer is close to full, `advance` returns ST_NEED_SPACE before the
step that might overflow; the Python side grows the buffers (state.grow) and calls again.
When the events arrive in chunks (sim/stream.py) and a cursor reaches the last loaded event
while more are to come, `advance` returns ST_NEED_EVENTS: the next head of that queue is
unknown, so no step may be taken before the caller appends the next chunk.
"""

from __future__ import annotations

from mmbot.data.schema import KIND_DEPTH, KIND_SNAPSHOT, KIND_TRADE
from mmbot.sim.book import apply_event, mid_ticks_x2
from mmbot.sim.fees import notional_usd
from mmbot.sim.jit import compiled, compiled_inline
from mmbot.sim.layout import (
    BOOK_EXCH,
    BOOK_LOCAL,
    LAT_RECORDED,
    P_KIND,
    P_PRICE_TICKS,
    P_QTY_LOTS,
    P_SIDE,
    P_TS_LOCAL_NS,
    Q_CLIENT_ID,
    Q_FLAGS,
    Q_ORDER_ID,
    Q_PRICE_TICKS,
    Q_QTY_LOTS,
    Q_SIDE,
    Q_TS_ARRIVE_NS,
    Q_TYPE,
    R_CROSS_UNPRINTED_LOTS,
    R_ENTRY_LATENCY_NS,
    R_EXCH_CURSOR,
    R_FEED_LATENCY_NS,
    R_LATENCY_MODEL,
    R_LOCAL_CURSOR,
    R_MORE_EVENTS,
    R_N_ACTIVE,
    R_N_CANCELS,
    R_N_FILLS,
    R_N_ORDERS,
    R_NEXT_ORDER_ID,
    R_NOW_NS,
    R_POSITION_LOCAL_LOTS,
    R_QUEUE_MODEL,
    R_REP_DELIVERED,
    R_REP_HEAD,
    R_REP_TAIL,
    R_REQ_HEAD,
    R_REQ_TAIL,
    REP_FILL,
    REQ_CANCEL,
    REQ_HEADROOM,
    REQ_NEW,
    ST_NEED_EVENTS,
    ST_NEED_SPACE,
    ST_REACHED,
    X_CASH_LOCAL_USD,
    X_PROB_POWER,
)
from mmbot.sim.matching import (
    on_cross,
    on_depth,
    on_request,
    on_trade,
    settle_cross_credit,
    trade_reaches_orders,
)
from mmbot.sim.state import F64, I64, SimState, headroom_rows, ledger_of, orders_of

FAR_NS = 1 << 62  # "never": later than any timestamp in the data
NO_ROOM = -1  # what submit returns, sending nothing, when the request ring is short of rows


# Reference counting: numba counts (an atomic update) each array argument of a call or
# inlined call, and every array of a tuple argument, once per call; LLVM drops the counts
# of small inlined helpers only (apply_event and _fills_called_for keep theirs, a few per
# event). So the per-event code passes single arrays, never the SimState; `advance` takes
# its arrays out of the state once per call and reads the heads of its queues itself; the
# rarer steps that fill, report or handle a request are called from `advance` directly with
# the Ledger and Orders groups (state.py): passed through an inlined per-event function, a
# group would be counted at every event.


# Which fills a market event at the venue calls for (_fills_called_for).
_NO_FILL = 0
_TRADE_FILLS = 1  # matching.on_trade
_CROSS_FILLS = 2  # matching.on_cross


@compiled_inline
def _fills_called_for(
    ord_i: I64,
    ord_x: F64,
    active: I64,
    n_active: int,
    queue_model: int,
    prob_power: float,
    kind: int,
    side: int,
    price_ticks: int,
    prev_lots: int,
    usable_lots: int,
) -> int:
    """Move our queue positions after an event reached the venue's book (prev_lots: its
    level's qty before); return _NO_FILL, _TRADE_FILLS or _CROSS_FILLS for the caller to do.
    """
    if kind == KIND_TRADE:
        reaches = trade_reaches_orders(ord_i, active, n_active, side, price_ticks)
        return _TRADE_FILLS if usable_lots > 0 and reaches else _NO_FILL
    if kind in (KIND_DEPTH, KIND_SNAPSHOT) and on_depth(
        ord_i, ord_x, active, n_active, queue_model, prob_power, side, price_ticks, prev_lots,
        usable_lots,
    ):  # fmt: skip
        return _CROSS_FILLS
    return _NO_FILL


@compiled_inline
def _deliver_report(regs: I64, xregs: F64, rep: I64, rep_fee_usd: F64) -> None:
    """A report reaches the strategy: a fill changes the position and cash it is shown."""
    p = regs[R_REP_DELIVERED] & (len(rep) - 1)
    regs[R_REP_DELIVERED] += 1
    if rep[p, P_KIND] != REP_FILL:
        return
    side, qty_lots = rep[p, P_SIDE], rep[p, P_QTY_LOTS]
    notional = notional_usd(xregs, rep[p, P_PRICE_TICKS], qty_lots)
    regs[R_POSITION_LOCAL_LOTS] += side * qty_lots
    xregs[X_CASH_LOCAL_USD] -= side * notional + rep_fee_usd[p]


@compiled_inline
def _short_of_space(regs: I64, rep: I64, fill_i: I64, order_capacity: int) -> bool:
    headroom = headroom_rows(order_capacity)
    queued = regs[R_REP_TAIL] - regs[R_REP_HEAD]
    return bool(len(rep) - queued < headroom or len(fill_i) - regs[R_N_FILLS] < headroom)


# What the earliest pending thing is (see the theory of operation, in tie order).
_STEP_VENUE_EVENT = 0
_STEP_REQUEST = 1
_STEP_LOCAL_EVENT = 2
_STEP_REPORT = 3


@compiled_inline
def _earliest(
    t_venue_event_ns: int, t_request_ns: int, t_local_event_ns: int, t_report_ns: int
) -> tuple[int, int]:
    """Return (which queue, its time) of the earliest pending step; ties in queue order."""
    step, t_step = _STEP_VENUE_EVENT, t_venue_event_ns
    if t_request_ns < t_step:
        step, t_step = _STEP_REQUEST, t_request_ns
    if t_local_event_ns < t_step:
        step, t_step = _STEP_LOCAL_EVENT, t_local_event_ns
    if t_report_ns < t_step:
        step, t_step = _STEP_REPORT, t_report_ns
    return step, t_step


@compiled
def advance(st: SimState, until_ns: int) -> int:
    """Process everything that happens up to local time until_ns; return an ST_* code."""
    # Taken out of the state once (see the note above): none is replaced during a call.
    regs, xregs, req, rep, fill_i = st.regs, st.xregs, st.req, st.rep, st.fill_i
    ts_exch_ns, ts_local_ns = st.ts_exch_ns, st.ts_local_ns
    kind, side, price_ticks, qty_lots = st.kind, st.side, st.price_ticks, st.qty_lots
    book_qty, book_regs = st.book_qty, st.book_regs
    ord_i, ord_x, active = st.ord_i, st.ord_x, st.active
    ledger, orders = ledger_of(st), orders_of(st)
    queue_model, prob_power = regs[R_QUEUE_MODEL], xregs[X_PROB_POWER]
    # An event reaches the strategy at its recorded local time or after the feed latency.
    recorded = regs[R_LATENCY_MODEL] == LAT_RECORDED
    arrival_ts_ns = ts_local_ns if recorded else ts_exch_ns
    arrival_delay_ns = 0 if recorded else regs[R_FEED_LATENCY_NS]
    n_events, req_mask, rep_mask = len(ts_exch_ns), len(req) - 1, len(rep) - 1
    starved = False
    while True:
        # The time at the head of each queue, FAR_NS when it is empty. Read here, not in
        # helpers: an inlined helper's array arguments would be counted at every step.
        i_exch, i_local = regs[R_EXCH_CURSOR], regs[R_LOCAL_CURSOR]
        # A cursor at the end of the loaded events while more are to come: the next event of
        # that queue is not loaded yet, and nothing else may go before it (cursors <= n).
        starved = max(i_exch, i_local) == n_events and regs[R_MORE_EVENTS] != 0
        req_head, rep_head = regs[R_REQ_HEAD], regs[R_REP_DELIVERED]
        step, t_step = _earliest(
            ts_exch_ns[i_exch] if i_exch < n_events else FAR_NS,
            req[req_head & req_mask, Q_TS_ARRIVE_NS] if req_head < regs[R_REQ_TAIL] else FAR_NS,
            arrival_ts_ns[i_local] + arrival_delay_ns if i_local < n_events else FAR_NS,
            rep[rep_head & rep_mask, P_TS_LOCAL_NS] if rep_head < regs[R_REP_TAIL] else FAR_NS,
        )
        if starved or t_step > until_ns or t_step == FAR_NS:
            break
        if step == _STEP_VENUE_EVENT:
            # Trades and crossing levels fill at most every resting order.
            if regs[R_N_ACTIVE] > 0 and _short_of_space(regs, rep, fill_i, len(ord_i)):
                return ST_NEED_SPACE
            i = i_exch
            regs[R_EXCH_CURSOR] = i + 1
            kind_i, side_i = kind[i], side[i]
            price_ticks_i, qty_lots_i = price_ticks[i], qty_lots[i]
            usable_lots = qty_lots_i
            if regs[R_CROSS_UNPRINTED_LOTS] + regs[R_CROSS_UNPRINTED_LOTS + 1] > 0:
                # Crossing liquidity we took is still owed by the tape (rare). Runs before the
                # book update, which would hide whether this row starts a new snapshot.
                usable_lots = settle_cross_credit(
                    regs, book_regs, kind_i, side_i, price_ticks_i, qty_lots_i
                )
            # A crossing row fills us at the mid that prevailed before it moved the book.
            mid_before_x2 = mid_ticks_x2(book_regs, BOOK_EXCH)
            prev_lots = apply_event(
                book_qty, book_regs, BOOK_EXCH, kind_i, side_i, price_ticks_i, qty_lots_i
            )
            fills = _NO_FILL
            if regs[R_N_ACTIVE] > 0:
                fills = _fills_called_for(
                    ord_i, ord_x, active, regs[R_N_ACTIVE], queue_model, prob_power, kind_i,
                    side_i, price_ticks_i, prev_lots, usable_lots,
                )  # fmt: skip
            if fills == _TRADE_FILLS:
                on_trade(
                    ledger, orders, book_regs, ts_exch_ns[i], side_i, price_ticks_i, usable_lots
                )
            elif fills == _CROSS_FILLS:
                on_cross(
                    ledger, orders, book_qty, book_regs, ts_exch_ns[i], side_i, price_ticks_i,
                    usable_lots, mid_before_x2,
                )  # fmt: skip
        elif step == _STEP_REQUEST:
            if _short_of_space(regs, rep, fill_i, len(ord_i)):
                return ST_NEED_SPACE
            regs[R_REQ_HEAD] = req_head + 1
            on_request(ledger, orders, book_qty, book_regs, req[req_head & req_mask], t_step)
        elif step == _STEP_LOCAL_EVENT:
            i = i_local
            regs[R_LOCAL_CURSOR] = i + 1
            apply_event(
                book_qty, book_regs, BOOK_LOCAL, kind[i], side[i], price_ticks[i], qty_lots[i]
            )
        else:
            _deliver_report(regs, xregs, rep, st.rep_fee_usd)
    # Starved, the clock stays where it was: the caller appends events and calls again.
    regs[R_NOW_NS] = regs[R_NOW_NS] if starved else max(regs[R_NOW_NS], until_ns)
    return ST_NEED_EVENTS if starved else ST_REACHED


@compiled_inline
def request_room(regs: I64, req: I64) -> bool:
    """Whether the request ring has REQ_HEADROOM free rows: room for a decision's requests
    (a compiled strategy checks before it decides; submit before it sends)."""
    return bool(len(req) - (regs[R_REQ_TAIL] - regs[R_REQ_HEAD]) >= REQ_HEADROOM)


@compiled
def submit(
    regs: I64,
    req: I64,
    req_type: int,
    order_id: int,
    client_id: int,
    side: int,
    price_ticks: int,
    qty_lots: int,
    flags: int,
) -> int:
    """Send a request from the strategy at local time now (the state's regs and req: a call
    from Python unboxes these two arrays, not the state's ~20); return its order id, or
    NO_ROOM (nothing sent) when fewer than REQ_HEADROOM rows of the request ring are free:
    grow the state (state.grow) and submit again.

    REQ_NEW ignores order_id and assigns the next one.
    """
    if not request_room(regs, req):
        return NO_ROOM
    return send_request(
        regs, req, req_type, order_id, client_id, side, price_ticks, qty_lots, flags
    )


@compiled
def send_request(
    regs: I64,
    req: I64,
    req_type: int,
    order_id: int,
    client_id: int,
    side: int,
    price_ticks: int,
    qty_lots: int,
    flags: int,
) -> int:
    """submit for compiled callers that hold the state's arrays (regs, req)."""
    if req_type == REQ_NEW:
        order_id = regs[R_NEXT_ORDER_ID]
        regs[R_NEXT_ORDER_ID] += 1
        regs[R_N_ORDERS] += 1
    elif req_type == REQ_CANCEL:
        regs[R_N_CANCELS] += 1
    tail = regs[R_REQ_TAIL]
    row = req[tail & (len(req) - 1)]
    row[Q_TS_ARRIVE_NS] = regs[R_NOW_NS] + regs[R_ENTRY_LATENCY_NS]
    row[Q_TYPE] = req_type
    row[Q_ORDER_ID] = order_id
    row[Q_CLIENT_ID] = client_id
    row[Q_SIDE] = side
    row[Q_PRICE_TICKS] = price_ticks
    row[Q_QTY_LOTS] = qty_lots
    row[Q_FLAGS] = flags
    regs[R_REQ_TAIL] = tail + 1
    return order_id
