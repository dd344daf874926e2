"""The peer side of the simulator benchmark: the fixed-spread quoter on hftbacktest 2.4.4.

mmbot's int64 event columns become hftbacktest's `event_dtype` rows one for one (same count,
same order), so both simulators replay exactly the same market. The quoter is an njit function
over hftbacktest's jitted backtest object, the way hftbacktest's users write strategies.

Latency semantics mirrored from mmbot: feed latency is the recorded `ts_local_ns - ts_exch_ns`
of each row; order entry and response latency are constants.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Protocol

import numpy as np
from hftbacktest import (
    BUY,
    BUY_EVENT,
    DEPTH_CLEAR_EVENT,
    DEPTH_EVENT,
    DEPTH_SNAPSHOT_EVENT,
    EXCH_EVENT,
    FILLED,
    GTX,
    LIMIT,
    LOCAL_EVENT,
    SELL_EVENT,
    TRADE_EVENT,
    BacktestAsset,
    ROIVectorMarketDepthBacktest,
)
from hftbacktest.types import event_dtype
from numba import njit

from _quoting import BPS_PER_UNIT, QUEUE_MODELS, QuoteRule, RunResult
from _schedule import peer_first_elapse_ns

# mmbot schema codes (mmbot.data.schema); repeated here so the peer runs without importing mmbot
# in its whole-process measurement.
_KIND_DEPTH = 1
_KIND_SNAPSHOT = 2
_KIND_CLEAR = 3
_KIND_TRADE = 4
_SIDE_BID = 1  # also SIDE_BUY for trades: the aggressor bought

# hftbacktest's sentinel best ticks when a book side is empty (i64 min / max).
_INVALID_MIN_TICK = np.iinfo(np.int64).min
_INVALID_MAX_TICK = np.iinfo(np.int64).max
# Price range of interest: the data's prices, but none farther from the traded range than
# mmbot's book keeps (half its default window, SimParams.roi_width_ticks = 1 << 16), widened
# by a margin.
_ROI_MARGIN_TICKS = 1_000
_MMBOT_HALF_WINDOW_TICKS = 1 << 15
# hftbacktest keeps an event's kind (DEPTH_EVENT, TRADE_EVENT, ...) in the low byte of `ev`.
_EVENT_KIND_BITS = np.uint64(0xFF)


class EventColumns(Protocol):
    """mmbot's six int64 event columns (an mmbot.data.EventBatch satisfies this)."""

    ts_exch_ns: np.ndarray
    ts_local_ns: np.ndarray
    kind: np.ndarray
    side: np.ndarray
    price_ticks: np.ndarray
    qty_lots: np.ndarray


def to_hbt_events(batch: EventColumns, *, tick_size: float, lot_size: float) -> np.ndarray:
    """Return hftbacktest's event array for an mmbot EventBatch, one row per mmbot event.

    Typed by a protocol rather than by EventBatch: the peer does not import mmbot, so its
    whole-process time is hftbacktest's alone.
    """
    kind = batch.kind
    side = batch.side
    kind_flags = np.zeros(len(kind), dtype=np.uint64)
    kind_flags[kind == _KIND_DEPTH] = DEPTH_EVENT
    kind_flags[kind == _KIND_SNAPSHOT] = DEPTH_SNAPSHOT_EVENT
    # A clear without a side flag clears both sides of the book.
    kind_flags[kind == _KIND_CLEAR] = DEPTH_CLEAR_EVENT
    kind_flags[kind == _KIND_TRADE] = TRADE_EVENT
    # For depth rows BUY/SELL is the book side; for trades it is the aggressor: the same
    # convention as mmbot's side column.
    side_flags = np.where(side == _SIDE_BID, np.uint64(BUY_EVENT), np.uint64(SELL_EVENT))
    side_flags[kind == _KIND_CLEAR] = 0
    events = np.zeros(len(kind), dtype=event_dtype)
    events["ev"] = kind_flags | side_flags | np.uint64(EXCH_EVENT | LOCAL_EVENT)
    events["exch_ts"] = batch.ts_exch_ns
    events["local_ts"] = batch.ts_local_ns
    events["px"] = batch.price_ticks * tick_size
    events["qty"] = batch.qty_lots * lot_size
    return events


