"""The simulator's state: a tuple of plain arrays that compiled code mutates in place."""

from __future__ import annotations

from typing import Any, NamedTuple, Protocol

import numpy as np
from numpy.typing import NDArray

from mmbot.data.schema import COLUMNS, KIND_DEPTH, KIND_SNAPSHOT
from mmbot.sim import layout as lo
from mmbot.sim.jit import compiled_inline
from mmbot.sim.params import SimParams

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]


class EventArrays(Protocol):
    """Anything with the six schema columns as attributes (mmbot.data.EventBatch)."""

    @property
    def ts_exch_ns(self) -> I64: ...
    @property
    def ts_local_ns(self) -> I64: ...
    @property
    def kind(self) -> I64: ...
    @property
    def side(self) -> I64: ...
    @property
    def price_ticks(self) -> I64: ...
    @property
    def qty_lots(self) -> I64: ...


class SimState(NamedTuple):
    """All simulator state; the column meanings are in mmbot.sim.layout."""

    ts_exch_ns: I64
    ts_local_ns: I64
    kind: I64
    side: I64
    price_ticks: I64
    qty_lots: I64
    regs: I64
    xregs: F64
    tier_min_volume_usd: F64
    tier_maker_bps: F64
    tier_taker_bps: F64
    book_qty: I64  # [book, side_index, price_ticks - roi_lo]
    book_regs: I64  # [book, B_*]
    ord_i: I64  # [slot, O_*]
    ord_x: F64  # [slot, OX_*]
    active: I64  # slots resting at the venue, first regs[R_N_ACTIVE] entries
    free: I64  # stack of free slots, first regs[R_N_FREE] entries
    scratch: I64  # orders a trade may fill, in priority order
    req: I64  # ring of requests in flight to the venue [i, Q_*]
    rep: I64  # ring of reports in flight to / waiting for the strategy [i, P_*]
    rep_fee_usd: F64
    fill_i: I64  # fill log [i, L_*]
    fill_fee_usd: F64


class Orders(NamedTuple):
    """The order-slot arrays of a SimState, for the matching calls that use most of them."""

    ord_i: I64
    ord_x: F64
    active: I64
    free: I64
    scratch: I64


class Ledger(NamedTuple):
    """What an execution or a report is written to: registers, fee tiers, reports, fill log."""

    regs: I64
    xregs: F64
    tier_min_volume_usd: F64
    tier_maker_bps: F64
    tier_taker_bps: F64
    rep: I64
    rep_fee_usd: F64
    fill_i: I64
    fill_fee_usd: F64


# Groups of arrays are for calls made once per request, fill or decision. numba counts a
# reference to every array of a tuple a call takes, so a per-event call takes single arrays.


@compiled_inline
def orders_of(st: SimState) -> Orders:
    """Return the order-slot arrays of st."""
    return Orders(st.ord_i, st.ord_x, st.active, st.free, st.scratch)


@compiled_inline
def ledger_of(st: SimState) -> Ledger:
    """Return the arrays of st that executions and reports are written to."""
    return Ledger(
        st.regs, st.xregs, st.tier_min_volume_usd, st.tier_maker_bps, st.tier_taker_bps,
        st.rep, st.rep_fee_usd, st.fill_i, st.fill_fee_usd,
    )  # fmt: skip


@compiled_inline
def headroom_rows(order_capacity: int) -> int:
    """Return the most report/fill rows one simulation step can append.

    A trade or a crossing book level fills at most every resting order; a request adds an
    ack, one fill per level walked and an expiry.
    """
    return order_capacity + lo.MAX_TAKER_LEVELS + 4


def _event_columns(events: EventArrays) -> list[I64]:
    columns = [np.ascontiguousarray(getattr(events, name), dtype=np.int64) for name in COLUMNS]
    lengths = {len(column) for column in columns}
    if len(lengths) != 1:
        raise ValueError(f"event columns differ in length: {sorted(lengths)}")
    return columns


def _initial_roi_lo(kind: I64, price_ticks: I64, width_ticks: int) -> int:
    """Centre both books' price window on the first book level of the data."""
    levels = np.flatnonzero((kind == KIND_DEPTH) | (kind == KIND_SNAPSHOT))
    centre = int(price_ticks[levels[0]]) if len(levels) else 0
    return centre - width_ticks // 2


