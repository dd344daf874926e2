"""Ops week 1 end to end: a day's artifacts made by the commands that own them, then the daily
check (`python -m mmbot.tools.ops.daily_check`), the snapshot (`tools/ops/snapshot.sh`) and the
canary archive over them.

rc_validator.json is a stand-in here (canonical JSON, as `mmbot rc validate` writes it): that
command and its Prometheus queries are tested with it. The targets snapshot is taken from a
local HTTP stand-in of Prometheus' API, whose answer has unsorted keys and a non-ASCII label:
the snapshot must come out canonical and ASCII (a real Prometheus: test_canary_report_cli.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from _cli import REPO_ROOT, mmbot
from tests.cli_runner import run_cli
from tests.unit.ops.ops_cli import ops_cli, write_ops_shim

from mmbot.artifacts import canonical_json_bytes, write_json
from mmbot.ops import DAILY_FILES

FIXTURE_CONFIG = REPO_ROOT / "configs" / "fixtures" / "backtest_pass.yaml"
TARGETS = (
    '{"status": "success", "data": {"droppedTargets": [], "activeTargets": '
    '[{"labels": {"job": "mmbot", "team": "caf\u00e9"}, "health": "up"}]}}'
).encode()


class _TargetsHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        found = self.path == "/api/v1/targets"
        self.send_response(200 if found else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(TARGETS if found else b"{}")

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test's output clean."""


@contextmanager
def _prometheus_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TargetsHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _make_the_days_artifacts(tmp_path: Path) -> Path:
    """Run a soak session and write every daily artifact from it into tmp_path/artifacts."""
    data, run, artifacts = tmp_path / "alt.parquet", tmp_path / "runs" / "a", tmp_path / "artifacts"
    made = mmbot("data", "synth", "--preset", "fixture_alt", "--seed", "7", "--events", "40000",
                 "--out", str(data))  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert ops_cli("soak", "run", "--mode", "live-sim", "--data", str(data), "-c",
                   str(FIXTURE_CONFIG), "--out", str(run), "--quiet", "--metrics-port", "-1",
                   "--speed", "1000", "--duration-s", "0.1") == 0  # fmt: skip
    day = json.loads((run / "soak.json").read_bytes())["sessions"]["0"]["started_utc"][:10]
    assert ops_cli("soak", "report", "--day", day, "--runs", str(run.parent),
                   "--out", str(artifacts)) == 0  # fmt: skip
    assert (
        run_cli("metrics", "dump", "--run", str(run), "--out", str(artifacts / "metrics.json")) == 0
    )
    assert ops_cli("canary", "report", "--run", str(run),
                   "--out", str(artifacts / "REPORT_CANARY.md")) == 0  # fmt: skip
    with _prometheus_api() as url:
        assert ops_cli("canary", "snapshot", "--prom", url,
                       "--out", str(artifacts / "prom_snapshot.json")) == 0  # fmt: skip
    write_json(artifacts / "rc_validator.json", {"checks": [], "verdict": "PASS"})
    return artifacts


def _daily_check(artifacts: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mmbot.tools.ops.daily_check", "--artifacts", str(artifacts)],
        capture_output=True, text=True, check=False, cwd=REPO_ROOT,
    )  # fmt: skip


def test_ops_day_checks_snapshots_and_archives_its_artifacts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    artifacts = _make_the_days_artifacts(tmp_path)
    snapshot = (artifacts / "prom_snapshot.json").read_bytes()
    assert snapshot.isascii() and canonical_json_bytes(json.loads(snapshot)) == snapshot
    assert b'"team":"caf\\u00e9"' in snapshot

    checked = _daily_check(artifacts)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.splitlines()[-1] == f"RESULT=OK files={len(DAILY_FILES)}"

    dist = tmp_path / "dist"
    script = REPO_ROOT / "tools" / "ops" / "snapshot.sh"
    env = {**os.environ, "MMBOT": str(write_ops_shim(tmp_path))}
    made = subprocess.run([str(script), "--artifacts", str(artifacts), "--dist", str(dist)],
                          env=env, capture_output=True, text=True, check=False)  # fmt: skip
    assert made.returncode == 0, made.stderr
    (folder,) = (dist / "snapshots").iterdir()
    assert folder.name.endswith("_Z") and len(folder.name) == len("20260101_Z")
    assert sorted(p.name for p in folder.iterdir()) == sorted([*DAILY_FILES, "MANIFEST.sha256"])

    archives = []
    for name in ("one", "two"):
        dist_of = tmp_path / name
        assert ops_cli("canary", "archive", "--artifacts", str(artifacts),
                       "--dist", str(dist_of), "--at", "2026-01-01T00:00:00Z") == 0  # fmt: skip
        archives.append((dist_of / "canary_20260101T000000Z.tar.gz").read_bytes())
    assert archives[0] == archives[1]

    pretty = json.dumps(json.loads((artifacts / "metrics.json").read_bytes()), indent=1)
    (artifacts / "metrics.json").write_text(pretty + "\n")
    assert ops_cli("ops", "daily-check", "--artifacts", str(artifacts)) == 1
    failed = capsys.readouterr().out.splitlines()
    assert [line for line in failed if line.startswith("[FAIL]")] == [
        f"[FAIL] E_OPS_JSON_NOT_CANONICAL: file={artifacts / 'metrics.json'} differs from its "
        "canonical form at offset=1 expected=sorted keys, compact separators, one final LF"
    ]


def test_ops_daily_check_fails_on_an_empty_artifacts_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert ops_cli("ops", "daily-check", "--artifacts", str(tmp_path)) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len([line for line in lines if "E_OPS_MISSING_ARTIFACT" in line]) == len(DAILY_FILES)
    assert lines[-1] == f"RESULT=FAIL problems={len(DAILY_FILES)} files={len(DAILY_FILES)}"


@pytest.fixture(autouse=True)
def _no_metrics_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """The soak session runs in this process; give it no exporter thread."""
    monkeypatch.setenv("MM_METRICS_PORT", "-1")
