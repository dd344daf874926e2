"""The compiled twin of the order manager (engine/orders.py), the ledger (engine/ledger.py) and
the engine's report handling (Engine._apply and its handlers, engine/loop.py), for the fused
replay (venues/sim/fused.py): one symbol, one leg, execution policy `queue_aware`, a fresh
backtest (session 0 or any one session, client numbers of its own, never adopting a position).

OrderManager, Ledger and Engine stay the reference: every function here does what its Python
counterpart does, in the same order, on the same numbers (Python ints as int64, floats as C
doubles, no fast-math), so the results are the Python ones bit for bit;
tests/unit/engine/test_fused_orders.py checks it. After a run `materialize` writes the state
back into the OrderManager and Ledger the arrays were packed from, and the run directory and
Engine.values() read them as if the Python engine had run.

The state (OrderArrays; every compiled function takes the arrays it needs as arguments):

    orders            (capacity, O_COLUMNS) int64: one row per order sent, in send order
                      (OrderManager.orders), the ManagedOrder fields in the O_* columns; the
                      state as an S_* code; O_OPEN_*: the risk gate's view (ManagedOrder.
                      open_order; its side is O_SIDE), set only where ManagedOrder.rest sets it
    venue_rows        int64: venue order id -> row of that order (-1: none; _by_venue)
    seq_rows          int64: client seq - counts[C_SEQ_BASE] -> row (-1: none; _by_seq and
                      _by_client, whose ids are `<strategy>-<seq>`)
    counts            int64 C_*: the manager's counters, the last seq drawn, the rows used in
                      each log, the working orders (_working, in its insertion order), and the
                      ledger's position and filled lots
    money             float64 M_*: fill_ratio_ewma, the ledger's cash, notional and fees, and
                      its tick and lot sizes
    ack_latencies_ns  int64, counts[C_ACKS] used (OrderManager.ack_latencies_ns)
    order_ages_ns     int64, counts[C_AGES] used (OrderManager.order_ages_ns)
    fills             (capacity, F_COLUMNS) int64 and fill_fees float64, counts[C_FILLS] rows
                      used: the ledger's fill columns

Room. No compiled function allocates or writes past an array's end: `room` says how many
more rows every log and map has free (venue_rows measured from the id the simulator gives its
next order), and the caller keeps room(...) >= 2 before a plan and the sends of its actions
(a plan draws at most 2 seqs; each place adds one order row, one seq and one venue id) and
room(...) >= 1 before each apply_report (it adds at most one row to fills, ack latencies and
order ages each). `grow` makes room between compiled calls.

Out of scope, as in the fused replay: naive_repost (no superseded orders, `_leaving` stays
empty), named client numbers (live ports), POSITION_ADOPTED, places without a venue order id
(the simulator numbers every order, so a report never has to name one afterwards), and the
end of a session's billion client numbers (ClientSeqs.next's error).
"""

from __future__ import annotations

from typing import Final, NamedTuple, TypeVar

import numpy as np
import numpy.typing as npt

from mmbot.core.events import OrderEventKind
from mmbot.core.types import BUY, SELL
from mmbot.engine.jit import compiled
from mmbot.engine.ledger import Ledger
from mmbot.engine.orders import (
    ManagedOrder,
    OrderManager,
    OrderState,
    fold_fill_ratio,
    make_client_id,
)
from mmbot.risk import OpenOrder
from mmbot.risk import fused as gate_rows

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
A = TypeVar("A", I64, F64)

# Order table columns (OrderArrays.orders): the ManagedOrder slots of the same names.
O_SEQ: Final = 0
O_SIDE: Final = 1
O_PRICE_TICKS: Final = 2
O_QTY_LOTS: Final = 3
O_LEAVES_LOTS: Final = 4
O_FILLED_LOTS: Final = 5
O_PLACED_TS_NS: Final = 6
O_PRICED_TS_NS: Final = 7
O_ENDED_TS_NS: Final = 8
O_STATE: Final = 9
O_VENUE_ORDER_ID: Final = 10
O_PENDING_PRICE_TICKS: Final = 11
O_PENDING_QTY_LOTS: Final = 12
O_EPISODE_QUOTED_LOTS: Final = 13
O_EPISODE_FILLED_LOTS: Final = 14
O_OPEN_PRICE_TICKS: Final = 15  # open_order.price_ticks
O_OPEN_LOTS: Final = 16  # open_order.leaves_lots: the worst of leaves and a replace's size
O_OPEN_PRICED_TS_NS: Final = 17  # open_order.priced_ts_ns
O_COLUMNS: Final = 18

# Order state codes (O_STATE): OrderState's members in their order; the last three are the
# terminal ones.
S_PENDING_NEW: Final = 0
S_LIVE: Final = 1
S_PENDING_CANCEL: Final = 2
S_PENDING_REPLACE: Final = 3
S_FILLED: Final = 4
S_CANCELED: Final = 5
S_REJECTED: Final = 6
STATE_OF_CODE: Final = tuple(OrderState)

