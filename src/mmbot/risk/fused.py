"""The compiled twin of the risk gate (RiskGate, gate.py) for the fused replay.

RiskGate stays the reference: this module does what its after_step(), shape_quote(), check()
and reset_intraday() do, in numba's nopython mode on numpy arrays, with the same float
operations in the same order, so a fused replay's records, denials and counters are the
Python gate's bit for bit. Out of scope (the fused replay runs one symbol, no book, no kill
switch): the kill switch, the book's state (ACTIVE here) and limits (NO_BOOK_LIMIT here).

The arrays (GateArrays; every compiled function takes them one by one)
----------------------------------------------------------------------
gate_i     int64 state, G_* slots: trading state, its cause (CAUSE_* and the lots it names),
           the REDUCING allowance, the day-cap latch (a record code id, or NO_CODE) and the
           order count it latched at, both breach flags, the counters, both token buckets'
           last refill ts and whether they have one yet, the settled context (below), the
           per-batch scratch of check(), and the records log's row count and how many of
           them after_step() has handed out.
gate_f     float64 state, GF_* slots: both buckets' tokens, the USD the day-cap latch
           latched at (PnL or traded notional).
params_i   int64 parameters, P_* slots (max_position_lots: -1 for None).
params_f   float64 parameters, PF_* slots (the buckets' rates per ns as TokenBucket holds
           them).
records_i  int64 records log, one row per record, RI_* columns: ts_ns, code id, and the
           integers its detail needs (lots or order count and the limit; a trading-state
           change's old and new state and cause).
records_f  float64 records log, RF_* columns: the USD its detail needs.
denials    int64 (len(CODES), D_*): per code id, how many actions it denied and the rank
           in which it first denied one (-1: never), the engine's record.denials in order.

Records. RiskGate keeps the records of shape_quote() and check() pending until the next
after_step() hands them out with its own. The log holds every record in the order the gate
made them; G_RECORDS_OUT counts those after_step() handed out (the engine's
record.risk_records: records_of()), the rest are the gate's pending ones (materialize()).
A call adds at most RECORDS_PER_CALL_MAX rows; the caller makes room first (grow()).

Settled context. The engine hands one RiskContext to after_step(), shape_quote() and check()
of a decision, and the gate works the trading state out once per context. Here after_step()
always works it out from the numbers it is given (as RiskGate.after_step does) and marks the
context settled; shape_quote() and check() work it out only when no context is settled, i.e.
after reset_intraday() (which forgets it, as in RiskGate). So shape_quote() and check() must
be given the numbers after_step() last settled (the engine's order within a decision).

Integers are int64 here, Python ints in RiskGate: they differ only on overflow, which takes
a position limit in lots above 2**63 (int() of max_position_usd / (mid * lot_size)), i.e. a
mid ~1e-16 of the cap per lot; lots, ticks, counts and ns stay far below it.

Actions and resting orders come as int64 rows: A_* columns (kind ACTION_*, the order's ref:
its client id's seq, side, price, lots) and O_* columns (ref, side, price, leaves lots, when
its price was set), the open orders in the context's order.
"""

from __future__ import annotations

import math
from typing import Final, NamedTuple

import numpy as np
from numpy.typing import NDArray

from mmbot.core.types import BUY
from mmbot.risk.gate import ACTIVE, HALTED, REDUCING, TRADING_STATES, RiskGate
from mmbot.risk.jit import compiled, compiled_inline
from mmbot.risk.rules import (
    LOSS_CAP,
    NOTIONAL_CAP,
    ORDERS_CAP,
    WITHIN_LIMITS,
    breach_detail,
    loss_cap_detail,
    notional_cap_detail,
    orders_cap_detail,
    position_cause,
    state_change_detail,
)
from mmbot.risk.values import RiskRecord

Int64s = NDArray[np.int64]
Float64s = NDArray[np.float64]

# Record and denial codes by id (the index).
CODES: Final = (
    "E_RISK_INTRADAY_LOSS",
    "E_RISK_INTRADAY_NOTIONAL",
    "E_RISK_INTRADAY_ORDERS",
    "E_RISK_POSITION",
    "E_RISK_SKEW",
    "E_RISK_TRADING_STATE",
    "E_RISK_UNKNOWN_ORDER",
    "E_RISK_REPLACE_TWICE",
    "E_RISK_REPLACE_AGE",
    "E_RISK_REPLACE_TICKS",
    "E_RISK_REDUCE_ONLY",
    "E_RISK_MIN_QTY",
    "E_RISK_MIN_NOTIONAL",
    "E_RISK_THROTTLE_ORDERS",
    "E_RISK_THROTTLE_CANCELS",
)
C_INTRADAY_LOSS: Final = 0
C_INTRADAY_NOTIONAL: Final = 1
C_INTRADAY_ORDERS: Final = 2
C_POSITION: Final = 3
C_SKEW: Final = 4
C_TRADING_STATE: Final = 5
C_UNKNOWN_ORDER: Final = 6
C_REPLACE_TWICE: Final = 7
C_REPLACE_AGE: Final = 8
C_REPLACE_TICKS: Final = 9
C_REDUCE_ONLY: Final = 10
C_MIN_QTY: Final = 11
C_MIN_NOTIONAL: Final = 12
C_THROTTLE_ORDERS: Final = 13
C_THROTTLE_CANCELS: Final = 14
NO_CODE: Final = -1  # no latch / the action passed

