"""What the simulator hands back to Python: reports for the strategy and the fill log."""

from __future__ import annotations

from enum import IntEnum
from typing import Any

import numpy as np

from mmbot.core.fills import FillLog
from mmbot.sim import layout as lo
from mmbot.sim.state import SimState

__all__ = [
    "FillLog",
    "RejectReason",
    "ReportKind",
    "fill_log_of",
    "take_report_rows",
    "take_reports",
]  # fmt: skip


class ReportKind(IntEnum):
    """Kinds of venue report the strategy receives (`kind` column of drain_reports)."""

    ACK = lo.REP_ACK
    REJECT = lo.REP_REJECT
    FILL = lo.REP_FILL
    CANCELED = lo.REP_CANCELED
    MODIFIED = lo.REP_MODIFIED
    EXPIRED = lo.REP_EXPIRED


class RejectReason(IntEnum):
    """Why the venue refused a request (`reason` column of a REJECT report)."""

    NONE = lo.REASON_NONE
    POST_ONLY_CROSS = lo.REASON_POST_ONLY_CROSS
    UNKNOWN_ORDER = lo.REASON_UNKNOWN_ORDER
    TOO_MANY_ORDERS = lo.REASON_TOO_MANY_ORDERS


_REPORT_COLUMNS = (
    ("ts_local_ns", lo.P_TS_LOCAL_NS),
    ("ts_exch_ns", lo.P_TS_EXCH_NS),
    ("kind", lo.P_KIND),
    ("order_id", lo.P_ORDER_ID),
    ("client_id", lo.P_CLIENT_ID),
    ("side", lo.P_SIDE),
    ("price_ticks", lo.P_PRICE_TICKS),
    ("qty_lots", lo.P_QTY_LOTS),
    ("leaves_lots", lo.P_LEAVES_LOTS),
    ("reason", lo.P_REASON),
    ("is_maker", lo.P_IS_MAKER),
)
REPORT_DTYPE = np.dtype([(name, np.int64) for name, _ in _REPORT_COLUMNS] + [("fee_usd", "f8")])


def take_reports(state: SimState) -> np.recarray[Any, Any]:
    """Return the reports that reached the strategy and were not taken yet, oldest first."""
    regs = state.regs
    head, delivered = int(regs[lo.R_REP_HEAD]), int(regs[lo.R_REP_DELIVERED])
    rows = np.arange(head, delivered, dtype=np.int64) & (len(state.rep) - 1)
    out = np.zeros(len(rows), dtype=REPORT_DTYPE)
    for name, column in _REPORT_COLUMNS:
        out[name] = state.rep[rows, column]
    out["fee_usd"] = state.rep_fee_usd[rows]
    regs[lo.R_REP_HEAD] = delivered
    return out.view(np.recarray)


def take_report_rows(state: SimState) -> tuple[list[list[int]], list[float]]:
    """Return the delivered reports as rows of ints (P_* columns in order) and their fees.

    The engine's per-decision path: no record array, and an early return when nothing is
    waiting. Marks them taken, like take_reports.
    """
    regs = state.regs
    head, delivered = int(regs[lo.R_REP_HEAD]), int(regs[lo.R_REP_DELIVERED])
    if head == delivered:
        return [], []
    regs[lo.R_REP_HEAD] = delivered
    start = head & (len(state.rep) - 1)
    stop = start + delivered - head
    if stop <= len(state.rep):  # no wrap around the ring: plain slices, no index array
        return state.rep[start:stop].tolist(), state.rep_fee_usd[start:stop].tolist()
    rows = np.arange(head, delivered, dtype=np.int64) & (len(state.rep) - 1)
    return state.rep[rows].tolist(), state.rep_fee_usd[rows].tolist()


def fill_log_of(state: SimState) -> FillLog:
    """Return a copy of the fill log held in state."""
    n = int(state.regs[lo.R_N_FILLS])
    rows = state.fill_i[:n]
    return FillLog(
        ts_ns=rows[:, lo.L_TS_EXCH_NS].copy(),
        ts_local_ns=rows[:, lo.L_TS_LOCAL_NS].copy(),
        order_id=rows[:, lo.L_ORDER_ID].copy(),
        client_id=rows[:, lo.L_CLIENT_ID].copy(),
        side=rows[:, lo.L_SIDE].copy(),
        price_ticks=rows[:, lo.L_PRICE_TICKS].copy(),
        qty_lots=rows[:, lo.L_QTY_LOTS].copy(),
        is_maker=rows[:, lo.L_IS_MAKER].copy(),
        fee_usd=state.fill_fee_usd[:n].copy(),
        mid_ticks_x2=rows[:, lo.L_MID_TICKS_X2].copy(),
    )