# Counter slots (OrderArrays.counts).
C_UNKNOWN_REPORTS: Final = 0
C_UNKNOWN_OUTCOMES: Final = 1
C_LATE_REPORTS: Final = 2
C_EPISODES_CLOSED: Final = 3
C_REPLACES_SENT: Final = 4
C_CANCELED: Final = 5
C_REJECTED: Final = 6
C_BAD_TRANSITIONS: Final = 7
C_QUOTES_PLACED: Final = 8
C_SEQ: Final = 9  # the last client seq drawn (ClientSeqs._seq)
C_SEQ_BASE: Final = 10  # the seq counter when packed: seq_rows[0] is seq C_SEQ_BASE
C_ORDERS: Final = 11  # rows used in orders
C_ACKS: Final = 12  # rows used in ack_latencies_ns
C_AGES: Final = 13  # rows used in order_ages_ns
C_FILLS: Final = 14  # rows used in fills / fill_fees
C_WORKING_FIRST: Final = 15  # the row of the first working order in _working's order (-1)
C_WORKING_SECOND: Final = 16  # the row of the second (-1)
C_POSITION_LOTS: Final = 17  # Ledger.position_lots
C_FILLED_LOTS: Final = 18  # Ledger.filled_lots
C_COUNTS: Final = 19

# Money slots (OrderArrays.money).
M_FILL_RATIO_EWMA: Final = 0
M_CASH_USD: Final = 1
M_NOTIONAL_USD: Final = 2
M_FEES_USD: Final = 3
M_FEES_PAID_USD: Final = 4
M_REBATES_USD: Final = 5
M_TICK_SIZE: Final = 6
M_LOT_SIZE: Final = 7
M_SLOTS: Final = 8

# Fill columns (OrderArrays.fills; the fee is in fill_fees): the ledger's, in its order.
F_TS_NS: Final = 0
F_TS_LOCAL_NS: Final = 1
F_ORDER_ID: Final = 2
F_CLIENT_SEQ: Final = 3
F_SIDE: Final = 4
F_PRICE_TICKS: Final = 5
F_QTY_LOTS: Final = 6
F_IS_MAKER: Final = 7
F_MID_TICKS_X2: Final = 8
F_COLUMNS: Final = 9

# Action rows (plan's actions) and open order rows (open_orders' out, keyed by client seq)
# are the risk gate's twin's rows (risk/fused.py), which checks them: one layout for both.
A_KIND: Final = gate_rows.A_KIND
A_SEQ: Final = gate_rows.A_REF
A_SIDE: Final = gate_rows.A_SIDE
A_PRICE_TICKS: Final = gate_rows.A_PRICE_TICKS
A_QTY_LOTS: Final = gate_rows.A_QTY_LOTS
A_COLUMNS: Final = gate_rows.A_COLUMNS
ACTION_PLACE: Final = gate_rows.ACTION_PLACE
ACTION_REPLACE: Final = gate_rows.ACTION_REPLACE
ACTION_CANCEL: Final = gate_rows.ACTION_CANCEL
MAX_ACTIONS: Final = 2  # one per side
OO_SEQ: Final = gate_rows.O_REF
OO_SIDE: Final = gate_rows.O_SIDE
OO_PRICE_TICKS: Final = gate_rows.O_PRICE_TICKS
OO_LEAVES_LOTS: Final = gate_rows.O_LEAVES_LOTS
OO_PRICED_TS_NS: Final = gate_rows.O_PRICED_TS_NS
OO_COLUMNS: Final = gate_rows.O_COLUMNS
MAX_OPEN_ORDERS: Final = 2  # one working order per side

# The report kinds apply_report takes (OrderEventKind's values; the fused loop's too).
EV_ACCEPTED: Final = int(OrderEventKind.ACCEPTED)
EV_REJECTED: Final = int(OrderEventKind.REJECTED)
EV_PARTIALLY_FILLED: Final = int(OrderEventKind.PARTIALLY_FILLED)
EV_FILLED: Final = int(OrderEventKind.FILLED)
EV_CANCELED: Final = int(OrderEventKind.CANCELED)
EV_REPLACE_ACCEPTED: Final = int(OrderEventKind.REPLACE_ACCEPTED)
EV_REPLACE_REJECTED: Final = int(OrderEventKind.REPLACE_REJECTED)
_UNKNOWN_OUTCOME: Final = int(OrderEventKind.UNKNOWN_OUTCOME)

_INITIAL_ROWS: Final = 1024

# OrderManager's fold, compiled: its episodes here, and the engine's cost_fillrate_ewma in the
# fused loop (Engine._episode_closed folds apply_report's ratios with it).
compiled_fold_fill_ratio = compiled(fold_fill_ratio)


