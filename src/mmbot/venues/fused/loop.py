"""The fused loop: the simulator and a one-leg engine's decision in one compiled call.

Each decision point does what Engine.step does for a one-symbol, one-strategy book on
SimVenuePort (engine/loop.py is the reference; this is its compiled twin, proven equal by
tests/unit/venues/test_fused_replay.py): advance the simulation to the point and fill the
view; apply the reports that reached us (order manager, ledger, the engine's fill-ratio
EWMA); on a two-sided view roll the day, reallocate (every alloc interval), check the risk
invariants, decide, shape the quote to the trading state, plan, check and send; record the
decision's mid, inventory, trace and quote.

A call runs decision points until the data ends (ST_DONE) or something needs Python: the
simulator's buffers (ST_NEED_SPACE), the next chunk of a stream (ST_NEED_EVENTS), rows in a
record or log (ST_NEED_ROOM). Every such stop comes right after the simulation advanced and
before the point changed anything else: advancing again to the same time does nothing, so
the next call resumes the same point.
"""

from __future__ import annotations

import math
from typing import Final

from mmbot.engine.fused_orders import (
    EV_ACCEPTED,
    EV_CANCELED,
    EV_FILLED,
    EV_PARTIALLY_FILLED,
    EV_REJECTED,
    EV_REPLACE_ACCEPTED,
    EV_REPLACE_REJECTED,
    OrderArrays,
    compiled_fold_fill_ratio,
)
from mmbot.risk.fused import GateArrays
from mmbot.sim.engine import request_room, send_request
from mmbot.sim.layout import (
    FLAG_POST_ONLY,
    L_MID_TICKS_X2,
    P_CLIENT_ID,
    P_IS_MAKER,
    P_KIND,
    P_LEAVES_LOTS,
    P_ORDER_ID,
    P_PRICE_TICKS,
    P_QTY_LOTS,
    P_SIDE,
    P_TS_EXCH_NS,
    P_TS_LOCAL_NS,
    R_NEXT_ORDER_ID,
    R_REP_DELIVERED,
    R_REP_HEAD,
    REP_ACK,
    REP_FILL,
    REP_MODIFIED,
    REP_REJECT,
    REQ_CANCEL,
    REQ_MODIFY,
    REQ_NEW,
    ST_NEED_SPACE,
    ST_REACHED,
)
from mmbot.sim.state import F64, I64, SimState
from mmbot.sim.view import (
    ST_BEHIND,
    V_BEST_ASK_LOTS,
    V_BEST_ASK_TICKS,
    V_BEST_BID_LOTS,
    V_BEST_BID_TICKS,
    V_CURSOR,
    V_EXCH_MID_TICKS_X2,
    V_N_EVENTS,
    V_VIEW_END,
    advance_with_view,
    local_view,
)
from mmbot.strategy.fused import StrategyArrays
from mmbot.venues.fused import parts
from mmbot.venues.fused.clock import monotonic_ns
from mmbot.venues.fused.jit import compiled
from mmbot.venues.fused.layout import (
    E_ALLOC_INTERVAL_NS,
    E_BUDGET_LOTS,
    E_DAY,
    E_DECISIONS,
    E_DEPTH_LEVELS,
    E_EPISODES,
    E_EXCH_MID_X2,
    E_FILLS_REPORTED,
    E_INTERVAL_NS,
    E_KEEP_QUOTES,
    E_KEEP_TRACES,
    E_N_INVENTORY,
    E_N_MIDS,
    E_N_QUOTES,
    E_N_TIMED,
    E_N_TRACES,
    E_NEXT_ALLOC_NS,
    E_ORDER_QTY_LOTS,
    E_ORDERS_START,
    E_REF_MID_X2,
    E_TIMED,
    E_TS_NS,
    E_VIEW_TS_NS,
    F_ALLOC_AVAILABLE_USD,
    F_ALLOC_BUDGET_USD,
    F_ALLOC_DRAWDOWN_SCALE,
    F_ALLOC_HWM_USD,
    F_ALLOC_MAX_STEP_USD,
    F_ALLOC_PREV_USD,
    F_ALLOC_SMOOTHING,
    F_BAD_EQUITY_USD,
    F_BUDGET_USD,
    F_COST_FILLRATE_EWMA,
    F_EQUITY_START_USD,
    F_LOT_SIZE,
    F_MID_USD,
    F_NOTIONAL_START_USD,
    F_TICK_SIZE,
    F_WEIGHT,
    Q_HAS,
    Q_TS_NS,
    ST_BAD_EQUITY,
    ST_BAD_QUOTE,
    ST_DONE,
    ST_NEED_ROOM,
    T_DECISION_NS,
    T_STEP_NS,
    Records,
    Scratch,
)

