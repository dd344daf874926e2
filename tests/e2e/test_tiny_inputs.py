"""`backtest run` on an event file too small to run over: one error line, nothing written."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from _cli import REPO_ROOT
from tests.cli_runner import run_cli

from mmbot.data import preset, synthesize, write_events

pytestmark = pytest.mark.usefixtures("cli_env")
CONFIG = REPO_ROOT / "configs" / "fixtures" / "backtest_pass.yaml"


def _events(path: Path, count: int) -> Path:
    params, meta = preset("fixture_alt")
    return write_events(path, synthesize(7, count, meta=meta, params=params), meta)


def _backtest(data: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    code = run_cli("backtest", "run", "--config", str(CONFIG), "--data", str(data),
                   "--out", str(out))  # fmt: skip
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1, lines
    return code, lines[0]


@pytest.mark.parametrize("events", [1, 5])
def test_backtest_on_a_few_events_is_too_short(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], events: int
) -> None:
    data = _events(tmp_path / "few.parquet", events)

    code, line = _backtest(data, tmp_path / "run", capsys)

    assert code == 2
    assert line.startswith(f"E_DATA_TOO_SHORT: file={data} decisions=")
    assert line.endswith("give a longer event file")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["few.parquet"]


def test_backtest_on_a_file_without_events_is_empty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _events(tmp_path / "none.parquet", 1)
    pq.write_table(pq.read_table(data).slice(0, 0), data)  # as another tool could write it

    code, line = _backtest(data, tmp_path / "run", capsys)

    assert code == 2
    assert line == f"E_DATA_EMPTY: file={data} row=0 holds no events; re-import or re-synthesize it"
    assert not (tmp_path / "run").exists()