class OrderArrays(NamedTuple):
    """The compiled state of one leg's order manager and ledger (see the module docstring)."""

    orders: I64
    venue_rows: I64
    seq_rows: I64
    counts: I64
    money: F64
    ack_latencies_ns: I64
    order_ages_ns: I64
    fills: I64
    fill_fees: F64


def pack(orders: OrderManager, ledger: Ledger, rows: int = _INITIAL_ROWS) -> OrderArrays:
    """Return the arrays of a fresh queue_aware order manager and its fresh ledger, with room
    for rows of each log (grow makes more)."""
    if orders._naive:
        raise ValueError("pack: the fused replay runs execution queue_aware only")
    if orders.orders or orders.unknown_reports_total or ledger.fills or ledger.position_lots:
        raise ValueError("pack takes a fresh order manager and ledger")
    if orders.seqs._client_ids is not None:
        raise ValueError("pack: named client numbers (live ports) are not replayed")
    counts = np.zeros(C_COUNTS, dtype=np.int64)
    counts[C_SEQ] = counts[C_SEQ_BASE] = orders.seqs._seq
    counts[C_WORKING_FIRST] = counts[C_WORKING_SECOND] = -1
    money = np.zeros(M_SLOTS, dtype=np.float64)
    money[M_TICK_SIZE] = ledger._tick_size
    money[M_LOT_SIZE] = ledger._lot_size
    return OrderArrays(
        np.zeros((rows, O_COLUMNS), dtype=np.int64),
        np.full(rows, -1, dtype=np.int64),
        np.full(rows, -1, dtype=np.int64),
        counts,
        money,
        np.zeros(rows, dtype=np.int64),
        np.zeros(rows, dtype=np.int64),
        np.zeros((rows, F_COLUMNS), dtype=np.int64),
        np.zeros(rows, dtype=np.float64),
    )


@compiled
def room(orders: I64, venue_rows: I64, seq_rows: I64, counts: I64, ack_latencies_ns: I64,
         order_ages_ns: I64, fills: I64, next_venue_order_id: int) -> int:  # fmt: skip
    """Return the fewest rows free in any log or map (venue_rows: from the venue order id the
    next place will get); see the module docstring for how much each call needs."""
    return int(
        min(
            len(orders) - counts[C_ORDERS],
            len(ack_latencies_ns) - counts[C_ACKS],
            len(order_ages_ns) - counts[C_AGES],
            len(fills) - counts[C_FILLS],
            len(seq_rows) - 1 - (counts[C_SEQ] - counts[C_SEQ_BASE]),
            len(venue_rows) - next_venue_order_id,
        )
    )


def grow(arrays: OrderArrays, rows: int, next_venue_order_id: int) -> OrderArrays:
    """Return the arrays with room(...) >= rows: each short log or map doubled until it fits,
    its contents copied."""
    counts = arrays.counts
    fills_length = _fitting(len(arrays.fills), counts[C_FILLS] + rows)
    seq_length = _fitting(len(arrays.seq_rows), counts[C_SEQ] - counts[C_SEQ_BASE] + 1 + rows)
    venue_length = _fitting(len(arrays.venue_rows), next_venue_order_id + rows)
    acks_length = _fitting(len(arrays.ack_latencies_ns), counts[C_ACKS] + rows)
    ages_length = _fitting(len(arrays.order_ages_ns), counts[C_AGES] + rows)
    return OrderArrays(
        _resized(arrays.orders, _fitting(len(arrays.orders), counts[C_ORDERS] + rows), 0),
        _resized(arrays.venue_rows, venue_length, -1),
        _resized(arrays.seq_rows, seq_length, -1),
        counts,
        arrays.money,
        _resized(arrays.ack_latencies_ns, acks_length, 0),
        _resized(arrays.order_ages_ns, ages_length, 0),
        _resized(arrays.fills, fills_length, 0),
        _resized(arrays.fill_fees, fills_length, 0),
    )


def _fitting(length: int, needed: int) -> int:
    """Return length doubled until it is at least needed."""
    length = max(length, 1)
    while length < needed:
        length *= 2
    return length


def _resized(array: A, length: int, fill: int) -> A:
    """Return array itself if it has length rows, else a copy grown to length rows."""
    if len(array) >= length:
        return array
    grown = np.full((length, *array.shape[1:]), fill, dtype=array.dtype)
    grown[: len(array)] = array
    return grown


# --- the order manager: its working orders -------------------------------------------------


@compiled
def _working_row(orders: I64, counts: I64, side: int) -> int:
    """Return the row of side's working order (-1: none): _working.get(side)."""
    for slot in (C_WORKING_FIRST, C_WORKING_SECOND):
        row = counts[slot]
        if row >= 0 and orders[row, O_SIDE] == side:
            return int(row)
    return -1


