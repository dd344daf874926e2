"""The compiled core of the synthetic market: one event-driven step at a time, into arrays.

Theory of operation: the market is a set of competing clocks - regime switch, mid move,
book churn (Poisson, rates set by the regime) and trades (a Hawkes process, exact
next-arrival sampling for the exponential kernel, Dassios & Zhao 2013). Each step draws
the waiting times from the current state, advances time to the earliest and applies that
event; the state is Markov, so redrawing every step is exact. The next mid move
(direction and size) is drawn when the previous one happens and sits in the state: it is
the private information that informed traders act on. Randomness comes from a block of
uniforms drawn by numpy's seeded Generator outside; the kernel never draws on its own,
so the same seed gives the same events. A step writes at most MAX_EVENTS(n) events and
consumes at most MAX_DRAWS(n) uniforms; the caller guarantees both are available.

A step that moves the price rewrites several levels in an order that keeps the book
uncrossed and both sides non-empty after every single row (see _reframe).

A market of several symbols shares a common factor (synth_factor): a schedule of factor
events (regime changes and shared mid moves) that is one more clock of the kernel. When the
factor's next event comes before the step's own drawn events, time jumps to it, the event
applies and the step is redrawn: exact, since every own clock is memoryless (the Hawkes
excess is a Markov state). The kernel knows the factor up to FACTOR_END_NS only and returns
when it gets there; the caller hands it the next block. A single symbol has no factor
(FACTOR_END_NS = NO_FACTOR_END_NS) and never draws for it, so its output does not change.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Final, NamedTuple

import numpy as np
from numpy.typing import NDArray

from mmbot.data.jit_cache import cached_njit
from mmbot.data.schema import KIND_CLEAR, KIND_DEPTH, KIND_SNAPSHOT, KIND_TRADE, SIDE_ASK, SIDE_BID

# The kernel's compiled code is this module plus the schema constants it freezes.
_compiled = cached_njit((Path(__file__), Path(__file__).with_name("schema.py")))

# Integer state slots.
TS: Final = 0  # exchange time of the current step, ns
LOCAL: Final = 1  # last local (arrival) time handed out, ns: arrivals are in order
REGIME: Final = 2  # 0 calm, 1 volatile
BID: Final = 3  # best bid price, ticks
ASK: Final = 4  # best ask price, ticks
NEXT_DIR: Final = 5  # direction of the next mid move (+1 up, -1 down)
NEXT_TICKS: Final = 6  # size of the next mid move, ticks
STARTED: Final = 7  # 1 once the opening snapshot is out
CURSOR: Final = 8  # next unused uniform
FACTOR_AT: Final = 9  # next unapplied column of the factor block
FACTOR_END_NS: Final = 10  # the factor block holds every factor event before this time, ns
PULLED: Final = 11  # 1 while an informed sweep has pulled the next own move forward
N_STATE: Final = 12
NO_FACTOR_END_NS: Final = int(np.iinfo(np.int64).max)  # a market without a factor
# Rows of a factor block (one column per event, in time order): every event sets the regime;
# one with a direction != 0 also moves the mid by that many ticks.
FACTOR_TS: Final = 0
FACTOR_REGIME: Final = 1
FACTOR_DIR: Final = 2
FACTOR_TICKS: Final = 3
N_FACTOR_ROWS: Final = 4
MOVE_DRAWS: Final = 3  # uniforms one drawn mid move takes at most (_draw_next_move)
# Rows of the output array: the six event columns, then the informed-trade label.
LABEL_ROW: Final = 6
N_ROWS: Final = 7


@_compiled
def max_events(n_levels: int) -> int:
    """Return the most events one step (or the opening snapshot) can write."""
    return 4 * n_levels + 4


@_compiled
def max_draws(n_levels: int) -> int:
    """Return the most uniforms one step (or the opening snapshot) can consume."""
    return 6 * n_levels + 32


class KernelParams(NamedTuple):
    """SynthParams flattened to plain numbers for the compiled code."""

    n_levels: int
    calm_to_volatile_hz: float
    volatile_to_calm_hz: float
    move_rate_hz: float
    move_geom_p: float
    jump_rate_hz: float
    jump_extra_ticks: float
    volatile_move_mult: float
    spread_wide_prob_calm: float
    spread_wide_prob_volatile: float
    trade_base_hz: float
    hawkes_alpha_hz: float
    hawkes_beta_hz: float
    volatile_trade_mult: float
    trade_qty_median_lots: float
    trade_qty_sigma: float
    informed_fraction: float
    informed_accuracy: float
    informed_qty_mult: float
    churn_rate_hz: float
    volatile_churn_mult: float
    level_qty_median_lots: float
    level_qty_sigma: float
    churn_level_decay: float
    improve_prob: float
    latency_median_ns: float
    latency_sigma: float
    own_move_share: float  # share of the mid-move rate that is the symbol's own (1 - |rho|)
    sweeps_pull_forward: bool  # a sweep's move replaces the next own move instead of adding one


@_compiled
def _uniform(u: NDArray[np.float64], st: NDArray[np.int64]) -> float:
    cursor = st[CURSOR]
    st[CURSOR] = cursor + 1
    return float(u[cursor])


@_compiled
def _exponential(u: NDArray[np.float64], st: NDArray[np.int64]) -> float:
    return -math.log(1.0 - _uniform(u, st))


@_compiled
def _lots(u: NDArray[np.float64], st: NDArray[np.int64], median: float, sigma: float) -> int:
    """Log-normal size (Box-Muller normal), at least one lot."""
    radius = math.sqrt(-2.0 * math.log(1.0 - _uniform(u, st)))
    normal = radius * math.cos(2.0 * math.pi * _uniform(u, st))
    return max(1, round(median * math.exp(sigma * normal)))


@_compiled
def _arrival(k: KernelParams, u: NDArray[np.float64], st: NDArray[np.int64]) -> int:
    """Return the local time of a message sent now: ts + latency, never before the last one."""
    latency = _lots(u, st, k.latency_median_ns, k.latency_sigma)
    st[LOCAL] = max(st[LOCAL], st[TS] + latency)
    return int(st[LOCAL])


@_compiled
def _emit(
    out: NDArray[np.int64],
    n: int,
    st: NDArray[np.int64],
    local: int,
    kind: int,
    side: int,
    price: int,
    qty: int,
    label: int,
) -> int:
    out[0, n] = st[TS]
    out[1, n] = local
    out[2, n] = kind
    out[3, n] = side
    out[4, n] = price
    out[5, n] = qty
    out[LABEL_ROW, n] = label
    return n + 1


@_compiled
def _draw_next_move(k: KernelParams, u: NDArray[np.float64], st: NDArray[np.int64]) -> None:
    st[NEXT_DIR] = 1 if _uniform(u, st) < 0.5 else -1
    if _uniform(u, st) * (k.move_rate_hz + k.jump_rate_hz) < k.jump_rate_hz:
        st[NEXT_TICKS] = 1 + int(_exponential(u, st) * k.jump_extra_ticks)
    elif k.move_geom_p >= 1.0:
        st[NEXT_TICKS] = 1
    else:
        st[NEXT_TICKS] = 1 + int(math.log(1.0 - _uniform(u, st)) / math.log(1.0 - k.move_geom_p))


@_compiled
def draw_moves(
    k: KernelParams,
    u: NDArray[np.float64],
    st: NDArray[np.int64],
    direction: NDArray[np.int64],
    ticks: NDArray[np.int64],
) -> None:
    """Fill direction and ticks with independent mid moves of the kernel's law (the
    factor's moves); each takes at most MOVE_DRAWS uniforms."""
    for i in range(len(direction)):
        _draw_next_move(k, u, st)
        direction[i] = st[NEXT_DIR]
        ticks[i] = st[NEXT_TICKS]


