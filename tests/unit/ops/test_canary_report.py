"""REPORT_CANARY.md: each health check fails when its series says so, from metrics.prom or
metrics.json; the edge audit and canary.json are summarised; the same run gives the same bytes."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.unit.ops.ops_cli import ops_cli

from mmbot.artifacts import write_json
from mmbot.core.errors import AuditError
from mmbot.ops import canary_checks, read_run_metrics, render_canary_report

LEG = "strategy=fixed_spread,symbol=ALT-USD"
HEALTHY: dict[str, object] = {
    "pos_skew_breach_total": {"symbol=ALT-USD": 0},
    "intraday_caps_breached": {"symbol=ALT-USD": 0},
    "kill_switch_active": {"symbol=ALT-USD": 0},
    "canary_gate_open": 1,
    "order_age_ms_count": {LEG: 12},
    "order_age_ms_bucket": {f"le=5000.0,{LEG}": 12, f"le=+Inf,{LEG}": 12},
    "working_order_age_max_ms": {LEG: 120.0},
    "quotes_placed_total": {LEG: 12},
    "cost_fillrate_ewma": {LEG: 0.2},
    "latency_ms_p95_blue": 20.0,
    "portfolio_budget_available_usd": 1000.0,
}
PROM_TEXT = """\
pos_skew_breach_total{symbol="ALT-USD"} 0.0
intraday_caps_breached{symbol="ALT-USD"} 0.0
kill_switch_active{symbol="ALT-USD"} 0.0
canary_gate_open 1.0
order_age_ms_bucket{le="5000.0",strategy="fixed_spread",symbol="ALT-USD"} 12.0
order_age_ms_count{strategy="fixed_spread",symbol="ALT-USD"} 12.0
working_order_age_max_ms{strategy="fixed_spread",symbol="ALT-USD"} 120.0
quotes_placed_total{strategy="fixed_spread",symbol="ALT-USD"} 12.0
cost_fillrate_ewma{strategy="fixed_spread",symbol="ALT-USD"} 0.2
latency_ms_p95_green 400.0
portfolio_budget_available_usd 1000.0
"""


def _statuses(metrics: dict[str, object]) -> dict[str, str]:
    return {check.step: check.status for check in canary_checks(metrics)}


def test_checks_of_a_healthy_run_all_pass() -> None:
    assert set(_statuses(HEALTHY).values()) == {"OK"}


@pytest.mark.parametrize(
    ("name", "value", "step"),
    [
        ("pos_skew_breach_total", {"symbol=ALT-USD": 1}, "Canary metrics healthy"),
        ("intraday_caps_breached", {"symbol=ALT-USD": 1}, "Caps inactive"),
        ("kill_switch_active", {"symbol=ALT-USD": 1}, "Kill switch off"),
        ("canary_gate_open", 0, "Canary gate open"),
        ("order_age_ms_count", {LEG: 13}, "Orders not stuck"),
        ("working_order_age_max_ms", {LEG: 5001.0}, "No order resting too long"),
        ("cost_fillrate_ewma", {LEG: 0.04}, "Fill-rate OK"),
        ("latency_ms_p95_blue", 351.0, "Latency SLO"),
        ("portfolio_budget_available_usd", 0.0, "Budget available"),
    ],
)
def test_check_fails_on_its_bad_value(name: str, value: object, step: str) -> None:
    statuses = _statuses({**HEALTHY, name: value})
    assert {s: status for s, status in statuses.items() if status != "OK"} == {step: "FAIL"}


def test_missing_series_fails_and_fill_rate_needs_quotes() -> None:
    missing = {k: v for k, v in HEALTHY.items() if k != "latency_ms_p95_blue"}
    assert _statuses(missing)["Latency SLO"] == "FAIL"
    quiet = {**HEALTHY, "quotes_placed_total": {LEG: 0}, "cost_fillrate_ewma": {LEG: 0.0}}
    assert _statuses(quiet)["Fill-rate OK"] == "N/A"


def test_run_metrics_from_prom_text_else_metrics_json(tmp_path: Path) -> None:
    (tmp_path / "metrics.prom").write_text(PROM_TEXT)
    from_prom = read_run_metrics(tmp_path)
    assert _statuses(dict(from_prom))["Latency SLO"] == "FAIL"  # the green colour at 400 ms
    (tmp_path / "metrics.prom").unlink()
    write_json(tmp_path / "metrics.json", {"metrics": HEALTHY, "runtime": {}})
    assert read_run_metrics(tmp_path) == HEALTHY
    (tmp_path / "metrics.json").unlink()
    with pytest.raises(AuditError) as missing:
        read_run_metrics(tmp_path)
    assert missing.value.code == "E_AUDIT_MISSING_FILE"


def test_report_summarises_audit_and_canary_json(tmp_path: Path) -> None:
    write_json(tmp_path / "metrics.json", {"metrics": HEALTHY})
    write_json(tmp_path / "edge_audit.json", {
        "bottleneck": {"bps": -0.25, "component": "adverse", "usd": -1.0},
        "markouts_bps": {"100ms": 1.5},
        "totals": {"bps": {"fees": -0.5}, "fills": 12, "net_bps": 3.25, "notional_usd": 400.0},
    })  # fmt: skip
    write_json(tmp_path / "canary.json", {
        "canary_refused_total": {"gate_closed": 3, "max_order_lots": 0},
        "ledger": {"fills": 12, "pnl_usd": 0.13},
        "live": {"decisions": 50, "stop_reason": "signal:SIGTERM", "working_orders_left": 0},
        "mode": "canary",
        "venue": {"blocked_decisions": 0, "latched_stop": ""},
    })  # fmt: skip
    text, passed = render_canary_report(tmp_path)
    assert passed
    assert text.startswith("# Canary report: RESULT=OK\n")
    for line in ("- bottleneck: adverse -0.250000 bps", "- net_bps: 3.250000",
                 "- components_bps: fees=-0.500000", "- markouts_bps: 100ms=1.500000",
                 "- stop_reason: signal:SIGTERM", "- refused: gate_closed=3, max_order_lots=0",
                 "- ledger: fills=12, pnl_usd=0.130000",
                 "- venue: blocked_decisions=0, latched_stop=-"):  # fmt: skip
        assert f"\n{line}\n" in text


def test_report_cli_writes_and_exits_1_on_a_failed_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run, out = tmp_path / "run", tmp_path / "REPORT_CANARY.md"
    write_json(run / "metrics.json", {"metrics": {**HEALTHY, "canary_gate_open": 0}})
    assert ops_cli("canary", "report", "--run", str(run), "--out", str(out)) == 1
    assert capsys.readouterr().out.splitlines()[-1] == f"RESULT=FAIL report={out}"
    first = out.read_bytes()
    assert b"| Canary gate open | min(canary_gate_open) | 0 | == 1 | FAIL |\n" in first
    assert b"- none: no edge_audit.json in the run directory" in first
    assert ops_cli("canary", "report", "--run", str(run), "--out", str(out)) == 1
    assert out.read_bytes() == first
