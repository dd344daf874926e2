"""First-run fixes seen from the command line: --version, examples in --help, where the demo's
metrics are, what a backtest report says it ran on, and --strict for scripts."""

from __future__ import annotations

import hashlib
import json
import re
from importlib.metadata import version
from pathlib import Path

import pytest
from _cli import REPO_ROOT
from _cli import mmbot as _mmbot
from tests.cli_runner import run_cli

pytestmark = [pytest.mark.selected, pytest.mark.usefixtures("cli_env")]
EXAMPLE_CONFIG = REPO_ROOT / "configs" / "example.yaml"
SMALL_EVENTS = 20_000


@pytest.fixture(scope="module")
def small_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a small market of the default synth preset (configs/example.yaml fits it)."""
    path = tmp_path_factory.mktemp("small") / "synth.parquet"
    result = _mmbot(
        "data", "synth", "--seed", "7", "--events", str(SMALL_EVENTS), "--out", str(path)
    )
    assert result.returncode == 0, result.stderr
    return path


def test_version_flag_prints_package_version_and_exits_0(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run_cli("--version") == 0
    assert capsys.readouterr().out == f"mmbot {version('mmbot')}\n"


@pytest.mark.parametrize(
    "command",
    [
        ["backtest", "run"], ["edge-audit"], ["data", "synth"], ["run"], ["demo"],
        ["config", "validate"],
    ],
    ids=" ".join,
)  # fmt: skip
def test_help_shows_examples_of_the_command(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(*command, "--help") == 0
    out = capsys.readouterr().out
    after = out[out.index("Examples:") :]
    assert f"mmbot {' '.join(command)} " in after


def test_demo_prints_metrics_path_and_strict_pass_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "demo"
    assert run_cli("demo", "--out", str(out), "--at", "2026-01-02T03:04:05Z", "--strict") == 0
    lines = capsys.readouterr().out.splitlines()
    assert f"metrics: {out / 'metrics.json'}" in lines
    assert (out / "metrics.json").is_file()
    assert any(line.startswith("VERDICT=PASS BOTTLENECK=") for line in lines)


def _backtest(data: Path, out: Path, config: Path, *flags: str) -> int:
    return run_cli(
        "backtest", "run", "-c", str(config), "--data", str(data), "--out", str(out), *flags
    )


def test_backtest_report_states_instrument_data_span_events_and_shas(
    small_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli("config", "describe", "-c", str(EXAMPLE_CONFIG)) == 0
    described_sha = capsys.readouterr().out.splitlines()[-1].removeprefix("sha256=")
    assert run_cli("data", "info", str(small_data)) == 0
    info = dict(line.split("=", 1) for line in capsys.readouterr().out.splitlines() if "=" in line)
    out = tmp_path / "run"
    assert _backtest(small_data, out, EXAMPLE_CONFIG) == 0
    report = json.loads((out / "backtest.json").read_text())
    data_sha = hashlib.sha256(small_data.read_bytes()).hexdigest()
    assert report["data"] == {
        "events": SMALL_EVENTS, "first_utc": info["first_utc"], "last_utc": info["last_utc"],
        "span_s": pytest.approx(float(info["span_s"]), abs=1e-6),
    }  # fmt: skip
    assert report["run"]["config_sha256"] == described_sha
    assert report["run"]["data_sha256"] == data_sha
    ((symbol, instrument),) = report["instruments"].items()
    assert instrument.keys() == {"venue", "tick_size", "lot_size"}
    markdown = (out / "BACKTEST.md").read_text()
    assert f"- Instrument: {symbol} on {instrument['venue']}, tick_size " in markdown
    assert (
        f"- Data: {SMALL_EVENTS} events from {info['first_utc']} to {info['last_utc']} "
        f"({info['span_s']} s), sha256 `{data_sha}`"
    ) in markdown
    assert f"- Config: sha256 `{described_sha}`" in markdown
    # A span of minutes: the daily-equivalent Sharpe is n/a, not 0.
    assert report["figures"]["sharpe_daily"] is None
    assert "| sharpe_daily | n/a |" in markdown


def _config_with(tmp_path: Path, thresholds: str) -> Path:
    """Return configs/example.yaml with its backtest.thresholds replaced."""
    text, replaced = re.subn(
        r"(?m)^  thresholds: \{[^}]*\}$",
        f"  thresholds: {{{thresholds}}}",
        EXAMPLE_CONFIG.read_text(),
    )
    assert replaced == 1
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("thresholds", "verdict"),
    [
        ("min_fills: 100000", "VERDICT=INSUFFICIENT reason=too_few_fills fills="),
        ("min_fills: 0, max_order_age_p95_ms: 0.001", "VERDICT=FAIL "),
    ],
    ids=["insufficient", "fail"],
)
def test_backtest_not_pass_exits_0_by_default_and_1_with_strict(
    small_data: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    thresholds: str,
    verdict: str,
) -> None:
    config = _config_with(tmp_path, thresholds)
    assert _backtest(small_data, tmp_path / "a", config) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-2].startswith(verdict) and lines[-1] == f"RESULT=OK reports={tmp_path / 'a'}"
    assert _backtest(small_data, tmp_path / "b", config, "--strict") == 1
    assert capsys.readouterr().out.splitlines()[-2].startswith(verdict)
    markdown = (tmp_path / "b" / "BACKTEST.md").read_text()
    assert markdown.startswith(f"# Backtest: {verdict.rstrip()}")
