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
    R_N_ACTIVE,
    R_N_CANCELS,
    R_N_FILLS,
    R_N_ORDERS,
    R_NEXT_ORDER_ID,
    R_NOW_NS,
    R_POSITION_LOCAL_LOTS,
    R_REP_DELIVERED,
    R_REP_HEAD,
    R_REP_TAIL,
    R_REQ_HEAD,
    R_REQ_TAIL,
    REP_FILL,
    REQ_CANCEL,
    REQ_NEW,
    ST_NEED_SPACE,
    ST_REACHED,
    X_CASH_LOCAL_USD,
)
from mmbot.sim.matching import on_cross, on_depth, on_request, on_trade, settle_cross_credit
from mmbot.sim.state import I64, SimState, headroom_rows

FAR_NS = 1 << 62  # "never": later than any timestamp in the data


# The per-event functions below take the arrays they use, not the SimState: numba
# reference-counts every array of a tuple at each call or inlined call that takes it (two
# dozen counter updates), which here would cost several times the work of the event.


@compiled_inline
def local_arrival_ns(regs: I64, ts_exch_ns: I64, ts_local_ns: I64, i: int) -> int:
    """Return when event i reaches the strategy under the latency model."""
    if regs[R_LATENCY_MODEL] == LAT_RECORDED:
        return int(ts_local_ns[i])
    return int(ts_exch_ns[i] + regs[R_FEED_LATENCY_NS])


@compiled
def _venue_event_with_orders(st: SimState, i: int) -> None:
    """Apply event i at the venue while we have orders resting or crossing credit owed."""
    qty_lots = st.qty_lots[i]
    if st.regs[R_CROSS_UNPRINTED_LOTS] + st.regs[R_CROSS_UNPRINTED_LOTS + 1] > 0:
        # Crossing liquidity we took is still owed by the tape (rare). Runs before the book
        # update, which would hide whether this row starts a new snapshot.
        qty_lots = settle_cross_credit(st, i)
    # A crossing row fills us at the mid that prevailed before it moved the book.
    mid_before_x2 = mid_ticks_x2(st.book_regs, BOOK_EXCH)
    prev_lots = apply_event(
        st.book_qty, st.book_regs, BOOK_EXCH, st.kind[i], st.side[i], st.price_ticks[i],
        st.qty_lots[i],
    )  # fmt: skip
    if st.regs[R_N_ACTIVE] == 0:
        return
    kind = st.kind[i]
    if kind == KIND_TRADE:
        if qty_lots > 0:
            on_trade(st, st.ts_exch_ns[i], st.side[i], st.price_ticks[i], qty_lots)
    elif kind in (KIND_DEPTH, KIND_SNAPSHOT) and on_depth(
        st, st.side[i], st.price_ticks[i], prev_lots, qty_lots
    ):
        on_cross(st, st.ts_exch_ns[i], st.side[i], st.price_ticks[i], qty_lots, mid_before_x2)


@compiled_inline
def _deliver_report(st: SimState) -> None:
    """A report reaches the strategy: a fill changes the position and cash it is shown."""
    p = st.regs[R_REP_DELIVERED] & (len(st.rep) - 1)
    st.regs[R_REP_DELIVERED] += 1
    row = st.rep[p]
    if row[P_KIND] != REP_FILL:
        return
    side = row[P_SIDE]
    notional = notional_usd(st, row[P_PRICE_TICKS], row[P_QTY_LOTS])
    st.regs[R_POSITION_LOCAL_LOTS] += side * row[P_QTY_LOTS]
    st.xregs[X_CASH_LOCAL_USD] -= side * notional + st.rep_fee_usd[p]


@compiled_inline
def _short_of_space(st: SimState) -> bool:
    headroom = headroom_rows(len(st.ord_i))
    queued = st.regs[R_REP_TAIL] - st.regs[R_REP_HEAD]
    return bool(len(st.rep) - queued < headroom or len(st.fill_i) - st.regs[R_N_FILLS] < headroom)


# What the earliest pending thing is (see the theory of operation, in tie order).
_STEP_VENUE_EVENT = 0
_STEP_REQUEST = 1
_STEP_LOCAL_EVENT = 2
_STEP_REPORT = 3


