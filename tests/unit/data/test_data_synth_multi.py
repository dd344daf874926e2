"""The several-symbol synthetic market: instruments, determinism, a shared clock and regime,
and the correlation of 1-second mid returns (docs/SYNTH_MODEL.md, "Several symbols")."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mmbot.data import (
    OTHER_PROFILE,
    SYNTH_VENUE,
    BookReplay,
    EventBatch,
    InstrumentMeta,
    MarketSpec,
    info,
    load_events,
    read_meta,
    return_correlations,
    synthesize_symbol,
    write_market,
)
from mmbot.data import synth_kernel as kernel
from mmbot.data.synth_factor import FACTOR_BLOCK_NS, factor_blocks
from mmbot.data.synth_params import SynthParams

PAIR = ("BTCUSDT", "ETHUSDT")


def _events(spec: MarketSpec, symbol: str) -> bytes:
    events = EventBatch.concat(synthesize_symbol(spec, symbol))
    return b"".join(column.tobytes() for column in events.columns())


def test_synth_multi_same_spec_same_file_bytes(tmp_path: Path) -> None:
    spec = MarketSpec(seed=5, n_events=30_000, symbols=PAIR, correlation=0.7)

    first = write_market(spec, tmp_path / "a")
    again = write_market(spec, tmp_path / "b")
    other = write_market(MarketSpec(6, 30_000, PAIR, 0.7), tmp_path / "c")

    assert [path.name for path in first] == ["BTCUSDT.parquet", "ETHUSDT.parquet"]
    assert [path.read_bytes() for path in first] == [path.read_bytes() for path in again]
    assert first[0].read_bytes() != other[0].read_bytes()


def test_synth_multi_each_file_carries_its_own_instrument_and_price(tmp_path: Path) -> None:
    spec = MarketSpec(seed=1, n_events=20_000, symbols=("BTCUSDT", "ETHUSDT", "SOLUSDT"))

    paths = write_market(spec, tmp_path)

    metas = [read_meta(path) for path in paths]
    assert metas == [
        InstrumentMeta(SYNTH_VENUE, "BTCUSDT", 0.1, 0.001),
        InstrumentMeta(SYNTH_VENUE, "ETHUSDT", 0.01, 0.01),
        InstrumentMeta(SYNTH_VENUE, "SOLUSDT", OTHER_PROFILE.tick_size, OTHER_PROFILE.lot_size),
    ]
    for path, meta, mid_usd in zip(paths, metas, (60_000.0, 3_000.0, 100.0), strict=True):
        events, _ = load_events(path)
        best_bid, best_ask = BookReplay().tops(events)
        assert best_bid[-1] * meta.tick_size == pytest.approx(mid_usd, rel=0.01)
        assert (best_bid < best_ask).all()  # never crossed, never one-sided


def test_synth_multi_files_start_together_and_span_the_same_time(tmp_path: Path) -> None:
    spec = MarketSpec(seed=3, n_events=200_000, symbols=PAIR, correlation=0.5)

    btc, eth = (info(path) for path in write_market(spec, tmp_path))

    assert btc.rows == eth.rows == 200_000
    assert btc.first_ts_exch_ns == eth.first_ts_exch_ns == spec.params.start_ts_ns
    assert eth.span_ns == pytest.approx(btc.span_ns, rel=0.03)


def test_synth_multi_symbol_events_do_not_depend_on_its_companions() -> None:
    with_eth = MarketSpec(seed=2, n_events=20_000, symbols=("BTCUSDT", "ETHUSDT"), correlation=0.6)
    with_sol = MarketSpec(seed=2, n_events=20_000, symbols=("SOLUSDT", "BTCUSDT"), correlation=0.6)

    assert _events(with_eth, "BTCUSDT") == _events(with_sol, "BTCUSDT")


def test_synth_multi_other_symbols_draw_distinct_streams() -> None:
    spec = MarketSpec(seed=2, n_events=20_000, symbols=("AAA", "BBB"))

    assert _events(spec, "AAA") != _events(spec, "BBB")


@pytest.mark.parametrize(("target", "low", "high"), [(0.7, 0.55, 0.85), (0.0, -0.15, 0.15)])
def test_synth_multi_correlation_of_1s_returns_is_near_target(
    tmp_path: Path, target: float, low: float, high: float
) -> None:
    spec = MarketSpec(seed=7, n_events=600_000, symbols=PAIR, correlation=target)

    (pair,) = return_correlations(write_market(spec, tmp_path))

    assert (pair.first_symbol, pair.second_symbol) == PAIR
    assert pair.returns > 1_000  # ~20 minutes of 1 s returns
    assert pair.correlation is not None and low < pair.correlation < high


def test_synth_multi_negative_correlation_mirrors_the_second_symbol(tmp_path: Path) -> None:
    spec = MarketSpec(seed=7, n_events=300_000, symbols=PAIR, correlation=-0.9)

    (pair,) = return_correlations(write_market(spec, tmp_path))

    assert pair.correlation is not None and pair.correlation < -0.5  # +0.9 unmirrored


@pytest.mark.parametrize(
    ("symbols", "correlation", "message"),
    [
        ((), 0.0, "at least one symbol"),
        (("BTC", "BTC"), 0.0, "duplicate symbols: BTC"),
        (("BTC", "../x"), 0.0, "symbol '../x' is not a file name"),
        (("BTC", "ETH"), 1.5, "correlation=1.5 expected -1..1"),
        (("BTC", "ETH"), float("nan"), "correlation=nan expected -1..1"),
        (("A", "B", "C"), -0.3, "needs exactly two symbols"),
    ],
)
def test_synth_multi_spec_refuses_bad_input(
    symbols: tuple[str, ...], correlation: float, message: str
) -> None:
    with pytest.raises(ValueError, match=message.replace(".", r"\.")):
        MarketSpec(seed=1, n_events=10, symbols=symbols, correlation=correlation)


def test_synth_factor_blocks_tile_time_flip_the_regime_and_move_at_rho_rate() -> None:
    params = SynthParams(calm_to_volatile_hz=0.01, volatile_to_calm_hz=0.01)
    blocks = factor_blocks(np.random.default_rng(4), params, move_share=0.5, sign=1)
    mirrored = factor_blocks(np.random.default_rng(4), params, move_share=0.5, sign=-1)

    start_ns = since_ns = params.start_ts_ns
    regime, regime_ns, moves = 0, [0, 0], 0
    for _ in range(6):
        events, end_ns = next(blocks)
        mirror, _ = next(mirrored)
        assert end_ns == start_ns + FACTOR_BLOCK_NS
        ts = events[kernel.FACTOR_TS]
        assert (np.diff(ts) >= 0).all() and ts.min() >= start_ns and ts.max() < end_ns
        assert (mirror[kernel.FACTOR_DIR] == -events[kernel.FACTOR_DIR]).all()
        for ts_ns, new_regime, direction, ticks in events.T.tolist():
            if direction == 0:  # a regime switch flips the regime
                assert new_regime == 1 - regime
                regime_ns[regime] += ts_ns - since_ns
                regime, since_ns = new_regime, ts_ns
            else:
                assert new_regime == regime and ticks >= 1
                moves += 1
        start_ns = end_ns
    regime_ns[regime] += start_ns - since_ns

    calm_hz = 0.5 * (params.move_rate_hz + params.jump_rate_hz)
    expected = calm_hz * (regime_ns[0] + params.volatile_move_mult * regime_ns[1]) / 1e9
    assert regime_ns[0] > 0 and regime_ns[1] > 0
    assert abs(moves - expected) < 4 * expected**0.5