@_compiled
def _shift_side(
    k: KernelParams,
    u: NDArray[np.float64],
    st: NDArray[np.int64],
    level_q: NDArray[np.int64],
    out: NDArray[np.int64],
    n: int,
    local: int,
    side: int,
    old_best: int,
    new_best: int,
) -> int:
    """Move one side's window of levels to new_best: new levels first, then deletes."""
    levels = k.n_levels
    away = -1 if side == SIDE_BID else 1  # price step from the touch into the book
    moved = np.zeros(levels, dtype=np.int64)
    for j in range(levels):
        old = (new_best + away * j - old_best) * away
        kept = 0 <= old < levels
        qty = level_q[old] if kept else 0
        if qty == 0 and (j == 0 or not kept):
            qty = _lots(u, st, k.level_qty_median_lots, k.level_qty_sigma)
            n = _emit(out, n, st, local, KIND_DEPTH, side, new_best + away * j, qty, 0)
        moved[j] = qty
    for i in range(levels):
        if level_q[i] > 0 and not 0 <= (old_best + away * i - new_best) * away < levels:
            n = _emit(out, n, st, local, KIND_DEPTH, side, old_best + away * i, 0, 0)
    level_q[:] = moved
    return n


@_compiled
def _reframe(
    k: KernelParams,
    u: NDArray[np.float64],
    st: NDArray[np.int64],
    bid_q: NDArray[np.int64],
    ask_q: NDArray[np.int64],
    out: NDArray[np.int64],
    n: int,
    local: int,
    new_bid: int,
    new_ask: int,
    direction: int,
) -> int:
    """Move both sides to new best prices, never crossed and never empty on the way.

    The side the price moves toward goes first (up: asks, down: bids), and each side adds
    its new levels before deleting the old ones: new asks of an up move are above every
    old bid, and by the time the bids move, the asks already start at new_ask.
    """
    old_bid, old_ask = st[BID], st[ASK]
    if direction > 0:
        n = _shift_side(k, u, st, ask_q, out, n, local, SIDE_ASK, old_ask, new_ask)
        n = _shift_side(k, u, st, bid_q, out, n, local, SIDE_BID, old_bid, new_bid)
    else:
        n = _shift_side(k, u, st, bid_q, out, n, local, SIDE_BID, old_bid, new_bid)
        n = _shift_side(k, u, st, ask_q, out, n, local, SIDE_ASK, old_ask, new_ask)
    st[BID] = new_bid
    st[ASK] = new_ask
    return n


