"""The simulator benchmark's decision grid: the peer decides exactly when mmbot's quoter does.

The tape moves the book between the two candidate first decisions: mmbot's clock start (the
first event's exchange time) + 100 ms, and the first event's local time + 100 ms. The quote,
hence the price the later trade fills, says which grid a quoter used.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from tests.unit.sim.sim_cases import ASK, BID, MS, SELL, D, S, T, tape

from _quoting import QuoteRule
from _schedule import mmbot_first_decision_ns, peer_first_elapse_ns
from mmbot.data import SYNTH_META, EventBatch, synthesize
from mmbot.sim import FixedSpreadQuoterParams, SimParams, run_fixed_spread_quoter

FEED_LATENCY_MS = 5
INTERVAL_NS = QuoteRule().decision_interval_ns
# (exchange ms, kind, side, price_ticks, qty_lots, local ms)
GRID_TAPE = tape(
    (0, S, BID, 1000, 5, FEED_LATENCY_MS),
    (0, S, ASK, 1010, 5, FEED_LATENCY_MS),
    # Seen locally at 102 ms: after a decision at 100 ms, before one at 105 ms.
    (97, D, ASK, 1010, 0, 97 + FEED_LATENCY_MS),
    (97, D, BID, 1000, 0, 97 + FEED_LATENCY_MS),
    (97, D, BID, 1020, 5, 97 + FEED_LATENCY_MS),
    (97, D, ASK, 1030, 5, 97 + FEED_LATENCY_MS),
    # Reaches any resting bid at or above 1001.
    (150, T, SELL, 1001, 1, 150 + FEED_LATENCY_MS),
)
# Decided at 100 ms on mid 1005: bid 1003 (the ask, 1007, crosses the new bid 1020 and is
# rejected post-only). Decided at 105 ms the bid would be 1023 (mid 1025).
EXPECTED_FILL_KEYS = [[150 * MS, 1, 1003]]


def _mmbot_fill_keys() -> list[list[int]]:
    rule = QuoteRule()
    sim = SimParams(
        tick_size=1.0,
        lot_size=1.0,
        latency_model="recorded",
        entry_latency_ns=rule.entry_latency_ns,
        response_latency_ns=rule.response_latency_ns,
    )
    result = run_fixed_spread_quoter(GRID_TAPE, FixedSpreadQuoterParams(), sim)
    fills = result.fills
    return [list(key) for key in zip(fills.ts_ns, fills.side, fills.price_ticks, strict=True)]


@pytest.mark.parametrize(
    ("first_exch_ms", "first_local_ms", "first_decision_ms"),
    [(0, 5, 100), (0, 0, 100), (1520, 0, 100)],  # feed latency 5 ms, 0, -1.52 s (clock skew)
)
def test_schedule_first_decision_at_clock_start_plus_interval(
    first_exch_ms: int, first_local_ms: int, first_decision_ms: int
) -> None:
    first_exch_ns, first_local_ns = first_exch_ms * MS, first_local_ms * MS
    first_ns = mmbot_first_decision_ns(first_exch_ns, first_local_ns, INTERVAL_NS)
    assert first_ns == first_decision_ms * MS
    # hftbacktest's clock also starts at the earliest timestamp: one interval to go.
    assert peer_first_elapse_ns(first_exch_ns, first_local_ns, INTERVAL_NS) == INTERVAL_NS


def test_mmbot_quoter_decides_on_the_schedule_grid() -> None:
    first_ns = mmbot_first_decision_ns(
        int(GRID_TAPE.ts_exch_ns[0]), int(GRID_TAPE.ts_local_ns[0]), INTERVAL_NS
    )
    assert first_ns == 100 * MS  # before the book move reaches us (102 ms)
    assert _mmbot_fill_keys() == EXPECTED_FILL_KEYS


@pytest.mark.parametrize("skew_ms", [0, -1520])  # local clock behind the venue's, as recorded
def test_hftbacktest_first_elapse_lands_on_mmbot_first_decision(skew_ms: int) -> None:
    pytest.importorskip("hftbacktest")
    import _hftbacktest_peer

    events = _hftbacktest_peer.to_hbt_events(GRID_TAPE, tick_size=1.0, lot_size=1.0)
    events["local_ts"] += skew_ms * MS
    first_exch_ns, first_local_ns = int(events["exch_ts"][0]), int(events["local_ts"][0])
    rule = QuoteRule()
    hbt = _hftbacktest_peer._build_backtest(events, 1.0, 1.0, "risk_averse", rule)
    hbt.elapse(peer_first_elapse_ns(first_exch_ns, first_local_ns, INTERVAL_NS))
    first_ns = hbt.current_timestamp
    hbt.close()
    assert first_ns == mmbot_first_decision_ns(first_exch_ns, first_local_ns, INTERVAL_NS)


def test_peer_fills_what_mmbot_fills_on_the_grid_tape() -> None:
    pytest.importorskip("hftbacktest")
    import _hftbacktest_peer

    events = _hftbacktest_peer.to_hbt_events(GRID_TAPE, tick_size=1.0, lot_size=1.0)
    result = _hftbacktest_peer.run_quoter(events, 1.0, 1.0, "risk_averse", QuoteRule())
    assert result.fill_keys.tolist() == EXPECTED_FILL_KEYS == _mmbot_fill_keys()


def test_peer_and_mmbot_fills_match_one_for_one_on_a_synthetic_market() -> None:
    pytest.importorskip("hftbacktest")
    import _hftbacktest_peer
    import _mmbot_side
    from _fills import compare_fills

    batch = EventBatch.concat(synthesize(7, 50_000, meta=SYNTH_META))
    rule = QuoteRule()
    mmbot = _mmbot_side.run_quoter(batch, SYNTH_META, "risk_averse", rule)
    events = _hftbacktest_peer.to_hbt_events(
        batch, tick_size=SYNTH_META.tick_size, lot_size=SYNTH_META.lot_size
    )
    peer = _hftbacktest_peer.run_quoter(
        events, SYNTH_META.tick_size, SYNTH_META.lot_size, "risk_averse", rule
    )
    overlap = compare_fills(mmbot.fill_keys, peer.fill_keys, batch)
    assert overlap.matched > 20
    assert (overlap.only_mmbot, overlap.only_peer) == (0, 0)


def test_peer_roi_keeps_the_traded_range_and_drops_far_levels() -> None:
    pytest.importorskip("hftbacktest")
    import _hftbacktest_peer

    far_book = tape(
        (0, S, BID, 1000, 5),
        (0, S, BID, 10, 3),  # within half a window (32,768 ticks) below the trades: kept
        (0, S, ASK, 1010, 5),
        (0, S, ASK, 200_000, 1),  # farther above: dropped
        (1, T, SELL, 1001, 1),
    )
    events = _hftbacktest_peer.to_hbt_events(far_book, tick_size=1.0, lot_size=1.0)
    # The lowest level less the 1,000-tick margin, floored at 1; the trade + 32,768 + 1,000.
    assert _hftbacktest_peer._roi_bounds_ticks(events, 1.0) == (1, 1001 + 32_768 + 1_000)


def test_bench_sim_data_not_an_event_file_one_error_line_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("hftbacktest")
    import bench_sim

    monkeypatch.setattr(sys, "argv", ["bench_sim.py", "--data", str(tmp_path / "absent.parquet")])
    assert bench_sim.main() == 2
    assert capsys.readouterr().err.startswith("E_DATA_FILE_MISSING: ")
