"""Each package's compiled twin as the fused loop calls it, and its pack / leave-behind.

The twins (strategy/fused.py, risk/fused.py, engine/fused_orders.py) take their arrays one
by one; the loop holds each twin's arrays as one NamedTuple, so these thin compiled adapters
unpack them (numba inlines the calls). The Python-side helpers pack an engine's part into
its twin's arrays and write the twin's end state back into the part.
"""

from __future__ import annotations

from typing import Final

import numpy as np

from mmbot.core.types import Quote
from mmbot.engine import fused_orders as of
from mmbot.engine.book import Leg, SymbolBook
from mmbot.risk import RiskGate
from mmbot.risk import fused as gf
from mmbot.sim.state import F64, I64
from mmbot.sim.view import (
    V_ASK_DEPTH_LOTS,
    V_BEST_ASK_LOTS,
    V_BEST_ASK_TICKS,
    V_BEST_BID_LOTS,
    V_BEST_BID_TICKS,
    V_BID_DEPTH_LOTS,
    V_BUY_TRADE_DEPTH_TICKS,
    V_BUY_VOLUME_LOTS,
    V_SELL_TRADE_DEPTH_TICKS,
    V_SELL_VOLUME_LOTS,
)
from mmbot.strategy import fused as sf
from mmbot.strategy.trace import DecisionTrace
from mmbot.venues.fused.jit import compiled
from mmbot.venues.fused.layout import Q_HAS, Q_TS_NS, Records, Scratch

# The strategy's outputs: the quote's four numbers lead its int row (the quote records copy them).
N_DECISION_I: Final = sf.N_OUT_I
N_DECISION_F: Final = sf.N_OUT_F
N_QUOTE_NUMBERS: Final = sf.OUT_ASK_LOTS + 1
assert sf.OUT_BID_TICKS == 0 and N_QUOTE_NUMBERS == 4


# --- the strategy (strategy/fused.py)


@compiled
def decide(
    strategy: sf.StrategyArrays, view: I64, ts_ns: int, position_lots: int, budget_lots: int,
    out_i: I64, out_f: F64,
) -> int:  # fmt: skip
    """The leg's decision on the view (1: a quote in out_i's first four slots)."""
    return sf.decide_into(
        strategy.state_f, strategy.state_i, strategy.depths, strategy.hist, strategy.params_f,
        strategy.params_i, ts_ns, view[V_BEST_BID_TICKS], view[V_BEST_BID_LOTS],
        view[V_BEST_ASK_TICKS], view[V_BEST_ASK_LOTS], view[V_BID_DEPTH_LOTS],
        view[V_ASK_DEPTH_LOTS], view[V_BUY_VOLUME_LOTS], view[V_SELL_VOLUME_LOTS],
        view[V_BUY_TRADE_DEPTH_TICKS], view[V_SELL_TRADE_DEPTH_TICKS], position_lots,
        budget_lots, out_i, out_f,
    )  # fmt: skip


def packed_strategy(leg: Leg) -> sf.StrategyArrays:
    """Return the leg's strategy state and parameters as the twin's arrays."""
    return sf.pack(leg.state, leg.params)


def leave_strategy(arrays: sf.StrategyArrays, leg: Leg) -> None:
    """Write the twin's end state into the leg's strategy state."""
    sf.materialize(arrays, leg.state)


def traces_of(rec: Records, rows: int, leg: Leg) -> list[DecisionTrace]:
    """Return the decision traces of the first rows trace records."""
    return [
        sf.decision_of(rec.trace_i[row], rec.trace_f[row], 0, int(ts_ns), leg.state).trace
        for row, ts_ns in enumerate(rec.trace_ts_ns[:rows].tolist())
    ]


def quotes_of(rec: Records, rows: int) -> list[tuple[int, Quote | None]]:
    """Return the (ts_ns, wanted quote) of the first rows quote records."""
    quotes: list[tuple[int, Quote | None]] = []
    for row in rec.quotes[:rows].tolist():
        numbers = row[Q_HAS + 1 :]
        quotes.append((row[Q_TS_NS], Quote(*numbers) if row[Q_HAS] else None))
    return quotes


# --- the risk gate (risk/fused.py)

# Records one decision may add: after_step, shape_quote and check each at most this many.
_GATE_RECORDS_PER_POINT: Final = 3 * gf.RECORDS_PER_CALL_MAX


@compiled
def gate_reset_intraday(gate: gf.GateArrays) -> None:
    """RiskGate.reset_intraday."""
    gf.reset_intraday(gate.gate_i)