def _roi_bounds_ticks(events: np.ndarray, tick_size: float) -> tuple[int, int]:
    """Return the ROI vector's lowest and highest price in ticks.

    Recorded books hold levels far from the market (Binance BTCUSDT: bids at 1,000 USD, 64k
    away); an ROI vector spanning them made hftbacktest ~3x slower on the same fills, a cost
    mmbot's windowed book does not pay. Both books now drop levels that far from the market.
    """
    priced = events["px"] > 0
    ticks = np.rint(events["px"][priced] / tick_size).astype(np.int64)
    traded = ticks[(events["ev"][priced] & _EVENT_KIND_BITS) == TRADE_EVENT]
    near = traded if len(traded) else ticks
    low_ticks = max(int(ticks.min()), int(near.min()) - _MMBOT_HALF_WINDOW_TICKS)
    high_ticks = min(int(ticks.max()), int(near.max()) + _MMBOT_HALF_WINDOW_TICKS)
    return max(low_ticks - _ROI_MARGIN_TICKS, 1), high_ticks + _ROI_MARGIN_TICKS


def _build_backtest(
    events: np.ndarray, tick_size: float, lot_size: float, queue: str, rule: QuoteRule
) -> object:
    """Return a fresh ROI-vector backtest over `events` (the caller keeps `events` alive)."""
    roi_lb_ticks, roi_ub_ticks = _roi_bounds_ticks(events, tick_size)
    asset = (
        BacktestAsset()
        .data(events)
        .linear_asset(1.0)
        .constant_order_latency(rule.entry_latency_ns, rule.response_latency_ns)
        .trading_value_fee_model(
            rule.maker_fee_bps / BPS_PER_UNIT, rule.taker_fee_bps / BPS_PER_UNIT
        )
        .tick_size(tick_size)
        .lot_size(lot_size)
        .roi_lb(roi_lb_ticks * tick_size)
        .roi_ub(roi_ub_ticks * tick_size)
        .no_partial_fill_exchange()
    )
    if queue == "risk_averse":
        asset = asset.risk_adverse_queue_model()
    elif queue == "prob":
        asset = asset.power_prob_queue_model(rule.prob_queue_power)
    else:
        raise ValueError(f"queue={queue!r} expected one of {QUEUE_MODELS}")
    return ROIVectorMarketDepthBacktest([asset])