# The cause of the trading state (RiskGate._state_cause).
CAUSE_NONE: Final = 0  # "" (a fresh gate)
CAUSE_WITHIN_LIMITS: Final = 1
CAUSE_LOSS_CAP: Final = 2
CAUSE_NOTIONAL_CAP: Final = 3
CAUSE_ORDERS_CAP: Final = 4
CAUSE_POSITION: Final = 5  # |position| G_CAUSE_LOTS over the limit G_CAUSE_LIMIT_LOTS
# The causes' words by CAUSE_* (CAUSE_POSITION's are built from its lots: position_cause).
_CAUSE_WORDS: Final = ("", WITHIN_LIMITS, LOSS_CAP, NOTIONAL_CAP, ORDERS_CAP)

# gate_i slots
G_STATE: Final = 0
G_CAUSE: Final = 1
G_CAUSE_LOTS: Final = 2
G_CAUSE_LIMIT_LOTS: Final = 3
G_ALLOWANCE_LOTS: Final = 4
G_LATCH: Final = 5  # the day cap's code id, or NO_CODE
G_LATCH_ORDERS: Final = 6  # the order count an E_RISK_INTRADAY_ORDERS latch latched at
G_IN_POSITION_BREACH: Final = 7
G_IN_SKEW_BREACH: Final = 8
G_POS_SKEW_BREACH_TOTAL: Final = 9
G_REPLACE_ATTEMPTS: Final = 10
G_REPLACE_ALLOWED: Final = 11
G_THROTTLED_ORDERS_TOTAL: Final = 12
G_THROTTLED_CANCELS_TOTAL: Final = 13
G_RISK_DENIALS_TOTAL: Final = 14
G_ORDERS_LAST_TS_NS: Final = 15
G_ORDERS_HAS_TS: Final = 16  # 0: the order bucket has not been refilled yet
G_CANCELS_LAST_TS_NS: Final = 17
G_CANCELS_HAS_TS: Final = 18
G_SETTLED: Final = 19  # 1: the trading state is worked out for the decision's context
G_SETTLED_LIMIT_LOTS: Final = 20  # the position limit at that context's mid
G_ORDERS_LEFT: Final = 21  # check() scratch: orders the day still allows
G_LONG_LOTS: Final = 22  # check() scratch: net position if every bid filled
G_SHORT_LOTS: Final = 23  # check() scratch: -net position if every ask filled
G_RECORDS: Final = 24  # rows of the records log
G_RECORDS_OUT: Final = 25  # rows handed out by after_step()
G_CODES_DENIED: Final = 26  # codes that denied at least one action
G_SLOTS: Final = 27

# gate_f slots
GF_ORDERS_TOKENS: Final = 0
GF_CANCELS_TOKENS: Final = 1
GF_LATCH_USD: Final = 2  # the PnL or traded notional a loss or notional latch latched at
GF_SLOTS: Final = 3

# params_i slots
P_MAX_ORDERS: Final = 0
P_MIN_REPLACE_TICKS: Final = 1
P_MIN_ORDER_AGE_NS: Final = 2
P_MIN_QTY_LOTS: Final = 3
P_MAX_POSITION_LOTS: Final = 4  # -1: none
P_SLOTS: Final = 5

# params_f slots
PF_TICK_SIZE: Final = 0
PF_LOT_SIZE: Final = 1
PF_MAX_POSITION_USD: Final = 2
PF_MAX_SKEW_USD: Final = 3
PF_MAX_LOSS_USD: Final = 4
PF_MAX_NOTIONAL_USD: Final = 5
PF_MIN_NOTIONAL_USD: Final = 6
PF_ORDERS_RATE_PER_NS: Final = 7
PF_ORDERS_BURST: Final = 8
PF_CANCELS_RATE_PER_NS: Final = 9
PF_CANCELS_BURST: Final = 10
PF_SLOTS: Final = 11

# records_i columns
RI_TS_NS: Final = 0
RI_CODE: Final = 1
RI_LOTS: Final = 2  # breach: |position|; orders cap: the order count; state change: cause's
RI_LIMIT_LOTS: Final = 3  # breach: the limit in lots; state change: the cause's limit
RI_OLD_STATE: Final = 4
RI_NEW_STATE: Final = 5
RI_CAUSE: Final = 6
RI_COLUMNS: Final = 7

# records_f columns
RF_USD: Final = 0  # loss cap: PnL; notional cap: traded notional; breach: |position| in USD
RF_COLUMNS: Final = 1