@_compiled
def _move(
    k: KernelParams,
    u: NDArray[np.float64],
    st: NDArray[np.int64],
    bid_q: NDArray[np.int64],
    ask_q: NDArray[np.int64],
    out: NDArray[np.int64],
    n: int,
    local: int,
) -> int:
    """Apply the pending mid move with a freshly drawn spread, then draw the next move."""
    n = _move_by(k, u, st, bid_q, ask_q, out, n, local, st[NEXT_DIR], st[NEXT_TICKS])
    _draw_next_move(k, u, st)
    return n


@_compiled
def _move_by(
    k: KernelParams,
    u: NDArray[np.float64],
    st: NDArray[np.int64],
    bid_q: NDArray[np.int64],
    ask_q: NDArray[np.int64],
    out: NDArray[np.int64],
    n: int,
    local: int,
    direction: int,
    ticks: int,
) -> int:
    """Move the mid by direction * ticks with a freshly drawn spread."""
    wide = k.spread_wide_prob_volatile if st[REGIME] == 1 else k.spread_wide_prob_calm
    spread = 1
    while spread < k.n_levels and _uniform(u, st) < wide:
        spread += 1
    if st[BID] - 2 * ticks <= k.n_levels:
        direction = 1  # keep prices positive: the book never walks below the first ticks
    # Move the mid (in half ticks) by the size; round half ticks toward the move.
    base = st[BID] + st[ASK] + 2 * direction * ticks - spread
    if base % 2 != 0:
        base += direction
    new_bid = base // 2
    return _reframe(k, u, st, bid_q, ask_q, out, n, local, new_bid, new_bid + spread, direction)