@compiled
def gate_after_step(
    gate: gf.GateArrays, ts_ns: int, position_lots: int, mid_usd: float, pnl_usd_day: float,
    notional_usd_day: float, order_count_day: int,
) -> None:  # fmt: skip
    """RiskGate.after_step on the decision's context (its records stay in the gate's log)."""
    gf.after_step(
        gate.gate_i, gate.gate_f, gate.params_i, gate.params_f, gate.records_i, gate.records_f,
        ts_ns, position_lots, mid_usd, pnl_usd_day, notional_usd_day, order_count_day,
    )  # fmt: skip


@compiled
def gate_shape_quote(
    gate: gf.GateArrays, ts_ns: int, position_lots: int, mid_usd: float, pnl_usd_day: float,
    notional_usd_day: float, order_count_day: int, has_quote: int, quote: I64, out: I64,
) -> int:  # fmt: skip
    """RiskGate.shape_quote of the strategy's quote (its first four numbers)."""
    return gf.shape_quote(
        gate.gate_i, gate.gate_f, gate.params_i, gate.params_f, gate.records_i, gate.records_f,
        ts_ns, position_lots, mid_usd, pnl_usd_day, notional_usd_day, order_count_day,
        has_quote != 0, quote[0], quote[1], quote[2], quote[3], out,
    )  # fmt: skip


@compiled
def gate_check(
    gate: gf.GateArrays, ts_ns: int, position_lots: int, mid_usd: float, pnl_usd_day: float,
    notional_usd_day: float, order_count_day: int, actions: I64, n_actions: int,
    open_orders: I64, n_open: int, allowed: I64,
) -> int:  # fmt: skip
    """RiskGate.check of the plan's actions; return how many passed (allowed[i] = 1)."""
    return gf.check(
        gate.gate_i, gate.gate_f, gate.params_i, gate.params_f, gate.records_i, gate.records_f,
        gate.denials, ts_ns, position_lots, mid_usd, pnl_usd_day, notional_usd_day,
        order_count_day, actions, n_actions, open_orders, n_open, allowed,
    )  # fmt: skip


@compiled
def gate_room(gate: gf.GateArrays) -> bool:
    """Whether the gate's record log has room for one more decision's records."""
    free = len(gate.records_i) - gate.gate_i[gf.G_RECORDS]
    return bool(free >= _GATE_RECORDS_PER_POINT)


def packed_gate(gate: RiskGate) -> gf.GateArrays:
    """Return a fresh gate as the twin's arrays."""
    return gf.pack(gate)


def grown_gate(arrays: gf.GateArrays) -> gf.GateArrays:
    """Return the gate's arrays with room for one more decision's records."""
    return gf.grow(arrays, _GATE_RECORDS_PER_POINT)


def leave_gate(arrays: gf.GateArrays, book: SymbolBook) -> None:
    """Write the twin's end state into the symbol's gate, its records and denial counts into
    the symbol's record."""
    gf.materialize(arrays, book.risk)
    book.record.risk_records.extend(gf.records_of(arrays))
    book.record.denials.update(gf.denials_of(arrays))


# --- the order manager and the ledger (engine/fused_orders.py)

MAX_ACTIONS: Final = of.MAX_ACTIONS
A_KIND: Final = of.A_KIND
A_SEQ: Final = of.A_SEQ
A_SIDE: Final = of.A_SIDE
A_PRICE_TICKS: Final = of.A_PRICE_TICKS
A_QTY_LOTS: Final = of.A_QTY_LOTS
PLACE: Final = of.ACTION_PLACE
REPLACE: Final = of.ACTION_REPLACE


@compiled
def position_lots(orders: of.OrderArrays) -> int:
    """Ledger.position_lots."""
    return int(orders.counts[of.C_POSITION_LOTS])


@compiled
def cash_usd(orders: of.OrderArrays) -> float:
    """Ledger.cash_usd."""
    return float(orders.money[of.M_CASH_USD])


@compiled
def notional_usd(orders: of.OrderArrays) -> float:
    """Ledger.notional_usd."""
    return float(orders.money[of.M_NOTIONAL_USD])


@compiled
def quotes_placed_total(orders: of.OrderArrays) -> int:
    """OrderManager.quotes_placed_total."""
    return int(orders.counts[of.C_QUOTES_PLACED])