# denials columns
D_COUNT: Final = 0
D_RANK: Final = 1
D_COLUMNS: Final = 2

# actions columns and kinds
A_KIND: Final = 0
A_REF: Final = 1
A_SIDE: Final = 2
A_PRICE_TICKS: Final = 3
A_QTY_LOTS: Final = 4
A_COLUMNS: Final = 5
ACTION_PLACE: Final = 0
ACTION_REPLACE: Final = 1
ACTION_CANCEL: Final = 2

# open orders columns
O_REF: Final = 0
O_SIDE: Final = 1
O_PRICE_TICKS: Final = 2
O_LEAVES_LOTS: Final = 3
O_PRICED_TS_NS: Final = 4
O_COLUMNS: Final = 5

# after_step: two breaches, a day cap, a trading-state change; shape_quote and check: the
# last two (only after reset_intraday()).
RECORDS_PER_CALL_MAX: Final = 4
_INITIAL_RECORD_ROWS: Final = 64


class GateArrays(NamedTuple):
    """The twin's arrays (see the module docstring)."""

    gate_i: Int64s
    gate_f: Float64s
    params_i: Int64s
    params_f: Float64s
    records_i: Int64s
    records_f: Float64s
    denials: Int64s


def pack(gate: RiskGate) -> GateArrays:
    """Return the arrays of a fresh gate (as built from its RiskParams)."""
    params = gate._params
    params_i = np.zeros(P_SLOTS, dtype=np.int64)
    params_i[P_MAX_ORDERS] = params.intraday_max_orders
    params_i[P_MIN_REPLACE_TICKS] = params.min_replace_ticks
    params_i[P_MIN_ORDER_AGE_NS] = params.min_order_age_ns
    params_i[P_MIN_QTY_LOTS] = params.min_qty_lots
    max_lots = params.max_position_lots
    params_i[P_MAX_POSITION_LOTS] = -1 if max_lots is None else max_lots
    params_f = np.zeros(PF_SLOTS, dtype=np.float64)
    params_f[PF_TICK_SIZE] = params.tick_size
    params_f[PF_LOT_SIZE] = params.lot_size
    params_f[PF_MAX_POSITION_USD] = params.max_position_usd
    params_f[PF_MAX_SKEW_USD] = params.max_skew_usd
    params_f[PF_MAX_LOSS_USD] = params.intraday_max_loss_usd
    params_f[PF_MAX_NOTIONAL_USD] = params.intraday_max_notional_usd
    params_f[PF_MIN_NOTIONAL_USD] = params.min_notional_usd
    params_f[PF_ORDERS_RATE_PER_NS] = gate._order_bucket._rate_per_ns
    params_f[PF_ORDERS_BURST] = gate._order_bucket._burst
    params_f[PF_CANCELS_RATE_PER_NS] = gate._cancel_bucket._rate_per_ns
    params_f[PF_CANCELS_BURST] = gate._cancel_bucket._burst
    gate_i = np.zeros(G_SLOTS, dtype=np.int64)
    gate_i[G_STATE] = ACTIVE
    gate_i[G_LATCH] = NO_CODE
    gate_f = np.zeros(GF_SLOTS, dtype=np.float64)
    gate_f[GF_ORDERS_TOKENS] = gate._order_bucket.tokens
    gate_f[GF_CANCELS_TOKENS] = gate._cancel_bucket.tokens
    denials = np.zeros((len(CODES), D_COLUMNS), dtype=np.int64)
    denials[:, D_RANK] = -1
    return GateArrays(
        gate_i, gate_f, params_i, params_f,
        np.zeros((_INITIAL_RECORD_ROWS, RI_COLUMNS), dtype=np.int64),
        np.zeros((_INITIAL_RECORD_ROWS, RF_COLUMNS), dtype=np.float64),
        denials,
    )  # fmt: skip


def grow(arrays: GateArrays, free_rows: int) -> GateArrays:
    """Return arrays with room for at least free_rows more records (the same arrays if there
    is; else the log copied into arrays twice as large, or larger)."""
    rows = int(arrays.gate_i[G_RECORDS]) + free_rows
    capacity = len(arrays.records_i)
    if rows <= capacity:
        return arrays
    capacity = max(2 * capacity, rows)
    records_i = np.zeros((capacity, RI_COLUMNS), dtype=np.int64)
    records_f = np.zeros((capacity, RF_COLUMNS), dtype=np.float64)
    records_i[: len(arrays.records_i)] = arrays.records_i
    records_f[: len(arrays.records_f)] = arrays.records_f
    return arrays._replace(records_i=records_i, records_f=records_f)


