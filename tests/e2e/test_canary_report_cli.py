"""`mmbot canary report` over a real run directory (live-sim, edge-audited), and `mmbot canary
snapshot` against a real Prometheus on 127.0.0.1 (skipped, reason shown, without the binary)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from _cli import REPO_ROOT, mmbot
from tests.unit.ops.ops_cli import ops_cli
from tests.unit.ops.prometheus import needs_prometheus, running_prometheus

from mmbot.artifacts import canonical_json_bytes

FIXTURE_CONFIG = REPO_ROOT / "configs" / "fixtures" / "backtest_pass.yaml"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a live-sim run directory with its edge audit, written through the CLI."""
    folder = tmp_path_factory.mktemp("canary_run")
    data, run = folder / "alt.parquet", folder / "run"
    for args in (
        ("data", "synth", "--preset", "fixture_alt", "--seed", "7", "--events", "40000",
         "--out", str(data)),
        ("run", "--mode", "live-sim", "-c", str(FIXTURE_CONFIG), "--data", str(data),
         "--out", str(run), "--speed", "max", "--metrics-port", "-1"),
        ("edge-audit", "--run", str(run)),
    ):  # fmt: skip
        made = mmbot(*args)
        assert made.returncode == 0, made.stderr
    return run


def test_canary_report_of_an_audited_run_passes_and_quotes_the_audit(
    run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "REPORT_CANARY.md"
    assert ops_cli("canary", "report", "--run", str(run_dir), "--out", str(out)) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"RESULT=OK report={out}"
    text = out.read_text(encoding="ascii")
    audit = json.loads((run_dir / "edge_audit.json").read_bytes())
    assert text.startswith("# Canary report: RESULT=OK\n\nChecks failed: 0 of 9.\n")
    assert f"\n- net_bps: {audit['totals']['net_bps']:.6f}\n" in text
    assert f"\n- bottleneck: {audit['bottleneck']['component']} " in text
    assert "\n- none: no canary.json in the run directory" in text
    assert text.endswith("\n") and "\r" not in text


def test_canary_report_reads_the_metrics_dump_without_metrics_prom(
    run_dir: Path, tmp_path: Path
) -> None:
    dumped = tmp_path / "dumped"
    dumped.mkdir()
    made = mmbot("metrics", "dump", "--run", str(run_dir), "--out", str(dumped / "metrics.json"))
    assert made.returncode == 0, made.stderr
    from_prom, from_dump = tmp_path / "a.md", tmp_path / "b.md"
    assert ops_cli("canary", "report", "--run", str(run_dir), "--out", str(from_prom)) == 0
    assert ops_cli("canary", "report", "--run", str(dumped), "--out", str(from_dump)) == 0
    checks = [line for line in from_prom.read_text().splitlines() if line.startswith("| ")]
    assert checks == [line for line in from_dump.read_text().splitlines() if line.startswith("| ")]


@needs_prometheus
def test_canary_snapshot_saves_the_targets_as_canonical_ascii_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "prom_snapshot.json"
    with running_prometheus(tmp_path) as url:
        assert ops_cli("canary", "snapshot", "--prom", url + "/", "--out", str(out)) == 0
    result = capsys.readouterr().out.splitlines()[-1]
    assert result.startswith("RESULT=OK targets=1 ") and result.endswith(f" snapshot={out}")
    data = out.read_bytes()
    assert data.isascii() and data.endswith(b"\n") and b"\r" not in data
    document = json.loads(data)
    assert canonical_json_bytes(document) == data  # keys sorted, compact
    assert document["status"] == "success"
    (target,) = document["data"]["activeTargets"]
    assert target["labels"]["job"] == "prometheus"


def test_canary_snapshot_refuses_an_unreachable_prometheus(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out = tmp_path / "prom_snapshot.json"
    url = f"http://127.0.0.1:{port}"
    assert ops_cli("canary", "snapshot", "--prom", url, "--out", str(out)) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"E_OPS_PROM_HTTP: url={url}/api/v1/targets URLError")
    assert not out.exists()