@compiled
def _join_working(counts: I64, row: int) -> None:
    """Make row its side's working order (its side has none): last in _working's order."""
    if counts[C_WORKING_FIRST] < 0:
        counts[C_WORKING_FIRST] = row
    else:
        counts[C_WORKING_SECOND] = row


@compiled
def _leave_working(counts: I64, row: int) -> None:
    """Drop row from the working orders if it is one (del _working[side]: the other keeps its
    place, first)."""
    if counts[C_WORKING_FIRST] == row:
        counts[C_WORKING_FIRST] = counts[C_WORKING_SECOND]
        counts[C_WORKING_SECOND] = -1
    elif counts[C_WORKING_SECOND] == row:
        counts[C_WORKING_SECOND] = -1


# --- the order manager: one order's state ----------------------------------------------------


@compiled
def _rest(orders: I64, row: int, price_ticks: int, leaves_lots: int, priced_ts_ns: int) -> None:
    """ManagedOrder.rest: what rests at the venue, and the risk gate's view of it."""
    orders[row, O_PRICE_TICKS] = price_ticks
    orders[row, O_LEAVES_LOTS] = leaves_lots
    orders[row, O_PRICED_TS_NS] = priced_ts_ns
    orders[row, O_OPEN_PRICE_TICKS] = price_ticks
    orders[row, O_OPEN_LOTS] = max(leaves_lots, orders[row, O_PENDING_QTY_LOTS])
    orders[row, O_OPEN_PRICED_TS_NS] = priced_ts_ns


@compiled
def _allowed(state: int, next_state: int) -> bool:
    """Return whether a report may move an order from state to next_state (orders._ALLOWED)."""
    if state == S_PENDING_NEW:
        return next_state in (S_LIVE, S_REJECTED)
    if state == S_LIVE:
        return next_state in (S_PENDING_CANCEL, S_PENDING_REPLACE)
    if state == S_PENDING_CANCEL:
        return next_state == S_CANCELED
    if state == S_PENDING_REPLACE:
        return next_state in (S_LIVE, S_PENDING_CANCEL)
    return False


@compiled
def _move(orders: I64, counts: I64, order_ages_ns: I64, row: int, state: int,
          ts_ns: int) -> None:  # fmt: skip
    """OrderManager._move: count a transition the protocol does not allow; end an order."""
    if not _allowed(orders[row, O_STATE], state) and state != S_FILLED:
        counts[C_BAD_TRANSITIONS] += 1
    orders[row, O_STATE] = state
    if state >= S_FILLED:  # terminal
        orders[row, O_ENDED_TS_NS] = ts_ns
        if state != S_REJECTED:  # a rejected order never rested
            order_ages_ns[counts[C_AGES]] = ts_ns - orders[row, O_PRICED_TS_NS]
            counts[C_AGES] += 1
        _leave_working(counts, row)


@compiled
def _close_episode(orders: I64, counts: I64, money: F64, row: int) -> tuple[bool, float]:
    """OrderManager._close_episode: (whether an episode closed, its fill ratio)."""
    quoted = orders[row, O_EPISODE_QUOTED_LOTS]
    if quoted <= 0:
        return False, 0.0
    ratio = min(1.0, orders[row, O_EPISODE_FILLED_LOTS] / quoted)
    money[M_FILL_RATIO_EWMA] = compiled_fold_fill_ratio(
        money[M_FILL_RATIO_EWMA], ratio, counts[C_EPISODES_CLOSED]
    )
    counts[C_EPISODES_CLOSED] += 1
    orders[row, O_EPISODE_QUOTED_LOTS] = 0
    orders[row, O_EPISODE_FILLED_LOTS] = 0
    return True, ratio


# --- the order manager: planning and sending -------------------------------------------------


@compiled
def plan(orders: I64, counts: I64, has_quote: bool, bid_ticks: int, ask_ticks: int,
         bid_lots: int, ask_lots: int, actions: I64) -> int:  # fmt: skip
    """OrderManager.plan (queue_aware): write the actions (A_* rows, at most MAX_ACTIONS) that
    move the resting orders toward the quote (has_quote False: rest nothing); return how many.

    A place draws its client seq here, as next_client_id does, whether or not it is sent."""
    if not has_quote:
        bid_ticks = ask_ticks = bid_lots = ask_lots = 0
    count = _plan_side(orders, counts, BUY, bid_ticks, bid_lots, actions, 0)
    return _plan_side(orders, counts, SELL, ask_ticks, ask_lots, actions, count)