def materialize(arrays: GateArrays, gate: RiskGate) -> None:
    """Write the twin's state into gate (a fresh gate of the same RiskParams, e.g. the one
    packed): its state, cause, latch, allowance, breach flags, counters, buckets and pending
    records become those of a gate that ran the same calls. The per-batch scratch that
    check() rewrites before reading it (the exposure, the orders replaced in the batch) and
    the settled context are left cleared: the next call works them out again, to the same
    values."""
    gate_i, gate_f = arrays.gate_i, arrays.gate_f
    gate._state = int(gate_i[G_STATE])
    gate._state_cause = _cause_text(
        int(gate_i[G_CAUSE]), int(gate_i[G_CAUSE_LOTS]), int(gate_i[G_CAUSE_LIMIT_LOTS])
    )
    gate._allowance_lots = int(gate_i[G_ALLOWANCE_LOTS])
    latch = int(gate_i[G_LATCH])
    gate._cap_latch = (
        None
        if latch == NO_CODE
        else (
            CODES[latch],
            _cap_detail(arrays, latch, gate_f[GF_LATCH_USD], gate_i[G_LATCH_ORDERS]),
        )
    )
    gate._in_position_breach = bool(gate_i[G_IN_POSITION_BREACH])
    gate._in_skew_breach = bool(gate_i[G_IN_SKEW_BREACH])
    gate._pos_skew_breach_total = int(gate_i[G_POS_SKEW_BREACH_TOTAL])
    gate._replace_attempts = int(gate_i[G_REPLACE_ATTEMPTS])
    gate._replace_allowed = int(gate_i[G_REPLACE_ALLOWED])
    gate._throttled_orders_total = int(gate_i[G_THROTTLED_ORDERS_TOTAL])
    gate._throttled_cancels_total = int(gate_i[G_THROTTLED_CANCELS_TOTAL])
    gate._risk_denials_total = int(gate_i[G_RISK_DENIALS_TOTAL])
    gate._order_bucket.tokens = float(gate_f[GF_ORDERS_TOKENS])
    gate._order_bucket._last_ts_ns = (
        int(gate_i[G_ORDERS_LAST_TS_NS]) if gate_i[G_ORDERS_HAS_TS] else None
    )
    gate._cancel_bucket.tokens = float(gate_f[GF_CANCELS_TOKENS])
    gate._cancel_bucket._last_ts_ns = (
        int(gate_i[G_CANCELS_LAST_TS_NS]) if gate_i[G_CANCELS_HAS_TS] else None
    )
    gate._settled_ctx = None
    gate._settled_limit_lots = int(gate_i[G_SETTLED_LIMIT_LOTS])
    gate._orders_left = int(gate_i[G_ORDERS_LEFT])
    gate._exposure = None
    gate._replaced_in_batch.clear()
    rows = range(int(gate_i[G_RECORDS_OUT]), int(gate_i[G_RECORDS]))
    gate._pending = [_record(arrays, row) for row in rows]


def records_of(arrays: GateArrays) -> list[RiskRecord]:
    """Return the records after_step() handed out so far, in order (the engine's
    record.risk_records)."""
    return [_record(arrays, row) for row in range(int(arrays.gate_i[G_RECORDS_OUT]))]


def denials_of(arrays: GateArrays) -> dict[str, int]:
    """Return the denial counts by code, in the order each code first denied (the engine's
    record.denials)."""
    denials = arrays.denials
    denied = [code for code in range(len(CODES)) if denials[code, D_RANK] >= 0]
    denied.sort(key=lambda code: int(denials[code, D_RANK]))
    return {CODES[code]: int(denials[code, D_COUNT]) for code in denied}


def _record(arrays: GateArrays, row: int) -> RiskRecord:
    """Return the RiskRecord of the log's row."""
    ints = arrays.records_i[row]
    usd = float(arrays.records_f[row, RF_USD])
    code = int(ints[RI_CODE])
    lots, limit_lots = int(ints[RI_LOTS]), int(ints[RI_LIMIT_LOTS])
    if code == C_TRADING_STATE:
        detail = state_change_detail(
            TRADING_STATES[ints[RI_OLD_STATE]],
            TRADING_STATES[ints[RI_NEW_STATE]],
            _cause_text(int(ints[RI_CAUSE]), lots, limit_lots),
        )
    elif code == C_POSITION:
        detail = breach_detail("max_position", lots, usd, limit_lots)
    elif code == C_SKEW:
        detail = breach_detail("max_skew", lots, usd, limit_lots)
    else:
        detail = _cap_detail(arrays, code, usd, lots)
    return RiskRecord(int(ints[RI_TS_NS]), CODES[code], detail)


def _cap_detail(arrays: GateArrays, code: int, usd: float, order_count: int) -> str:
    """Return the detail of the day cap code reached at usd (loss, notional) or order_count."""
    params_f = arrays.params_f
    if code == C_INTRADAY_LOSS:
        return loss_cap_detail(float(usd), float(params_f[PF_MAX_LOSS_USD]))
    if code == C_INTRADAY_NOTIONAL:
        return notional_cap_detail(float(usd), float(params_f[PF_MAX_NOTIONAL_USD]))
    return orders_cap_detail(int(order_count), int(arrays.params_i[P_MAX_ORDERS]))


