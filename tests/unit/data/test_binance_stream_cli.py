"""`mmbot data import binance-stream` and what `mmbot data info` shows of an import."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.cli_runner import run_cli
from tests.unit.data.streamkit import T0_MS, synced_start, trade, write_recording


def _recording(tmp_path: Path) -> Path:
    lines = [*synced_start(), trade(T0_MS + 25, 7, "100.1", "0.002", False)]
    return write_recording(tmp_path / "btcusdt_20240718.gz", lines)


def test_cli_import_takes_the_symbol_from_the_recording_and_info_shows_the_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "real" / "BTCUSDT.parquet"

    code = run_cli("data", "import", "binance-stream", str(_recording(tmp_path)), "--out", str(out))
    imported = capsys.readouterr().out.splitlines()
    info_code = run_cli("data", "info", str(out), "--json", str(tmp_path / "info.json"))
    described = capsys.readouterr().out.splitlines()

    assert (code, info_code) == (0, 0)
    assert "symbol=BTCUSDT" in imported and "clock_offset_ns=-1495000000" in imported
    assert "clock_offset_s=-1.495000" in imported and imported[-1] == "RESULT=OK"
    assert "rows_trade=1" in described  # the file's own lines first ...
    assert f"import_record={tmp_path / 'real' / 'BTCUSDT.import.json'}" in described
    assert "import_clock_offset_ns=-1495000000" in described  # ... then the import's
    assert "import_sequence_gaps=0" in described and "import_tickers_checked=0" in described
    assert described[-1] == "RESULT=OK"
    payload = json.loads((tmp_path / "info.json").read_text())
    assert payload["rows_trade"] == 1
    assert payload["import"]["summary"]["messages_trade"] == 1


def test_cli_info_says_stale_once_the_event_file_was_rewritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "BTCUSDT.parquet"
    assert run_cli("data", "import", "binance-stream", str(_recording(tmp_path)),
                   "--out", str(out)) == 0  # fmt: skip
    assert run_cli("data", "synth", "--seed", "1", "--events", "2000", "--out", str(out)) == 0
    capsys.readouterr()

    assert run_cli("data", "info", str(out)) == 0

    lines = capsys.readouterr().out.splitlines()
    assert [line for line in lines if line.startswith("import_")] == [
        f"import_record={tmp_path / 'BTCUSDT.import.json'} stale (the event file changed since)"
    ]


def test_cli_info_of_a_folder_puts_each_record_in_its_file_block(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recording = _recording(tmp_path)
    folder = tmp_path / "set"
    for name in ("A", "B"):
        assert run_cli("data", "import", "binance-stream", str(recording),
                       "--out", str(folder / f"{name}.parquet")) == 0  # fmt: skip
    capsys.readouterr()

    assert run_cli("data", "info", str(folder)) == 0

    lines = capsys.readouterr().out.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("file=")]
    records = [i for i, line in enumerate(lines) if line.startswith("import_record=")]
    assert len(starts) == 2 and len(records) == 2
    assert starts[0] < records[0] < starts[1] < records[1] < lines.index("files=2")


def test_cli_unknown_symbol_without_tick_and_lot_is_one_usage_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_cli("data", "import", "binance-stream", str(_recording(tmp_path)),
                   "--symbol", "SOLUSDT", "--out", str(tmp_path / "o.parquet"))  # fmt: skip

    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.startswith("E_CLI_USAGE: symbol SOLUSDT has no known tick/lot")
    assert "--tick-size and --lot-size" in err and "\n" not in err


def test_cli_symbol_given_but_the_recording_is_another_is_one_data_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_cli("data", "import", "binance-stream", str(_recording(tmp_path)),
                   "--symbol", "ETHUSDT", "--out", str(tmp_path / "o.parquet"))  # fmt: skip

    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.startswith("E_DATA_METADATA: file=") and "row=1 " in err
    assert not (tmp_path / "o.parquet").exists()
