"""`mmbot region compare|switch|rollout` end to end on the region fixture (real live-sim and
shadow runs, tests/unit/regions/region_runs.py): deterministic compare, the winner rules, the
switch dry run and its no-op apply, every rollout check blocking, apply journaling exactly the
plan printed, and no file touched without --apply.

The CLI runs in this process (tests/cli_runner.py) but once, in a fresh interpreter, to show
two processes write the same bytes. Every command pins its clock with --at.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from _cli import mmbot
from tests.cli_runner import run_cli
from tests.unit.regions.region_runs import REGIONS_CONFIG, WINNER, copy_runs, make_region_runs

from mmbot.regions import COMPARE_JSON, COMPARE_MD, JOURNAL_FILE, NO_WINNER_NOTE, STATE_FILE

MON_07 = "2026-01-05T07:00:00Z"  # the compare's time; the window is mon-thu 06-10 UTC
MON_08 = "2026-01-05T08:00:00Z"
RUNNER_UP = "ap-southeast-1"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_region_runs(tmp_path_factory.mktemp("region_fixture"))


@pytest.fixture(autouse=True)
def _environment(cli_env: pytest.MonkeyPatch) -> None:
    """Run every command as _cli.mmbot would: clean MM_* environment, repo root as cwd."""


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str], str]:
    code = run_cli("region", *args)
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err


def _compare(capsys: pytest.CaptureFixture[str], runs: Path, out: Path, at: str = MON_07,
             config: Path = REGIONS_CONFIG) -> list[str]:  # fmt: skip
    code, lines, err = _cli(capsys, "compare", "--runs", str(runs), "--config", str(config),
                            "--out", str(out), "--at", at)  # fmt: skip
    assert code == 0, err
    return lines


def _rollout(capsys: pytest.CaptureFixture[str], root: Path, at: str, *options: str,
             config: Path = REGIONS_CONFIG) -> tuple[int, list[str], str]:  # fmt: skip
    return _cli(capsys, "rollout", "--config", str(config), "--compare",
                str(root / "compare" / COMPARE_JSON), "--state-dir", str(root / "state"),
                "--at", at, *options)  # fmt: skip


def _tree(root: Path) -> dict[str, bytes | None]:
    """Return every path under root with its bytes (None for a folder)."""
    return {str(path.relative_to(root)): path.read_bytes() if path.is_file() else None
            for path in sorted(root.rglob("*"))}  # fmt: skip


def _checks(lines: list[str]) -> dict[str, str]:
    names = ("compare_present", "compare_fresh", "compare_deterministic", "winner_is_target",
             "target_enabled", "target_not_active", "window_ok", "cooldown_ok")  # fmt: skip
    return {k: v for k, _, v in (line.partition("=") for line in lines) if k in names}


def _false(lines: list[str]) -> list[str]:
    return [name for name, value in _checks(lines).items() if value == "false"]


def _plan_json(lines: list[str]) -> str:
    (line,) = [line for line in lines if line.startswith("{")]
    return line


def _variant(root: Path, **changes: object) -> Path:
    """Write the fixture config with top-level changes or a region disabled; return it."""
    document = yaml.safe_load(REGIONS_CONFIG.read_text())
    disabled = changes.pop("disable", None)
    for region in document["regions"]:
        region["enabled"] = region["enabled"] and region["name"] != disabled
    document.update(changes)
    path = root / "regions_variant.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def test_region_compare_deterministic_bytes_across_runs_and_processes(
    runs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = _compare(capsys, runs, tmp_path / "one")
    assert lines[-2:] == [f"WINNER={WINNER}", "RESULT=OK"]
    _compare(capsys, runs, tmp_path / "two")
    fresh = mmbot("region", "compare", "--runs", str(runs), "--config", str(REGIONS_CONFIG),
                  "--out", str(tmp_path / "three"), "--at", MON_07)  # fmt: skip
    assert fresh.returncode == 0, fresh.stderr
    for name in (COMPARE_JSON, COMPARE_MD):
        expected = (tmp_path / "one" / name).read_bytes()
        assert (tmp_path / "two" / name).read_bytes() == expected
        assert (tmp_path / "three" / name).read_bytes() == expected
    markdown = (tmp_path / "one" / COMPARE_MD).read_text()
    assert markdown.startswith(f"# Region compare: WINNER={WINNER}\n")
    assert "- us-east-1: not eligible: disabled\n" in markdown


def test_region_compare_tie_on_net_bps_goes_to_lower_latency(
    runs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = yaml.safe_load(REGIONS_CONFIG.read_text())
    twins = [dict(document["regions"][0], name=name) for name in ("tie-a", "tie-b")]
    config = tmp_path / "twins.yaml"
    config.write_text(yaml.safe_dump({**document, "regions": twins}))
    copy_runs(runs, tmp_path / "runs", {"tie-a": RUNNER_UP, "tie-b": RUNNER_UP})
    prom = tmp_path / "runs" / "tie-b" / "metrics.prom"
    text = prom.read_text()
    assert "latency_ms_p95_blue 20.0\n" in text
    prom.write_text(text.replace("latency_ms_p95_blue 20.0\n", "latency_ms_p95_blue 19.0\n"))
    lines = _compare(capsys, tmp_path / "runs", tmp_path / "out", config=config)
    assert "WINNER=tie-b" in lines
    markdown = (tmp_path / "out" / COMPARE_MD).read_text()
    assert "- Winner: tie-b: net_bps tied with tie-a; the lower latency_p95_ms" in markdown


def test_region_compare_no_eligible_region_no_winner_stated(
    runs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    thresholds = yaml.safe_load(REGIONS_CONFIG.read_text())["thresholds"]
    config = _variant(tmp_path, thresholds={**thresholds, "min_net_bps": 50.0})
    lines = _compare(capsys, runs, tmp_path / "out", config=config)
    assert lines[-2:] == ["WINNER=none", "RESULT=OK"]
    assert b'"winner":null' in (tmp_path / "out" / COMPARE_JSON).read_bytes()
    assert f"- Winner: {NO_WINNER_NOTE}\n" in (tmp_path / "out" / COMPARE_MD).read_text()


def test_region_switch_dry_run_plan_and_noop_apply_write_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _tree(tmp_path)
    args = ("switch", "--to", RUNNER_UP, "--config", str(REGIONS_CONFIG),
            "--state-dir", str(tmp_path / "state"), "--at", MON_07)  # fmt: skip
    code, lines, _ = _cli(capsys, *args)
    assert code == 0
    assert lines[:9] == [
        "action=switch", "from=none", f"to={RUNNER_UP}", "to_endpoint=wss://fstream.binance.com/ws",
        f"now_utc={MON_07}", "window=mon,tue,wed,thu@06-10Z", f"step1=start-canary:{RUNNER_UP}",
        f"step2=verify-canary:{RUNNER_UP}", f"step3=move-quoting:none->{RUNNER_UP}",
    ]  # fmt: skip
    assert _checks(lines) == dict.fromkeys(
        ("target_enabled", "target_not_active", "window_ok", "cooldown_ok"), "true"
    )
    assert lines[-1] == "PLAN=OK" and lines[-2].startswith('{"action":"switch",')
    code, applied, _ = _cli(capsys, *args, "--apply")
    assert code == 0
    assert applied[: len(lines)] == lines
    assert applied[-1].startswith("APPLY=noop reason=")
    assert _tree(tmp_path) == before


def test_region_switch_disabled_blocked_and_unknown_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ("--config", str(REGIONS_CONFIG), "--state-dir", str(tmp_path), "--at", MON_07)
    code, lines, _ = _cli(capsys, "switch", "--to", "us-east-1", *common)
    assert (code, _false(lines), lines[-1]) == (1, ["target_enabled"], "PLAN=BLOCKED")
    code, lines, err = _cli(capsys, "switch", "--to", "mars-1", *common)
    assert code == 2 and lines == []
    assert err.startswith("E_REGION_UNKNOWN: key=--to value=mars-1 expected=one of ap-northeast-1,")


def test_region_rollout_plan_dry_run_has_no_side_effects(
    runs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _compare(capsys, runs, tmp_path / "compare")
    before = _tree(tmp_path)
    code, lines, _ = _rollout(capsys, tmp_path, MON_08, "--plan")  # --to: the winner
    assert code == 0, lines
    assert f"to={WINNER}" in lines and lines[-1] == "PLAN=OK"
    assert set(_checks(lines).values()) == {"true"} and len(_checks(lines)) == 8
    assert _tree(tmp_path) == before
    assert not (tmp_path / "state").exists()


def test_region_rollout_apply_journals_the_printed_plan_then_cooldown_blocks(
    runs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _compare(capsys, runs, tmp_path / "compare")
    code, lines, _ = _rollout(capsys, tmp_path, MON_08, "--plan", "--apply")
    assert code == 0, lines
    assert lines[-2] == "PLAN=OK" and lines[-1].startswith("APPLY=done journal=")
    journal = (tmp_path / "state" / JOURNAL_FILE).read_bytes()
    assert journal == b'{"plan":' + _plan_json(lines).encode() + b',"result":"applied"}\n'
    state = (tmp_path / "state" / STATE_FILE).read_text()
    assert f'"region":"{WINNER}"' in state and f'"since_utc":"{MON_08}"' in state
    # The runner-up becomes the winner once the first is disabled: only the cooldown blocks.
    variant = _variant(tmp_path, disable=WINNER)
    _compare(capsys, runs, tmp_path / "compare", at="2026-01-05T08:30:00Z", config=variant)
    before = _tree(tmp_path)
    code, lines, _ = _rollout(capsys, tmp_path, "2026-01-05T09:00:00Z", "--plan", "--apply",
                              config=variant)  # fmt: skip
    assert (code, _false(lines)) == (1, ["cooldown_ok"])
    assert f"from={WINNER}" in lines and f"to={RUNNER_UP}" in lines
    assert lines[-1] == "APPLY=refused failed=cooldown_ok"
    assert _tree(tmp_path) == before
    # A day later (a fresh compare), the change applies and the journal only grows.
    _compare(capsys, runs, tmp_path / "compare", at="2026-01-06T08:30:00Z", config=variant)
    code, lines, _ = _rollout(capsys, tmp_path, "2026-01-06T09:00:00Z", "--plan", "--apply",
                              config=variant)  # fmt: skip
    assert code == 0, lines
    grown = (tmp_path / "state" / JOURNAL_FILE).read_bytes()
    assert grown == journal + b'{"plan":' + _plan_json(lines).encode() + b',"result":"applied"}\n'
    assert f'"region":"{RUNNER_UP}"' in (tmp_path / "state" / STATE_FILE).read_text()


def _tamper_compare(root: Path) -> None:
    path = root / "compare" / COMPARE_JSON
    path.write_bytes(path.read_bytes().replace(b"best net_bps among eligible", b"best of all"))


def _tamper_input(root: Path) -> None:
    prom = root / "runs" / "eu-central-1" / "metrics.prom"
    prom.write_bytes(prom.read_bytes() + b"# edited after the compare\n")


@pytest.mark.parametrize(
    ("at", "options", "tamper", "failed"),
    [
        ("2026-01-06T07:00:00Z", (), None, ["compare_fresh"]),  # next day: 24 h > 6 h old
        ("2026-01-05T10:00:00Z", (), None, ["window_ok"]),
        ("2026-01-05T07:30:00Z", ("--to", RUNNER_UP), None, ["winner_is_target"]),
        (MON_08, (), _tamper_compare, ["compare_deterministic"]),
        (MON_08, (), _tamper_input, ["compare_deterministic"]),
    ],
    ids=["stale", "window-closed", "winner-mismatch", "tampered-compare", "tampered-input"],
)  # fmt: skip
def test_region_rollout_each_failing_check_blocks_with_exit_1_and_no_writes(
    runs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    at: str, options: tuple[str, ...], tamper: object, failed: list[str],
) -> None:  # fmt: skip
    copy_runs(runs, tmp_path / "runs")
    _compare(capsys, tmp_path / "runs", tmp_path / "compare")
    if callable(tamper):
        tamper(tmp_path)
    before = _tree(tmp_path)
    code, lines, _ = _rollout(capsys, tmp_path, at, "--plan", "--apply", *options)
    assert (code, _false(lines)) == (1, failed)
    assert lines[-2:] == ["PLAN=BLOCKED", f"APPLY=refused failed={','.join(failed)}"]
    assert _tree(tmp_path) == before


def test_region_rollout_missing_compare_blocks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, lines, err = _rollout(capsys, tmp_path, MON_08, "--plan", "--to", WINNER)
    assert code == 1 and lines[-1] == "PLAN=BLOCKED"
    assert _false(lines) == ["compare_present", "compare_fresh", "compare_deterministic",
                             "winner_is_target"]  # fmt: skip
    assert "NOTE compare: " in err and _tree(tmp_path) == {}
    code, lines, err = _rollout(capsys, tmp_path, MON_08, "--plan")
    assert code == 2 and err.startswith("E_CLI_USAGE: --to is needed: ")


def test_region_rollout_without_plan_or_apply_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, lines, err = _rollout(capsys, tmp_path, MON_08)
    assert (code, lines) == (2, [])
    assert err.startswith("E_CLI_USAGE: give --plan (dry run) or --plan --apply")