def _cause_text(cause: int, lots: int, limit_lots: int) -> str:
    """Return the trading state's cause as RiskGate words it."""
    if cause == CAUSE_POSITION:
        return position_cause(lots, limit_lots)
    return _CAUSE_WORDS[cause]


@compiled
def reset_intraday(gate_i: Int64s) -> None:
    """RiskGate.reset_intraday: clear the day-cap latch (and forget the settled context)."""
    gate_i[G_SETTLED] = 0
    gate_i[G_LATCH] = NO_CODE


@compiled
def after_step(
    gate_i: Int64s, gate_f: Float64s, params_i: Int64s, params_f: Float64s,
    records_i: Int64s, records_f: Float64s,
    ts_ns: int, position_lots: int, mid_price_usd: float, pnl_usd_day: float,
    traded_notional_usd_day: float, order_count_day: int,
) -> int:  # fmt: skip
    """RiskGate.after_step on a context's numbers (which it settles); return how many records
    it handed out (the log's rows from G_RECORDS_OUT before the call)."""
    abs_lots = abs(position_lots)
    if 0.0 < mid_price_usd < math.inf:
        lot_usd = mid_price_usd * params_f[PF_LOT_SIZE]
        limit_lots = int(params_f[PF_MAX_POSITION_USD] / lot_usd)
        skew_lots = int(params_f[PF_MAX_SKEW_USD] / lot_usd)
    else:
        limit_lots = skew_lots = 0
    max_lots = params_i[P_MAX_POSITION_LOTS]
    if max_lots >= 0:
        limit_lots = min(limit_lots, max_lots)
    in_position_breach = abs_lots > limit_lots
    if in_position_breach and not gate_i[G_IN_POSITION_BREACH]:
        _breach(gate_i, params_f, records_i, records_f, ts_ns, C_POSITION, abs_lots, limit_lots,
                mid_price_usd)  # fmt: skip
    in_skew_breach = abs_lots > skew_lots
    if in_skew_breach and not gate_i[G_IN_SKEW_BREACH]:
        _breach(gate_i, params_f, records_i, records_f, ts_ns, C_SKEW, abs_lots, skew_lots,
                mid_price_usd)  # fmt: skip
    gate_i[G_IN_POSITION_BREACH] = in_position_breach
    gate_i[G_IN_SKEW_BREACH] = in_skew_breach
    _update_state(gate_i, gate_f, params_i, params_f, records_i, records_f, ts_ns, position_lots,
                  pnl_usd_day, traded_notional_usd_day, order_count_day, limit_lots)  # fmt: skip
    handed_out = int(gate_i[G_RECORDS] - gate_i[G_RECORDS_OUT])
    gate_i[G_RECORDS_OUT] = gate_i[G_RECORDS]
    return handed_out


@compiled
def shape_quote(
    gate_i: Int64s, gate_f: Float64s, params_i: Int64s, params_f: Float64s,
    records_i: Int64s, records_f: Float64s,
    ts_ns: int, position_lots: int, mid_price_usd: float, pnl_usd_day: float,
    traded_notional_usd_day: float, order_count_day: int,
    has_quote: bool, bid_ticks: int, ask_ticks: int, bid_lots: int, ask_lots: int,
    out: Int64s,
) -> int:  # fmt: skip
    """RiskGate.shape_quote: return 1 with the quote to rest in out (bid_ticks, ask_ticks,
    bid_lots, ask_lots), or 0 to rest nothing (None)."""
    _refresh_state(gate_i, gate_f, params_i, params_f, records_i, records_f, ts_ns,
                   position_lots, mid_price_usd, pnl_usd_day, traded_notional_usd_day,
                   order_count_day)  # fmt: skip
    if not has_quote:
        return 0
    state = gate_i[G_STATE]
    if state == REDUCING and position_lots != 0:
        allowance = gate_i[G_ALLOWANCE_LOTS]
        if position_lots > 0:
            bid_lots, ask_lots = 0, min(ask_lots, allowance)
        else:
            bid_lots, ask_lots = min(bid_lots, allowance), 0
    elif state != ACTIVE:
        return 0
    out[0] = bid_ticks
    out[1] = ask_ticks
    out[2] = bid_lots
    out[3] = ask_lots
    return 1


