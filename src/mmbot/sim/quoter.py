"""A fixed-spread quoter compiled into the simulator loop: the fast path for simple strategies.

It drives the same `advance`/`submit` as SimVenue, from inside numba: every decision interval
it quotes bid = floor(mid - h), ask = ceil(mid + h) post-only on the book it sees (local
time), cancels and replaces a quote whose price changed, and stops adding to a side once
the reported position reaches the limit on that side.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mmbot.data.schema import SIDE_ASK, SIDE_BID
from mmbot.sim.engine import advance, request_room, send_request
from mmbot.sim.fees import effective_fee_bps
from mmbot.sim.jit import compiled
from mmbot.sim.layout import (
    B_BEST_ASK_TICKS,
    B_BEST_BID_TICKS,
    BOOK_LOCAL,
    FLAG_POST_ONLY,
    NO_ASK_TICKS,
    NO_BID_TICKS,
    P_KIND,
    P_LEAVES_LOTS,
    P_ORDER_ID,
    R_ENTRY_LATENCY_NS,
    R_LOCAL_CURSOR,
    R_N_CANCELS,
    R_N_FILLS,
    R_N_ORDERS,
    R_NOW_NS,
    R_POSITION_LOCAL_LOTS,
    R_REP_DELIVERED,
    R_REP_HEAD,
    R_RESPONSE_LATENCY_NS,
    REP_ACK,
    REP_FILL,
    REP_MODIFIED,
    REQ_CANCEL,
    REQ_NEW,
    ST_NEED_SPACE,
    ST_REACHED,
    X_CASH_LOCAL_USD,
    X_FEES_USD,
    X_NOTIONAL_USD,
)
from mmbot.sim.params import SimParams
from mmbot.sim.reports import FillLog, fill_log_of
from mmbot.sim.state import I64, EventArrays, SimState, grow, new_state

# The quoter's own registers (int64 array), so a call can stop to grow buffers and resume.
QR_NEXT_DECISION_NS = 0
QR_INTERVAL_NS = 1
QR_HALF_SPREAD_TICKS = 2
QR_ORDER_QTY_LOTS = 3
QR_MAX_POSITION_LOTS = 4
QR_BID_ORDER_ID = 5  # working order id (0: none), its price in the next column
QR_BID_PRICE_TICKS = 6
QR_ASK_ORDER_ID = 7
QR_ASK_PRICE_TICKS = 8
N_QREGS = 9
NO_QUOTE = NO_BID_TICKS  # "do not quote this side"


@dataclass(frozen=True, slots=True)
class FixedSpreadQuoterParams:
    """Decision interval, half spread (ticks), order size (lots) and position limit (lots)."""

    decision_interval_ns: int = 100_000_000
    half_spread_ticks: int = 2
    order_qty_lots: int = 1
    max_position_lots: int = 10

    def __post_init__(self) -> None:
        for name in ("decision_interval_ns", "order_qty_lots", "max_position_lots"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name}={getattr(self, name)} expected=>0")
        if self.half_spread_ticks < 0:
            raise ValueError(f"half_spread_ticks={self.half_spread_ticks} expected=>=0")


@dataclass(frozen=True, slots=True)
class QuoterResult:
    """Counts and end state of one quoter run; position and cash include every fill."""

    n_events: int
    n_fills: int
    n_orders: int
    n_cancels: int
    position_lots: int
    cash_usd: float
    fees_usd: float
    notional_usd: float
    effective_fee_bps: float
    fills: FillLog


# The quoter's functions take the arrays they use, not the SimState (numba counts a
# reference to every array of the tuple at each call: engine.py explains).


@compiled
def _read_reports(regs: I64, rep: I64, qregs: I64) -> None:
    """Forget working orders the venue reports as finished (filled, cancelled, rejected)."""
    for counter in range(regs[R_REP_HEAD], regs[R_REP_DELIVERED]):
        row = rep[counter & (len(rep) - 1)]
        kind = row[P_KIND]
        if kind in (REP_ACK, REP_MODIFIED) or (kind == REP_FILL and row[P_LEAVES_LOTS] > 0):
            continue  # still working
        if qregs[QR_BID_ORDER_ID] == row[P_ORDER_ID]:
            qregs[QR_BID_ORDER_ID] = 0
        if qregs[QR_ASK_ORDER_ID] == row[P_ORDER_ID]:
            qregs[QR_ASK_ORDER_ID] = 0
    regs[R_REP_HEAD] = regs[R_REP_DELIVERED]


@compiled
def _requote(regs: I64, req: I64, qregs: I64, id_col: int, side: int, price_ticks: int) -> None:
    """Keep one working order at price_ticks on a side (NO_QUOTE: none)."""
    order_id = qregs[id_col]
    if order_id != 0 and qregs[id_col + 1] != price_ticks:
        send_request(regs, req, REQ_CANCEL, order_id, 0, 0, 0, 0, 0)
        qregs[id_col] = 0
    if price_ticks != NO_QUOTE and qregs[id_col] == 0:
        qty_lots = qregs[QR_ORDER_QTY_LOTS]
        qregs[id_col] = send_request(
            regs, req, REQ_NEW, 0, 0, side, price_ticks, qty_lots, FLAG_POST_ONLY
        )
        qregs[id_col + 1] = price_ticks


@compiled
def _decide(regs: I64, book_regs: I64, req: I64, qregs: I64) -> None:
    best_bid = book_regs[BOOK_LOCAL, B_BEST_BID_TICKS]
    best_ask = book_regs[BOOK_LOCAL, B_BEST_ASK_TICKS]
    if best_bid == NO_BID_TICKS or best_ask == NO_ASK_TICKS:
        return  # no mid to quote around: leave the working orders as they are
    mid_x2 = best_bid + best_ask  # the mid in ticks may be x.5, so work in half ticks
    spread_x2 = 2 * qregs[QR_HALF_SPREAD_TICKS]
    bid_ticks = (mid_x2 - spread_x2) // 2  # floor(mid - h)
    ask_ticks = -((-(mid_x2 + spread_x2)) // 2)  # ceil(mid + h)
    position_lots = regs[R_POSITION_LOCAL_LOTS]
    max_lots = qregs[QR_MAX_POSITION_LOTS]
    bid_quote_ticks = bid_ticks if position_lots < max_lots else NO_QUOTE
    ask_quote_ticks = ask_ticks if position_lots > -max_lots else NO_QUOTE
    _requote(regs, req, qregs, QR_BID_ORDER_ID, SIDE_BID, bid_quote_ticks)
    _requote(regs, req, qregs, QR_ASK_ORDER_ID, SIDE_ASK, ask_quote_ticks)


@compiled
def _quote_loop(st: SimState, qregs: I64) -> int:
    """Alternate advance and decide until the events are used up (or a buffer needs room)."""
    regs, req, rep, book_regs = st.regs, st.req, st.rep, st.book_regs
    n_events = len(st.ts_exch_ns)
    while regs[R_LOCAL_CURSOR] < n_events:
        if advance(st, qregs[QR_NEXT_DECISION_NS]) == ST_NEED_SPACE:
            return ST_NEED_SPACE
        _read_reports(regs, rep, qregs)
        if not request_room(regs, req):
            return ST_NEED_SPACE
        _decide(regs, book_regs, req, qregs)
        qregs[QR_NEXT_DECISION_NS] += qregs[QR_INTERVAL_NS]
    return ST_REACHED


def _run(state: SimState, step: Callable[..., int], *args: object) -> SimState:
    """Call a compiled step until it stops asking for room; return the (grown) state."""
    while step(state, *args) == ST_NEED_SPACE:
        state = grow(state)
    return state


def run_fixed_spread_quoter(
    events: EventArrays, quoter: FixedSpreadQuoterParams, sim: SimParams
) -> QuoterResult:
    """Run the fixed-spread quoter over events entirely in compiled code."""
    state = new_state(events, sim)
    qregs = np.zeros(N_QREGS, dtype=np.int64)
    qregs[QR_NEXT_DECISION_NS] = state.regs[R_NOW_NS] + quoter.decision_interval_ns
    qregs[QR_INTERVAL_NS] = quoter.decision_interval_ns
    qregs[QR_HALF_SPREAD_TICKS] = quoter.half_spread_ticks
    qregs[QR_ORDER_QTY_LOTS] = quoter.order_qty_lots
    qregs[QR_MAX_POSITION_LOTS] = quoter.max_position_lots
    state = _run(state, _quote_loop, qregs)
    # Let the last requests reach the venue and their reports come back, so that position
    # and cash account for every fill in the log.
    regs = state.regs
    flush_ns = int(regs[R_NOW_NS] + regs[R_ENTRY_LATENCY_NS] + regs[R_RESPONSE_LATENCY_NS])
    state = _run(state, advance, flush_ns)
    regs, xregs = state.regs, state.xregs
    return QuoterResult(
        n_events=len(state.ts_exch_ns),
        n_fills=int(regs[R_N_FILLS]),
        n_orders=int(regs[R_N_ORDERS]),
        n_cancels=int(regs[R_N_CANCELS]),
        position_lots=int(regs[R_POSITION_LOCAL_LOTS]),
        cash_usd=float(xregs[X_CASH_LOCAL_USD]),
        fees_usd=float(xregs[X_FEES_USD]),
        notional_usd=float(xregs[X_NOTIONAL_USD]),
        effective_fee_bps=effective_fee_bps(float(xregs[X_FEES_USD]), float(xregs[X_NOTIONAL_USD])),
        fills=fill_log_of(state),
    )
