"""Soak end to end: `mmbot soak run` over a small fixture at high speed records each session's
figures and incidents, and `mmbot soak report` judges the day OK, WARN or FAIL.

Data: `mmbot data synth --preset fixture_alt --seed 7 --events 40000` (two minutes of data);
config: the PASS fixture (configs/fixtures/backtest_pass.yaml), with one risk setting changed
per verdict: a throttle (S2: WARN), a skew limit under the position it reaches (S0: FAIL), a
kill-switch file present from the start (S1: FAIL). A session runs 0.1 wall seconds at speed
1000: a 100-second window.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from _cli import REPO_ROOT, clean_env, mmbot
from tests.unit.ops.ops_cli import ops_cli

FIXTURE_CONFIG = REPO_ROOT / "configs" / "fixtures" / "backtest_pass.yaml"
WINDOW = ("--speed", "1000", "--duration-s", "0.1")


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("soak_data") / "alt.parquet"
    made = mmbot("data", "synth", "--preset", "fixture_alt", "--seed", "7", "--events", "40000",
                 "--out", str(path))  # fmt: skip
    assert made.returncode == 0, made.stderr
    return path


def _config(folder: Path, **risk: object) -> Path:
    """Write the PASS fixture with risk settings replaced; return its path."""
    config = yaml.safe_load(FIXTURE_CONFIG.read_text())
    config["risk"].update(risk)
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _soak(data: Path, config: Path, out: Path, *options: str) -> int:
    quiet = ("--quiet", "--metrics-port", "-1")
    return ops_cli("soak", "run", "--mode", "live-sim", "--data", str(data), "-c", str(config),
                   "--out", str(out), *quiet, *WINDOW, *options)  # fmt: skip


def _sessions(out: Path) -> dict[str, Any]:
    return dict(json.loads((out / "soak.json").read_bytes())["sessions"])


def _day(out: Path) -> str:
    return str(_sessions(out)["0"]["started_utc"])[:10]


def _incidents(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "incidents.jsonl").read_text().splitlines()]


def test_soak_clean_session_is_an_ok_day_and_the_report_repeats(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "runs" / "clean"
    assert _soak(data, _config(tmp_path), out) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[-1].startswith("RESULT=OK session=0 stop=window uptime_pct=100.000000 S0=0 S1=0")
    session = _sessions(out)["0"]
    assert (session["state"], session["mode"], session["window_s"]) == ("ended", "live-sim", 100.0)
    assert session["decisions"] == 2000  # 100 s of 50 ms decisions
    assert session["figures"]["fills"] > 100
    assert {i["severity"] for i in _incidents(out)} <= {"S3"}
    assert (out / "live_sim.json").is_file() and (out / "journal.jsonl").is_file()

    first, second = tmp_path / "one", tmp_path / "two"
    for report_out in (first, second):
        assert ops_cli("soak", "report", "--day", _day(out), "--runs", str(tmp_path / "runs"),
                       "--out", str(report_out)) == 0  # fmt: skip
    assert capsys.readouterr().out.splitlines()[-1] == "VERDICT=OK"
    for name in ("soak_report.json", "SOAK_REPORT.md"):
        assert (first / name).read_bytes() == (second / name).read_bytes()


KILL_FILE = "<tmp>/KILL"  # replaced by a file of the test's own folder, present from the start


@pytest.mark.parametrize(
    ("risk", "incident", "run_exit", "verdict", "reason"),
    [
        ({"orders_per_s": 20.0, "orders_burst": 2}, ("S2", "E_RISK_THROTTLE_ORDERS"), 0, "WARN",
         "WARN incidents_s2="),
        ({"max_skew_usd": 30.0}, ("S0", "E_RISK_SKEW"), 1, "FAIL", "FAIL incidents_s0_s1="),
        ({"kill_switch_file": KILL_FILE}, ("S1", "E_RISK_KILL_SWITCH"), 1, "FAIL",
         "FAIL incidents_s0_s1=1 expected<=0"),
    ],
    ids=["throttle-warn", "skew-breach-fail", "kill-switch-fail"],
)  # fmt: skip
def test_soak_incident_class_drives_the_days_verdict(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], risk: dict[str, object],
    incident: tuple[str, str], run_exit: int, verdict: str, reason: str,
) -> None:  # fmt: skip
    if risk.get("kill_switch_file") == KILL_FILE:
        risk = {"kill_switch_file": str(tmp_path / "KILL")}
        (tmp_path / "KILL").touch()
    out = tmp_path / "runs" / "a"
    assert _soak(data, _config(tmp_path, **risk), out) == run_exit
    assert incident in {(i["severity"], i["code"]) for i in _incidents(out)}
    capsys.readouterr()
    exit_code = ops_cli("soak", "report", "--day", _day(out), "--runs", str(tmp_path / "runs"),
                        "--out", str(tmp_path / "report"))  # fmt: skip
    lines = capsys.readouterr().out.splitlines()
    assert (exit_code, lines[-1]) == ({"WARN": 0, "FAIL": 1}[verdict], f"VERDICT={verdict}")
    assert any(line.startswith(reason) for line in lines)


def test_soak_rerun_into_the_same_out_keeps_each_sessions_record(
    data: Path, tmp_path: Path
) -> None:
    out, config = tmp_path / "runs" / "a", _config(tmp_path)
    assert _soak(data, config, out) == 0
    assert _soak(data, config, out) == 0
    sessions = _sessions(out)
    assert sorted(sessions) == ["0", "1"]
    assert sessions["0"]["figures"] == sessions["1"]["figures"]  # same replay, same window
    assert {i["session"] for i in _incidents(out)} == {0, 1}


def test_soak_shadow_over_a_replay_records_paper_figures(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "shadow"
    assert ops_cli("soak", "run", "--mode", "shadow", "--data", str(data), "-c",
                   str(_config(tmp_path)), "--out", str(out), "--quiet", "--metrics-port", "-1",
                   *WINDOW) == 0  # fmt: skip
    session = _sessions(out)["0"]
    assert (session["mode"], session["state"], session["uptime_pct"]) == ("shadow", "ended", 100.0)
    assert (out / "shadow.json").is_file()


def test_soak_killed_session_is_lost_and_fails_the_day(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "runs" / "killed"
    command = [
        sys.executable, "-c",
        "import sys; from tests.unit.ops.ops_cli import ops_cli; sys.exit(ops_cli(*sys.argv[1:]))",
        "soak", "run", "--mode", "live-sim", "--data", str(data), "-c", str(_config(tmp_path)),
        "--out", str(out), "--quiet", "--metrics-port", "-1", "--speed", "1", "--duration-s", "60",
    ]  # fmt: skip
    with subprocess.Popen(
        command, cwd=REPO_ROOT, env=clean_env(), stdout=subprocess.PIPE, text=True
    ) as bot:
        assert bot.stdout is not None
        assert bot.stdout.readline().startswith("RUNNING mode=live-sim")
        bot.send_signal(signal.SIGKILL)
    assert _sessions(out)["0"]["state"] == "running"
    report = tmp_path / "report"
    assert ops_cli("soak", "report", "--day", _day(out), "--runs", str(tmp_path / "runs"),
                   "--out", str(report)) == 1  # fmt: skip
    document = json.loads((report / "soak_report.json").read_bytes())
    assert [(i["code"], i["severity"]) for i in document["incidents"]] == [
        ("E_SOAK_RUN_LOST", "S1")
    ]
    assert document["figures"]["uptime_pct"] == 0.0


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (("--mode", "canary", "--data", "x.parquet"),
         "E_CLI_USAGE: soak --mode canary expected --venue"),
        (("--mode", "live-sim"), "E_CLI_USAGE: soak --mode live-sim expected --data"),
        (("--mode", "live-sim", "--data", "x.parquet", "--speed", "max"),
         "E_CLI_USAGE: --duration-s needs"),
    ],
)  # fmt: skip
def test_soak_run_refuses_bad_usage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], options: tuple[str, ...], expected: str
) -> None:
    exit_code = ops_cli("soak", "run", *options, "--duration-s", "1", "--out", str(tmp_path / "o"))
    assert exit_code == 2
    assert capsys.readouterr().err.startswith(expected)
    assert not (tmp_path / "o").exists()
