"""The synthetic market: determinism, consistency of book and tape, and its statistics."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from mmbot.data import (
    KIND_CLEAR,
    KIND_DEPTH,
    KIND_SNAPSHOT,
    KIND_TRADE,
    NO_ASK,
    NO_BID,
    BookReplay,
    EventBatch,
    SynthParams,
    synthesize,
    synthesize_labeled,
)

N_EVENTS = 600_000


@cache
def _market() -> tuple[EventBatch, np.ndarray, np.ndarray, np.ndarray]:
    """Return 600k events, the informed-trade mask, and best bid/ask after each event."""
    parts = list(synthesize_labeled(11, N_EVENTS))
    events = EventBatch.concat(part for part, _ in parts)
    informed = np.concatenate([mask for _, mask in parts])
    best_bid, best_ask = BookReplay().tops(events)
    return events, informed, best_bid, best_ask


def test_synth_same_seed_same_events_other_seed_differs() -> None:
    first = EventBatch.concat(synthesize(3, 50_000))
    again = EventBatch.concat(synthesize(3, 50_000))
    other = EventBatch.concat(synthesize(4, 50_000))

    assert b"".join(a.tobytes() for a in first.columns()) == b"".join(
        a.tobytes() for a in again.columns()
    )
    assert first.qty_lots.tobytes() != other.qty_lots.tobytes()


def test_synth_prefix_of_longer_run_is_shorter_run() -> None:
    short = EventBatch.concat(synthesize(9, 300_001))
    long = EventBatch.concat(synthesize(9, 600_000)).slice(0, 300_001)

    assert short.ts_exch_ns.tobytes() == long.ts_exch_ns.tobytes()
    assert short.qty_lots.tobytes() == long.qty_lots.tobytes()


@pytest.mark.parametrize("n_events", [0, 1, 20, 262_145])
def test_synth_exact_event_count(n_events: int) -> None:
    assert sum(len(part) for part in synthesize(1, n_events)) == n_events


def test_synth_opens_with_clear_and_full_snapshot() -> None:
    events, _, best_bid, best_ask = _market()
    levels = SynthParams().n_levels

    assert events.kind[0] == KIND_CLEAR
    assert (events.kind[1 : 1 + 2 * levels] == KIND_SNAPSHOT).all()
    assert (events.kind[1 + 2 * levels :] != KIND_SNAPSHOT).all()
    assert (best_bid[2 * levels], best_ask[2 * levels]) == (500_000, 500_001)


def test_synth_book_never_crossed_nor_empty() -> None:
    events, _, best_bid, best_ask = _market()
    opened = 1 + 2 * SynthParams().n_levels

    assert (best_bid < best_ask).all()
    assert (best_bid[opened:] != NO_BID).all() and (best_ask[opened:] != NO_ASK).all()
    assert np.diff(events.ts_exch_ns).min() >= 0
    assert np.diff(events.ts_local_ns).min() >= 0
    assert (events.ts_local_ns > events.ts_exch_ns).all()


def test_synth_trades_hit_the_touch_and_leave_its_depth_row() -> None:
    events, _, best_bid, best_ask = _market()
    trades = np.flatnonzero(events.kind == KIND_TRADE)
    before = trades - 1  # the book the trade met

    touch = np.where(events.side[trades] == 1, best_ask[before], best_bid[before])
    assert (events.price_ticks[trades] == touch).all()
    follow = trades + 1
    assert (events.kind[follow] == KIND_DEPTH).all()
    assert (events.price_ticks[follow] == events.price_ticks[trades]).all()
    assert (events.ts_exch_ns[follow] == events.ts_exch_ns[trades]).all()
    assert (events.side[follow] == -events.side[trades]).all()  # buy hits the ask side


def test_synth_mix_mostly_depth_updates() -> None:
    events, _, _, _ = _market()

    # A liquid perp's L2 feed: a few percent of the rows are trades, the rest book updates.
    depth_share = float(np.mean(events.kind == KIND_DEPTH))
    trade_share = float(np.mean(events.kind == KIND_TRADE))
    assert 0.90 <= depth_share <= 0.98
    assert 0.02 <= trade_share <= 0.10


def _next_mid_move(best_bid: np.ndarray, best_ask: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Return the sign of the first mid change after each row (0 if none)."""
    mid2 = best_bid + best_ask
    changes = np.flatnonzero(np.diff(mid2) != 0)  # mid changes between i and i+1
    at = np.searchsorted(changes, rows, side="left")
    found = at < len(changes)
    moves = np.zeros(len(rows), dtype=np.int64)
    where = changes[at[found]]
    moves[found] = np.sign(mid2[where + 1] - mid2[where])
    return moves


def test_synth_informed_trades_predict_next_mid_move_uninformed_do_not() -> None:
    events, informed, best_bid, best_ask = _market()
    trades = np.flatnonzero(events.kind == KIND_TRADE)
    move = _next_mid_move(best_bid, best_ask, trades)
    side = events.side[trades]
    is_informed = informed[trades]

    informed_corr = np.corrcoef(side[is_informed], move[is_informed])[0, 1]
    uninformed_corr = np.corrcoef(side[~is_informed], move[~is_informed])[0, 1]

    assert 0.15 <= is_informed.mean() <= 0.25
    assert informed_corr > 0.4
    assert abs(uninformed_corr) < 0.05
    assert not informed[events.kind != KIND_TRADE].any()


def test_synth_trade_arrivals_overdispersed_vs_poisson() -> None:
    events, _, _, _ = _market()
    ts_s = events.ts_exch_ns[events.kind == KIND_TRADE] / 1e9
    gaps = np.diff(ts_s)
    per_second = np.bincount((ts_s - ts_s[0]).astype(np.int64))

    assert gaps.std() / gaps.mean() > 1.15  # Poisson: 1
    assert per_second.var() / per_second.mean() > 2.0  # Poisson: 1


def test_synth_no_informed_flow_no_prediction() -> None:
    params = SynthParams(informed_fraction=0.0)
    events = EventBatch.concat(synthesize(5, 300_000, params=params))
    best_bid, best_ask = BookReplay().tops(events)
    trades = np.flatnonzero(events.kind == KIND_TRADE)

    corr = np.corrcoef(events.side[trades], _next_mid_move(best_bid, best_ask, trades))[0, 1]

    assert abs(corr) < 0.05


def test_synth_params_refuse_explosive_hawkes() -> None:
    with pytest.raises(ValueError, match="branching ratio"):
        SynthParams(hawkes_alpha_hz=3.0, hawkes_beta_hz=2.0)