@compiled
def check(
    gate_i: Int64s, gate_f: Float64s, params_i: Int64s, params_f: Float64s,
    records_i: Int64s, records_f: Float64s, denials: Int64s,
    ts_ns: int, position_lots: int, mid_price_usd: float, pnl_usd_day: float,
    traded_notional_usd_day: float, order_count_day: int,
    actions: Int64s, n_actions: int, open_orders: Int64s, n_open: int, allowed: Int64s,
) -> int:  # fmt: skip
    """RiskGate.check of the first n_actions rows of actions against the first n_open rows of
    open_orders: allowed[i] = 1 if action i passes, else 0 (its denial counted); return how
    many passed."""
    _refill(gate_i, gate_f, G_ORDERS_LAST_TS_NS, G_ORDERS_HAS_TS, GF_ORDERS_TOKENS,
            params_f[PF_ORDERS_RATE_PER_NS], params_f[PF_ORDERS_BURST], ts_ns)  # fmt: skip
    _refill(gate_i, gate_f, G_CANCELS_LAST_TS_NS, G_CANCELS_HAS_TS, GF_CANCELS_TOKENS,
            params_f[PF_CANCELS_RATE_PER_NS], params_f[PF_CANCELS_BURST], ts_ns)  # fmt: skip
    _refresh_state(gate_i, gate_f, params_i, params_f, records_i, records_f, ts_ns,
                   position_lots, mid_price_usd, pnl_usd_day, traded_notional_usd_day,
                   order_count_day)  # fmt: skip
    if n_actions == 0:
        return 0
    halted = gate_i[G_STATE] == HALTED
    gate_i[G_ORDERS_LEFT] = params_i[P_MAX_ORDERS] - order_count_day
    _book_exposure(gate_i, position_lots, open_orders, n_open)
    n_allowed = 0
    for i in range(n_actions):
        kind = actions[i, A_KIND]
        if kind == ACTION_CANCEL:
            code = NO_CODE
            if not _take(gate_f, GF_CANCELS_TOKENS):
                gate_i[G_THROTTLED_CANCELS_TOTAL] += 1
                code = C_THROTTLE_CANCELS
        elif kind == ACTION_REPLACE:
            code = _replace_rejection(gate_i, gate_f, params_i, params_f, ts_ns, position_lots,
                                      actions, i, open_orders, n_open, allowed, halted)  # fmt: skip
        elif halted:
            code = C_INTRADAY_ORDERS
        else:
            code = _book_order(gate_i, gate_f, params_i, params_f, position_lots, actions, i, 0, 0)
        if code == NO_CODE:
            allowed[i] = 1
            n_allowed += 1
        else:
            allowed[i] = 0
            _count_denial(gate_i, denials, code)
    gate_i[G_RISK_DENIALS_TOTAL] += n_actions - n_allowed
    return n_allowed


@compiled_inline
def _refresh_state(
    gate_i: Int64s, gate_f: Float64s, params_i: Int64s, params_f: Float64s,
    records_i: Int64s, records_f: Float64s,
    ts_ns: int, position_lots: int, mid_price_usd: float, pnl_usd_day: float,
    traded_notional_usd_day: float, order_count_day: int,
) -> None:  # fmt: skip
    """Work the trading state out unless the context is settled (RiskGate._refresh_state)."""
    if gate_i[G_SETTLED]:
        return
    if 0.0 < mid_price_usd < math.inf:
        limit_lots = int(params_f[PF_MAX_POSITION_USD] / (mid_price_usd * params_f[PF_LOT_SIZE]))
    else:
        limit_lots = 0
    max_lots = params_i[P_MAX_POSITION_LOTS]
    if max_lots >= 0:
        limit_lots = min(limit_lots, max_lots)
    _update_state(gate_i, gate_f, params_i, params_f, records_i, records_f, ts_ns, position_lots,
                  pnl_usd_day, traded_notional_usd_day, order_count_day, limit_lots)  # fmt: skip


