"""The daily soak report over soak.json/incidents.jsonl written as `mmbot soak run` writes them:
the day's sessions, the figures summed, lost sessions, the verdict, the bytes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from tests.unit.ops.ops_cli import ops_cli

from mmbot.artifacts import canonical_json_bytes, write_json
from mmbot.ops import OpsError, build_soak_report

DAY = "2026-01-01"


def _session(started_utc: str = f"{DAY}T01:00:00Z", *, state: str = "ended", fills: int = 100,
             notional_usd: float = 10_000.0, taker_notional_usd: float = 500.0,
             pnl_usd: float = 3.0, order_age_p95_ms: float = 200.0, window_s: float = 100.0,
             up_s: float = 100.0) -> dict[str, object]:  # fmt: skip
    running = {"mode": "live-sim", "started_utc": started_utc, "state": state, "window_s": window_s}
    if state == "running":
        return running
    return {
        **running,
        "ended_utc": started_utc,
        "figures": {"fees_usd": -0.5, "fills": fills, "net_bps": None, "notional_usd": notional_usd,
                    "order_age_p95_ms": order_age_p95_ms, "pnl_usd": pnl_usd,
                    "taker_notional_usd": taker_notional_usd, "taker_share_pct": None},
        "incidents": {"S0": 0, "S1": 0, "S2": 0, "S3": 0},
        "stop_reason": "window",
        "up_s": up_s,
        "uptime_pct": 100.0 * up_s / window_s,
    }  # fmt: skip


def _run(folder: Path, sessions: dict[int, dict[str, object]],
         incidents: Sequence[tuple[int, str, str, int]] = ()) -> Path:  # fmt: skip
    folder.mkdir(parents=True)
    write_json(folder / "soak.json", {"sessions": {str(k): v for k, v in sessions.items()}})
    lines = [
        {"code": code, "count": count, "detail": "d", "line": f"{sev} {code} count={count}: d",
         "session": session, "severity": sev}
        for session, sev, code, count in incidents
    ]  # fmt: skip
    (folder / "incidents.jsonl").write_bytes(b"".join(canonical_json_bytes(x) for x in lines))
    return folder


def test_report_sums_the_days_sessions_and_skips_other_days(tmp_path: Path) -> None:
    _run(tmp_path / "a", {0: _session(), 1: _session("2025-12-31T23:00:00Z", pnl_usd=-99.0)})
    _run(tmp_path / "deep" / "b", {0: _session(f"{DAY}T12:00:00Z", fills=50, notional_usd=5_000.0,
                                               taker_notional_usd=1_000.0, pnl_usd=1.5,
                                               order_age_p95_ms=250.0)})  # fmt: skip
    report = build_soak_report(tmp_path, DAY)
    figures = report["figures"]
    assert isinstance(figures, dict)
    sessions = report["sessions"]
    assert isinstance(sessions, list)
    assert [(s["run"], s["session"]) for s in sessions] == [("a", 0), ("deep/b", 0)]
    assert figures["fills"] == 150
    assert figures["net_bps"] == pytest.approx(1e4 * 4.5 / 15_000.0)
    assert figures["taker_share_pct"] == pytest.approx(100.0 * 1_500.0 / 15_000.0)
    assert figures["order_age_p95_ms"] == 250.0  # the day's worst session
    assert figures["uptime_pct"] == 100.0
    assert report["verdict"] == "OK" and report["reasons"] == []


def test_report_lost_session_fails_the_day_and_costs_uptime(tmp_path: Path) -> None:
    _run(tmp_path / "a", {0: _session(), 1: _session(f"{DAY}T02:00:00Z", state="running")})
    report = build_soak_report(tmp_path, DAY)
    figures = report["figures"]
    assert isinstance(figures, dict)
    assert figures["uptime_pct"] == 50.0
    assert figures["incidents_s0_s1"] == 1
    lost = report["incidents"]
    assert isinstance(lost, list)
    assert [(i["run"], i["session"], i["severity"], i["code"]) for i in lost] == [
        ("a", 1, "S1", "E_SOAK_RUN_LOST")
    ]
    assert report["verdict"] == "FAIL"
    assert report["reasons"] == ["FAIL incidents_s0_s1=1 expected<=0",
                                 "FAIL uptime_pct=50.000000 expected>=95.000000"]  # fmt: skip


def test_report_counts_only_the_days_sessions_incidents(tmp_path: Path) -> None:
    _run(tmp_path / "a", {0: _session(), 1: _session("2026-01-02T00:00:00Z")},
         [(0, "S2", "E_RISK_THROTTLE_ORDERS", 4), (1, "S0", "E_RISK_SKEW", 9)])  # fmt: skip
    report = build_soak_report(tmp_path, DAY)
    assert report["verdict"] == "WARN"
    assert report["reasons"] == ["WARN incidents_s2=4 expected<=0"]
    assert build_soak_report(tmp_path, "2026-01-02")["verdict"] == "FAIL"


def test_report_without_fills_warns_net_bps_not_measured(tmp_path: Path) -> None:
    _run(tmp_path / "a", {0: _session(fills=0, notional_usd=0.0, taker_notional_usd=0.0,
                                      pnl_usd=0.0, order_age_p95_ms=0.0)})  # fmt: skip
    report = build_soak_report(tmp_path, DAY)
    assert report["verdict"] == "WARN"
    assert report["reasons"] == ["WARN net_bps=n/a: not measured (no fills)",
                                 "WARN taker_share_pct=n/a: not measured (no fills)"]  # fmt: skip


def test_report_refuses_a_day_without_sessions(tmp_path: Path) -> None:
    _run(tmp_path / "a", {0: _session("2025-12-31T10:00:00Z")})
    with pytest.raises(OpsError) as refused:
        build_soak_report(tmp_path, DAY)
    assert refused.value.code == "E_SOAK_NO_RUNS"


def test_report_refuses_a_broken_soak_json(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "soak.json").write_text('{"runs": []}\n')
    with pytest.raises(OpsError) as refused:
        build_soak_report(tmp_path, DAY)
    assert refused.value.code == "E_SOAK_BAD_RUN"


def test_report_cli_writes_same_bytes_twice_and_exits_by_verdict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runs = tmp_path / "runs"
    _run(runs / "a", {0: _session()}, [(0, "S3", "E_VENUE_REJECTED", 2)])
    first, second = tmp_path / "one", tmp_path / "two"
    assert ops_cli("soak", "report", "--day", DAY, "--runs", str(runs), "--out", str(first)) == 0
    assert ops_cli("soak", "report", "--day", DAY, "--runs", str(runs), "--out", str(second)) == 0
    for name in ("soak_report.json", "SOAK_REPORT.md"):
        assert (first / name).read_bytes() == (second / name).read_bytes()
    assert capsys.readouterr().out.splitlines()[-1] == "VERDICT=OK"
    markdown = (first / "SOAK_REPORT.md").read_text()
    assert markdown.startswith(f"# Soak report {DAY}: VERDICT=OK\n")
    assert "- a#0 S3 E_VENUE_REJECTED count=2: d\n" in markdown
    assert json.loads((first / "soak_report.json").read_bytes())["day"] == DAY

    _run(runs / "b", {0: _session(pnl_usd=-5.0)})
    assert ops_cli("soak", "report", "--day", DAY, "--runs", str(runs), "--out", str(first)) == 1
    assert capsys.readouterr().out.splitlines()[-2:] == [
        "FAIL net_bps=-1.000000 expected>=2.500000",
        "VERDICT=FAIL",
    ]


def test_report_cli_refuses_a_malformed_day(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert ops_cli("soak", "report", "--day", "01/01/2026", "--runs", str(tmp_path)) == 2
    assert capsys.readouterr().err.startswith("E_CLI_USAGE: --day value=01/01/2026")