@compiled
def _plan_side(orders: I64, counts: I64, side: int, price_ticks: int, qty_lots: int,
               actions: I64, count: int) -> int:  # fmt: skip
    """OrderManager._plan_side: write side's action (if any) at actions[count]; return the
    action count."""
    row = _working_row(orders, counts, side)
    if row < 0:
        if qty_lots > 0:
            counts[C_SEQ] += 1
            _write_action(actions, count, ACTION_PLACE, counts[C_SEQ], side, price_ticks,
                          qty_lots)  # fmt: skip
            return count + 1
    elif orders[row, O_STATE] == S_LIVE:
        if qty_lots <= 0:
            _write_action(actions, count, ACTION_CANCEL, orders[row, O_SEQ], side, 0, 0)
            return count + 1
        if price_ticks != orders[row, O_PRICE_TICKS] or qty_lots != orders[row, O_LEAVES_LOTS]:
            _write_action(actions, count, ACTION_REPLACE, orders[row, O_SEQ], side, price_ticks,
                          qty_lots)  # fmt: skip
            return count + 1
    return count


@compiled
def _write_action(actions: I64, index: int, kind: int, seq: int, side: int, price_ticks: int,
                  qty_lots: int) -> None:  # fmt: skip
    actions[index, A_KIND] = kind
    actions[index, A_SEQ] = seq
    actions[index, A_SIDE] = side
    actions[index, A_PRICE_TICKS] = price_ticks
    actions[index, A_QTY_LOTS] = qty_lots


@compiled
def open_orders(orders: I64, counts: I64, out: I64) -> int:
    """OrderManager.open_orders: write the risk gate's view of every resting order (OO_* rows,
    at most MAX_OPEN_ORDERS, in the dict's order); return how many."""
    count = 0
    for slot in (C_WORKING_FIRST, C_WORKING_SECOND):
        row = counts[slot]
        if row >= 0:
            out[count, OO_SEQ] = orders[row, O_SEQ]
            out[count, OO_SIDE] = orders[row, O_SIDE]
            out[count, OO_PRICE_TICKS] = orders[row, O_OPEN_PRICE_TICKS]
            out[count, OO_LEAVES_LOTS] = orders[row, O_OPEN_LOTS]
            out[count, OO_PRICED_TS_NS] = orders[row, O_OPEN_PRICED_TS_NS]
            count += 1
    return count


@compiled
def on_sent_place(orders: I64, venue_rows: I64, seq_rows: I64, counts: I64, seq: int,
                  side: int, price_ticks: int, qty_lots: int, venue_order_id: int,
                  ts_ns: int) -> None:  # fmt: skip
    """OrderManager.on_sent_place: record a place handed to the venue (its side has no
    working order: plan placed it)."""
    row = counts[C_ORDERS]
    counts[C_ORDERS] = row + 1
    orders[row, O_SEQ] = seq
    orders[row, O_SIDE] = side
    orders[row, O_PRICE_TICKS] = price_ticks
    orders[row, O_QTY_LOTS] = qty_lots
    orders[row, O_LEAVES_LOTS] = qty_lots
    orders[row, O_FILLED_LOTS] = 0
    orders[row, O_PLACED_TS_NS] = ts_ns
    orders[row, O_PRICED_TS_NS] = ts_ns
    orders[row, O_ENDED_TS_NS] = -1
    orders[row, O_STATE] = S_PENDING_NEW
    orders[row, O_VENUE_ORDER_ID] = venue_order_id
    orders[row, O_PENDING_PRICE_TICKS] = price_ticks
    orders[row, O_PENDING_QTY_LOTS] = 0
    orders[row, O_EPISODE_QUOTED_LOTS] = qty_lots
    orders[row, O_EPISODE_FILLED_LOTS] = 0
    orders[row, O_OPEN_PRICE_TICKS] = price_ticks
    orders[row, O_OPEN_LOTS] = qty_lots
    orders[row, O_OPEN_PRICED_TS_NS] = ts_ns
    seq_rows[seq - counts[C_SEQ_BASE]] = row
    if venue_order_id >= 0:
        venue_rows[venue_order_id] = row
    _join_working(counts, row)
    counts[C_QUOTES_PLACED] += 1


@compiled
def on_sent_replace(orders: I64, seq_rows: I64, counts: I64, order_ages_ns: I64, seq: int,
                    price_ticks: int, qty_lots: int) -> None:  # fmt: skip
    """OrderManager.on_sent_replace: record a replace of order seq handed to the venue."""
    row = seq_rows[seq - counts[C_SEQ_BASE]]
    counts[C_REPLACES_SENT] += 1
    orders[row, O_PENDING_PRICE_TICKS] = price_ticks
    orders[row, O_PENDING_QTY_LOTS] = qty_lots
    if qty_lots > orders[row, O_LEAVES_LOTS]:  # the risk gate's view: the larger size
        _rest(orders, row, orders[row, O_PRICE_TICKS], orders[row, O_LEAVES_LOTS],
              orders[row, O_PRICED_TS_NS])  # fmt: skip
    _move(orders, counts, order_ages_ns, row, S_PENDING_REPLACE, 0)


