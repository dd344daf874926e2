"""Preflight: every check passes on a ready machine; each failing check fails alone, with its
one E_* line; the command prints a line per check and exits 1 on any failure."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from _cli import clean_env

from mmbot.release import PreflightInputs, run_preflight
from mmbot.release.checks import CheckResult
from mmbot.release.settings import PreflightSettings

REPO_ROOT = Path(__file__).resolve().parents[3]
RULES = REPO_ROOT / "monitoring" / "alerts" / "mm_bot.rules.yml"
BAD_RANGE = REPO_ROOT / "tests" / "fixtures" / "config" / "bad_range.yaml"
PROMTOOL = shutil.which("promtool")
NS_PER_S = 1_000_000_000
CHECKS = ["env", "config", "alert_rules", "artifact", "clock", "credentials", "disk"]
KEY, SECRET = "k3y-never-shown", "s3cret-never-shown"


@pytest.fixture
def ready(tmp_path: Path) -> PreflightInputs:
    """Return the inputs of a machine where every check passes (dev, fresh metrics.json)."""
    config = tmp_path / "release.yaml"
    shutil.copy(REPO_ROOT / "configs" / "example.yaml", config)
    rules = tmp_path / "mm_bot.rules.yml"
    shutil.copy(RULES, rules)
    artifact = tmp_path / "artifacts" / "metrics.json"
    artifact.parent.mkdir()
    artifact.write_text("{}\n")
    now_ns = time.time_ns() // NS_PER_S * NS_PER_S  # whole seconds, as an HTTP Date
    _set_mtime(artifact, now_ns - 3600 * NS_PER_S)
    settings = PreflightSettings(artifacts=(str(artifact),), rules=str(rules), min_free_disk_mb=0)
    environ = {"MM_ENV": "dev", "MM_CONFIG_PATH": str(config)}
    return PreflightInputs(environ, settings, now_ns, disk_path=tmp_path, promtool=PROMTOOL)


def _set_mtime(path: Path, mtime_ns: int) -> None:
    os.utime(path, ns=(mtime_ns, mtime_ns))


def _failing(results: list[CheckResult]) -> dict[str, str]:
    """Return {check kind: its E_* line} of the failed checks."""
    return {r.name.split()[0]: str(r.problem) for r in results if r.problem is not None}


def test_every_check_passes_on_a_ready_machine(ready: PreflightInputs) -> None:
    results = run_preflight(ready)
    assert [result.name.split()[0] for result in results] == CHECKS
    assert _failing(results) == {}
    assert all(result.line().startswith(f"[OK] {result.name}") for result in results)


def _env(**changes: str | None) -> Callable[[PreflightInputs], PreflightInputs]:
    def change(inputs: PreflightInputs) -> PreflightInputs:
        environ = {**inputs.environ, **{k: v for k, v in changes.items() if v is not None}}
        for key in [k for k, v in changes.items() if v is None]:
            environ.pop(key, None)
        return replace(inputs, environ=environ)

    return change


def _settings(**changes: object) -> Callable[[PreflightInputs], PreflightInputs]:
    def change(inputs: PreflightInputs) -> PreflightInputs:
        return replace(inputs, settings=inputs.settings.model_copy(update=changes))

    return change


def _write_rules(text: str) -> Callable[[PreflightInputs], PreflightInputs]:
    def change(inputs: PreflightInputs) -> PreflightInputs:
        Path(inputs.settings.rules).write_text(text)
        return inputs

    return change


def _no_promtool(inputs: PreflightInputs) -> PreflightInputs:
    return replace(inputs, promtool=None)


def _artifact_written(offset_s: int) -> Callable[[PreflightInputs], PreflightInputs]:
    def change(inputs: PreflightInputs) -> PreflightInputs:
        _set_mtime(Path(inputs.settings.artifacts[0]), inputs.now_ns + offset_s * NS_PER_S)
        return inputs

    return change


def _now_at(utc: datetime) -> Callable[[PreflightInputs], PreflightInputs]:
    def change(inputs: PreflightInputs) -> PreflightInputs:
        return replace(inputs, now_ns=int(utc.timestamp()) * NS_PER_S)

    return change


def _venue(name: str) -> Callable[[PreflightInputs], PreflightInputs]:
    def change(inputs: PreflightInputs) -> PreflightInputs:
        return replace(inputs, venue=name)

    return change


BAD_EXPR_RULES = "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: rate(x[5m]\n"
NOT_RULES = "groups:\n  - name: g\n    rules:\n      - expr: up\n"
FAILURES = {
    "MM_ENV unset": ([_env(MM_ENV=None)], {"env": "E_PREFLIGHT_ENV: MM_ENV=<unset>"}),
    "MM_ENV unknown": (
        [_env(MM_ENV="staging")],
        {"env": "E_PREFLIGHT_ENV: MM_ENV=staging", "config": "E_CFG_ENV: key=MM_ENV"},
    ),
    "MM_CONFIG_PATH unset": (
        [_env(MM_CONFIG_PATH=None)],
        {"env": "E_PREFLIGHT_ENV: MM_CONFIG_PATH=<unset>"},
    ),
    "config invalid": ([_env(MM_CONFIG_PATH=str(BAD_RANGE))], {"config": "E_CFG_RANGE: key="}),
    "config missing": ([_env(MM_CONFIG_PATH="nope.yaml")], {"config": "E_CFG_FILE_MISSING:"}),
    "profile unknown": ([_env(MM_PROFILE="nope")], {"config": "E_CFG_PROFILE_UNKNOWN:"}),
    "rules missing": (
        [_settings(rules="missing.rules.yml")],
        {"alert_rules": "E_PREFLIGHT_RULES: file=missing.rules.yml does not exist"},
    ),
    "rules not rules, without promtool": (
        [_write_rules(NOT_RULES), _no_promtool],
        {"alert_rules": "E_PREFLIGHT_RULES: file="},
    ),
    "artifact missing": ([_settings(artifacts=("gone.json",))], {"artifact": "E_REPORT_MISSING"}),
    "artifact stale": ([_artifact_written(-25 * 3600)], {"artifact": "E_REPORT_STALE: file="}),
    "clock reset": (
        [_now_at(datetime(2000, 1, 1, tzinfo=UTC))],
        {"clock": "E_PREFLIGHT_CLOCK: now=2000-01-01T00:00:00Z is before 2025-01-01T00:00:00Z"},
    ),
    "clock behind a file": (
        [_artifact_written(3600)],
        {"clock": "E_PREFLIGHT_CLOCK: file="},
    ),
    "canary without venue": (
        [_env(MM_ENV="canary")],
        {"credentials": "E_PREFLIGHT_ENV: MM_ENV=canary sends orders"},
    ),
    "canary without keys": (
        [_env(MM_ENV="canary"), _venue("binance-usdm")],
        {"credentials": "E_VENUE_AUTH: env MM_BINANCE_API_KEY,MM_BINANCE_API_SECRET unset"},
    ),
    "prod without secret": (
        [_env(MM_ENV="prod", MM_BYBIT_API_KEY=KEY), _venue("bybit-linear")],
        {"credentials": "E_VENUE_AUTH: env MM_BYBIT_API_SECRET unset"},
    ),
    "disk full": ([_settings(min_free_disk_mb=10**12)], {"disk": "E_PREFLIGHT_DISK: path="}),
}


@pytest.mark.parametrize("case", list(FAILURES))
def test_each_failing_check_fails_alone_with_its_code(ready: PreflightInputs, case: str) -> None:
    changes, expected = FAILURES[case]
    inputs = ready
    for change in changes:
        inputs = change(inputs)
    failing = _failing(run_preflight(inputs))
    assert sorted(failing) == sorted(expected)
    for name, prefix in expected.items():
        assert failing[name].startswith(prefix), failing[name]
        assert "\n" not in failing[name] and failing[name].isascii()


@pytest.mark.skipif(PROMTOOL is None, reason="promtool not installed (Debian package prometheus)")
def test_rules_promtool_refuses_fail_the_check(ready: PreflightInputs) -> None:
    _write_rules(BAD_EXPR_RULES)(ready)
    failing = _failing(run_preflight(ready))
    assert list(failing) == ["alert_rules"]
    assert failing["alert_rules"].startswith(f"E_PREFLIGHT_RULES: file={ready.settings.rules} ")
    assert "parse error" in failing["alert_rules"]


def test_credentials_pass_without_showing_them(ready: PreflightInputs) -> None:
    environ = {**ready.environ, "MM_ENV": "canary", "MM_BINANCE_API_KEY": KEY,
               "MM_BINANCE_API_SECRET": SECRET}  # fmt: skip
    results = run_preflight(replace(ready, environ=environ, venue="binance-usdm"))
    assert _failing(results) == {}
    printed = "\n".join(result.line() for result in results)
    assert "credentials venue=binance-usdm MM_BINANCE_API_KEY,MM_BINANCE_API_SECRET set" in printed
    assert KEY not in printed and SECRET not in printed


@pytest.fixture
def time_server() -> Iterator[Callable[[float], str]]:
    """Return serve(date_s): the URL of a local server whose Date header says date_s."""
    servers: list[ThreadingHTTPServer] = []

    def serve(date_s: float) -> str:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(404)
                self.end_headers()

            def date_time_string(self, timestamp: float | None = None) -> str:
                return formatdate(date_s, usegmt=True)

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


def test_clock_within_the_reference_passes_and_off_it_fails(
    ready: PreflightInputs, time_server: Callable[[float], str]
) -> None:
    now_s = ready.now_ns // NS_PER_S
    near = run_preflight(replace(ready, time_ref=time_server(now_s - 1)))
    assert _failing(near) == {}
    off = _failing(run_preflight(replace(ready, time_ref=time_server(now_s - 60))))
    assert list(off) == ["clock"]
    assert "skew_s=+60.0" in off["clock"] and off["clock"].startswith("E_PREFLIGHT_CLOCK: now=")


def test_clock_reference_unreachable_fails(ready: PreflightInputs) -> None:
    failing = _failing(run_preflight(replace(ready, time_ref="http://127.0.0.1:1/")))
    assert list(failing) == ["clock"]
    assert failing["clock"].startswith("E_PREFLIGHT_CLOCK: ref=http://127.0.0.1:1/ unreachable")


def _python_m_preflight(ready: PreflightInputs, tmp_path: Path, env: dict[str, str]) -> (
    subprocess.CompletedProcess[str]
):  # fmt: skip
    settings = tmp_path / "settings.yaml"
    settings.write_text(
        f"preflight:\n  artifacts: ['{ready.settings.artifacts[0]}']\n"
        f"  rules: '{ready.settings.rules}'\n  min_free_disk_mb: 0\n"
    )
    return subprocess.run(
        [sys.executable, "-m", "mmbot.cli.preflight", "--settings", str(settings)],
        capture_output=True, text=True, check=False, cwd=tmp_path,
        env={**clean_env(), **dict(ready.environ), **env},
    )  # fmt: skip


def test_python_m_preflight_exits_0_only_when_every_check_passes(
    ready: PreflightInputs, tmp_path: Path
) -> None:
    passing = _python_m_preflight(ready, tmp_path, {})
    assert passing.returncode == 0, passing.stdout + passing.stderr
    lines = passing.stdout.splitlines()
    assert [line.split()[1] for line in lines[:-1]] == CHECKS
    assert lines[-1] == "RESULT=OK"
    failing = _python_m_preflight(ready, tmp_path, {"MM_ENV": "canary"})
    assert failing.returncode == 1
    lines = failing.stdout.splitlines()
    assert "[FAIL] E_PREFLIGHT_ENV: MM_ENV=canary sends orders" in failing.stdout
    assert lines[-1] == "RESULT=FAIL failed=1"