@compiled_inline
def _update_state(
    gate_i: Int64s, gate_f: Float64s, params_i: Int64s, params_f: Float64s,
    records_i: Int64s, records_f: Float64s,
    ts_ns: int, position_lots: int, pnl_usd_day: float, traded_notional_usd_day: float,
    order_count_day: int, limit_lots: int,
) -> None:  # fmt: skip
    """RiskGate._update_state: latch a newly reached day cap, then work out the trading state
    (recording a change) and settle the context."""
    if gate_i[G_LATCH] == NO_CODE:
        latch, latch_usd = NO_CODE, 0.0
        if pnl_usd_day <= -params_f[PF_MAX_LOSS_USD]:
            latch, latch_usd = C_INTRADAY_LOSS, pnl_usd_day
        elif traded_notional_usd_day >= params_f[PF_MAX_NOTIONAL_USD]:
            latch, latch_usd = C_INTRADAY_NOTIONAL, traded_notional_usd_day
        elif order_count_day >= params_i[P_MAX_ORDERS]:
            latch = C_INTRADAY_ORDERS
        if latch != NO_CODE:
            gate_i[G_LATCH] = latch
            gate_i[G_LATCH_ORDERS] = order_count_day
            gate_f[GF_LATCH_USD] = latch_usd
            row = _new_record(gate_i, records_i, records_f, ts_ns, latch, latch_usd)
            records_i[row, RI_LOTS] = order_count_day
    abs_lots = abs(position_lots)
    latch = gate_i[G_LATCH]
    cause_lots = cause_limit_lots = 0
    if latch == C_INTRADAY_ORDERS:
        state, cause = HALTED, CAUSE_ORDERS_CAP
    elif latch != NO_CODE:
        state, gate_i[G_ALLOWANCE_LOTS] = REDUCING, abs_lots
        cause = CAUSE_LOSS_CAP if latch == C_INTRADAY_LOSS else CAUSE_NOTIONAL_CAP
    elif abs_lots > limit_lots:
        state, gate_i[G_ALLOWANCE_LOTS] = REDUCING, abs_lots - limit_lots
        cause, cause_lots, cause_limit_lots = CAUSE_POSITION, abs_lots, limit_lots
    else:
        state, cause = ACTIVE, CAUSE_WITHIN_LIMITS
    if state != gate_i[G_STATE]:
        row = _new_record(gate_i, records_i, records_f, ts_ns, C_TRADING_STATE, 0.0)
        records_i[row, RI_LOTS] = cause_lots
        records_i[row, RI_LIMIT_LOTS] = cause_limit_lots
        records_i[row, RI_OLD_STATE] = gate_i[G_STATE]
        records_i[row, RI_NEW_STATE] = state
        records_i[row, RI_CAUSE] = cause
        gate_i[G_STATE] = state
    gate_i[G_CAUSE] = cause
    gate_i[G_CAUSE_LOTS] = cause_lots
    gate_i[G_CAUSE_LIMIT_LOTS] = cause_limit_lots
    gate_i[G_SETTLED] = 1
    gate_i[G_SETTLED_LIMIT_LOTS] = limit_lots


@compiled_inline
def _breach(
    gate_i: Int64s, params_f: Float64s, records_i: Int64s, records_f: Float64s,
    ts_ns: int, code: int, lots: int, limit_lots: int, mid_price_usd: float,
) -> None:  # fmt: skip
    """RiskGate._breach: count and record entering a position or skew breach."""
    gate_i[G_POS_SKEW_BREACH_TOTAL] += 1
    position_usd = lots * params_f[PF_LOT_SIZE] * mid_price_usd
    row = _new_record(gate_i, records_i, records_f, ts_ns, code, position_usd)
    records_i[row, RI_LOTS] = lots
    records_i[row, RI_LIMIT_LOTS] = limit_lots


@compiled_inline
def _new_record(
    gate_i: Int64s, records_i: Int64s, records_f: Float64s, ts_ns: int, code: int, usd: float
) -> int:
    """Append a record row (its other integers 0) and return its index."""
    row = int(gate_i[G_RECORDS])
    gate_i[G_RECORDS] = row + 1
    records_i[row, :] = 0
    records_i[row, RI_TS_NS] = ts_ns
    records_i[row, RI_CODE] = code
    records_f[row, RF_USD] = usd
    return row


@compiled_inline
def _refill(
    gate_i: Int64s, gate_f: Float64s, last_slot: int, has_slot: int, tokens_slot: int,
    rate_per_ns: float, burst: float, ts_ns: int,
) -> None:  # fmt: skip
    """TokenBucket.refill of the bucket in those slots."""
    if not gate_i[has_slot]:
        gate_i[has_slot] = 1
        gate_i[last_slot] = ts_ns
    elif ts_ns > gate_i[last_slot]:
        tokens = gate_f[tokens_slot] + (ts_ns - gate_i[last_slot]) * rate_per_ns
        gate_f[tokens_slot] = burst if burst <= tokens else tokens
        gate_i[last_slot] = ts_ns


@compiled_inline
def _take(gate_f: Float64s, tokens_slot: int) -> bool:
    """TokenBucket.take of the bucket whose tokens are in that slot."""
    if gate_f[tokens_slot] >= 1.0:
        gate_f[tokens_slot] -= 1.0
        return True
    return False


@compiled_inline
def _book_exposure(gate_i: Int64s, position_lots: int, open_orders: Int64s, n_open: int) -> None:
    """RiskGate._exposure_of: the batch's worst-case lots before it (the position limit is
    the settled context's)."""
    long_lots = short_lots = 0
    for j in range(n_open):
        if open_orders[j, O_SIDE] == BUY:
            long_lots += open_orders[j, O_LEAVES_LOTS]
        else:
            short_lots += open_orders[j, O_LEAVES_LOTS]
    gate_i[G_LONG_LOTS] = position_lots + long_lots
    gate_i[G_SHORT_LOTS] = short_lots - position_lots


