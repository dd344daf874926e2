"""`mmbot rc validate` against a real Prometheus (and Alertmanager) on 127.0.0.1.

Prometheus serves series backfilled with `promtool tsdb create-blocks-from openmetrics`: a
healthy candidate ten minutes before T_OK (every value at its limit's passing edge), a bad one
before T_BAD (every value just across), nothing near T_EMPTY. `--at` pins the query time, so
the validator reads one scenario, and two runs write the same bytes. Skipped, with the reason
shown, only where a binary is missing (.ci/run installs them).
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.unit.release._release_cli import run_release

from mmbot.release import RC_CHECKS

NEEDS_PROMETHEUS = pytest.mark.skipif(
    shutil.which("prometheus") is None or shutil.which("promtool") is None,
    reason="prometheus/promtool not installed (Debian package prometheus; .ci/run installs it)",
)
NEEDS_ALERTMANAGER = pytest.mark.skipif(
    shutil.which("prometheus-alertmanager") is None,
    reason="prometheus-alertmanager not installed (Debian package; .ci/run installs it)",
)
pytestmark = NEEDS_PROMETHEUS

T_OK = datetime(2026, 1, 1, tzinfo=UTC)
T_BAD = T_OK + timedelta(hours=1)
T_EMPTY = T_OK + timedelta(hours=2)
WINDOW_S, STEP_S = 600, 15
LEG = 'strategy="glft",symbol="BTC-USDT-PERP"'
SYMBOL = 'symbol="BTC-USDT-PERP"'

# (family, type, series, value before T_OK, value before T_BAD); a pair steps from its first
# to its second value halfway through the window; None: no sample in that window.
Value = float | tuple[float, float] | None
SERIES: list[tuple[str, str, str, Value, Value]] = [
    ("pos_skew_breach", "counter", f"pos_skew_breach_total{{{SYMBOL}}}", 3, (3, 5)),
    ("intraday_caps_breached", "gauge", f"intraday_caps_breached{{{SYMBOL}}}", 0, 1),
    ("effective_fee_bps_now", "gauge", "effective_fee_bps_now", 2.0, 2.5),
    ("fee_tier_distance_usd", "gauge", "fee_tier_distance_usd", 0, -1),
    ("canary_gate_open", "gauge", "canary_gate_open", 1, 0),
    ("order_age_ms_bucket", "counter", f"order_age_ms_bucket_total{{{LEG}}}", 0, 2),
    ("cost_fillrate_ewma", "gauge", f"cost_fillrate_ewma{{{LEG}}}", 0.05, 0.01),
    ("cost_fillrate_ewma", "gauge", 'cost_fillrate_ewma{strategy="as",symbol="ETH"}', 0.3, 0.3),
    ("latency_ms_p95_blue", "gauge", "latency_ms_p95_blue", 350, 351),
    ("ALERTS", "gauge", 'ALERTS{alertname="StuckOrders",alertstate="firing"}', None, 1),
    ("ALERTS", "gauge", 'ALERTS{alertname="CanaryGate",alertstate="pending"}', None, 1),
    ("portfolio_budget_available_usd", "gauge", "portfolio_budget_available_usd", 1000, 0),
    ("allocator_hwm_equity_usd", "gauge", "allocator_hwm_equity_usd", 100500, 0),
    ("quotes_placed", "counter", f"quotes_placed_total{{{LEG}}}", 40, 0),
]
HEALTHY = {
    "canary_metrics_healthy": 0.0, "caps_inactive": 0.0, "fees_sane": 2.0, "tier_distance": 0.0,
    "canary_gate_open": 1.0, "orders_not_stuck": 0.0, "fill_rate": 0.05, "latency_slo": 350.0,
    "no_firing_alerts": 0.0, "budget_available": 1000.0, "hwm_updated": 100500.0,
    "quotes_flowing": 40.0,
}  # fmt: skip
BAD = {**{name: 0.0 for name in HEALTHY}, "caps_inactive": 1.0, "fees_sane": 2.5,
       "tier_distance": -1.0, "orders_not_stuck": 2.0, "fill_rate": 0.01, "latency_slo": 351.0,
       "no_firing_alerts": 1.0}  # fmt: skip


def _samples(value: Value, end: datetime) -> list[tuple[float, int]]:
    if value is None:
        return []
    first, second = value if isinstance(value, tuple) else (value, value)
    end_s = int(end.timestamp())
    return [(first if t < end_s - WINDOW_S // 2 else second, t)
            for t in range(end_s - WINDOW_S, end_s + 1, STEP_S)]  # fmt: skip


def openmetrics() -> str:
    """Return the backfill: each family once, its series whole, samples in time order."""
    lines, typed = [], set()
    for family, kind, series, ok, bad in SERIES:
        if family not in typed:
            lines.append(f"# TYPE {family} {kind}")
            typed.add(family)
        samples = _samples(ok, T_OK) + _samples(bad, T_BAD)
        lines += [f"{series} {value} {t}" for value, t in samples]
    return "\n".join([*lines, "# EOF"]) + "\n"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(args: list[str], url: str) -> subprocess.Popen[bytes]:
    """Start a server; return it once url/-/ready answers (stop it with _stop)."""
    process = subprocess.Popen(
        args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/-/ready", timeout=1):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    _, said = process.communicate(timeout=10)
    raise AssertionError(f"{args[0]} not ready at {url}: {said.decode(errors='replace')}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stderr is not None:
        process.stderr.close()


@pytest.fixture(scope="module")
def prom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Return the URL of a Prometheus serving the backfilled scenarios."""
    folder = tmp_path_factory.mktemp("prometheus")
    (folder / "series.om").write_text(openmetrics())
    backfill = subprocess.run(
        ["promtool", "tsdb", "create-blocks-from", "openmetrics", "series.om", "data"],
        cwd=folder, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert backfill.returncode == 0, backfill.stdout + backfill.stderr
    (folder / "prometheus.yml").write_text("global:\n  evaluation_interval: 1h\n")
    address = f"127.0.0.1:{_free_port()}"
    url = f"http://{address}"
    process = _start(
        ["prometheus", f"--config.file={folder / 'prometheus.yml'}",
         f"--storage.tsdb.path={folder / 'data'}", f"--web.listen-address={address}"],
        url,
    )  # fmt: skip
    yield url
    _stop(process)


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[str]:
    """Return the URL of an empty Alertmanager (no gossip, a receiver that notifies nobody)."""
    (tmp_path / "am.yml").write_text('route:\n  receiver: "null"\nreceivers:\n  - name: "null"\n')
    address = f"127.0.0.1:{_free_port()}"
    url = f"http://{address}"
    process = _start(
        ["prometheus-alertmanager", f"--config.file={tmp_path / 'am.yml'}",
         f"--storage.path={tmp_path / 'am'}", f"--web.listen-address={address}",
         "--cluster.listen-address="],
        url,
    )  # fmt: skip
    yield url
    _stop(process)


def _post(url: str, payload: Any) -> None:
    request = urllib.request.Request(
        url, json.dumps(payload).encode(), {"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=5):
        pass


def _utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


Validate = Callable[..., tuple[int, dict[str, Any], list[str]]]


@pytest.fixture
def validate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Validate:
    """Return run(prom, at, *more): exit code, rc_validator.json's rows by name, stdout lines."""

    def run(prom: str, at: datetime, *more: str, out: str = "rc.json") -> tuple[
        int, dict[str, Any], list[str]
    ]:  # fmt: skip
        path = tmp_path / out
        code = run_release("rc", "validate", "--prom", prom, "--at", _utc(at),
                           "--out", str(path), *more)  # fmt: skip
        report = json.loads(path.read_text())
        assert report["utc"] == _utc(at)
        rows = {row["name"]: row for row in report["checks"]}
        assert list(rows) == [check.name for check in RC_CHECKS]
        assert report["failing"] == [name for name, row in rows.items() if not row["ok"]]
        assert report["verdict"] == ("FAIL" if report["failing"] else "PASS")
        return code, rows, capsys.readouterr().out.splitlines()

    return run


def _codes(rows: dict[str, Any]) -> dict[str, str]:
    return {name: row["problem"].split(":")[0] for name, row in rows.items() if not row["ok"]}


@NEEDS_ALERTMANAGER
def test_healthy_candidate_passes_at_every_limit_and_repeats_byte_for_byte(
    prom: str, alertmanager: str, validate: Validate, tmp_path: Path
) -> None:
    code, rows, lines = validate(prom, T_OK, "--am", alertmanager)
    assert code == 0 and lines[-1] == "VERDICT=PASS"
    assert {name: row["value"] for name, row in rows.items()} == HEALTHY
    assert rows["fill_rate"]["series"] == 2 and rows["fees_sane"]["limit"] == [-0.5, 2.0]
    assert rows["no_firing_alerts"]["source"] == "alertmanager"
    assert len([line for line in lines if line.startswith("[OK] ")]) == len(RC_CHECKS)
    validate(prom, T_OK, "--am", alertmanager, out="again.json")
    assert (tmp_path / "rc.json").read_bytes() == (tmp_path / "again.json").read_bytes()


def test_bad_candidate_fails_every_check_with_its_value(prom: str, validate: Validate) -> None:
    code, rows, lines = validate(prom, T_BAD)
    assert code == 1 and lines[-1] == "VERDICT=FAIL"
    values = {name: row["value"] for name, row in rows.items()}
    assert values.pop("canary_metrics_healthy") > 0
    assert values == {name: v for name, v in BAD.items() if name != "canary_metrics_healthy"}
    expected = {name: "E_RC_THRESHOLD" for name in HEALTHY}
    assert _codes(rows) == {**expected, "no_firing_alerts": "E_RC_ALERTS_FIRING"}
    assert rows["no_firing_alerts"]["firing"] == ["StuckOrders"]  # pending is not firing
    assert rows["latency_slo"]["problem"] == (
        "E_RC_THRESHOLD: check=latency_slo query=latency_ms_p95_blue value=351.0 expected<=350"
    )
    assert len([line for line in lines if line.startswith("[FAIL] E_RC_")]) == len(RC_CHECKS)


def test_no_series_fails_every_query_check(prom: str, validate: Validate) -> None:
    code, rows, _ = validate(prom, T_EMPTY)
    assert code == 1
    assert _codes(rows) == {name: "E_RC_NO_DATA" for name in HEALTHY if name != "no_firing_alerts"}
    assert rows["no_firing_alerts"]["value"] == 0.0  # no ALERTS series: nothing fires


def test_unreachable_prometheus_fails_every_check(validate: Validate) -> None:
    code, rows, lines = validate(f"http://127.0.0.1:{_free_port()}", T_OK)
    assert code == 1 and lines[-1] == "VERDICT=FAIL"
    assert _codes(rows) == {name: "E_RC_QUERY" for name in HEALTHY}
    assert all(row["value"] is None for row in rows.values())


def test_a_limit_from_the_settings_file_is_applied(
    prom: str, validate: Validate, tmp_path: Path
) -> None:
    settings = tmp_path / "release.yaml"
    settings.write_text("rc:\n  limits:\n    latency_slo: 349\n    fees_sane: [-1, 3]\n")
    code, rows, _ = validate(prom, T_OK, "--settings", str(settings))
    assert code == 1 and _codes(rows) == {"latency_slo": "E_RC_THRESHOLD"}
    assert rows["latency_slo"]["limit"] == 349.0 and rows["fees_sane"]["limit"] == [-1.0, 3.0]


@NEEDS_ALERTMANAGER
def test_alertmanager_firing_alert_fails_and_a_silenced_one_does_not(
    prom: str, alertmanager: str, validate: Validate
) -> None:
    _post(f"{alertmanager}/api/v2/alerts", [
        {"labels": {"alertname": "StuckOrders", "severity": "page"}},
        {"labels": {"alertname": "CanaryGate", "severity": "page"}},
    ])  # fmt: skip
    now = datetime.now(UTC)
    _post(f"{alertmanager}/api/v2/silences", {
        "matchers": [{"name": "alertname", "value": "CanaryGate", "isRegex": False}],
        "startsAt": now.isoformat(), "endsAt": (now + timedelta(minutes=10)).isoformat(),
        "createdBy": "mm-bot", "comment": "promote",
    })  # fmt: skip
    code, rows, _ = validate(prom, T_OK, "--am", alertmanager)
    assert code == 1 and _codes(rows) == {"no_firing_alerts": "E_RC_ALERTS_FIRING"}
    assert rows["no_firing_alerts"]["firing"] == ["StuckOrders"]
    assert rows["no_firing_alerts"]["problem"] == (
        "E_RC_ALERTS_FIRING: check=no_firing_alerts firing=1 alerts=StuckOrders expected<=0"
    )


def test_unreachable_alertmanager_fails_the_alerts_check(prom: str, validate: Validate) -> None:
    code, rows, _ = validate(prom, T_OK, "--am", f"http://127.0.0.1:{_free_port()}")
    assert code == 1 and _codes(rows) == {"no_firing_alerts": "E_RC_ALERTMANAGER"}