def new_state(events: EventArrays, params: SimParams) -> SimState:
    """Return a fresh state over the given events, nothing processed yet."""
    cols = _event_columns(events)
    regs = np.zeros(lo.N_REGS, dtype=np.int64)
    regs[lo.R_QUEUE_MODEL] = params.queue_model_code
    recorded = params.latency_model == "recorded"
    regs[lo.R_LATENCY_MODEL] = lo.LAT_RECORDED if recorded else lo.LAT_CONSTANT
    regs[lo.R_FEED_LATENCY_NS] = params.feed_latency_ns
    regs[lo.R_ENTRY_LATENCY_NS] = params.entry_latency_ns
    regs[lo.R_RESPONSE_LATENCY_NS] = params.response_latency_ns
    regs[lo.R_NEXT_ORDER_ID] = 1
    regs[lo.R_N_FREE] = params.order_capacity
    if len(cols[0]):
        # The clock starts when the first event happens, before the strategy has seen it.
        regs[lo.R_NOW_NS] = min(cols[0][0], cols[1][0]) if recorded else cols[0][0]
    xregs = np.zeros(lo.N_XREGS, dtype=np.float64)
    xregs[lo.X_TICK_SIZE] = params.tick_size
    xregs[lo.X_LOT_SIZE] = params.lot_size
    xregs[lo.X_PROB_POWER] = params.prob_power
    xregs[lo.X_VOLUME_30D_USD] = params.volume_30d_usd
    tiers = np.array(params.fee_tiers, dtype=np.float64).reshape(-1, 3)
    # The run starts in the tier its 30-day volume has already reached.
    regs[lo.R_FEE_TIER] = int(np.searchsorted(tiers[:, 0], params.volume_30d_usd, "right")) - 1
    width = params.roi_width_ticks
    book_regs = np.zeros((2, lo.N_BREGS), dtype=np.int64)
    book_regs[:, lo.B_ROI_LO_TICKS] = _initial_roi_lo(cols[2], cols[4], width)
    book_regs[:, lo.B_BEST_BID_TICKS] = lo.NO_BID_TICKS
    book_regs[:, lo.B_BEST_ASK_TICKS] = lo.NO_ASK_TICKS
    cap = params.order_capacity
    rows = _pow2_at_least(2 * headroom_rows(cap))
    return SimState(
        ts_exch_ns=cols[0],
        ts_local_ns=cols[1],
        kind=cols[2],
        side=cols[3],
        price_ticks=cols[4],
        qty_lots=cols[5],
        regs=regs,
        xregs=xregs,
        tier_min_volume_usd=np.ascontiguousarray(tiers[:, 0]),
        tier_maker_bps=np.ascontiguousarray(tiers[:, 1]),
        tier_taker_bps=np.ascontiguousarray(tiers[:, 2]),
        book_qty=np.zeros((2, 2, width), dtype=np.int64),
        book_regs=book_regs,
        ord_i=np.zeros((cap, lo.N_OFIELDS), dtype=np.int64),
        ord_x=np.zeros((cap, lo.N_OXFIELDS), dtype=np.float64),
        active=np.zeros(cap, dtype=np.int64),
        # Popped from the top, so slot 0 is used first: deterministic and easy to read.
        free=np.arange(cap - 1, -1, -1, dtype=np.int64),
        scratch=np.zeros(cap, dtype=np.int64),
        req=np.zeros((64, lo.N_QFIELDS), dtype=np.int64),
        rep=np.zeros((rows, lo.N_PFIELDS), dtype=np.int64),
        rep_fee_usd=np.zeros(rows, dtype=np.float64),
        fill_i=np.zeros((rows, lo.N_LFIELDS), dtype=np.int64),
        fill_fee_usd=np.zeros(rows, dtype=np.float64),
    )


def _pow2_at_least(n: int) -> int:
    return 1 << max(n - 1, 1).bit_length()


def _regrow_ring(ring: NDArray[Any], head: int, tail: int, rows: int) -> NDArray[Any]:
    """Return ring copied into `rows` rows, keeping each live counter's slot (k & (rows-1))."""
    grown = np.zeros((rows, *ring.shape[1:]), dtype=ring.dtype)
    counters = np.arange(head, tail, dtype=np.int64)
    grown[counters & (rows - 1)] = ring[counters & (len(ring) - 1)]
    return grown


def grow(state: SimState) -> SimState:
    """Return state with room for at least two more steps in every buffer that is short."""
    regs = state.regs
    need = 2 * headroom_rows(len(state.ord_i))
    changes: dict[str, NDArray[Any]] = {}
    head, tail = int(regs[lo.R_REP_HEAD]), int(regs[lo.R_REP_TAIL])
    if len(state.rep) - (tail - head) < need:
        rows = _pow2_at_least(2 * (tail - head) + need)
        changes["rep"] = _regrow_ring(state.rep, head, tail, rows)
        changes["rep_fee_usd"] = _regrow_ring(state.rep_fee_usd, head, tail, rows)
    n_fills = int(regs[lo.R_N_FILLS])
    if len(state.fill_i) - n_fills < need:
        rows = _pow2_at_least(2 * n_fills + need)
        changes["fill_i"] = np.zeros((rows, lo.N_LFIELDS), dtype=np.int64)
        changes["fill_i"][:n_fills] = state.fill_i[:n_fills]
        changes["fill_fee_usd"] = np.zeros(rows, dtype=np.float64)
        changes["fill_fee_usd"][:n_fills] = state.fill_fee_usd[:n_fills]
    head, tail = int(regs[lo.R_REQ_HEAD]), int(regs[lo.R_REQ_TAIL])
    if len(state.req) - (tail - head) < lo.REQ_HEADROOM:
        rows = _pow2_at_least(2 * (tail - head) + lo.REQ_HEADROOM)
        changes["req"] = _regrow_ring(state.req, head, tail, rows)
    return state._replace(**changes)