@compiled_inline
def _next_step(regs: I64, ts_exch_ns: I64, ts_local_ns: I64, req: I64, rep: I64) -> tuple[int, int]:
    """Return (which queue, its time) of the earliest pending step; ties in queue order."""
    n_events = len(ts_exch_ns)
    i_exch = regs[R_EXCH_CURSOR]
    step, t_step = _STEP_VENUE_EVENT, FAR_NS
    if i_exch < n_events:
        t_step = ts_exch_ns[i_exch]
    if regs[R_REQ_HEAD] < regs[R_REQ_TAIL]:
        t_req = req[regs[R_REQ_HEAD] & (len(req) - 1), Q_TS_ARRIVE_NS]
        if t_req < t_step:
            step, t_step = _STEP_REQUEST, t_req
    if regs[R_LOCAL_CURSOR] < n_events:
        t_local = local_arrival_ns(regs, ts_exch_ns, ts_local_ns, regs[R_LOCAL_CURSOR])
        if t_local < t_step:
            step, t_step = _STEP_LOCAL_EVENT, t_local
    if regs[R_REP_DELIVERED] < regs[R_REP_TAIL]:
        t_rep = rep[regs[R_REP_DELIVERED] & (len(rep) - 1), P_TS_LOCAL_NS]
        if t_rep < t_step:
            step, t_step = _STEP_REPORT, t_rep
    return step, t_step


@compiled
def advance(st: SimState, until_ns: int) -> int:
    """Process everything that happens up to local time until_ns; return an ST_* code."""
    # Taken out of the state once (see local_arrival_ns): none is replaced during a call.
    regs, ts_exch_ns, ts_local_ns, req, rep = st.regs, st.ts_exch_ns, st.ts_local_ns, st.req, st.rep
    kind, side, price_ticks, qty_lots = st.kind, st.side, st.price_ticks, st.qty_lots
    book_qty, book_regs = st.book_qty, st.book_regs
    while True:
        step, t_step = _next_step(regs, ts_exch_ns, ts_local_ns, req, rep)
        if t_step > until_ns or t_step == FAR_NS:
            break
        if step == _STEP_VENUE_EVENT:
            i = regs[R_EXCH_CURSOR]
            if regs[R_N_ACTIVE] + regs[R_CROSS_UNPRINTED_LOTS] + regs[R_CROSS_UNPRINTED_LOTS + 1]:
                # Trades and crossing levels fill at most every resting order.
                if regs[R_N_ACTIVE] > 0 and _short_of_space(st):
                    return ST_NEED_SPACE
                _venue_event_with_orders(st, i)
            else:
                apply_event(
                    book_qty, book_regs, BOOK_EXCH, kind[i], side[i], price_ticks[i], qty_lots[i]
                )
            regs[R_EXCH_CURSOR] = i + 1
        elif step == _STEP_REQUEST:
            if _short_of_space(st):
                return ST_NEED_SPACE
            q = regs[R_REQ_HEAD] & (len(req) - 1)
            regs[R_REQ_HEAD] += 1
            on_request(st, q, t_step)
        elif step == _STEP_LOCAL_EVENT:
            i = regs[R_LOCAL_CURSOR]
            apply_event(
                book_qty, book_regs, BOOK_LOCAL, kind[i], side[i], price_ticks[i], qty_lots[i]
            )
            regs[R_LOCAL_CURSOR] = i + 1
        else:
            _deliver_report(st)
    regs[R_NOW_NS] = max(regs[R_NOW_NS], until_ns)
    return ST_REACHED


@compiled
def submit(
    st: SimState,
    req_type: int,
    order_id: int,
    client_id: int,
    side: int,
    price_ticks: int,
    qty_lots: int,
    flags: int,
) -> int:
    """Send a request from the strategy at local time now; return its order id.

    REQ_NEW ignores order_id and assigns the next one. The caller guarantees a free row.
    """
    regs = st.regs
    if req_type == REQ_NEW:
        order_id = regs[R_NEXT_ORDER_ID]
        regs[R_NEXT_ORDER_ID] += 1
        regs[R_N_ORDERS] += 1
    elif req_type == REQ_CANCEL:
        regs[R_N_CANCELS] += 1
    tail = regs[R_REQ_TAIL]
    row = st.req[tail & (len(st.req) - 1)]
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
