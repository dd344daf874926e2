"""Real market data end to end: import the Binance USD-M BTCUSDT and ETHUSDT recordings with
the command a user runs, backtest each symbol with every built-in model, check the edge audit
adds up on real fills, and replay the real events through mmbot's simulator and hftbacktest's
with the benchmark's quoting rule (their fills must be the same).

The full 8-minute recordings are used when they are beside the repository (CI has them),
else the shipped 90-s excerpt; test_full_recordings_are_used says which, as a visible skip.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest
from tests.e2e._cli import REPO_ROOT, mmbot
from tests.unit.data.realkit import EXCERPT, FULL, FULL_SKIP_REASON, SYMBOLS, full_present
from tests.unit.venues.fused_kit import differing_parts, fingerprint

from mmbot import api
from mmbot.audit import COMPONENTS, NET_SIGN
from mmbot.config import load_config
from mmbot.config.schema import MmConfig
from mmbot.data import load_events
from mmbot.node import build_engine

RECORDING = FULL if full_present() else EXCERPT
MODELS = ("glft", "avellaneda_stoikov", "fixed_spread")
BENCHMARKS_DIR = REPO_ROOT / "benchmarks"
pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def real_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Import both symbols as the README does; return the folder of <symbol>.parquet."""
    folder = tmp_path_factory.mktemp("real")
    for symbol in SYMBOLS:
        files = [str(path) for path in RECORDING.files[symbol]]
        out = folder / f"{symbol}.parquet"
        done = mmbot("data", "import", "binance-stream", *files, "--out", str(out))
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        assert lines[-1] == "RESULT=OK" and f"symbol={symbol}" in lines
        assert "sequence_gaps=0" in lines and "ticker_mismatches=0" in lines
    return folder


def test_full_recordings_are_used() -> None:
    if not full_present():
        pytest.skip(FULL_SKIP_REASON)
    assert RECORDING is FULL


def _config(symbol: str, model: str) -> MmConfig:
    config = load_config(REPO_ROOT / "configs" / "real" / f"{symbol.lower()}.yaml", {}).config
    strategy = config.strategy.model_copy(update={"model": model})
    return config.model_copy(update={"strategy": strategy})


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_every_model_backtests_and_the_edge_audit_sums_to_net_on_real_fills(
    real_data: Path, symbol: str
) -> None:
    fills_by_model = {}
    for model in MODELS:
        result = api.backtest(_config(symbol, model), real_data / f"{symbol}.parquet")
        figures = result.report["figures"]
        assert isinstance(figures, dict)
        audited = result.audit.fills
        fills_by_model[model] = audited.height
        assert audited.height == int(figures["fills"]) == result.fills.height
        for row in audited.iter_rows(named=True):  # each fill: the components make its net
            parts = math.fsum(NET_SIGN[name] * row[f"{name}_usd"] for name in COMPONENTS)
            assert parts == pytest.approx(row["net_usd"], abs=1e-9)
        total_net = math.fsum(audited["net_usd"].to_list())
        assert total_net == pytest.approx(float(figures["net_usd"]), abs=1e-8)
        # Independently of the audit: net = sum of s*Q*(m_T - P) - fee, marked at the last mid.
        last_mid = float(result.mids["mid"][-1])
        marked = math.fsum(
            (1.0 if side == "buy" else -1.0) * qty * (last_mid - price) - fee
            for side, qty, price, fee in result.fills.select("side", "qty", "price", "fee").rows()
        )
        assert marked == pytest.approx(total_net, abs=1e-8)
    assert fills_by_model["fixed_spread"] > 0 and fills_by_model["glft"] > 0, fills_by_model


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_the_fused_replay_leaves_what_the_engines_own_loop_leaves_on_real_data(
    real_data: Path, symbol: str
) -> None:
    """Issue 20's fused loop against the reference loop on the real recordings, every model."""
    events = load_events(real_data / f"{symbol}.parquet")[0]
    for model in MODELS:
        config = _config(symbol, model)
        runs = []
        for fused in (False, True):
            engine = build_engine(config, events, model, fused=fused, keep_traces=True)
            engine.run()
            runs.append(fingerprint(engine))
        assert differing_parts(*runs) == [], model
        assert runs[0]["record"] != fingerprint(build_engine(config, events, model))["record"]


def test_cli_backtest_of_the_real_config_runs_on_the_import(
    real_data: Path, tmp_path: Path
) -> None:
    symbol = "BTCUSDT"
    config = f"configs/real/{symbol.lower()}.yaml"
    data = str(real_data / f"{symbol}.parquet")

    done = mmbot("backtest", "run", "-c", config, "--data", data, "--out", str(tmp_path / "run"))

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1].startswith("RESULT=OK")
    report = json.loads((tmp_path / "run" / "backtest.json").read_text())
    assert report["data"]["events"] > 0
    assert report["instruments"][symbol]["venue"] == "binance-usdm"


def test_simulator_fills_equal_hftbacktests_on_the_real_events(real_data: Path) -> None:
    pytest.importorskip("hftbacktest", reason="hftbacktest (pip install -e '.[bench]') absent")
    if str(BENCHMARKS_DIR) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS_DIR))
    import _hftbacktest_peer
    import _mmbot_side
    from _fills import compare_fills
    from _quoting import QuoteRule

    rule = QuoteRule()
    for symbol in SYMBOLS:
        batch, meta = load_events(real_data / f"{symbol}.parquet")
        ours = _mmbot_side.run_quoter(batch, meta, "risk_averse", rule)
        events = _hftbacktest_peer.to_hbt_events(
            batch, tick_size=meta.tick_size, lot_size=meta.lot_size
        )
        peer = _hftbacktest_peer.run_quoter(
            events, meta.tick_size, meta.lot_size, "risk_averse", rule
        )
        overlap = compare_fills(ours.fill_keys, peer.fill_keys, batch)
        assert (overlap.only_mmbot, overlap.only_peer) == (0, 0), (symbol, overlap)
        assert overlap.matched == ours.n_fills == peer.n_fills > 0, symbol
        assert ours.position_lots == peer.position_lots, symbol


def test_real_book_backtests_with_a_line_per_symbol_and_strategy(
    real_data: Path, tmp_path: Path
) -> None:
    out = tmp_path / "book"

    done = mmbot(
        "backtest", "run", "-c", "configs/portfolio_real.yaml", "--data", str(real_data),
        "--out", str(out),
    )  # fmt: skip

    assert done.returncode == 0, done.stderr[-400:]
    lines = done.stdout.splitlines()
    for key in ("symbol=BTCUSDT", "symbol=ETHUSDT", "strategy=glft", "strategy=fixed_spread",
                "strategy=avellaneda_stoikov", "strategy=TOTAL"):  # fmt: skip
        assert any(line.startswith(f"{key} net_bps=") for line in lines), key
    assert lines[-1].startswith("RESULT=OK")


def test_real_book_config_reads_the_imports_where_the_readme_writes_them() -> None:
    config = load_config(REPO_ROOT / "configs" / "portfolio_real.yaml", {}).config
    assert config.portfolio is not None
    paths = {one.symbol: one.data for one in config.portfolio.instruments}
    assert paths == {symbol: f"out/data/real/{symbol}.parquet" for symbol in SYMBOLS}
    for one in config.portfolio.instruments:
        single = load_config(REPO_ROOT / "configs" / "real" / f"{one.symbol.lower()}.yaml", {})
        instrument = single.config.instrument
        assert (one.venue, one.tick_size, one.lot_size) == (
            instrument.venue, instrument.tick_size, instrument.lot_size
        )  # fmt: skip
