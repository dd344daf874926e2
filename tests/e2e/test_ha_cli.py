"""`mmbot run --ha/--instance`: refused where it cannot hold (shadow, --adopt, half the pair,
a malformed backend), before any run directory or lease file is written."""

from __future__ import annotations

from pathlib import Path

import pytest
from _cli import REPO_ROOT, mmbot

FIXTURE_CONFIG = REPO_ROOT / "configs" / "fixtures" / "backtest_pass.yaml"


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--mode", "shadow", "--ha", "sqlite:{lease}", "--instance", "a"], "shadow sends no"),
        (["--mode", "live", "--adopt", "--ha", "sqlite:{lease}", "--instance", "a"], "--adopt"),
        (["--mode", "live-sim", "--ha", "sqlite:{lease}"], "go together"),
        (["--mode", "live-sim", "--instance", "a"], "go together"),
        (["--mode", "live-sim", "--ha", "sqlite:{lease}", "--instance", "a:b"], "E_HA_SPEC"),
        (["--mode", "live-sim", "--ha", "etcd://h:1", "--instance", "a"], "E_HA_SPEC"),
    ],
)
def test_run_ha_options_refused_with_one_error_line(
    tmp_path: Path, options: list[str], expected: str
) -> None:
    lease = tmp_path / "lease.db"
    args = [o.format(lease=lease) for o in options]
    result = mmbot("run", *args, "--config", str(FIXTURE_CONFIG), "--data",
                   str(tmp_path / "absent.parquet"), "--out", str(tmp_path / "out"))  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not lease.exists() and not (tmp_path / "out").exists()
