"""go-nogo: GO when every report is present, fresh and within thresholds and the goldens are
unchanged; one NO-GO line per cause otherwise, VERDICT last, exit 1."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.unit.release._release_cli import run_release

from mmbot.config import load_config
from mmbot.release import REPORTS, Context, run_go_nogo, verdict_lines
from mmbot.release.checks import CheckResult
from mmbot.release.goldens import golden_problems
from mmbot.release.settings import GoNogoSettings

REPO_ROOT = Path(__file__).resolve().parents[3]
GOLDEN = REPO_ROOT / "tests" / "golden"
CONFIG = REPO_ROOT / "configs" / "fixtures" / "backtest_pass.yaml"
HOUR_NS = 3600 * 1_000_000_000
COPIED = {
    "backtest/backtest.json": "backtest_fixture_pass.json",
    "backtest/edge_audit.json": "edge_audit_case1.json",
    "live_sim/live_sim.json": "live_sim_case1.json",
    "latency_e2e.out": "latency_queue_case1.out",
}
WRITTEN: dict[str, Any] = {
    "soak_report.json": {"day": "2026-01-01", "reasons": [], "verdict": "OK"},
    "regions/REGION_COMPARE.json": {"winner": "eu-central"},
    "rc_validator.json": {"failing": [], "verdict": "PASS"},
    "metrics.json": {
        "metrics": {
            "intraday_caps_breached": {"symbol=BTC": 0},
            "kill_switch_active": {"symbol=BTC": 0},
            "pos_skew_breach_total": {"symbol=BTC": 0},
            "quotes_placed_total": {"strategy=glft,symbol=BTC": 40},
        },
        "runtime": {"utc": "2026-01-01T00:00:00Z", "version": "0.1.0"},
    },
}
GOLDEN_NAMES = ("a.out", "b.json")


@pytest.fixture
def now_ns() -> int:
    return time.time_ns()


@pytest.fixture
def folder(tmp_path: Path, now_ns: int) -> Path:
    """Return an artifacts folder where every report passes, written an hour ago."""
    folder = tmp_path / "artifacts"
    for subfolder in ("backtest", "live_sim", "regions"):
        (folder / subfolder).mkdir(parents=True)
    for name, golden in COPIED.items():
        shutil.copy(GOLDEN / golden, folder / name)
    for name, payload in WRITTEN.items():
        (folder / name).write_text(json.dumps(payload, sort_keys=True) + "\n")
    for name in [*COPIED, *WRITTEN]:
        _age(folder / name, now_ns, hours=1)
    return folder


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """Return a checkout with the manifest tool and two goldens that match their MANIFEST."""
    repo = tmp_path / "repo"
    (repo / "tools").mkdir(parents=True)
    shutil.copy(REPO_ROOT / "tools" / "golden_manifest.py", repo / "tools")
    golden_dir = repo / "tests" / "golden"
    golden_dir.mkdir(parents=True)
    lines = []
    for name in GOLDEN_NAMES:
        (golden_dir / name).write_text(f"{name}\n")
        sha256 = hashlib.sha256(f"{name}\n".encode()).hexdigest()
        lines.append(f"{sha256}  {name}  make golden\n")
    (golden_dir / "MANIFEST").write_text("".join(lines))
    return repo


def _age(path: Path, now_ns: int, hours: float) -> None:
    mtime_ns = now_ns - int(hours * HOUR_NS)
    os.utime(path, ns=(mtime_ns, mtime_ns))


def _context(**settings: Any) -> Context:
    return Context(load_config(CONFIG, {}), GoNogoSettings(**settings))


def _no_go(results: list[CheckResult]) -> dict[str, str]:
    return {result.name: str(result.problem) for result in results if result.problem is not None}


def test_go_when_every_report_passes(folder: Path, repo: Path, now_ns: int) -> None:
    results = run_go_nogo(folder, repo, now_ns, _context())
    assert _no_go(results) == {}
    assert [result.name for result in results] == [spec.name for spec in REPORTS] + ["goldens"]
    assert verdict_lines(results)[-1] == "VERDICT=GO"


def test_go_nogo_command_prints_go_last_and_exits_0(
    folder: Path, repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("--artifacts", str(folder), "--repo", str(repo), "-c", str(CONFIG))
    assert run_release("go-nogo", *args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == "VERDICT=GO"
    assert all(line.startswith("[OK] ") for line in lines[:-1]) and len(lines) == len(REPORTS) + 2


REQUIRED = [spec for spec in REPORTS if spec.name != "latency_e2e"]


@pytest.mark.parametrize("spec", REQUIRED, ids=[spec.name for spec in REQUIRED])
def test_a_missing_report_is_no_go(folder: Path, repo: Path, now_ns: int, spec: Any) -> None:
    (folder / spec.file).unlink()
    no_go = _no_go(run_go_nogo(folder, repo, now_ns, _context()))
    assert no_go == {spec.name: f"E_REPORT_MISSING: file={folder / spec.file} does not exist"}


def test_optional_reports_may_be_absent_unless_required(
    folder: Path, repo: Path, now_ns: int
) -> None:
    (folder / "latency_e2e.out").unlink()
    (folder / "soak_report.json").unlink()
    settings = {"optional": ("latency_e2e", "soak")}
    assert _no_go(run_go_nogo(folder, repo, now_ns, _context(**settings))) == {}
    no_go = _no_go(run_go_nogo(folder, repo, now_ns, _context(optional=())))
    assert sorted(no_go) == ["latency_e2e", "soak"]
    assert all(line.startswith("E_REPORT_MISSING:") for line in no_go.values())


@pytest.mark.parametrize("spec", REPORTS, ids=[spec.name for spec in REPORTS])
def test_a_stale_report_is_no_go(folder: Path, repo: Path, now_ns: int, spec: Any) -> None:
    _age(folder / spec.file, now_ns, hours=25)
    no_go = _no_go(run_go_nogo(folder, repo, now_ns, _context()))
    assert list(no_go) == [spec.name]
    assert no_go[spec.name] == f"E_REPORT_STALE: file={folder / spec.file} age_h=25.0 expected<=24"
    longer = {"max_age_h_by_report": {spec.name: 48.0}}
    assert _no_go(run_go_nogo(folder, repo, now_ns, _context(**longer))) == {}


def _json_edit(change: Callable[[Any], None]) -> Callable[[Path], None]:
    def edit(path: Path) -> None:
        document = json.loads(path.read_text())
        change(document)
        path.write_text(json.dumps(document, sort_keys=True) + "\n")

    return edit


def _latency_edit(policy: str, key: str, value: str) -> Callable[[Path], None]:
    def edit(path: Path) -> None:
        lines = []
        for line in path.read_text().splitlines():
            fields = dict(field.split("=", 1) for field in line.split())
            if fields["policy"] == policy:
                fields[key] = value
            lines.append(" ".join(f"{k}={v}" for k, v in fields.items()))
        path.write_text("\n".join(lines) + "\n")

    return edit


def _set(*keys_and_value: Any) -> Callable[[Any], None]:
    *keys, value = keys_and_value

    def change(document: Any) -> None:
        for key in keys[:-1]:
            document = document[key]
        document[keys[-1]] = value

    return change


THRESHOLD_CASES = {
    "backtest verdict": (
        "backtest/backtest.json",
        _json_edit(_set("verdict", "FAIL")),
        ["verdict=FAIL"],
    ),
    "backtest figure under today's bar": (
        "backtest/backtest.json",
        _json_edit(_set("figures", "net_bps", 2.0)),
        ["verdict_now=FAIL", "net_bps=2.000000 >= 2.500000 fails"],
    ),
    "live-sim too few fills": (
        "live_sim/live_sim.json",
        _json_edit(_set("figures", "fills", 10)),
        ["verdict_now=INSUFFICIENT"],
    ),
    "edge audit net": (
        "backtest/edge_audit.json",
        _json_edit(_set("totals", "net_bps", 1.0)),
        ["net_bps=1.000000 expected>=2.5"],
    ),
    "edge audit fills": (
        "backtest/edge_audit.json",
        _json_edit(_set("totals", "fills", 10)),
        ["fills=10 expected>=100"],
    ),
    "latency over the SLO": (
        "latency_e2e.out",
        _latency_edit("after", "p95_time_to_fill_ms", "400.0"),
        ["p95_after_ms=400.000000 expected<=350", "p95_after_ms=400.000000 expected<=278.471456"],
    ),
    "latency worse than before": (
        "latency_e2e.out",
        _latency_edit("after", "p95_time_to_fill_ms", "300.0"),
        ["p95_after_ms=300.000000 expected<=278.471456"],
    ),
    "latency fill rate": (
        "latency_e2e.out",
        _latency_edit("after", "fill_rate", "0.2"),
        ["fill_rate_after=0.200000 expected>=0.245679"],
    ),
    "latency replaces": (
        "latency_e2e.out",
        _latency_edit("after", "replace_allowed", "9540"),
        ["replace_allowed=9540 expected<9540 (replace_attempts)"],
    ),
    "soak warn": (
        "soak_report.json",
        _json_edit(_set("verdict", "WARN")),
        ["verdict=WARN"],
    ),
    "no region won": (
        "regions/REGION_COMPARE.json",
        _json_edit(_set("winner", None)),
        ["winner=null: no region is eligible"],
    ),
    "rc failed": (
        "rc_validator.json",
        _json_edit(lambda d: d.update(verdict="FAIL", failing=["latency_slo", "fill_rate"])),
        ["verdict=FAIL failing=latency_slo,fill_rate"],
    ),
    "position breached": (
        "metrics.json",
        _json_edit(_set("metrics", "pos_skew_breach_total", "symbol=BTC", 2)),
        ["pos_skew_breach_total{symbol=BTC}=2 expected=0"],
    ),
    "book cap latched": (
        "metrics.json",
        _json_edit(_set("metrics", "book_caps_breached", 1)),
        ["book_caps_breached{}=1 expected=0"],
    ),
}


@pytest.mark.parametrize("case", list(THRESHOLD_CASES))
def test_a_report_outside_thresholds_is_no_go(
    folder: Path, repo: Path, now_ns: int, case: str
) -> None:
    name, edit, expected = THRESHOLD_CASES[case]
    edit(folder / name)
    no_go = _no_go(run_go_nogo(folder, repo, now_ns, _context()))
    assert len(no_go) == 1
    [line] = no_go.values()
    assert line.startswith(f"E_REPORT_THRESHOLD: file={folder / name} ")
    assert line.removeprefix(f"E_REPORT_THRESHOLD: file={folder / name} ").split("; ") == expected


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("backtest/backtest.json", "{not json\n"),
        ("soak_report.json", '{"day": "2026-01-01"}\n'),
        ("latency_e2e.out", "policy=after p95_time_to_fill_ms=1.0\n"),
    ],
)
def test_an_unreadable_report_is_no_go(
    folder: Path, repo: Path, now_ns: int, name: str, text: str
) -> None:
    (folder / name).write_text(text)
    no_go = _no_go(run_go_nogo(folder, repo, now_ns, _context()))
    assert len(no_go) == 1
    assert next(iter(no_go.values())).startswith(f"E_REPORT_BAD: file={folder / name} unreadable:")


def test_a_changed_golden_is_no_go(folder: Path, repo: Path, now_ns: int) -> None:
    (repo / "tests" / "golden" / "b.json").write_text("changed\n")
    changed = hashlib.sha256(b"changed\n").hexdigest()
    no_go = _no_go(run_go_nogo(folder, repo, now_ns, _context()))
    assert list(no_go) == ["goldens"]
    assert no_go["goldens"].startswith(f"E_GOLDEN_MISMATCH: b.json has sha256 {changed}, ")


def test_goldens_unchecked_without_the_manifest_tool_is_no_go(
    folder: Path, repo: Path, now_ns: int
) -> None:
    (repo / "tools" / "golden_manifest.py").unlink()
    assert _no_go(run_go_nogo(folder, repo, now_ns, _context())) == {
        "goldens": f"E_GONOGO_GOLDENS: file={repo / 'tools' / 'golden_manifest.py'} missing: "
        "goldens unchecked"
    }


def test_go_nogo_command_prints_one_no_go_line_per_cause_and_exits_1(
    folder: Path, repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / "metrics.json").unlink()
    _json_edit(_set("verdict", "FAIL"))(folder / "rc_validator.json")
    (repo / "tests" / "golden" / "a.out").unlink()
    args = ("--artifacts", str(folder), "--repo", str(repo), "-c", str(CONFIG))
    assert run_release("go-nogo", *args) == 1
    lines = capsys.readouterr().out.splitlines()
    no_go = [line for line in lines if line.startswith("NO-GO: ")]
    assert [line.split(":")[1].strip() for line in no_go] == [
        "E_REPORT_THRESHOLD", "E_REPORT_MISSING", "E_GOLDEN_MISSING"
    ]  # fmt: skip
    assert lines[-1] == "VERDICT=NO-GO"


def test_the_repo_goldens_match_their_manifest() -> None:
    assert golden_problems(REPO_ROOT) == []
