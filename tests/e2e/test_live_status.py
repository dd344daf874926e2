"""Live modes say how they are doing while they run: `mmbot run --mode live-sim` as a
subprocess prints one STATUS line on stderr every --status-every-s wall seconds, none with
--quiet (the runner's own cadence and format: tests/unit/engine/test_live_runner.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from _cli import REPO_ROOT, mmbot

CONFIG = REPO_ROOT / "configs" / "fixtures" / "backtest_pass.yaml"
STATUS = re.compile(
    r"STATUS ts=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ mode=live-sim pos_lots=-?\d+ "
    r"pnl_usd=-?\d+\.\d\d working=\d+ fills=\d+ last_error=(-|E_[A-Z_]+)"
)


@pytest.mark.parametrize("quiet", [False, True], ids=["status", "quiet"])
def test_live_sim_prints_status_lines_on_stderr_unless_quiet(
    fixture_alt_data: Path, tmp_path: Path, quiet: bool
) -> None:
    result = mmbot(
        "run", "--mode", "live-sim", "--data", str(fixture_alt_data), "--config", str(CONFIG),
        "--out", str(tmp_path / "run"), "--speed", "1", "--duration-s", "1.5",
        "--status-every-s", "0.2", *(["--quiet"] if quiet else []),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    status = [line for line in result.stderr.splitlines() if line.startswith("STATUS ")]
    assert "STATUS " not in result.stdout
    if quiet:
        assert status == []
        return
    assert len(status) >= 2, result.stderr
    assert all(STATUS.fullmatch(line) for line in status), status
    assert all(line.isascii() for line in status)
