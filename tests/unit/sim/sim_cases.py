"""Tiny hand-built event tapes for simulator tests (freqtrade BTContainer style).

Rows are (t_ms, kind, side, price_ticks, qty_lots) with optional 6th element local t_ms;
kinds are D (depth), S (snapshot), C (clear), T (trade). Times are in ms to keep the tables
readable; the tape itself is in ns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from mmbot.data.schema import KIND_CLEAR, KIND_DEPTH, KIND_SNAPSHOT, KIND_TRADE
from mmbot.sim import EventStream, FixedSpreadQuoterParams, ReportKind, SimParams, SimVenue

MS = 1_000_000
D, S, C, T = KIND_DEPTH, KIND_SNAPSHOT, KIND_CLEAR, KIND_TRADE
BID, ASK, BUY, SELL = 1, -1, 1, -1

# Zero latency everywhere unless a test is about latency; tick 1 USD, lot 1 unit, so
# notional_usd = price_ticks * qty_lots and fees are easy to compute by hand.
ZERO_LATENCY = SimParams(
    tick_size=1.0,
    lot_size=1.0,
    feed_latency_ns=0,
    entry_latency_ns=0,
    response_latency_ns=0,
    fee_tiers=((0.0, 0.0, 0.0),),
    roi_width_ticks=1024,
)


@dataclass(frozen=True)
class Tape:
    """The six schema columns, as mmbot.data.EventBatch has them."""

    ts_exch_ns: NDArray[np.int64]
    ts_local_ns: NDArray[np.int64]
    kind: NDArray[np.int64]
    side: NDArray[np.int64]
    price_ticks: NDArray[np.int64]
    qty_lots: NDArray[np.int64]


def tape(*rows: tuple[int, ...]) -> Tape:
    """Return a tape from (t_ms, kind, side, price_ticks, qty_lots[, local_t_ms]) rows."""
    ts = np.array([r[0] * MS for r in rows], dtype=np.int64)
    local = np.array([(r[5] if len(r) > 5 else r[0]) * MS for r in rows], dtype=np.int64)
    cols = [np.array([r[k] for r in rows], dtype=np.int64) for k in (1, 2, 3, 4)]
    return Tape(ts, local, *cols)


def book(t_ms: int, bids: dict[int, int], asks: dict[int, int]) -> list[tuple[int, ...]]:
    """Return snapshot rows at t_ms for the given {price_ticks: qty_lots} levels."""
    rows = [(t_ms, S, BID, p, q) for p, q in bids.items()]
    return rows + [(t_ms, S, ASK, p, q) for p, q in asks.items()]


def act(venue: SimVenue, action: tuple[object, ...]) -> int:
    """Apply one scripted action; return the order id it created (0 for cancel/modify)."""
    verb, *args = action
    if verb == "limit":  # side, price, qty[, post_only]
        side, price, qty, *rest = args
        post_only = bool(rest[0]) if rest else True
        return venue.submit_limit(int(side), int(price), int(qty), post_only=post_only)
    if verb == "ioc":  # side, limit price, qty
        side, price, qty = args
        return venue.submit_limit(int(side), int(price), int(qty), post_only=False, ioc=True)
    if verb == "market":  # side, qty
        return venue.submit_market(int(args[0]), int(args[1]))
    if verb == "cancel":
        venue.cancel(int(args[0]))
    elif verb == "modify":
        venue.modify(int(args[0]), int(args[1]), int(args[2]))
    else:
        raise ValueError(f"unknown action {verb!r}")
    return 0


def drive(
    rows: list[tuple[int, ...]],
    script: list[tuple[object, ...]],
    params: SimParams = ZERO_LATENCY,
    end_ms: int = 1_000,
) -> SimVenue:
    """Replay rows; each script entry (t_ms, verb, *args) runs once local time reaches t_ms."""
    venue = SimVenue(tape(*rows), params)
    for t_ms, *action in script:
        venue.run_until(int(t_ms) * MS)  # type: ignore[call-overload]
        act(venue, tuple(action))
    venue.run_until(end_ms * MS)
    return venue


def fills(venue: SimVenue) -> list[tuple[int, int, int, int, int, int]]:
    """Return the fill log as (t_ms, order_id, side, price_ticks, qty_lots, is_maker) rows."""
    log = venue.fill_log()
    return [
        (int(t) // MS, int(o), int(s), int(p), int(q), int(m))
        for t, o, s, p, q, m in zip(
            log.ts_ns,
            log.order_id,
            log.side,
            log.price_ticks,
            log.qty_lots,
            log.is_maker,
            strict=True,
        )
    ]


def synthetic_tape(n_events: int, seed: int = 7) -> Tape:
    """Return a seeded random tape: random-walk mid, 5 levels a side, 10% trades at the touch."""
    rng = np.random.default_rng(seed)
    ts = 1_700_000_000 * 1_000 * MS + np.cumsum(rng.integers(100_000, 2_000_000, n_events))
    local = np.maximum.accumulate(ts + rng.integers(MS, 5 * MS, n_events))
    mid = 600_000 + np.cumsum(rng.choice([-1, 0, 0, 0, 0, 0, 0, 0, 0, 1], n_events))
    kind = np.where(rng.random(n_events) < 0.1, T, D)
    kind[0] = S
    side = rng.choice([BID, ASK], n_events)
    depth_price = np.where(side == BID, mid - 1, mid + 1) - side * rng.integers(0, 5, n_events)
    trade_price = np.where(side == BUY, mid + 1, mid - 1)
    price = np.where(kind == T, trade_price, depth_price)
    qty = np.where(kind == T, rng.integers(1, 10, n_events), rng.integers(0, 50, n_events))
    return Tape(*(np.asarray(c, dtype=np.int64) for c in (ts, local, kind, side, price, qty)))


def python_quoter(
    events: Tape | EventStream, params: SimParams, quoter: FixedSpreadQuoterParams
) -> SimVenue:
    """The fixed-spread quoting rule written against SimVenue, one decision per Python call
    (test_sim_quoter checks it against the compiled quoter)."""
    venue = SimVenue(events, params)
    working = {BID: (0, 0), ASK: (0, 0)}  # side -> (order_id, price_ticks)
    decision_ns = venue.now_ns + quoter.decision_interval_ns
    more = True
    while more:
        more = venue.run_until(decision_ns)
        for report in venue.drain_reports():
            still_working = report.kind in (ReportKind.ACK, ReportKind.MODIFIED) or (
                report.kind == ReportKind.FILL and report.leaves_lots > 0
            )
            for side, (order_id, _) in working.items():
                if order_id == report.order_id and not still_working:
                    working[side] = (0, 0)
        bid, ask = venue.best_bid_ticks, venue.best_ask_ticks
        if bid is not None and ask is not None:
            h2 = 2 * quoter.half_spread_ticks
            targets = {BID: (bid + ask - h2) // 2, ASK: -(-(bid + ask + h2) // 2)}
            if venue.position_lots >= quoter.max_position_lots:
                targets[BID] = None
            if venue.position_lots <= -quoter.max_position_lots:
                targets[ASK] = None
            for side, price in targets.items():
                order_id, working_price = working[side]
                if order_id and working_price != price:
                    venue.cancel(order_id)
                    working[side] = (0, 0)
                if price is not None and not working[side][0]:
                    new_id = venue.submit_limit(side, price, quoter.order_qty_lots)
                    working[side] = (new_id, price)
        decision_ns += quoter.decision_interval_ns
    venue.run_until(venue.now_ns + params.entry_latency_ns + params.response_latency_ns)
    return venue
