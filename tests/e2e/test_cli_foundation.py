"""The CLI as a user runs it: one-line errors with exit codes, stable describe, demo artifacts."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from _cli import mmbot as _mmbot
from tests.cli_runner import run_cli

pytestmark = pytest.mark.selected


def test_cli_config_validate_ok_prints_result_line(repo_root: Path) -> None:
    result = _mmbot("config", "validate", "--config", str(repo_root / "configs/example.yaml"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("RESULT=OK env=dev profile=none sha256=")


BAD_INPUTS = [
    (["config", "validate", "--config", "tests/fixtures/config/bad_range.yaml"], {}, "E_CFG_RANGE"),
    (
        ["config", "describe"],
        {"MM_CONFIG_PATH": "tests/fixtures/config/bad_unknown_key.yaml"},
        "E_CFG_UNKNOWN_KEY",
    ),
    (["config", "validate"], {"MM_PROFILE": "nope"}, "E_CFG_PROFILE_UNKNOWN"),
    (["config", "validate", "--config", "missing.yaml"], {}, "E_CFG_FILE_MISSING"),
    (["config", "validate", "--bogus"], {}, "E_CLI_USAGE"),
]


def _assert_one_line_exit_2(returncode: int, stdout: str, stderr: str, code: str) -> None:
    assert returncode == 2
    assert stdout == ""
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{code}: ") and lines[0].isascii()


def test_cli_bad_input_one_line_exit_2_no_traceback_in_a_fresh_interpreter() -> None:
    args, env, code = BAD_INPUTS[0]
    result = _mmbot(*args, env=env)
    _assert_one_line_exit_2(result.returncode, result.stdout, result.stderr, code)


@pytest.mark.parametrize(("args", "env", "code"), BAD_INPUTS[1:])
def test_cli_bad_input_one_line_exit_2_no_traceback(
    args: list[str],
    env: dict[str, str],
    code: str,
    cli_env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for key, value in env.items():
        cli_env.setenv(key, value)
    returncode = run_cli(*args)
    stdout, stderr = capsys.readouterr()
    _assert_one_line_exit_2(returncode, stdout, stderr, code)


def test_cli_debug_shows_traceback(repo_root: Path) -> None:
    bad = str(repo_root / "tests/fixtures/config/bad_range.yaml")
    result = _mmbot("--debug", "config", "validate", "--config", bad)
    assert result.returncode != 0
    assert "Traceback" in result.stderr and "E_CFG_RANGE" in result.stderr


def test_cli_describe_profile_env_stable_and_sha_matches(repo_root: Path) -> None:
    env = {
        "MM_PROFILE": "econ_moderate",
        "MM_ENV": "shadow",
        "MM_CONFIG_PATH": str(repo_root / "configs/example.yaml"),
    }
    first, second = _mmbot("config", "describe", env=env), _mmbot("config", "describe", env=env)
    assert first.returncode == 0 and first.stdout == second.stdout
    dump, sha_line = first.stdout.splitlines()
    assert sha_line == "sha256=" + hashlib.sha256((dump + "\n").encode()).hexdigest()
    assert '"profile":"econ_moderate"' in dump and '"env":"shadow"' in dump


def test_cli_demo_twice_same_bytes(tmp_path: Path) -> None:
    outputs = []
    for run in ("a", "b"):
        out = tmp_path / run
        result = _mmbot("demo", "--out", str(out), "--at", "2026-01-02T03:04:05Z")
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        assert lines[-1] == f"RESULT=OK outputs={out}"
        assert any(line.startswith("sha256=") for line in lines)
        assert any(line.startswith("VERDICT=PASS BOTTLENECK=") for line in lines)
        outputs.append({p.relative_to(out).as_posix(): p.read_bytes()
                        for p in sorted(out.rglob("*")) if p.is_file()})  # fmt: skip
    assert outputs[0] == outputs[1]
    names = set(outputs[0])
    assert {"config_effective.json", "metrics.json", "run/BACKTEST.md", "run/EDGE_AUDIT.md",
            "run/fills.csv", "run/waterfall.svg"} <= names  # fmt: skip
    assert b'"utc":"2026-01-02T03:04:05Z"' in outputs[0]["metrics.json"]
    assert outputs[0]["run/EDGE_AUDIT.md"].startswith(b"# Edge audit: bottleneck=")