@compiled
def on_sent_cancel(orders: I64, seq_rows: I64, counts: I64, order_ages_ns: I64,
                   seq: int) -> None:  # fmt: skip
    """OrderManager.on_sent_cancel: record a cancel of order seq handed to the venue."""
    _move(orders, counts, order_ages_ns, seq_rows[seq - counts[C_SEQ_BASE]], S_PENDING_CANCEL, 0)


@compiled
def venue_id_of(orders: I64, seq_rows: I64, counts: I64, seq: int) -> int:
    """OrderManager.venue_id_of: the venue order id of order seq."""
    return int(orders[seq_rows[seq - counts[C_SEQ_BASE]], O_VENUE_ORDER_ID])


# --- the order manager and the ledger: venue reports -----------------------------------------


@compiled
def apply_report(orders: I64, venue_rows: I64, seq_rows: I64, counts: I64, money: F64,
                 ack_latencies_ns: I64, order_ages_ns: I64, fills: I64, fill_fees: F64,
                 kind: int, order_id: int, client_seq: int, side: int, price_ticks: int,
                 qty_lots: int, leaves_lots: int, ts_exch_ns: int, ts_local_ns: int,
                 is_maker: int, fee_usd: float,
                 mid_ticks_x2: int) -> tuple[bool, float]:  # fmt: skip
    """Engine._apply of one order event (the OrderEvent fields, kind an OrderEventKind value
    but POSITION_ADOPTED) on a one-leg symbol: return (whether a quote episode closed, its
    fill ratio), which the engine folds into its cost_fillrate_ewma (_episode_closed)."""
    row = _lookup(venue_rows, seq_rows, counts, order_id, client_seq)
    is_fill = kind in (EV_PARTIALLY_FILLED, EV_FILLED)
    if is_fill:  # ours (Engine._on_fill) or not: it moved the position, book it
        _book_fill(counts, money, fills, fill_fees, order_id, client_seq, side, price_ticks,
                   qty_lots, ts_exch_ns, ts_local_ns, is_maker, fee_usd, mid_ticks_x2)  # fmt: skip
    if row < 0:
        return False, 0.0
    if kind == EV_ACCEPTED:
        _on_ack(orders, counts, ack_latencies_ns, order_ages_ns, row, ts_local_ns)
    elif kind in (EV_REJECTED, EV_REPLACE_REJECTED):
        _on_reject(orders, counts, order_ages_ns, row, ts_local_ns)
    elif is_fill:
        return _on_fill(orders, counts, money, order_ages_ns, row, qty_lots, leaves_lots,
                        ts_local_ns)  # fmt: skip
    elif kind == EV_CANCELED:
        return _on_canceled(orders, counts, money, order_ages_ns, row, ts_local_ns)
    elif kind == EV_REPLACE_ACCEPTED:
        return _on_modified(orders, counts, money, order_ages_ns, row, price_ticks, leaves_lots,
                            ts_local_ns)  # fmt: skip
    elif kind == _UNKNOWN_OUTCOME:
        counts[C_UNKNOWN_OUTCOMES] += 1
    return False, 0.0


@compiled
def _lookup(venue_rows: I64, seq_rows: I64, counts: I64, order_id: int, client_seq: int) -> int:
    """OrderManager.lookup: the row a report is about (by venue id, else by client seq; -1:
    not ours, counted). Ids past a map's end were never registered."""
    if 0 <= order_id < len(venue_rows) and venue_rows[order_id] >= 0:
        return int(venue_rows[order_id])
    index = client_seq - counts[C_SEQ_BASE]
    row = seq_rows[index] if 0 <= index < len(seq_rows) else -1
    if row < 0:
        counts[C_UNKNOWN_REPORTS] += 1
    return row


@compiled
def _book_fill(counts: I64, money: F64, fills: I64, fill_fees: F64, order_id: int,
               client_seq: int, side: int, price_ticks: int, qty_lots: int, ts_exch_ns: int,
               ts_local_ns: int, is_maker: int, fee_usd: float,
               mid_ticks_x2: int) -> None:  # fmt: skip
    """Ledger.on_fill: book one fill."""
    notional = price_ticks * money[M_TICK_SIZE] * qty_lots * money[M_LOT_SIZE]
    counts[C_POSITION_LOTS] += side * qty_lots
    money[M_CASH_USD] -= side * notional + fee_usd
    money[M_NOTIONAL_USD] += notional
    money[M_FEES_USD] += fee_usd
    if fee_usd >= 0.0:
        money[M_FEES_PAID_USD] += fee_usd
    else:
        money[M_REBATES_USD] -= fee_usd
    counts[C_FILLED_LOTS] += qty_lots
    index = counts[C_FILLS]
    counts[C_FILLS] = index + 1
    fills[index, F_TS_NS] = ts_exch_ns
    fills[index, F_TS_LOCAL_NS] = ts_local_ns
    fills[index, F_ORDER_ID] = order_id
    fills[index, F_CLIENT_SEQ] = client_seq
    fills[index, F_SIDE] = side
    fills[index, F_PRICE_TICKS] = price_ticks
    fills[index, F_QTY_LOTS] = qty_lots
    fills[index, F_IS_MAKER] = is_maker
    fills[index, F_MID_TICKS_X2] = mid_ticks_x2
    fill_fees[index] = fee_usd