_NS_PER_DAY: Final = 86_400 * 1_000_000_000


@compiled
def _py_min(a: float, b: float) -> float:
    """Python's min(a, b): the first unless the second is smaller (the same bits on ties)."""
    return b if b < a else a


@compiled
def _py_max(a: float, b: float) -> float:
    """Python's max(a, b): the first unless the second is larger."""
    return b if b > a else a


@compiled
def _event_kind(kind: int, leaves_lots: int, order_id: int, placing: I64) -> int:
    """Return the order event kind of a simulator report (SimVenuePort._event): a fill is
    partial or final by its leaves; a reject is a replace's unless a place is unanswered."""
    if kind == REP_FILL:
        return EV_FILLED if leaves_lots == 0 else EV_PARTIALLY_FILLED
    if kind in (REP_ACK, REP_REJECT):
        event_kind = EV_ACCEPTED
        if kind == REP_REJECT:
            event_kind = EV_REJECTED if placing[order_id] else EV_REPLACE_REJECTED
        placing[order_id] = 0
        return event_kind
    if kind == REP_MODIFIED:
        return EV_REPLACE_ACCEPTED
    return EV_CANCELED  # REP_CANCELED, REP_EXPIRED


@compiled
def _fold_fill_ratio(engine_i: I64, engine_f: F64, ratio: float) -> None:
    """Engine._episode_closed: fold a closed quote episode into cost_fillrate_ewma."""
    engine_f[F_COST_FILLRATE_EWMA] = compiled_fold_fill_ratio(
        engine_f[F_COST_FILLRATE_EWMA], ratio, engine_i[E_EPISODES]
    )
    engine_i[E_EPISODES] += 1


@compiled
def _reallocate(engine_i: I64, engine_f: F64, pnl_usd: float, ts_ns: int) -> bool:
    """Engine._reallocate + Allocator.update for the one leg: its budget in lots from the
    drawdown-scaled, smoothed budget; False (nothing changed) on a non-finite equity."""
    mid_usd = engine_f[F_MID_USD]
    lot_usd = engine_f[F_LOT_SIZE] * mid_usd
    demand_usd = engine_f[F_WEIGHT] * (2.0 * engine_i[E_ORDER_QTY_LOTS] * lot_usd)
    equity_usd = engine_f[F_BUDGET_USD] + pnl_usd
    if not math.isfinite(equity_usd):
        engine_f[F_BAD_EQUITY_USD] = equity_usd
        return False
    hwm = _py_max(engine_f[F_ALLOC_HWM_USD], equity_usd)
    engine_f[F_ALLOC_HWM_USD] = hwm
    drawdown_frac = (hwm - equity_usd) / hwm if hwm > 0.0 else 1.0
    available = engine_f[F_ALLOC_BUDGET_USD] * _py_max(
        0.0, 1.0 - engine_f[F_ALLOC_DRAWDOWN_SCALE] * drawdown_frac
    )
    demand = _py_max(0.0, demand_usd)
    total_demand = 0 + demand  # sum() of one value
    fill = _py_min(1.0, available / total_demand) if total_demand > 0.0 else 0.0
    gain = 1.0 - engine_f[F_ALLOC_SMOOTHING]
    step = engine_f[F_ALLOC_MAX_STEP_USD]
    prev = engine_f[F_ALLOC_PREV_USD]
    budget = prev + _py_min(step, _py_max(-step, gain * (demand * fill - prev)))
    total = 0 + budget
    if total > available:
        budget = budget * available / total
    engine_f[F_ALLOC_PREV_USD] = budget
    engine_f[F_ALLOC_AVAILABLE_USD] = available
    engine_i[E_BUDGET_LOTS] = int(budget / (2.0 * lot_usd)) if lot_usd else 0
    engine_i[E_NEXT_ALLOC_NS] = ts_ns + engine_i[E_ALLOC_INTERVAL_NS]
    return True


@compiled
def _roll_day(
    engine_i: I64, engine_f: F64, gate: GateArrays, orders: OrderArrays, day: int
) -> None:
    """Engine._roll_day for the one symbol: restart the gate's day caps (not on the first
    day) and the day's starting equity, notional and order count."""
    if engine_i[E_DAY] >= 0:
        parts.gate_reset_intraday(gate)
    engine_i[E_DAY] = day
    engine_f[F_EQUITY_START_USD] = _pnl_usd(engine_f, orders, engine_f[F_MID_USD])
    engine_f[F_NOTIONAL_START_USD] = parts.notional_usd(orders)
    engine_i[E_ORDERS_START] = parts.quotes_placed_total(orders)


