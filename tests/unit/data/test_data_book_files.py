"""Data sets of several symbols: finding and loading one event file per symbol, `data info`
over several files, mid returns on a common grid, and `data synth --symbols`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from tests.cli_runner import run_cli
from tests.unit.data.datakit import META, batch

from mmbot.core.errors import DataError
from mmbot.data import (
    KIND_CLEAR,
    KIND_DEPTH,
    KIND_SNAPSHOT,
    InstrumentMeta,
    book_files_in,
    event_files_in,
    info,
    info_set,
    load_book_files,
    mid_log_returns,
    return_correlations,
    write_events,
)

S = 1_000_000_000


def _book_file(path: Path, symbol: str, mids: list[int], start_s: int = 1) -> Path:
    """Write a one-level book whose bid/ask (ticks) are mid-1/mid+1, one mid per second."""
    rows = [(start_s * S, start_s * S, KIND_CLEAR, 0, 0, 0)]
    rows += [(start_s * S, start_s * S, KIND_SNAPSHOT, 1, mids[0] - 1, 5)]
    rows += [(start_s * S, start_s * S, KIND_SNAPSHOT, -1, mids[0] + 1, 5)]
    previous = mids[0]
    for second, mid in enumerate(mids[1:], start=start_s + 1):
        ts = second * S
        # Move the side the price moves toward first (never crossed); a still mid refreshes.
        updates = [(-1, mid + 1, 5), (-1, previous + 1, 0), (1, mid - 1, 5), (1, previous - 1, 0)]
        if mid == previous:
            updates = [(1, mid - 1, 6)]
        elif mid < previous:
            updates = updates[2:] + updates[:2]
        rows += [(ts, ts, KIND_DEPTH, side, price, qty) for side, price, qty in updates]
        previous = mid
    meta = InstrumentMeta(META.venue, symbol, META.tick_size, META.lot_size)
    return write_events(path, [batch(*rows)], meta)


def test_load_book_files_sorts_by_symbol(tmp_path: Path) -> None:
    eth = _book_file(tmp_path / "b.parquet", "ETHUSDT", [100, 102])
    btc = _book_file(tmp_path / "a.parquet", "BTCUSDT", [500, 498, 499])

    loaded = load_book_files([eth, btc])

    assert [(meta.symbol, path) for _, meta, path in loaded] == [("BTCUSDT", btc), ("ETHUSDT", eth)]
    assert [len(events) for events, _, _ in loaded] == [11, 7]


def test_load_book_files_refuses_one_symbol_twice_naming_both_files(tmp_path: Path) -> None:
    first = _book_file(tmp_path / "x.parquet", "BTCUSDT", [500])
    second = _book_file(tmp_path / "y.parquet", "BTCUSDT", [600])

    with pytest.raises(DataError) as caught:
        load_book_files([first, second])

    line = caught.value.line()
    assert line.startswith(f"E_DATA_DUPLICATE_SYMBOL: symbol=BTCUSDT files={first},{second};")
    assert "\n" not in line


def test_book_files_in_names_each_symbol_file(tmp_path: Path) -> None:
    for symbol in ("BTCUSDT", "ETHUSDT"):
        _book_file(tmp_path / f"{symbol}.parquet", symbol, [500])

    paths = book_files_in(tmp_path, ["ETHUSDT", "BTCUSDT"])

    assert paths == [tmp_path / "ETHUSDT.parquet", tmp_path / "BTCUSDT.parquet"]


def test_book_files_in_missing_symbol_says_how_to_make_it(tmp_path: Path) -> None:
    _book_file(tmp_path / "BTCUSDT.parquet", "BTCUSDT", [500])

    with pytest.raises(DataError) as caught:
        book_files_in(tmp_path, ["BTCUSDT", "ETHUSDT"])

    line = caught.value.line()
    assert line.startswith(
        f"E_DATA_FILE_MISSING: symbol=ETHUSDT file={tmp_path / 'ETHUSDT.parquet'} not found;"
    )
    assert "mmbot data synth --symbols BTCUSDT,ETHUSDT" in line


def test_event_files_in_lists_parquet_files_by_name(tmp_path: Path) -> None:
    for name in ("b.parquet", "a.parquet"):
        _book_file(tmp_path / name, name[0].upper(), [500])
    (tmp_path / "notes.txt").write_text("not events\n")

    (tmp_path / "empty").mkdir()

    assert event_files_in(tmp_path) == [tmp_path / "a.parquet", tmp_path / "b.parquet"]
    with pytest.raises(DataError, match=r"E_DATA_FILE_MISSING: .* no \*\.parquet event files"):
        event_files_in(tmp_path / "empty")


def test_info_set_common_span_is_latest_first_to_earliest_last(tmp_path: Path) -> None:
    early = _book_file(tmp_path / "a.parquet", "AAA", [500] * 10, start_s=1)  # 1 s .. 10 s
    late = _book_file(tmp_path / "b.parquet", "BBB", [500] * 10, start_s=4)  # 4 s .. 13 s
    apart = _book_file(tmp_path / "c.parquet", "CCC", [500] * 2, start_s=20)  # 20 s .. 21 s

    both = info_set([early, late])
    disjoint = info_set([early, apart])

    assert both.summary() == {
        "files": 2,
        "symbols": "AAA,BBB",
        "rows_total": 24,
        "common_first_ts_exch_ns": 4 * S,
        "common_last_ts_exch_ns": 10 * S,
        "overlap_ns": 6 * S,
    }
    assert both.lines()[: len(info(early).lines())] == info(early).lines()
    assert both.lines()[-4:] == [
        "overlap_ns=6000000000",
        "common_first_utc=1970-01-01T00:00:04Z",
        "common_last_utc=1970-01-01T00:00:10Z",
        "overlap_s=6.000000",
    ]
    assert disjoint.overlap_ns == 0 and "overlap_s=0.000000" in disjoint.lines()


def test_mid_log_returns_sample_the_mid_each_second_of_the_common_span(tmp_path: Path) -> None:
    first = _book_file(tmp_path / "a.parquet", "AAA", [100, 110, 99, 99, 121])
    second = _book_file(tmp_path / "b.parquet", "BBB", [50, 55, 55, 45, 60, 70], start_s=0)

    returns = mid_log_returns([first, second])

    # grid 1 s .. 5 s (first's span); second's mid at 1 s is 55 (its 0 s value moved then)
    assert returns[0] == pytest.approx(np.log([110 / 100, 99 / 110, 99 / 99, 121 / 99]))
    assert returns[1] == pytest.approx(np.log([55 / 55, 45 / 55, 60 / 45, 70 / 60]))
    (pair,) = return_correlations([first, second])
    assert pair.returns == 4
    assert pair.correlation == pytest.approx(float(np.corrcoef(returns)[0, 1]))


def test_return_correlations_of_a_file_with_itself_is_one(tmp_path: Path) -> None:
    path = _book_file(tmp_path / "a.parquet", "AAA", [100, 104, 101, 107, 103])
    flat = _book_file(tmp_path / "f.parquet", "FLAT", [100] * 5)

    apart = _book_file(tmp_path / "z.parquet", "LATER", [100, 104, 101], start_s=50)

    same, with_flat, _ = return_correlations([path, path, flat])
    (disjoint,) = return_correlations([path, apart])

    assert same.correlation == pytest.approx(1.0)
    assert with_flat.correlation is None  # a mid that never moves has no correlation
    assert (disjoint.correlation, disjoint.returns) == (None, 0)  # no common span


def test_cli_info_one_file_prints_what_it_always_did(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _book_file(tmp_path / "a.parquet", "AAA", [100, 101])

    assert run_cli("data", "info", str(path)) == 0

    assert capsys.readouterr().out.splitlines() == [*info(path).lines(), "RESULT=OK"]


def test_cli_info_folder_prints_each_file_then_the_set(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "set"
    folder.mkdir()
    early = _book_file(folder / "a.parquet", "AAA", [500] * 3, start_s=1)
    late = _book_file(folder / "b.parquet", "BBB", [500] * 3, start_s=2)
    json_out = tmp_path / "info.json"

    assert run_cli("data", "info", str(folder), "--json", str(json_out)) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines == [*info_set([early, late]).lines(), "RESULT=OK"]
    assert [line for line in lines if line.startswith("file=")] == [f"file={early}", f"file={late}"]
    written = json.loads(json_out.read_text())
    assert [one["symbol"] for one in written["files"]] == ["AAA", "BBB"]
    assert written["summary"]["overlap_ns"] == 1 * S


def test_cli_synth_symbols_writes_one_file_each_and_measures_correlation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "pair"
    args = ["--seed", "3", "--events", "50000", "--out", str(out)]

    code = run_cli("data", "synth", *args, "--symbols", "BTCUSDT,ETHUSDT", "--correlation", "0.7")

    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:6] == [
        f"out={out / 'BTCUSDT.parquet'}",
        f"out={out / 'ETHUSDT.parquet'}",
        "seed=3",
        "events=50000",
        "symbols=BTCUSDT,ETHUSDT",
        "correlation=0.7",
    ]
    (pair,) = return_correlations([out / "BTCUSDT.parquet", out / "ETHUSDT.parquet"])
    assert pair.correlation is not None
    expected = f"corr_1s={pair.correlation:.6f} pair=BTCUSDT,ETHUSDT returns={pair.returns}"
    assert lines[6:] == [expected, "RESULT=OK"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--symbols", "A,B", "--correlation", "1.5"], "correlation=1.5 expected -1..1"),
        (["--correlation", "0.5"], "--correlation needs --symbols"),
        (["--symbols", "A,A"], "duplicate symbols: A"),
        (["--symbols", "A,B", "--out", "OUT/x.parquet"], "is a file; with --symbols it names"),
        (["--symbols", "A,B", "--out", "OUT/file"], "is a file; with --symbols it names"),
        (["--symbols", "A,B", "--preset", "fixture_alt"], "--preset fixture_alt is a one-symbol"),
    ],
)
def test_cli_synth_symbols_bad_input_is_one_usage_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    (tmp_path / "file").write_text("a file, not a folder\n")
    extra = [arg.replace("OUT", str(tmp_path)) for arg in extra]

    code = run_cli("data", "synth", "--seed", "1", "--events", "100", *extra)

    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("E_CLI_USAGE: ") and message in err and err.count("\n") == 1
    assert sorted(path.name for path in tmp_path.iterdir()) == ["file"]  # nothing written