@compiled
def plan(orders: of.OrderArrays, has_quote: int, quote: I64, actions: I64) -> int:
    """OrderManager.plan of the shaped quote; return how many actions it wrote."""
    return of.plan(orders.orders, orders.counts, has_quote != 0, quote[0], quote[1], quote[2],
                   quote[3], actions)  # fmt: skip


@compiled
def open_orders(orders: of.OrderArrays, out: I64) -> int:
    """OrderManager.open_orders as the risk gate's rows; return how many."""
    return of.open_orders(orders.orders, orders.counts, out)


@compiled
def on_sent_place(
    orders: of.OrderArrays, seq: int, side: int, price_ticks: int, qty_lots: int,
    venue_order_id: int, ts_ns: int,
) -> None:  # fmt: skip
    """OrderManager.on_sent_place."""
    of.on_sent_place(orders.orders, orders.venue_rows, orders.seq_rows, orders.counts, seq,
                     side, price_ticks, qty_lots, venue_order_id, ts_ns)  # fmt: skip


@compiled
def on_sent_replace(orders: of.OrderArrays, seq: int, price_ticks: int, qty_lots: int) -> None:
    """OrderManager.on_sent_replace."""
    of.on_sent_replace(orders.orders, orders.seq_rows, orders.counts, orders.order_ages_ns, seq,
                       price_ticks, qty_lots)  # fmt: skip


@compiled
def on_sent_cancel(orders: of.OrderArrays, seq: int) -> None:
    """OrderManager.on_sent_cancel."""
    of.on_sent_cancel(orders.orders, orders.seq_rows, orders.counts, orders.order_ages_ns, seq)


@compiled
def venue_id_of(orders: of.OrderArrays, seq: int) -> int:
    """OrderManager.venue_id_of."""
    return of.venue_id_of(orders.orders, orders.seq_rows, orders.counts, seq)


@compiled
def apply_report(
    orders: of.OrderArrays, kind: int, order_id: int, client_seq: int, side: int,
    price_ticks: int, qty_lots: int, leaves_lots: int, ts_exch_ns: int, ts_local_ns: int,
    is_maker: int, fee_usd: float, mid_ticks_x2: int,
) -> tuple[bool, float]:  # fmt: skip
    """Engine._apply of one order event on the leg; return (episode closed, its fill ratio)."""
    return of.apply_report(
        orders.orders, orders.venue_rows, orders.seq_rows, orders.counts, orders.money,
        orders.ack_latencies_ns, orders.order_ages_ns, orders.fills, orders.fill_fees, kind,
        order_id, client_seq, side, price_ticks, qty_lots, leaves_lots, ts_exch_ns, ts_local_ns,
        is_maker, fee_usd, mid_ticks_x2,
    )  # fmt: skip


@compiled
def orders_room(orders: of.OrderArrays, reports: int, next_venue_order_id: int) -> bool:
    """Whether the order table, logs and maps have room for one more decision point with
    `reports` reports waiting."""
    free = of.room(orders.orders, orders.venue_rows, orders.seq_rows, orders.counts,
                   orders.ack_latencies_ns, orders.order_ages_ns, orders.fills,
                   next_venue_order_id)  # fmt: skip
    return free >= reports + MAX_ACTIONS


def packed_orders(leg: Leg) -> of.OrderArrays:
    """Return a fresh leg's order manager and ledger as the twin's arrays."""
    return of.pack(leg.orders, leg.ledger)


def grown_orders(arrays: of.OrderArrays, reports: int, next_venue_order_id: int) -> of.OrderArrays:
    """Return the arrays with room for one more decision point with `reports` waiting."""
    return of.grow(arrays, reports + MAX_ACTIONS, next_venue_order_id)


def leave_orders(arrays: of.OrderArrays, leg: Leg) -> None:
    """Write the twin's end state into the leg's order manager and ledger."""
    of.materialize(arrays, leg.orders, leg.ledger)


def scratch() -> Scratch:
    """Return the loop's per-decision working rows."""
    return Scratch(
        decision_i=np.zeros(N_DECISION_I, dtype=np.int64),
        decision_f=np.zeros(N_DECISION_F, dtype=np.float64),
        shaped=np.zeros(N_QUOTE_NUMBERS, dtype=np.int64),
        actions=np.zeros((MAX_ACTIONS, of.A_COLUMNS), dtype=np.int64),
        open_orders=np.zeros((of.MAX_OPEN_ORDERS, of.OO_COLUMNS), dtype=np.int64),
        allowed=np.zeros(MAX_ACTIONS, dtype=np.int64),
        timespec=np.zeros(2, dtype=np.int64),
    )