@compiled
def _pnl_usd(engine_f: F64, orders: OrderArrays, mid_usd: float) -> float:
    """SymbolBook.pnl_usd of a one-leg symbol: cash plus the position marked at mid_usd."""
    return float(
        parts.cash_usd(orders) + parts.position_lots(orders) * engine_f[F_LOT_SIZE] * mid_usd
    )


@compiled
def _apply_reports(
    st: SimState, engine_i: I64, engine_f: F64, placing: I64, orders: OrderArrays
) -> None:
    """SimVenuePort.reports + Engine._apply: every report that reached us, oldest first,
    into the order manager and the ledger; closed quote episodes into the engine's EWMA."""
    regs, rep, rep_fee_usd, fill_i = st.regs, st.rep, st.rep_fee_usd, st.fill_i
    mask = len(rep) - 1
    for counter in range(regs[R_REP_HEAD], regs[R_REP_DELIVERED]):
        row = rep[counter & mask]
        kind = row[P_KIND]
        mid_x2 = 0
        if kind == REP_FILL:
            # Fills reach us in the order the venue logged them: the next unreported row.
            mid_x2 = fill_i[engine_i[E_FILLS_REPORTED], L_MID_TICKS_X2]
            engine_i[E_FILLS_REPORTED] += 1
        event_kind = _event_kind(kind, row[P_LEAVES_LOTS], row[P_ORDER_ID], placing)
        closed, ratio = parts.apply_report(
            orders, event_kind, row[P_ORDER_ID], row[P_CLIENT_ID], row[P_SIDE],
            row[P_PRICE_TICKS], row[P_QTY_LOTS], row[P_LEAVES_LOTS], row[P_TS_EXCH_NS],
            row[P_TS_LOCAL_NS], row[P_IS_MAKER], rep_fee_usd[counter & mask], mid_x2,
        )  # fmt: skip
        if closed:
            _fold_fill_ratio(engine_i, engine_f, ratio)
    regs[R_REP_HEAD] = regs[R_REP_DELIVERED]


@compiled
def _send(
    st: SimState, engine_i: I64, placing: I64, orders: OrderArrays, actions: I64, n_actions: int,
    allowed: I64, ts_ns: int,
) -> None:  # fmt: skip
    """Engine._send through SimVenuePort: the allowed actions, in order, to the venue."""
    regs, req = st.regs, st.req
    for i in range(n_actions):
        if not allowed[i]:
            continue
        kind, seq = actions[i, parts.A_KIND], actions[i, parts.A_SEQ]
        side, price_ticks, qty_lots = (
            actions[i, parts.A_SIDE], actions[i, parts.A_PRICE_TICKS], actions[i, parts.A_QTY_LOTS]
        )  # fmt: skip
        if kind == parts.PLACE:
            order_id = send_request(
                regs, req, REQ_NEW, 0, seq, side, price_ticks, qty_lots, FLAG_POST_ONLY
            )
            placing[order_id] = 1
            parts.on_sent_place(orders, seq, side, price_ticks, qty_lots, order_id, ts_ns)
        elif kind == parts.REPLACE:
            order_id = parts.venue_id_of(orders, seq)
            send_request(regs, req, REQ_MODIFY, order_id, 0, 0, price_ticks, qty_lots, 0)
            parts.on_sent_replace(orders, seq, price_ticks, qty_lots)
        else:
            order_id = parts.venue_id_of(orders, seq)
            send_request(regs, req, REQ_CANCEL, order_id, 0, 0, 0, 0, 0)
            parts.on_sent_cancel(orders, seq)


