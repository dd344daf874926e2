"""Empty and tiny inputs: nothing is written from no events, loads refuse them, and a bad row
is reported at its real row number wherever it falls."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tests.cli_runner import run_cli
from tests.unit.data.datakit import META, TRADES_HEADER, write_csv

from mmbot.core.errors import DataError
from mmbot.data import iter_events, load_events, synthesize, write_events

INSTRUMENT = ["--venue", "BINANCE", "--symbol", "BTCUSDT", "--tick-size", "0.1"]
INSTRUMENT += ["--lot-size", "0.001"]


def _one_line(capsys: pytest.CaptureFixture[str]) -> str:
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_synth_zero_events_is_empty_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "s.parquet"

    assert run_cli("data", "synth", "--seed", "1", "--events", "0", "--out", str(out)) == 2

    assert _one_line(capsys).startswith(f"E_DATA_EMPTY: file={out} row=0 no events to write")
    assert list(tmp_path.iterdir()) == []


def test_import_of_header_only_csv_is_empty_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trades = write_csv(tmp_path / "t.csv", [TRADES_HEADER])
    out = tmp_path / "o.parquet"

    code = run_cli("data", "import", "tardis", "--trades", str(trades), "--out", str(out),
                   *INSTRUMENT)  # fmt: skip

    assert code == 2
    assert _one_line(capsys) == (
        f"E_DATA_EMPTY: file={trades} row=0 no events to import (data rows read=0, dropped=0);"
        f" nothing was written to {out}"
    )
    assert not out.exists()


def test_synth_one_event_writes_one(tmp_path: Path) -> None:
    path = write_events(tmp_path / "one.parquet", synthesize(1, 1, META), META)

    assert len(load_events(path)[0]) == 1


def _with_null(path: Path, column: str, index: int) -> Path:
    """Rewrite an event file with a null at row index (0-based) of column, as a foreign tool
    with nullable columns could write it."""
    table = pq.read_table(path)
    values = table.column(column).to_pylist()
    values[index] = None
    position = table.schema.get_field_index(column)
    table = table.set_column(position, pa.field(column, pa.int64()), pa.array(values, pa.int64()))
    pq.write_table(table, path)
    return path


@pytest.mark.parametrize("chunk_rows", [1_000_000, 64])
def test_null_at_event_101_is_reported_at_row_101(tmp_path: Path, chunk_rows: int) -> None:
    path = _with_null(
        write_events(tmp_path / "e.parquet", synthesize(3, 200, META), META), "qty_lots", 100
    )

    with pytest.raises(DataError) as caught:
        list(iter_events(path, chunk_rows=chunk_rows))

    assert caught.value.line() == (
        f"E_DATA_BAD_VALUE: file={path} row=101 column=qty_lots is null; event columns are non-null"
    )
