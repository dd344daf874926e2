"""The backtest report's judgement: Sharpe n/a over too short a span, INSUFFICIENT on too few
fills, PASS/FAIL otherwise."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mmbot.backtest.metrics import MIN_SHARPE_HOURS, sharpe_daily
from mmbot.backtest.run import verdict, verdict_line
from mmbot.config import EffectiveConfig, load_config
from mmbot.core.errors import ConfigError

pytestmark = pytest.mark.selected
_NS_PER_HOUR = 3_600_000_000_000
PASSING: dict[str, float | int | None] = {
    "net_bps": 3.0, "taker_share_pct": 0.0, "order_age_p95_ms": 100.0, "fills": 100,
}  # fmt: skip


def _hourly_equity(hours: int) -> tuple[np.ndarray, np.ndarray]:
    """Return one mid per hour and an equity curve whose hourly PnL varies (1, 2, 1, 2, ...)."""
    ts_ns = np.arange(hours, dtype=np.int64) * _NS_PER_HOUR
    return ts_ns, np.cumsum(np.where(np.arange(hours) % 2 == 0, 1.0, 2.0))


def test_sharpe_daily_exactly_min_hours_is_a_number() -> None:
    sharpe = sharpe_daily(*_hourly_equity(MIN_SHARPE_HOURS))
    assert sharpe is not None and sharpe > 0


@pytest.mark.parametrize("hours", [0, 1, 2, MIN_SHARPE_HOURS - 1])
def test_sharpe_daily_under_min_hours_is_none_not_zero(hours: int) -> None:
    assert sharpe_daily(*_hourly_equity(hours)) is None


def test_sharpe_daily_flat_pnl_is_none() -> None:
    ts_ns = np.arange(MIN_SHARPE_HOURS, dtype=np.int64) * _NS_PER_HOUR
    assert sharpe_daily(ts_ns, np.zeros(MIN_SHARPE_HOURS)) is None


def _config(tmp_path: Path, thresholds: str) -> EffectiveConfig:
    path = tmp_path / "config.yaml"
    path.write_text(f"backtest:\n  thresholds: {{{thresholds}}}\n")
    return load_config(path, {})


def test_min_fills_defaults_to_100() -> None:
    assert load_config(None, {}).config.backtest.thresholds.min_fills == 100


def test_verdict_exactly_min_fills_is_judged(tmp_path: Path) -> None:
    report = verdict(PASSING, _config(tmp_path, "min_fills: 100"))
    assert report["verdict"] == "PASS" and report["min_fills"] == 100


def test_verdict_one_fill_short_is_insufficient_and_says_so(tmp_path: Path) -> None:
    figures = {**PASSING, "fills": 99, "net_bps": -1.0}
    report = {**verdict(figures, _config(tmp_path, "min_fills: 100")), "figures": figures}
    assert report["verdict"] == "INSUFFICIENT"
    assert report["failing"] == ["net_bps=-1.000000 >= 2.500000 fails"]
    assert verdict_line(report) == (
        "VERDICT=INSUFFICIENT reason=too_few_fills fills=99 min_fills=100"
    )


def test_verdict_min_fills_zero_judges_an_empty_run(tmp_path: Path) -> None:
    figures = {**PASSING, "fills": 0}
    report = {**verdict(figures, _config(tmp_path, "min_fills: 0")), "figures": figures}
    assert verdict_line(report) == "VERDICT=PASS"


@pytest.mark.parametrize(
    ("value", "code"), [("-1", "E_CFG_RANGE"), ("2.5", "E_CFG_TYPE"), ("many", "E_CFG_TYPE")]
)
def test_min_fills_validated(tmp_path: Path, value: str, code: str) -> None:
    with pytest.raises(ConfigError) as raised:
        _config(tmp_path, f"min_fills: {value}")
    assert raised.value.line().startswith(f"{code}: key=backtest.thresholds.min_fills ")