def _max_orders(events: np.ndarray, rule: QuoteRule) -> int:
    """Return a bound on orders (hence whole-order fills): two per decision."""
    stamps = (events["exch_ts"], events["local_ts"])
    span_ns = max(int(ts.max()) for ts in stamps) - min(int(ts.min()) for ts in stamps)
    return 2 * (span_ns // rule.decision_interval_ns + 2)


@njit
def _log_fills(hbt, fill_log, n_logged):
    """Copy the fills reported since the last call into fill_log; return the rows used.

    Called before clear_inactive_orders drops them: rows are (ts_exch_ns, side, price_ticks),
    the key mmbot's fill log is compared on.
    """
    values = hbt.orders(0).values()
    while values.has_next():
        order = values.get()
        if order.status == FILLED and n_logged < len(fill_log):
            fill_log[n_logged, 0] = order.exch_timestamp
            fill_log[n_logged, 1] = 1 if order.side == BUY else -1
            fill_log[n_logged, 2] = order.price_tick
            n_logged += 1
    return n_logged


@njit
def _quote_loop(hbt, rule_ints, first_step_ns, lot_size, fill_log):
    """Run the fixed-spread quoter to the end of the data; return (orders, cancels, logged).

    rule_ints = (decision_interval_ns, half_spread_ticks, order_qty_lots, max_position_lots).
    """
    step_ns, half_spread_ticks, order_qty_lots, max_position_lots = rule_ints
    n_orders = 0
    n_cancels = 0
    n_logged = 0
    next_order_id = 1
    order_qty = order_qty_lots * lot_size
    elapse_ns = first_step_ns
    while hbt.elapse(elapse_ns) == 0:
        elapse_ns = step_ns
        n_logged = _log_fills(hbt, fill_log, n_logged)
        hbt.clear_inactive_orders(0)
        depth = hbt.depth(0)
        best_bid_tick = depth.best_bid_tick
        best_ask_tick = depth.best_ask_tick
        if best_bid_tick == _INVALID_MIN_TICK or best_ask_tick == _INVALID_MAX_TICK:
            continue
        # Twice the mid keeps the rule exact in integers: floor(mid-h) and ceil(mid+h).
        mid_x2_ticks = best_bid_tick + best_ask_tick
        bid_tick = (mid_x2_ticks - 2 * half_spread_ticks) // 2
        ask_tick = -((-(mid_x2_ticks + 2 * half_spread_ticks)) // 2)
        position_lots = round(hbt.position(0) / lot_size)
        want_bid = position_lots < max_position_lots
        want_ask = position_lots > -max_position_lots

        has_bid = False
        has_ask = False
        values = hbt.orders(0).values()
        while values.has_next():
            order = values.get()
            is_buy = order.side == BUY
            wanted = want_bid if is_buy else want_ask
            target_tick = bid_tick if is_buy else ask_tick
            if order.cancellable and (not wanted or order.price_tick != target_tick):
                hbt.cancel(0, order.order_id, False)
                n_cancels += 1
            elif order.price_tick == target_tick:
                # Resting or in flight at the right price: keep it, do not stack another.
                if is_buy:
                    has_bid = True
                else:
                    has_ask = True

        if want_bid and not has_bid:
            hbt.submit_buy_order(
                0, next_order_id, bid_tick * depth.tick_size, order_qty, GTX, LIMIT, False
            )
            next_order_id += 1
            n_orders += 1
        if want_ask and not has_ask:
            hbt.submit_sell_order(
                0, next_order_id, ask_tick * depth.tick_size, order_qty, GTX, LIMIT, False
            )
            next_order_id += 1
            n_orders += 1
    return n_orders, n_cancels, _log_fills(hbt, fill_log, n_logged)


def write_npz(path: Path, events: np.ndarray, tick_size: float, lot_size: float) -> None:
    """Store the event array in hftbacktest's npz layout (key `data`) with the instrument."""
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, data=events, tick_size=tick_size, lot_size=lot_size)


def read_npz(path: Path) -> tuple[np.ndarray, float, float]:
    """Return (events, tick_size, lot_size) from a file written by `write_npz`."""
    with np.load(path) as stored:
        return stored["data"], float(stored["tick_size"]), float(stored["lot_size"])


def run_quoter(
    events: np.ndarray, tick_size: float, lot_size: float, queue: str, rule: QuoteRule
) -> RunResult:
    """Run the quoter once over `events`; time the njit loop only (not the asset build)."""
    hbt = _build_backtest(events, tick_size, lot_size, queue, rule)
    rule_ints = (
        rule.decision_interval_ns,
        rule.half_spread_ticks,
        rule.order_qty_lots,
        rule.max_position_lots,
    )
    # The first elapse puts the peer's decisions on mmbot's grid (why: _schedule.py).
    first_step_ns = peer_first_elapse_ns(
        int(events["exch_ts"][0]), int(events["local_ts"][0]), rule.decision_interval_ns
    )
    fill_log = np.zeros((_max_orders(events, rule), 3), dtype=np.int64)
    started_s = time.perf_counter()
    n_orders, n_cancels, n_logged = _quote_loop(hbt, rule_ints, first_step_ns, lot_size, fill_log)
    loop_s = time.perf_counter() - started_s
    state = hbt.state_values(0)
    result = RunResult(
        side="hftbacktest",
        queue=queue,
        n_events=len(events),
        loop_s=loop_s,
        n_fills=int(state.num_trades),
        n_orders=int(n_orders),
        n_cancels=int(n_cancels),
        position_lots=round(hbt.position(0) / lot_size),
        fees_usd=float(state.fee),
        fill_keys=fill_log[:n_logged],
    )
    hbt.close()
    return result
