"""Config and data must name the same instrument: a mismatch is one line naming both values,
the key to set and the shipped configs that fit the data."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmbot.backtest.wiring import check_instrument
from mmbot.config import load_config, shipped_configs_dir, validate_document
from mmbot.core.errors import ConfigError
from mmbot.data import SYNTH_META, InstrumentMeta, preset

ALT_META = preset("fixture_alt")[1]
DATA = Path("data.parquet")
FITS_ALT = ("configs/fixtures/backtest_fail.yaml, configs/fixtures/backtest_pass.yaml, "
            "configs/fixtures/latency_queue.yaml")  # fmt: skip


@pytest.fixture(autouse=True)
def _in_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(shipped_configs_dir().parent)  # shipped configs shown as typed


def _refusal(instrument: dict[str, object], meta: InstrumentMeta) -> str:
    config = validate_document({"instrument": instrument}, "test.yaml")
    with pytest.raises(ConfigError) as caught:
        check_instrument(config, meta, DATA)
    return caught.value.line()


def test_symbol_mismatch_names_both_values_the_key_and_the_fitting_configs() -> None:
    line = _refusal({"venue": "SYNTH", "symbol": "ETH-USD", "tick_size": 0.01, "lot_size": 0.1},
                    ALT_META)  # fmt: skip
    assert line == (
        "E_CFG_DATA_MISMATCH: key=instrument.symbol config=ETH-USD data=ALT-USD "
        f"file=data.parquet; set instrument.symbol or pick the matching data (shipped configs "
        f"that fit it: {FITS_ALT})"
    )


def test_venue_mismatch_is_refused() -> None:
    line = _refusal({"venue": "BINANCE", "tick_size": 0.1, "lot_size": 0.001}, SYNTH_META)
    assert line.startswith(
        "E_CFG_DATA_MISMATCH: key=instrument.venue config=BINANCE data=SYNTH file=data.parquet; "
        "set instrument.venue or pick the matching data (shipped configs that fit it: "
        "configs/example.yaml)"
    )


def test_tick_mismatch_names_the_fixture_config_for_fixture_alt_data() -> None:
    line = _refusal({}, ALT_META)  # embedded defaults: tick 0.1 on a 0.01-tick market
    assert line.startswith("E_CFG_DATA_MISMATCH: key=instrument.tick_size config=0.1 data=0.01 ")
    assert "configs/fixtures/backtest_pass.yaml" in line


def test_no_shipped_config_fits_says_so() -> None:
    other = InstrumentMeta(venue="BINANCE", symbol="BTCUSDT", tick_size=0.5, lot_size=0.001)
    assert _refusal({}, other).endswith("(none shipped fits it)")


@pytest.mark.parametrize(
    ("config", "meta"),
    [("configs/example.yaml", SYNTH_META), ("configs/fixtures/backtest_pass.yaml", ALT_META),
     ("configs/fixtures/backtest_fail.yaml", ALT_META),
     ("configs/fixtures/latency_queue.yaml", ALT_META)],
)  # fmt: skip
def test_shipped_pairs_fit(config: str, meta: InstrumentMeta) -> None:
    check_instrument(load_config(config, {}).config, meta, DATA)


def test_embedded_defaults_name_no_venue_or_symbol() -> None:
    check_instrument(load_config(None, {}).config, SYNTH_META, DATA)
