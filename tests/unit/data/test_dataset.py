"""Data sets: files, folders and globs as per-symbol streams, checked for continuity."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from tests.cli_runner import run_cli

from mmbot.core.errors import DataError
from mmbot.data import KIND_DEPTH, SIDE_BID, EventBatch, InstrumentMeta, write_events
from mmbot.data.dataset import DEFAULT_MAX_GAP_NS, GAP, OVERLAP, resolve_dataset, write_days
from mmbot.data.info import _utc_days

S = 1_000_000_000
META = InstrumentMeta(venue="synth", symbol="BTCUSDT", tick_size=0.1, lot_size=0.001)
DAY0 = 1_767_312_000 * S  # 2026-01-02T00:00:00Z


def _events(first_ns: int, last_ns: int, rows: int = 4) -> EventBatch:
    ts = first_ns + (last_ns - first_ns) * np.arange(rows, dtype=np.int64) // (rows - 1)
    ones = np.ones(rows, dtype=np.int64)
    return EventBatch(ts, ts + 1, ones * KIND_DEPTH, ones * SIDE_BID, ones * 1000, ones)


def _write(path: Path, first_ns: int, last_ns: int, meta: InstrumentMeta = META) -> Path:
    return write_events(path, [_events(first_ns, last_ns)], meta, row_group_rows=2)


def _two_days(folder: Path, gap_ns: int) -> tuple[Path, Path]:
    """Day one ends at DAY0 + 10 s (local +1 ns); day two starts gap_ns later, lasts 10 s."""
    one = _write(folder / "BTCUSDT" / "2026-01-02.parquet", DAY0, DAY0 + 10 * S)
    start = DAY0 + 10 * S + gap_ns
    two = _write(folder / "BTCUSDT" / "2026-01-03.parquet", start, start + 10 * S)
    return one, two


def test_folder_orders_a_symbols_files_by_time_and_streams_them(tmp_path: Path) -> None:
    one, two = _two_days(tmp_path, S)
    eth = _write(tmp_path / "ETHUSDT" / "x.parquet", DAY0, DAY0 + S, replace(META, symbol="ETH"))
    dataset = resolve_dataset(tmp_path)
    assert dataset.symbols == ("BTCUSDT", "ETH")
    assert [f.path for f in dataset.files["BTCUSDT"]] == [one, two]
    assert dataset.paths == (one, two, eth)
    assert [f.rows for f in dataset.files["BTCUSDT"]] == [4, 4]
    streamed = EventBatch.concat(dataset.stream("BTCUSDT", 3))
    assert streamed.ts_exch_ns.tolist() == [
        *_events(DAY0, DAY0 + 10 * S).ts_exch_ns.tolist(),
        *_events(DAY0 + 11 * S, DAY0 + 21 * S).ts_exch_ns.tolist(),
    ]
    assert dataset.breaks == ()


def test_glob_and_single_file(tmp_path: Path) -> None:
    one, two = _two_days(tmp_path, S)
    assert resolve_dataset(str(tmp_path / "*" / "2026-01-0[23].parquet")).paths == (one, two)
    assert resolve_dataset(one).paths == (one,)


def test_gap_exactly_at_the_threshold_is_no_gap(tmp_path: Path) -> None:
    # local times: day one's last is DAY0 + 10 s + 1, day two's first DAY0 + 10 s + gap + 1
    _two_days(tmp_path / "at", DEFAULT_MAX_GAP_NS)
    assert resolve_dataset(tmp_path / "at").breaks == ()
    _two_days(tmp_path / "over", DEFAULT_MAX_GAP_NS + 1)
    with pytest.raises(DataError, match=r"^E_DATA_GAP: symbol=BTCUSDT files=.*2026-01-02"):
        resolve_dataset(tmp_path / "over")
    assert resolve_dataset(tmp_path / "over", max_gap_ns=DEFAULT_MAX_GAP_NS + 1).breaks == ()


def test_overlap_is_an_error_or_counted_when_lenient(tmp_path: Path) -> None:
    _two_days(tmp_path, -S)  # day two starts one second before day one ends
    with pytest.raises(DataError, match=r"^E_DATA_OVERLAP: .* pass --lenient$"):
        resolve_dataset(tmp_path)
    found = resolve_dataset(tmp_path, lenient=True).breaks
    assert [b.code for b in found] == [OVERLAP]
    assert found[0].line().startswith("E_DATA_OVERLAP: symbol=BTCUSDT files=")


def test_lenient_counts_every_break(tmp_path: Path) -> None:
    _two_days(tmp_path, 2 * DEFAULT_MAX_GAP_NS)  # day two: DAY0 + 130 s .. 140 s
    _write(tmp_path / "BTCUSDT" / "2026-01-04.parquet", DAY0 + 139 * S, DAY0 + 150 * S)
    codes = [b.code for b in resolve_dataset(tmp_path, lenient=True).breaks]
    assert codes == [GAP, OVERLAP]


def test_one_symbol_with_two_instruments_is_refused(tmp_path: Path) -> None:
    _write(tmp_path / "a.parquet", DAY0, DAY0 + S)
    _write(tmp_path / "b.parquet", DAY0 + 2 * S, DAY0 + 3 * S, replace(META, tick_size=0.5))
    with pytest.raises(DataError, match=r"^E_DATA_METADATA: file=.*b\.parquet"):
        resolve_dataset(tmp_path)


def test_nothing_found_is_file_missing(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"^E_DATA_FILE_MISSING: file=.*\*\.parquet"):
        resolve_dataset(str(tmp_path / "*.parquet"))
    with pytest.raises(DataError, match=r"^E_DATA_FILE_MISSING"):
        resolve_dataset(tmp_path)


def test_write_days_cuts_a_stream_into_continuous_dated_files(tmp_path: Path) -> None:
    batches = [_events(DAY0 + k * S, DAY0 + k * S + S // 2, 5) for k in range(3)]
    paths = write_days(batches, META, tmp_path, days=4, events=15)
    assert [p.relative_to(tmp_path).as_posix() for p in paths] == [
        "BTCUSDT/2026-01-02.parquet", "BTCUSDT/2026-01-03.parquet",
        "BTCUSDT/2026-01-04.parquet", "BTCUSDT/2026-01-05.parquet",
    ]  # fmt: skip
    dataset = resolve_dataset(tmp_path)
    assert [f.rows for f in dataset.files["BTCUSDT"]] == [4, 4, 4, 3]
    joined = EventBatch.concat(dataset.stream("BTCUSDT", 100))
    assert joined.ts_exch_ns.tolist() == EventBatch.concat(batches).ts_exch_ns.tolist()


def test_cli_synth_days_then_info_summarises_the_set(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "days"
    synth = ["data", "synth", "--seed", "1", "--events", "3000", "--days", "3"]
    assert run_cli(*synth, "--out", str(folder)) == 0
    written = capsys.readouterr().out.splitlines()
    assert [line.rsplit("/", 1)[-1] for line in written[:3]] == [
        "2024-01-01.parquet", "2024-01-02.parquet", "2024-01-03.parquet",
    ]  # fmt: skip
    assert run_cli("data", "info", str(folder)) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:3] == ["symbols=BTC-USD", "files=3", "rows_total=3000"]
    assert lines[3].startswith("symbol=BTC-USD files=3 utc_days=1 rows=3000 first_utc=")
    assert lines[3].endswith(" gaps=0 overlaps=0")
    assert lines[4:] == ["breaks=0", "RESULT=OK"]
    (folder / "BTC-USD" / "2024-01-02.parquet").unlink()  # a hole of a third of the data
    assert run_cli("data", "info", str(folder / "*" / "*.parquet"), "--max-gap-s", "0") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[3].endswith(" gaps=1 overlaps=0")
    assert lines[4] == "breaks=1" and lines[5].startswith("E_DATA_GAP: symbol=BTC-USD files=")


DAY_NS = 86_400 * 1_000_000_000


@pytest.mark.parametrize(
    ("first_ns", "last_ns", "days"),
    [(0, 0, 1), (0, DAY_NS - 1, 1), (DAY_NS - 1, DAY_NS, 2), (DAY_NS, 3 * DAY_NS, 3)],
)
def test_utc_days_counts_the_calendar_days_a_span_touches(
    first_ns: int, last_ns: int, days: int
) -> None:
    assert _utc_days(first_ns, last_ns) == days