@compiled
def _decide(
    st: SimState, view: I64, engine_i: I64, engine_f: F64, placing: I64, rec: Records,
    strategy: StrategyArrays, gate: GateArrays, orders: OrderArrays, scratch: Scratch,
    ts_ns: int,
) -> bool:  # fmt: skip
    """Engine._decide for the one leg: risk invariants, the strategy, the gate's shape of the
    quote, the plan, the gate's check, the sends; the inventory, trace and quote records.
    False, deciding nothing more, when the strategy's quote is one Quote refuses to hold."""
    mid_usd = engine_f[F_MID_USD]
    position_lots = parts.position_lots(orders)
    pnl_usd_day = _pnl_usd(engine_f, orders, mid_usd) - engine_f[F_EQUITY_START_USD]
    notional_usd_day = parts.notional_usd(orders) - engine_f[F_NOTIONAL_START_USD]
    order_count_day = parts.quotes_placed_total(orders) - engine_i[E_ORDERS_START]
    parts.gate_after_step(
        gate, ts_ns, position_lots, mid_usd, pnl_usd_day, notional_usd_day, order_count_day
    )
    rec.inventory_lots[engine_i[E_N_INVENTORY]] = position_lots
    engine_i[E_N_INVENTORY] += 1
    out_i, out_f = scratch.decision_i, scratch.decision_f
    has_quote = parts.decide(strategy, view, ts_ns, position_lots, engine_i[E_BUDGET_LOTS], out_i,
                             out_f)  # fmt: skip
    if has_quote and not _valid_quote(out_i):
        return False
    if engine_i[E_KEEP_TRACES]:
        row = engine_i[E_N_TRACES]
        rec.trace_ts_ns[row] = ts_ns
        rec.trace_i[row, :] = out_i
        rec.trace_f[row, :] = out_f
        engine_i[E_N_TRACES] = row + 1
    if engine_i[E_KEEP_QUOTES]:
        row = engine_i[E_N_QUOTES]
        rec.quotes[row, Q_TS_NS] = ts_ns
        rec.quotes[row, Q_HAS] = has_quote
        rec.quotes[row, Q_HAS + 1 :] = out_i[: parts.N_QUOTE_NUMBERS]
        engine_i[E_N_QUOTES] = row + 1
    shaped = scratch.shaped
    has_shaped = parts.gate_shape_quote(
        gate, ts_ns, position_lots, mid_usd, pnl_usd_day, notional_usd_day, order_count_day,
        has_quote, out_i, shaped,
    )  # fmt: skip
    actions = scratch.actions
    n_actions = parts.plan(orders, has_shaped, shaped, actions)
    n_open = parts.open_orders(orders, scratch.open_orders)
    allowed = scratch.allowed
    n_allowed = parts.gate_check(
        gate, ts_ns, position_lots, mid_usd, pnl_usd_day, notional_usd_day, order_count_day,
        actions, n_actions, scratch.open_orders, n_open, allowed,
    )  # fmt: skip
    if n_allowed:
        _send(st, engine_i, placing, orders, actions, n_actions, allowed, ts_ns)
    return True


@compiled
def _valid_quote(quote: I64) -> bool:
    """core.types.Quote's rule: sizes >= 0, and not crossed when both sides rest."""
    bid_ticks, ask_ticks, bid_lots, ask_lots = quote[0], quote[1], quote[2], quote[3]
    if bid_lots < 0 or ask_lots < 0:
        return False
    return not (bid_lots > 0 and ask_lots > 0 and bid_ticks >= ask_ticks)


@compiled
def _room(st: SimState, engine_i: I64, placing: I64, rec: Records, gate: GateArrays,
          orders: OrderArrays) -> bool:  # fmt: skip
    """Whether one more decision point fits every buffer the loop writes (the reports
    waiting included); the simulator's request ring needs REQ_HEADROOM free rows."""
    regs = st.regs
    if not request_room(regs, st.req):
        return False
    reports = regs[R_REP_DELIVERED] - regs[R_REP_HEAD]
    return (
        engine_i[E_N_MIDS] < len(rec.mid_ts_ns)
        and engine_i[E_N_INVENTORY] < len(rec.inventory_lots)
        and engine_i[E_N_TRACES] < len(rec.trace_ts_ns)
        and engine_i[E_N_QUOTES] < len(rec.quotes)
        and engine_i[E_N_TIMED] < len(rec.timing_ns)
        and regs[R_NEXT_ORDER_ID] + parts.MAX_ACTIONS < len(placing)
        and parts.gate_room(gate)
        and parts.orders_room(orders, reports, regs[R_NEXT_ORDER_ID])
    )


