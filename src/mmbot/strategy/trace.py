"""What one decision computed, and the sizing trace written for goldens."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mmbot.artifacts import fmt6


@dataclass(frozen=True, slots=True)
class DecisionTrace:
    """The numbers behind one decision (all 0 where a decision stopped before computing them).

    Units: *_ticks in ticks; sigma in ticks per sqrt(second); A per second; k per tick;
    skew_ticks is the reservation offset skew_per_qty * q (positive when long).
    """

    ts_ns: int
    fair_ticks: float
    signal_target_ticks: float
    signal_adj_ticks: float
    half_spread_ticks: float
    skew_ticks: float
    sigma: float
    A: float  # the model's symbol, as the engine contract names it
    k: float
    raw_bid_lots: int
    raw_ask_lots: int
    capped_bid_lots: int
    capped_ask_lots: int


def format_trace(traces: Iterable[DecisionTrace]) -> str:
    """Return the sizing trace: one LF-terminated line per decision, eight fmt6 numbers.

    Columns: raw_bid raw_ask capped_bid capped_ask d_raw_bid d_raw_ask d_capped_bid
    d_capped_ask, where d_* is the change from the previous line (from 0 on the first).
    """
    lines = []
    prev = (0, 0, 0, 0)
    for trace in traces:
        sizes = (
            trace.raw_bid_lots,
            trace.raw_ask_lots,
            trace.capped_bid_lots,
            trace.capped_ask_lots,
        )
        deltas = tuple(now - before for now, before in zip(sizes, prev, strict=True))
        lines.append(" ".join(fmt6(value) for value in (*sizes, *deltas)) + "\n")
        prev = sizes
    return "".join(lines)