@compiled_inline
def _replace_rejection(
    gate_i: Int64s, gate_f: Float64s, params_i: Int64s, params_f: Float64s,
    ts_ns: int, position_lots: int, actions: Int64s, i: int,
    open_orders: Int64s, n_open: int, allowed: Int64s, halted: bool,
) -> int:  # fmt: skip
    """RiskGate._replace_rejection of action i: its denial code, or NO_CODE."""
    gate_i[G_REPLACE_ATTEMPTS] += 1
    if halted:
        return C_INTRADAY_ORDERS
    ref = actions[i, A_REF]
    resting = -1
    for j in range(n_open):
        if open_orders[j, O_REF] == ref:
            resting = j
            break
    if resting < 0:
        return C_UNKNOWN_ORDER
    # RiskGate's replaced-in-batch set: the replaces of this order allowed earlier in it.
    for k in range(i):
        if actions[k, A_KIND] == ACTION_REPLACE and actions[k, A_REF] == ref and allowed[k]:
            return C_REPLACE_TWICE
    if ts_ns - open_orders[resting, O_PRICED_TS_NS] < params_i[P_MIN_ORDER_AGE_NS]:
        return C_REPLACE_AGE
    moved_ticks = abs(actions[i, A_PRICE_TICKS] - open_orders[resting, O_PRICE_TICKS])
    resting_lots = open_orders[resting, O_LEAVES_LOTS]
    size_cut = moved_ticks == 0 and actions[i, A_QTY_LOTS] < resting_lots
    if moved_ticks < params_i[P_MIN_REPLACE_TICKS] and not size_cut:
        return C_REPLACE_TICKS
    code = _book_order(gate_i, gate_f, params_i, params_f, position_lots, actions, i,
                       open_orders[resting, O_SIDE], resting_lots)  # fmt: skip
    if code == NO_CODE:
        gate_i[G_REPLACE_ALLOWED] += 1
    return code


@compiled_inline
def _book_order(
    gate_i: Int64s, gate_f: Float64s, params_i: Int64s, params_f: Float64s,
    position_lots: int, actions: Int64s, i: int, replaced_side: int, replaced_lots: int,
) -> int:  # fmt: skip
    """RiskGate._book_order of action i (a place, or a replace of replaced_lots resting on
    replaced_side): its denial code, or NO_CODE with the order booked."""
    if gate_i[G_ORDERS_LEFT] <= 0:
        return C_INTRADAY_ORDERS
    side = actions[i, A_SIDE]
    added_lots = actions[i, A_QTY_LOTS] - (replaced_lots if replaced_side == side else 0)
    side_slot = G_LONG_LOTS if side == BUY else G_SHORT_LOTS
    worst_lots = gate_i[side_slot] + added_lots
    code = _limit_rejection(gate_i, params_i, params_f, position_lots, actions, i, worst_lots)
    if code != NO_CODE:
        return code
    if not _take(gate_f, GF_ORDERS_TOKENS):
        gate_i[G_THROTTLED_ORDERS_TOTAL] += 1
        return C_THROTTLE_ORDERS
    gate_i[side_slot] += added_lots
    if replaced_side * side < 0:
        # A replace that flips side takes its old quantity off the other side.
        gate_i[G_LONG_LOTS if replaced_side == BUY else G_SHORT_LOTS] -= replaced_lots
    gate_i[G_ORDERS_LEFT] -= 1
    return NO_CODE


@compiled_inline
def _limit_rejection(
    gate_i: Int64s, params_i: Int64s, params_f: Float64s,
    position_lots: int, actions: Int64s, i: int, worst_lots: int,
) -> int:  # fmt: skip
    """The position rule (REDUCING: reduce-only; ACTIVE: worst case within the limit) and the
    venue minimums of action i, whose side's worst case is worst_lots: a denial code, or
    NO_CODE."""
    side = actions[i, A_SIDE]
    if gate_i[G_STATE] == REDUCING:
        # On the reducing side worst_lots + |position| is what the reducing orders carry.
        adds = side * position_lots >= 0
        if adds or worst_lots + abs(position_lots) > gate_i[G_ALLOWANCE_LOTS]:
            return C_REDUCE_ONLY
    elif worst_lots > gate_i[G_SETTLED_LIMIT_LOTS]:
        return C_POSITION
    # An order that, with the reducing orders resting, closes the whole position goes as
    # reduce-only, which venues accept below their minimums.
    if worst_lots == 0 and side * position_lots < 0:
        return NO_CODE
    qty_lots = actions[i, A_QTY_LOTS]
    if qty_lots < params_i[P_MIN_QTY_LOTS]:
        return C_MIN_QTY
    notional_usd = (
        qty_lots * params_f[PF_LOT_SIZE] * actions[i, A_PRICE_TICKS] * params_f[PF_TICK_SIZE]
    )
    if notional_usd < params_f[PF_MIN_NOTIONAL_USD]:
        return C_MIN_NOTIONAL
    return NO_CODE


@compiled_inline
def _count_denial(gate_i: Int64s, denials: Int64s, code: int) -> None:
    """Count one denial of code (its rank: the order codes first denied in)."""
    if denials[code, D_RANK] < 0:
        denials[code, D_RANK] = gate_i[G_CODES_DENIED]
        gate_i[G_CODES_DENIED] += 1
    denials[code, D_COUNT] += 1
