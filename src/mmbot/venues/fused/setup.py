"""The fused loop's arrays for one engine: packed from the engine's parts, grown on request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from mmbot.engine.fused_orders import OrderArrays
from mmbot.engine.loop import Engine
from mmbot.risk.fused import GateArrays
from mmbot.sim import layout as lo
from mmbot.sim.state import SimState
from mmbot.strategy.fused import StrategyArrays
from mmbot.venues.fused import parts
from mmbot.venues.fused.layout import (
    E_ALLOC_INTERVAL_NS,
    E_BUDGET_LOTS,
    E_DAY,
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
    E_TS_NS,
    E_VIEW_TS_NS,
    F_ALLOC_AVAILABLE_USD,
    F_ALLOC_BUDGET_USD,
    F_ALLOC_DRAWDOWN_SCALE,
    F_ALLOC_HWM_USD,
    F_ALLOC_MAX_STEP_USD,
    F_ALLOC_PREV_USD,
    F_ALLOC_SMOOTHING,
    F_BUDGET_USD,
    F_COST_FILLRATE_EWMA,
    F_EQUITY_START_USD,
    F_LOT_SIZE,
    F_MID_USD,
    F_NOTIONAL_START_USD,
    F_TICK_SIZE,
    F_WEIGHT,
    N_EREGS,
    N_FREGS,
    N_QUOTE_COLS,
    Records,
    Scratch,
)
from mmbot.venues.sim.port import SimVenuePort

_FIRST_ROWS = 4096  # per-decision records at the start; doubled when full


@dataclass(slots=True)
class FusedRun:
    """Everything the fused loop reads and writes for one engine (the simulator's state aside,
    which the port's venue holds)."""

    port: SimVenuePort
    view: NDArray[Any]
    engine_i: NDArray[Any]
    engine_f: NDArray[Any]
    placing: NDArray[Any]  # by venue order id: 1 while its place is unanswered
    records: Records
    strategy: StrategyArrays
    gate: GateArrays
    orders: OrderArrays
    scratch: Scratch

    def grow(self, state: SimState) -> None:
        """Give every record, log and table that is full room for the next decision point."""
        engine_i = self.engine_i
        rec = self.records
        counts = ((rec.mid_ts_ns, E_N_MIDS), (rec.inventory_lots, E_N_INVENTORY),
                  (rec.trace_ts_ns, E_N_TRACES), (rec.quotes, E_N_QUOTES),
                  (rec.timing_ns, E_N_TIMED))  # fmt: skip
        if any(engine_i[count] >= len(rows) for rows, count in counts):
            self.records = Records(*(_doubled(rows) for rows in rec))
        if state.regs[lo.R_NEXT_ORDER_ID] + parts.MAX_ACTIONS >= len(self.placing):
            self.placing = _doubled(self.placing)
        waiting = int(state.regs[lo.R_REP_DELIVERED] - state.regs[lo.R_REP_HEAD])
        next_order_id = int(state.regs[lo.R_NEXT_ORDER_ID])
        self.gate = parts.grown_gate(self.gate)
        self.orders = parts.grown_orders(self.orders, waiting, next_order_id)

    def leave_port(self) -> None:
        """Write the port's own numbers back (reference mid, fills reported, places in flight)."""
        port, engine_i = self.port, self.engine_i
        port._ref_mid_x2 = int(engine_i[E_REF_MID_X2])
        port._exch_mid_x2 = int(engine_i[E_EXCH_MID_X2])
        port._fills_reported = int(engine_i[E_FILLS_REPORTED])
        port._placing = set(np.flatnonzero(self.placing).tolist())
        port._filled = None


def _doubled(rows: NDArray[Any]) -> NDArray[Any]:
    grown = np.zeros((2 * len(rows), *rows.shape[1:]), dtype=rows.dtype)
    grown[: len(rows)] = rows
    return grown


def fused_run(engine: Engine) -> FusedRun:
    """Pack a fresh one-leg engine (fused_replay checked it) into the fused loop's arrays."""
    book, leg = engine.books[0], engine.legs[0]
    port = book.venue
    assert isinstance(port, SimVenuePort)
    placing = np.zeros(_FIRST_ROWS, dtype=np.int64)
    placing[list(port._placing)] = 1
    return FusedRun(
        port=port,
        view=port._view,
        engine_i=_engine_registers(engine, port),
        engine_f=_engine_floats(engine),
        placing=placing,
        records=_records(engine),
        strategy=parts.packed_strategy(leg),
        gate=parts.packed_gate(book.risk),
        orders=parts.packed_orders(leg),
        scratch=parts.scratch(),
    )


def _engine_registers(engine: Engine, port: SimVenuePort) -> NDArray[Any]:
    book, leg, params = engine.books[0], engine.legs[0], engine.params
    engine_i = np.zeros(N_EREGS, dtype=np.int64)
    engine_i[E_TS_NS] = engine.first_ts_ns()
    engine_i[E_INTERVAL_NS] = params.decision_interval_ns
    engine_i[E_DAY] = book.day.day
    engine_i[E_NEXT_ALLOC_NS] = engine._next_alloc_ns
    engine_i[E_BUDGET_LOTS] = leg.budget_lots
    engine_i[E_REF_MID_X2] = port._ref_mid_x2
    engine_i[E_EXCH_MID_X2] = port._exch_mid_x2
    engine_i[E_FILLS_REPORTED] = port._fills_reported
    engine_i[E_DEPTH_LEVELS] = port._depth_levels
    engine_i[E_KEEP_TRACES] = params.keep_traces
    engine_i[E_KEEP_QUOTES] = params.keep_quotes
    engine_i[E_ORDERS_START] = book.day.orders_start
    engine_i[E_EPISODES] = engine._episodes_closed
    engine_i[E_ALLOC_INTERVAL_NS] = params.alloc_interval_ns
    engine_i[E_ORDER_QTY_LOTS] = leg.params.order_qty_lots
    engine_i[E_VIEW_TS_NS] = -1
    return engine_i


def _engine_floats(engine: Engine) -> NDArray[Any]:
    book, leg, allocator = engine.books[0], engine.legs[0], engine.allocator
    alloc = allocator._params
    engine_f = np.zeros(N_FREGS, dtype=np.float64)
    engine_f[F_MID_USD] = book.mid_usd
    engine_f[F_TICK_SIZE] = book.tick_size
    engine_f[F_LOT_SIZE] = book.lot_size
    engine_f[F_EQUITY_START_USD] = book.day.equity_start_usd
    engine_f[F_NOTIONAL_START_USD] = book.day.notional_start_usd
    engine_f[F_COST_FILLRATE_EWMA] = engine.cost_fillrate_ewma
    engine_f[F_BUDGET_USD] = engine._budget_usd
    engine_f[F_ALLOC_BUDGET_USD] = alloc.budget_usd
    engine_f[F_ALLOC_DRAWDOWN_SCALE] = alloc.drawdown_scale
    engine_f[F_ALLOC_SMOOTHING] = alloc.smoothing
    engine_f[F_ALLOC_MAX_STEP_USD] = alloc.max_step_usd
    engine_f[F_ALLOC_HWM_USD] = allocator._hwm_equity_usd
    (engine_f[F_ALLOC_PREV_USD],) = allocator._budgets_usd
    engine_f[F_ALLOC_AVAILABLE_USD] = allocator._available_usd
    engine_f[F_WEIGHT] = leg.weight
    return engine_f


def _records(engine: Engine) -> Records:
    params = engine.params
    trace_rows = _FIRST_ROWS if params.keep_traces else 1
    quote_rows = _FIRST_ROWS if params.keep_quotes else 1
    return Records(
        mid_ts_ns=np.zeros(_FIRST_ROWS, dtype=np.int64),
        mid_ticks_x2=np.zeros(_FIRST_ROWS, dtype=np.int64),
        inventory_lots=np.zeros(_FIRST_ROWS, dtype=np.int64),
        trace_ts_ns=np.zeros(trace_rows, dtype=np.int64),
        trace_i=np.zeros((trace_rows, parts.N_DECISION_I), dtype=np.int64),
        trace_f=np.zeros((trace_rows, parts.N_DECISION_F), dtype=np.float64),
        quotes=np.zeros((quote_rows, N_QUOTE_COLS), dtype=np.int64),
        timing_ns=np.zeros((1, 2), dtype=np.int64),
    )