@compiled
def _on_ack(orders: I64, counts: I64, ack_latencies_ns: I64, order_ages_ns: I64, row: int,
            ts_ns: int) -> None:  # fmt: skip
    """OrderManager.on_ack."""
    if orders[row, O_STATE] == S_PENDING_NEW:
        _move(orders, counts, order_ages_ns, row, S_LIVE, 0)
        if ts_ns >= 0:
            ack_latencies_ns[counts[C_ACKS]] = ts_ns - orders[row, O_PLACED_TS_NS]
            counts[C_ACKS] += 1


@compiled
def _on_reject(orders: I64, counts: I64, order_ages_ns: I64, row: int, ts_ns: int) -> None:
    """OrderManager.on_reject."""
    state = orders[row, O_STATE]
    if state == S_PENDING_NEW:
        counts[C_REJECTED] += 1
        _move(orders, counts, order_ages_ns, row, S_REJECTED, ts_ns)
    elif state in (S_PENDING_CANCEL, S_PENDING_REPLACE):
        counts[C_REJECTED] += 1
        orders[row, O_STATE] = S_LIVE
        if orders[row, O_PENDING_QTY_LOTS] != 0:  # the replace was refused: the old size rests
            orders[row, O_PENDING_QTY_LOTS] = 0
            _rest(orders, row, orders[row, O_PRICE_TICKS], orders[row, O_LEAVES_LOTS],
                  orders[row, O_PRICED_TS_NS])  # fmt: skip


@compiled
def _on_fill(orders: I64, counts: I64, money: F64, order_ages_ns: I64, row: int, qty_lots: int,
             leaves_lots: int, ts_ns: int) -> tuple[bool, float]:  # fmt: skip
    """OrderManager.on_fill."""
    orders[row, O_FILLED_LOTS] += qty_lots
    orders[row, O_EPISODE_FILLED_LOTS] += qty_lots
    _rest(orders, row, orders[row, O_PRICE_TICKS], leaves_lots, orders[row, O_PRICED_TS_NS])
    if leaves_lots == 0:
        _move(orders, counts, order_ages_ns, row, S_FILLED, ts_ns)
        return _close_episode(orders, counts, money, row)
    return False, 0.0


@compiled
def _on_canceled(orders: I64, counts: I64, money: F64, order_ages_ns: I64, row: int,
                 ts_ns: int) -> tuple[bool, float]:  # fmt: skip
    """OrderManager.on_canceled."""
    if orders[row, O_STATE] >= S_FILLED:  # terminal
        return False, 0.0
    counts[C_CANCELED] += 1
    _move(orders, counts, order_ages_ns, row, S_CANCELED, ts_ns)
    return _close_episode(orders, counts, money, row)


@compiled
def _on_modified(orders: I64, counts: I64, money: F64, order_ages_ns: I64, row: int,
                 price_ticks: int, leaves_lots: int, ts_ns: int) -> tuple[bool, float]:  # fmt: skip
    """OrderManager.on_modified."""
    if orders[row, O_STATE] >= S_FILLED:  # terminal: the record keeps how it ended
        counts[C_LATE_REPORTS] += 1
        return False, 0.0
    closed, ratio = False, 0.0
    if price_ticks != orders[row, O_PRICE_TICKS]:  # a new price: a new quote episode
        closed, ratio = _close_episode(orders, counts, money, row)
        orders[row, O_EPISODE_QUOTED_LOTS] = leaves_lots
        priced_ts_ns = ts_ns
    else:
        quoted = orders[row, O_EPISODE_FILLED_LOTS] + leaves_lots
        orders[row, O_EPISODE_QUOTED_LOTS] = max(orders[row, O_EPISODE_QUOTED_LOTS], quoted)
        priced_ts_ns = orders[row, O_PRICED_TS_NS]
    orders[row, O_PENDING_QTY_LOTS] = 0
    _rest(orders, row, price_ticks, leaves_lots, priced_ts_ns)
    orders[row, O_QTY_LOTS] = orders[row, O_FILLED_LOTS] + leaves_lots
    if orders[row, O_STATE] == S_PENDING_REPLACE:
        _move(orders, counts, order_ages_ns, row, S_LIVE, ts_ns)
    return closed, ratio


# --- back to Python ----------------------------------------------------------------------------