@_compiled
def _trade(
    k: KernelParams,
    u: NDArray[np.float64],
    st: NDArray[np.int64],
    bid_q: NDArray[np.int64],
    ask_q: NDArray[np.int64],
    out: NDArray[np.int64],
    n: int,
) -> tuple[int, bool]:
    """Print one trade at the touch and the depth row it leaves; an informed sweep moves the mid."""
    informed = _uniform(u, st) < k.informed_fraction
    if informed:
        side = st[NEXT_DIR] if _uniform(u, st) < k.informed_accuracy else -st[NEXT_DIR]
        median = k.trade_qty_median_lots * k.informed_qty_mult
    else:
        side = 1 if _uniform(u, st) < 0.5 else -1
        median = k.trade_qty_median_lots
    wanted = _lots(u, st, median, k.trade_qty_sigma)
    level = ask_q if side == 1 else bid_q
    price = st[ASK] if side == 1 else st[BID]
    # Only a trader who knows the move takes the whole level; everyone else leaves a lot.
    sweep = informed and side == st[NEXT_DIR] and wanted >= level[0]
    if k.sweeps_pull_forward:
        # The sweep is the next own move, come early: one at a time, so own moves keep the
        # own clock's rate and the factor's share of the mid moves stays |rho|.
        sweep = sweep and st[PULLED] == 0
        st[PULLED] = 1 if sweep else st[PULLED]
    qty = level[0] if sweep else min(wanted, level[0] - 1)
    if qty <= 0:
        return n, False
    local = _arrival(k, u, st)
    n = _emit(out, n, st, local, KIND_TRADE, side, price, qty, 1 if informed else 0)
    level[0] -= qty
    n = _emit(
        out, n, st, local, KIND_DEPTH, SIDE_ASK if side == 1 else SIDE_BID, price, level[0], 0
    )
    if sweep:
        n = _move(k, u, st, bid_q, ask_q, out, n, local)
    return n, True


@_compiled
def _churn(
    k: KernelParams,
    u: NDArray[np.float64],
    st: NDArray[np.int64],
    bid_q: NDArray[np.int64],
    ask_q: NDArray[np.int64],
    out: NDArray[np.int64],
    n: int,
) -> int:
    """Add to or cancel from one level; sometimes fill inside a wide spread instead."""
    is_bid = _uniform(u, st) < 0.5
    if st[ASK] - st[BID] > 1 and _uniform(u, st) < k.improve_prob:
        local = _arrival(k, u, st)
        if is_bid:
            return _reframe(k, u, st, bid_q, ask_q, out, n, local, st[BID] + 1, st[ASK], 1)
        return _reframe(k, u, st, bid_q, ask_q, out, n, local, st[BID], st[ASK] - 1, -1)
    levels = k.n_levels
    # Inverse CDF of an exponential truncated to [0, levels): level i has weight e^(-i/decay).
    mass = 1.0 - math.exp(-levels / k.churn_level_decay)
    index = min(levels - 1, int(-k.churn_level_decay * math.log(1.0 - _uniform(u, st) * mass)))
    level = bid_q if is_bid else ask_q
    if _uniform(u, st) < 0.5:
        level[index] += _lots(u, st, 0.5 * k.level_qty_median_lots, k.level_qty_sigma)
    else:
        floor = 1 if index == 0 else 0  # churn never empties the touch; trades and moves do
        if level[index] <= floor:
            return n
        level[index] -= min(level[index] - floor, 1 + int(_uniform(u, st) * level[index]))
    side = SIDE_BID if is_bid else SIDE_ASK
    price = st[BID] - index if is_bid else st[ASK] + index
    return _emit(out, n, st, _arrival(k, u, st), KIND_DEPTH, side, price, level[index], 0)


@_compiled
def _opening(
    k: KernelParams,
    u: NDArray[np.float64],
    st: NDArray[np.int64],
    bid_q: NDArray[np.int64],
    ask_q: NDArray[np.int64],
    out: NDArray[np.int64],
    n: int,
) -> int:
    """Write CLEAR and a full snapshot of both sides; draw the first pending move."""
    local = _arrival(k, u, st)
    n = _emit(out, n, st, local, KIND_CLEAR, 0, 0, 0, 0)
    for i in range(k.n_levels):
        bid_q[i] = _lots(u, st, k.level_qty_median_lots, k.level_qty_sigma)
        n = _emit(out, n, st, local, KIND_SNAPSHOT, SIDE_BID, st[BID] - i, bid_q[i], 0)
    for i in range(k.n_levels):
        ask_q[i] = _lots(u, st, k.level_qty_median_lots, k.level_qty_sigma)
        n = _emit(out, n, st, local, KIND_SNAPSHOT, SIDE_ASK, st[ASK] + i, ask_q[i], 0)
    _draw_next_move(k, u, st)
    st[STARTED] = 1
    return n


@_compiled
def _own_move(
    k: KernelParams,
    u: NDArray[np.float64],
    st: NDArray[np.int64],
    bid_q: NDArray[np.int64],
    ask_q: NDArray[np.int64],
    out: NDArray[np.int64],
    n: int,
) -> int:
    """The own mid-move clock rang: apply the pending move, unless a sweep already did."""
    if st[PULLED] == 1:
        st[PULLED] = 0
        return n
    return _move(k, u, st, bid_q, ask_q, out, n, _arrival(k, u, st))