@compiled
def run_points(
    st: SimState, view: I64, engine_i: I64, engine_f: F64, placing: I64, rec: Records,
    strategy: StrategyArrays, gate: GateArrays, orders: OrderArrays, scratch: Scratch,
) -> int:  # fmt: skip
    """Run decision points from the registers' current one on, one interval apart, until the
    data is used up (ST_DONE: the current point is the last) or Python must step in (module
    docstring)."""
    interval_ns = engine_i[E_INTERVAL_NS]
    timed = engine_i[E_TIMED]
    timespec = scratch.timespec
    started_ns = 0
    while True:
        ts_ns = engine_i[E_TS_NS]
        if timed:
            started_ns = monotonic_ns(timespec)
        status = advance_with_view(
            st, ts_ns, engine_i[E_REF_MID_X2], engine_i[E_DEPTH_LEVELS], view
        )
        if status not in (ST_REACHED, ST_BEHIND):
            return status
        if not _room(st, engine_i, placing, rec, gate, orders):
            return ST_NEED_ROOM if request_room(st.regs, st.req) else ST_NEED_SPACE
        alive = status == ST_BEHIND or view[V_VIEW_END] < view[V_N_EVENTS]
        decided_ns = -1
        if _catch_up(st, view, engine_i, engine_f, placing, orders, status, ts_ns):
            if timed:
                decided_ns = monotonic_ns(timespec)
            if not _book_step(engine_i, engine_f, gate, orders, ts_ns):
                return ST_BAD_EQUITY
            if not _decide(st, view, engine_i, engine_f, placing, rec, strategy, gate, orders,
                           scratch, ts_ns):  # fmt: skip
                return ST_BAD_QUOTE
            if timed:
                decided_ns = monotonic_ns(timespec) - decided_ns
        _record_point(engine_i, rec, ts_ns)
        if timed:
            _record_time(engine_i, rec, monotonic_ns(timespec) - started_ns, decided_ns)
        if not alive:
            return ST_DONE
        engine_i[E_TS_NS] = ts_ns + interval_ns


@compiled
def _catch_up(
    st: SimState, view: I64, engine_i: I64, engine_f: F64, placing: I64, orders: OrderArrays,
    status: int, ts_ns: int,
) -> bool:  # fmt: skip
    """The reports, then the view (SimVenuePort.reports, market_view; Engine._look): return
    whether the book is two-sided (a decision point)."""
    _apply_reports(st, engine_i, engine_f, placing, orders)
    if status == ST_BEHIND:  # the advance filled no view: fill one now
        local_view(st, engine_i[E_REF_MID_X2], engine_i[E_DEPTH_LEVELS], view)
    else:
        view[V_CURSOR] = view[V_VIEW_END]
    bid_ticks, ask_ticks = view[V_BEST_BID_TICKS], view[V_BEST_ASK_TICKS]
    two_sided = bool(view[V_BEST_BID_LOTS] > 0 and view[V_BEST_ASK_LOTS] > 0)
    engine_i[E_EXCH_MID_X2] = view[V_EXCH_MID_TICKS_X2]
    if two_sided:
        engine_i[E_REF_MID_X2] = bid_ticks + ask_ticks
        engine_i[E_VIEW_TS_NS] = ts_ns
        engine_f[F_MID_USD] = 0.5 * (bid_ticks + ask_ticks) * engine_f[F_TICK_SIZE]
    return two_sided


@compiled
def _book_step(
    engine_i: I64, engine_f: F64, gate: GateArrays, orders: OrderArrays, ts_ns: int
) -> bool:
    """Engine._book_step of one symbol: the day roll, the allocation when due (False: the
    allocator refused a non-finite equity)."""
    day = ts_ns // _NS_PER_DAY
    if day != engine_i[E_DAY]:
        _roll_day(engine_i, engine_f, gate, orders, day)
    if ts_ns >= engine_i[E_NEXT_ALLOC_NS]:
        return _reallocate(
            engine_i, engine_f, _pnl_usd(engine_f, orders, engine_f[F_MID_USD]), ts_ns
        )
    return True


@compiled
def _record_point(engine_i: I64, rec: Records, ts_ns: int) -> None:
    """What Engine.step records at every point: the count, the venue's mid when it has one."""
    engine_i[E_DECISIONS] += 1
    if engine_i[E_EXCH_MID_X2] > 0:
        row = engine_i[E_N_MIDS]
        rec.mid_ts_ns[row] = ts_ns
        rec.mid_ticks_x2[row] = engine_i[E_EXCH_MID_X2]
        engine_i[E_N_MIDS] = row + 1


@compiled
def _record_time(engine_i: I64, rec: Records, step_ns: int, decision_ns: int) -> None:
    row = engine_i[E_N_TIMED]
    rec.timing_ns[row, T_STEP_NS] = step_ns
    rec.timing_ns[row, T_DECISION_NS] = decision_ns
    engine_i[E_N_TIMED] = row + 1
