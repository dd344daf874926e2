"""`mmbot data ...`: thin commands that print key=value lines and RESULT=OK."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.cli_runner import run_cli
from tests.unit.data.datakit import L2_HEADER, l2_row, snapshot_rows, write_csv

INSTRUMENT = ["--venue", "BINANCE", "--symbol", "BTCUSDT", "--tick-size", "0.1"]
INSTRUMENT += ["--lot-size", "0.001"]


def test_cli_synth_then_info_prints_result_ok(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "s.parquet"

    assert run_cli("data", "synth", "--seed", "1", "--events", "5000", "--out", str(out)) == 0
    assert run_cli("data", "info", str(out), "--json", str(tmp_path / "info.json")) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[:4] == [f"out={out}", "seed=1", "events=5000", "RESULT=OK"]
    assert "rows=5000" in lines and "crossed_count=0" in lines
    assert lines[-1] == "RESULT=OK"
    assert json.loads((tmp_path / "info.json").read_text())["rows"] == 5000


def test_cli_import_tardis_lenient_reports_drops(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    l2 = write_csv(
        tmp_path / "l2.csv", [L2_HEADER, *snapshot_rows(1), l2_row(2, "bid", "1.23", "1")]
    )
    out = tmp_path / "o.parquet"

    code = run_cli(
        "data", "import", "tardis", "--l2", str(l2), "--out", str(out), "--lenient", *INSTRUMENT
    )

    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    assert "dropped[E_DATA_OFF_GRID]=1" in lines and "events_written=5" in lines
    assert lines[-1] == "RESULT=OK"


def test_cli_import_strict_bad_row_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path / "t.csv", ["1,100.1,-0.5,50.05,1700000000000,true"])
    out = tmp_path / "o.parquet"

    code = run_cli(
        "data", "import", "binance", str(path), "--kind", "trades", "--out", str(out), *INSTRUMENT
    )

    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.count("\n") == 1
    assert captured.err.startswith(f"E_DATA_NEGATIVE_SIZE: file={path} row=1 qty='-0.5'")
    assert "RESULT=OK" not in captured.out


def test_cli_import_tardis_without_files_is_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_cli("data", "import", "tardis", "--out", str(tmp_path / "o.parquet"), *INSTRUMENT)

    assert code == 2
    assert capsys.readouterr().err.startswith("E_CLI_USAGE: give --l2 FILE, --trades FILE")