@_compiled
def _next_factor_ns(st: NDArray[np.int64], factor: NDArray[np.int64]) -> int:
    """Return the time of the next factor event, or the end of the known factor."""
    at = st[FACTOR_AT]
    return int(factor[FACTOR_TS, at]) if at < factor.shape[1] else int(st[FACTOR_END_NS])


@_compiled
def _apply_factor(
    k: KernelParams,
    u: NDArray[np.float64],
    st: NDArray[np.int64],
    bid_q: NDArray[np.int64],
    ask_q: NDArray[np.int64],
    out: NDArray[np.int64],
    n: int,
    factor: NDArray[np.int64],
) -> int:
    """Apply the next factor event (time is already there): set the regime, move the mid."""
    at = st[FACTOR_AT]
    st[FACTOR_AT] = at + 1
    st[REGIME] = factor[FACTOR_REGIME, at]
    direction = factor[FACTOR_DIR, at]
    if direction == 0:
        return n
    local = _arrival(k, u, st)
    return _move_by(k, u, st, bid_q, ask_q, out, n, local, direction, factor[FACTOR_TICKS, at])


@_compiled
def run(
    k: KernelParams,
    u: NDArray[np.float64],
    st: NDArray[np.int64],
    hawkes: NDArray[np.float64],
    bid_q: NDArray[np.int64],
    ask_q: NDArray[np.int64],
    out: NDArray[np.int64],
    n: int,
    target: int,
    factor: NDArray[np.int64],
) -> int:
    """Write events into out from column n until n >= target, the uniforms run low or
    time reaches the end of the factor block (FACTOR_END_NS)."""
    limit = len(u) - max_draws(k.n_levels)
    if st[STARTED] == 0:
        n = _opening(k, u, st, bid_q, ask_q, out, n)
    beta = k.hawkes_beta_hz
    while n < target and st[CURSOR] <= limit:
        volatile = st[REGIME] == 1
        switch_hz = k.volatile_to_calm_hz if volatile else k.calm_to_volatile_hz
        move_hz = (k.move_rate_hz + k.jump_rate_hz) * (k.volatile_move_mult if volatile else 1.0)
        move_hz *= k.own_move_share
        churn_hz = k.churn_rate_hz * (k.volatile_churn_mult if volatile else 1.0)
        poisson_hz = switch_hz + move_hz + churn_hz
        wait_s = _exponential(u, st) / poisson_hz
        # Hawkes: next arrival of baseline mu or of the decaying excess, whichever is first.
        mu = k.trade_base_hz * (k.volatile_trade_mult if volatile else 1.0)
        trade_wait_s = _exponential(u, st) / mu if mu > 0 else math.inf
        excess = hawkes[0]
        if excess > 0:
            decay = 1.0 + beta * math.log(1.0 - _uniform(u, st)) / excess
            if decay > 0:
                trade_wait_s = min(trade_wait_s, -math.log(decay) / beta)
        is_trade = trade_wait_s < wait_s
        step_s = trade_wait_s if is_trade else wait_s
        step_ns = int(step_s * 1e9)
        factor_ns = _next_factor_ns(st, factor)
        if st[TS] + step_ns >= factor_ns:
            hawkes[0] = excess * math.exp(-beta * (factor_ns - st[TS]) / 1e9)
            st[TS] = factor_ns
            if st[FACTOR_AT] == factor.shape[1]:
                return n  # the end of the known factor: the caller hands over the next block
            n = _apply_factor(k, u, st, bid_q, ask_q, out, n, factor)
            continue
        st[TS] += step_ns
        hawkes[0] = excess * math.exp(-beta * step_s)
        if is_trade:
            n, traded = _trade(k, u, st, bid_q, ask_q, out, n)
            if traded:
                hawkes[0] += k.hawkes_alpha_hz
            continue
        pick = _uniform(u, st) * poisson_hz
        if pick < switch_hz:
            st[REGIME] = 0 if volatile else 1
        elif pick < switch_hz + move_hz:
            n = _own_move(k, u, st, bid_q, ask_q, out, n)
        else:
            n = _churn(k, u, st, bid_q, ask_q, out, n)
    return n