def materialize(arrays: OrderArrays, orders: OrderManager, ledger: Ledger) -> None:
    """Write the compiled state into the order manager and ledger it was packed from: the same
    orders, dicts (in their insertion order), counters, logs and fills as a Python run's."""
    counts = arrays.counts.tolist()
    strategy_id = orders._strategy_id
    managed = [_managed(row, strategy_id) for row in arrays.orders[: counts[C_ORDERS]].tolist()]
    orders.orders = managed
    orders._by_client = {order.client_id: order for order in managed}
    orders._by_seq = {order.seq: order for order in managed}
    orders._by_venue = {order.venue_order_id: order for order in managed
                        if order.venue_order_id >= 0}  # fmt: skip
    working = [managed[counts[slot]] for slot in (C_WORKING_FIRST, C_WORKING_SECOND)
               if counts[slot] >= 0]  # fmt: skip
    orders._working = {order.side: order for order in working}
    orders._open = None
    orders._resting_lots = None
    orders.unknown_reports_total = counts[C_UNKNOWN_REPORTS]
    orders.unknown_outcomes_total = counts[C_UNKNOWN_OUTCOMES]
    orders.late_reports_total = counts[C_LATE_REPORTS]
    orders.fill_ratio_ewma = float(arrays.money[M_FILL_RATIO_EWMA])
    orders.episodes_closed = counts[C_EPISODES_CLOSED]
    orders.ack_latencies_ns = arrays.ack_latencies_ns[: counts[C_ACKS]].tolist()
    orders.replaces_sent_total = counts[C_REPLACES_SENT]
    orders.canceled_total = counts[C_CANCELED]
    orders.rejected_total = counts[C_REJECTED]
    orders.bad_transitions_total = counts[C_BAD_TRANSITIONS]
    orders.quotes_placed_total = counts[C_QUOTES_PLACED]
    orders.order_ages_ns = arrays.order_ages_ns[: counts[C_AGES]].tolist()
    seqs = orders.seqs
    seqs._numbered = seqs._numbered or counts[C_SEQ] > counts[C_SEQ_BASE]
    seqs._seq = counts[C_SEQ]
    _materialize_ledger(arrays, counts, ledger)


def _managed(row: list[int], strategy_id: str) -> ManagedOrder:
    """Return the ManagedOrder of one order table row."""
    seq, side = row[O_SEQ], row[O_SIDE]
    order = ManagedOrder(seq, make_client_id(strategy_id, seq), side, row[O_PRICE_TICKS],
                         row[O_QTY_LOTS], row[O_PLACED_TS_NS])  # fmt: skip
    order.leaves_lots = row[O_LEAVES_LOTS]
    order.filled_lots = row[O_FILLED_LOTS]
    order.priced_ts_ns = row[O_PRICED_TS_NS]
    order.ended_ts_ns = row[O_ENDED_TS_NS]
    order.state = STATE_OF_CODE[row[O_STATE]]
    order.venue_order_id = row[O_VENUE_ORDER_ID]
    order.pending_price_ticks = row[O_PENDING_PRICE_TICKS]
    order.pending_qty_lots = row[O_PENDING_QTY_LOTS]
    order.episode_quoted_lots = row[O_EPISODE_QUOTED_LOTS]
    order.episode_filled_lots = row[O_EPISODE_FILLED_LOTS]
    order.open_order = OpenOrder(side, row[O_OPEN_PRICE_TICKS], row[O_OPEN_LOTS],
                                 row[O_OPEN_PRICED_TS_NS])  # fmt: skip
    return order


def _materialize_ledger(arrays: OrderArrays, counts: list[int], ledger: Ledger) -> None:
    """Write the ledger's totals and fill columns."""
    money = arrays.money.tolist()
    ledger.position_lots = counts[C_POSITION_LOTS]
    ledger.cash_usd = money[M_CASH_USD]
    ledger.notional_usd = money[M_NOTIONAL_USD]
    ledger.fees_usd = money[M_FEES_USD]
    ledger.fees_paid_usd = money[M_FEES_PAID_USD]
    ledger.rebates_usd = money[M_REBATES_USD]
    ledger.filled_lots = counts[C_FILLED_LOTS]
    used = counts[C_FILLS]
    columns = arrays.fills[:used].T.tolist()
    target = ledger._fills
    target.ts_ns = columns[F_TS_NS]
    target.ts_local_ns = columns[F_TS_LOCAL_NS]
    target.order_id = columns[F_ORDER_ID]
    target.client_seq = columns[F_CLIENT_SEQ]
    target.side = columns[F_SIDE]
    target.price_ticks = columns[F_PRICE_TICKS]
    target.qty_lots = columns[F_QTY_LOTS]
    target.is_maker = columns[F_IS_MAKER]
    target.mid_ticks_x2 = columns[F_MID_TICKS_X2]
    target.fee_usd = arrays.fill_fees[:used].tolist()
