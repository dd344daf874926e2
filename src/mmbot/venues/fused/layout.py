"""The fused loop's own registers and record columns (int64 / float64 arrays).

The loop keeps the engine's and the simulator port's per-run numbers here, so a call can stop
(to have buffers grown or events loaded) and resume at the same decision point.
"""

from __future__ import annotations

from typing import Final, NamedTuple

import numpy as np
from numpy.typing import NDArray

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]

# Engine registers (int64).
E_TS_NS: Final = 0  # the decision point the loop is at
E_INTERVAL_NS: Final = 1
E_DAY: Final = 2  # the UTC day of the day counters (-1: none yet)
E_NEXT_ALLOC_NS: Final = 3
E_BUDGET_LOTS: Final = 4  # the leg's size budget
E_REF_MID_X2: Final = 5  # the port's reference mid (the last two-sided view's bid + ask)
E_EXCH_MID_X2: Final = 6  # the venue book's mid x2 at the last view
E_FILLS_REPORTED: Final = 7  # fill log rows already turned into fill events
E_DEPTH_LEVELS: Final = 8
E_DECISIONS: Final = 9
E_N_MIDS: Final = 10
E_N_INVENTORY: Final = 11
E_N_TRACES: Final = 12
E_N_QUOTES: Final = 13
E_KEEP_TRACES: Final = 14
E_KEEP_QUOTES: Final = 15
E_ORDERS_START: Final = 16  # the day's first order count
E_EPISODES: Final = 17  # quote episodes folded into the engine's cost_fillrate_ewma
E_ALLOC_INTERVAL_NS: Final = 18
E_ORDER_QTY_LOTS: Final = 19
E_VIEW_TS_NS: Final = 20  # the time of the last two-sided view (-1: none)
E_TIMED: Final = 21  # 1: time every point into Records.timing_ns (benchmarks/bench_decide.py)
E_N_TIMED: Final = 22
N_EREGS: Final = 23

# Records.timing_ns columns: a whole point, and its decision (book step, risk, strategy, plan,
# check, send), in ns of the monotonic clock.
T_STEP_NS: Final = 0
T_DECISION_NS: Final = 1

# Engine registers (float64).
F_MID_USD: Final = 0  # the last two-sided mid
F_TICK_SIZE: Final = 1
F_LOT_SIZE: Final = 2
F_EQUITY_START_USD: Final = 3  # the day's
F_NOTIONAL_START_USD: Final = 4
F_COST_FILLRATE_EWMA: Final = 5
F_BUDGET_USD: Final = 6  # the engine's starting budget (the allocator's available at start)
F_ALLOC_BUDGET_USD: Final = 7  # AllocParams
F_ALLOC_DRAWDOWN_SCALE: Final = 8
F_ALLOC_SMOOTHING: Final = 9
F_ALLOC_MAX_STEP_USD: Final = 10
F_ALLOC_HWM_USD: Final = 11  # the allocator's state
F_ALLOC_PREV_USD: Final = 12
F_ALLOC_AVAILABLE_USD: Final = 13
F_WEIGHT: Final = 14  # the leg's mux weight (1: no mux)
F_BAD_EQUITY_USD: Final = 15  # the non-finite equity the allocator refused (ST_BAD_EQUITY)
N_FREGS: Final = 16

# Quote records (keep_quotes): ts_ns, has quote, bid_ticks, ask_ticks, bid_lots, ask_lots.
Q_TS_NS: Final = 0
Q_HAS: Final = 1
N_QUOTE_COLS: Final = 6

# What the loop returns besides the simulator's ST_NEED_SPACE / ST_NEED_EVENTS.
ST_DONE: Final = 10  # the data is used up
ST_NEED_ROOM: Final = 11  # a record or log is short of rows: grow, call again
ST_BAD_EQUITY: Final = 12  # the allocator was handed a non-finite equity (Python raises)
ST_BAD_QUOTE: Final = 13  # the strategy's quote breaks Quote's rule (Python raises)


class Records(NamedTuple):
    """What the loop records per decision point (the engine's EngineRecord series), each
    filled up to its count register (E_N_*)."""

    mid_ts_ns: I64
    mid_ticks_x2: I64
    inventory_lots: I64
    trace_ts_ns: I64  # keep_traces: one row per decision
    trace_i: I64  # the strategy's int outputs (quote and sizes)
    trace_f: F64  # the strategy's float outputs (the trace's numbers)
    quotes: I64  # keep_quotes: Q_* columns then the quote's four numbers
    timing_ns: I64  # E_TIMED: T_* columns per point


class Scratch(NamedTuple):
    """Per-decision working rows, reused at every point (no allocation per decision)."""

    decision_i: I64
    decision_f: F64
    shaped: I64  # the quote the risk gate lets rest
    actions: I64  # the plan's actions
    open_orders: I64  # the risk gate's view of the resting orders
    allowed: I64  # per action: 1 allowed by the risk gate
    timespec: I64  # the clock's 2 slots (E_TIMED)
