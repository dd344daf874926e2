"""The shipped backtest fixtures end to end through the CLI: one PASSes, one FAILs, repeatable.

configs/fixtures/backtest_pass.yaml and backtest_fail.yaml run on the same seeded data
(`mmbot data synth --preset fixture_alt --seed 7 --events 300000`, conftest.fixture_alt_data);
docs/FIXTURES.md says why one passes and the other fails.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable
from pathlib import Path

import pytest
from _cli import REPO_ROOT
from _cli import mmbot as _mmbot

FIXTURES = REPO_ROOT / "configs" / "fixtures"
RUN_FILES = ("backtest.json", "BACKTEST.md", "fills.csv", "orders.csv", "mids.csv",
             "risk_records.csv", "risk_denials.csv", "run.json", "metrics.prom")  # fmt: skip


@pytest.fixture(scope="module")
def workdir(fixture_alt_data: Path) -> Path:
    """Return the directory holding the fixture data (alt.parquet, written through the CLI)."""
    return fixture_alt_data.parent


def _backtest(workdir: Path, fixture: str, name: str) -> tuple[str, Path]:
    out = workdir / name
    if not (out / "backtest.json").exists():
        result = _mmbot(
            "backtest", "run", "--config", str(FIXTURES / f"{fixture}.yaml"),
            "--data", str(workdir / "alt.parquet"), "--out", str(out),
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        (out / "stdout.txt").write_text(result.stdout)
    return (out / "stdout.txt").read_text(), out


def _report(out: Path) -> dict[str, object]:
    report: dict[str, object] = json.loads((out / "backtest.json").read_text())
    return report


@pytest.mark.selected
def test_pass_fixture_clears_every_threshold_with_margin(
    workdir: Path, golden: Callable[[str, bytes], None]
) -> None:
    stdout, out = _backtest(workdir, "backtest_pass", "pass_a")
    assert "VERDICT=PASS " in stdout
    report = _report(out)
    assert report["verdict"] == "PASS" and report["failing"] == []
    figures = report["figures"]
    assert isinstance(figures, dict)
    # Margin, not a knife edge: a small behaviour change must not flip the verdict.
    assert figures["net_bps"] >= 2.5 + 0.3
    assert figures["taker_share_pct"] <= 15.0 - 10.0
    assert figures["order_age_p95_ms"] <= 350.0 - 60.0
    assert figures["fills"] >= 1000
    golden("backtest_fixture_pass.json", (out / "backtest.json").read_bytes())


@pytest.mark.selected
def test_fail_fixture_fails_on_net_bps_only(workdir: Path) -> None:
    stdout, out = _backtest(workdir, "backtest_fail", "fail_a")
    assert "VERDICT=FAIL " in stdout
    report = _report(out)
    assert report["verdict"] == "FAIL"
    failing = report["failing"]
    assert isinstance(failing, list) and len(failing) == 1
    assert failing[0].startswith("net_bps=") and failing[0].endswith(" >= 2.500000 fails")
    figures = report["figures"]
    assert isinstance(figures, dict)
    assert figures["net_bps"] <= 2.5 - 0.5
    bottleneck = report["bottleneck"]
    assert isinstance(bottleneck, dict) and bottleneck["component"] == "fees"
    # The base tier's 1 bp maker fee: paid, so positive, as in fills.csv; as a drag it
    # takes 1 bp off net.
    assert figures["fees_bps"] == pytest.approx(1.0)
    assert bottleneck["bps"] == pytest.approx(-1.0)
    with open(out / "fills.csv", newline="") as handle:
        fees_paid = math.fsum(float(row["fee"]) for row in csv.DictReader(handle))
    assert figures["fees_usd"] == pytest.approx(fees_paid, abs=1e-8) and fees_paid > 0


@pytest.mark.selected
def test_pass_fixture_repeats_byte_for_byte(workdir: Path) -> None:
    _, first = _backtest(workdir, "backtest_pass", "pass_a")
    _, second = _backtest(workdir, "backtest_pass", "pass_b")
    for name in RUN_FILES:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


@pytest.mark.selected
def test_edge_audit_of_pass_run_matches_goldens(
    workdir: Path, golden: Callable[[str, bytes], None]
) -> None:
    _, run = _backtest(workdir, "backtest_pass", "pass_a")
    out = workdir / "audit"
    result = _mmbot("edge-audit", "--run", str(run), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].startswith("RESULT=OK")
    golden("edge_audit_case1.json", (out / "edge_audit.json").read_bytes())
    golden("edge_audit_case1.md", (out / "EDGE_AUDIT.md").read_bytes())
