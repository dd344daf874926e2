"""Long commands draw a progress bar on a terminal, and nothing on a pipe or with --quiet.

The terminal is a pseudo-terminal: the command runs in a fresh interpreter with its stdout
and stderr on the pty's follower side, as in a user's shell.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from _cli import REPO_ROOT, clean_env, mmbot

from mmbot.data import SYNTH_META, synthesize, write_events

SYNTH_EVENTS = "300000"


def _on_a_terminal(*args: str) -> tuple[int, str]:
    """Run `python -m mmbot args` on a pty; return its exit code and everything it wrote."""
    leader, follower = pty.openpty()
    env = {**clean_env(), "TERM": "xterm", "COLUMNS": "160"}
    for key in ("NO_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "FORCE_COLOR"):
        env.pop(key, None)
    process = subprocess.Popen(
        [sys.executable, "-m", "mmbot", *args],
        stdin=follower, stdout=follower, stderr=follower, env=env, cwd=REPO_ROOT,
    )  # fmt: skip
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the follower side closed with the process
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return process.wait(), b"".join(chunks).decode("utf-8", "replace")


def _synth_args(out: Path, *extra: str) -> list[str]:
    return ["data", "synth", "--seed", "3", "--events", SYNTH_EVENTS, "--out", str(out), *extra]


def test_synth_draws_a_bar_with_a_rate_on_a_terminal(tmp_path: Path) -> None:
    code, output = _on_a_terminal(*_synth_args(tmp_path / "a.parquet"))
    assert code == 0, output
    assert "events/s" in output and "ETA" in output, output
    assert "RESULT=OK" in output


def test_synth_quiet_on_a_terminal_draws_nothing(tmp_path: Path) -> None:
    code, output = _on_a_terminal(*_synth_args(tmp_path / "a.parquet", "--quiet"))
    assert code == 0, output
    assert "events/s" not in output and "RESULT=OK" in output


def test_synth_on_a_pipe_writes_nothing_to_stderr(tmp_path: Path) -> None:
    result = mmbot(*_synth_args(tmp_path / "a.parquet"))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "events/s" not in result.stdout


@pytest.fixture(scope="module")
def small_wf_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wf_progress")
    return write_events(folder / "events.parquet", synthesize(3, 20_000, SYNTH_META), SYNTH_META)


def _wf_args(data: Path, out: Path, *extra: str) -> list[str]:
    windows = ["--train-s", "10", "--test-s", "5", "--workers", "1"]
    config = ["--config", "configs/example.yaml"]
    return ["backtest", "wf", *config, "--data", str(data), "--out", str(out), *windows, *extra]


def test_wf_draws_a_task_bar_on_a_terminal(small_wf_data: Path, tmp_path: Path) -> None:
    code, output = _on_a_terminal(*_wf_args(small_wf_data, tmp_path))
    assert code == 0, output
    assert "walk-forward" in output and "tasks/s" in output, output


def test_wf_on_a_pipe_or_quiet_writes_no_bar(small_wf_data: Path, tmp_path: Path) -> None:
    piped = mmbot(*_wf_args(small_wf_data, tmp_path / "piped"))
    assert piped.returncode == 0, piped.stderr
    assert piped.stderr == ""
    code, output = _on_a_terminal(*_wf_args(small_wf_data, tmp_path / "quiet", "--quiet"))
    assert code == 0, output
    assert "tasks/s" not in output and "RESULT=OK" in output


def test_backtest_run_draws_an_event_bar_on_a_terminal(small_wf_data: Path, tmp_path: Path) -> None:
    args = ["backtest", "run", "-c", "configs/example.yaml", "--data", str(small_wf_data)]
    code, output = _on_a_terminal(*args, "--out", str(tmp_path / "run"))
    assert code == 0, output
    assert "20000/20000" in output and "- events/s" not in output.split("20000/20000")[-1], output
    quiet_code, quiet_output = _on_a_terminal(*args, "--out", str(tmp_path / "quiet"), "--quiet")
    assert quiet_code == 0, quiet_output
    assert "events/s" not in quiet_output and "RESULT=OK" in quiet_output
