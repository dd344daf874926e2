"""Tardis import: snapshots, merge with trades, and one test per class of bad input."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from tests.unit.data.datakit import (
    L2_HEADER,
    META,
    TRADES_HEADER,
    l2_row,
    snapshot_rows,
    trade_row,
    write_csv,
)

from mmbot.core.errors import DataError
from mmbot.data import (
    KIND_CLEAR,
    KIND_DEPTH,
    KIND_SNAPSHOT,
    KIND_TRADE,
    SIDE_ASK,
    SIDE_BID,
    SIDE_BUY,
    SIDE_SELL,
    csvsource,
    import_tardis,
    load_events,
)


def _good_l2(path: Path) -> Path:
    return write_csv(
        path,
        [
            L2_HEADER,
            *snapshot_rows(1_000),
            l2_row(2_000, "ask", "100.1", "0.2"),
            l2_row(3_000, "bid", "100.0", "0"),
            *snapshot_rows(4_000),
            l2_row(5_000, "ask", "100.3", "1"),
        ],
    )


def _good_trades(path: Path) -> Path:
    return write_csv(
        path,
        [
            TRADES_HEADER,
            trade_row(2_000, "buy", "100.1", "0.3"),
            trade_row(4_500, "sell", "100.0", "0.001"),
        ],
    )


def test_tardis_l2_and_trades_merge_with_clear_before_snapshots(tmp_path: Path) -> None:
    l2 = _good_l2(tmp_path / "l2.csv.gz")
    trades = _good_trades(tmp_path / "trades.csv")

    report = import_tardis(l2, trades, META, tmp_path / "out.parquet")
    events, meta = load_events(tmp_path / "out.parquet")

    assert meta == META
    assert report.events_written == len(events) == 15
    assert report.dropped == ()
    assert dict(report.rows_read) == {str(trades): 2, str(l2): 11}
    kinds = events.kind.tolist()
    assert kinds == [
        KIND_CLEAR, *[KIND_SNAPSHOT] * 4,
        KIND_TRADE, KIND_DEPTH, KIND_DEPTH,
        KIND_CLEAR, *[KIND_SNAPSHOT] * 4,
        KIND_TRADE, KIND_DEPTH,
    ]  # fmt: skip
    # trades come first on equal timestamps (the trade, then the level it left)
    assert events.ts_exch_ns[5] == events.ts_exch_ns[6] == 2_000_000
    assert events.side[5] == SIDE_BUY and events.side[13] == SIDE_SELL
    assert events.side[1] == SIDE_BID and events.side[3] == SIDE_ASK
    assert events.price_ticks[1:5].tolist() == [1000, 999, 1001, 1002]
    assert events.qty_lots[1:5].tolist() == [1500, 2000, 500, 3000]
    assert events.ts_local_ns[0] == 1_005_000


def test_tardis_same_input_same_bytes(tmp_path: Path) -> None:
    l2 = _good_l2(tmp_path / "l2.csv")
    trades = _good_trades(tmp_path / "trades.csv")

    import_tardis(l2, trades, META, tmp_path / "a.parquet")
    import_tardis(l2, trades, META, tmp_path / "b.parquet")

    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()


def test_tardis_small_chunks_same_bytes_as_one_chunk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = [L2_HEADER]
    for step in range(400):
        lines += snapshot_rows(step * 1_000) if step % 50 == 0 else []
        lines.append(l2_row(step * 1_000 + 1, "bid", "99.9", str(1 + step % 7)))
    l2 = write_csv(tmp_path / "l2.csv", lines)
    trades = _good_trades(tmp_path / "trades.csv")

    import_tardis(l2, trades, META, tmp_path / "one.parquet")
    monkeypatch.setattr(csvsource, "_BLOCK_BYTES", 997)  # ~12 rows a chunk, runs split
    import_tardis(l2, trades, META, tmp_path / "many.parquet")

    assert (tmp_path / "one.parquet").read_bytes() == (tmp_path / "many.parquet").read_bytes()
    events, _ = load_events(tmp_path / "many.parquet")
    assert (events.kind == KIND_CLEAR).sum() == 8


@pytest.mark.parametrize(
    ("row", "code", "row_no"),
    [
        (l2_row(2_000, "bid", "100.0", "-1"), "E_DATA_NEGATIVE_SIZE", 5),
        (l2_row(2_000, "bid", "100.05", "1"), "E_DATA_OFF_GRID", 5),
        (l2_row(2_000, "bid", "100.0", "0.0005"), "E_DATA_OFF_GRID", 5),
        (l2_row(2_000, "middle", "100.0", "1"), "E_DATA_UNKNOWN_KIND", 5),
        (l2_row(2_000, "bid", "abc", "1"), "E_DATA_BAD_VALUE", 5),
        (l2_row(500, "bid", "100.0", "1"), "E_DATA_NONMONOTONIC", 5),
    ],
)
def test_tardis_bad_l2_row_strict_fails_with_row(
    tmp_path: Path, row: str, code: str, row_no: int
) -> None:
    l2 = write_csv(tmp_path / "l2.csv", [L2_HEADER, *snapshot_rows(1_000), row])

    with pytest.raises(DataError) as caught:
        import_tardis(l2, None, META, tmp_path / "out.parquet")

    line = caught.value.line()
    assert line.startswith(f"{code}: file={l2} row={row_no} ")
    assert "--lenient" in line
    assert not (tmp_path / "out.parquet").exists()


def test_tardis_missing_columns_named(tmp_path: Path) -> None:
    l2 = write_csv(tmp_path / "l2.csv", [L2_HEADER.replace(",amount", ""), "x,y,1,2,false,bid,1"])

    with pytest.raises(
        DataError, match=r"^E_DATA_MISSING_COLUMNS: file=.* row=header missing=amount"
    ):
        import_tardis(l2, None, META, tmp_path / "out.parquet")


def test_tardis_crossed_snapshot_fails(tmp_path: Path) -> None:
    rows = snapshot_rows(1_000)
    rows[2] = l2_row(1_000, "ask", "99.9", "1", snapshot=True)
    l2 = write_csv(tmp_path / "l2.csv", [L2_HEADER, *rows])

    with pytest.raises(DataError, match=r"^E_DATA_CROSSED: .* row=1 snapshot starting at row=1"):
        import_tardis(l2, None, META, tmp_path / "out.parquet")


def test_tardis_unknown_trade_side_fails(tmp_path: Path) -> None:
    trades = write_csv(tmp_path / "t.csv", [TRADES_HEADER, trade_row(1, "unknown", "100.0", "1")])

    with pytest.raises(DataError, match=r"^E_DATA_UNKNOWN_KIND: .* row=1 side='unknown'"):
        import_tardis(None, trades, META, tmp_path / "out.parquet")


def test_tardis_cut_gzip_truncated(tmp_path: Path) -> None:
    lines = [L2_HEADER, *snapshot_rows(1_000)]
    lines += [l2_row(2_000 + i, "bid", "99.9", str(1 + i % 5)) for i in range(20_000)]
    whole = write_csv(tmp_path / "whole.csv.gz", lines).read_bytes()
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(whole[: len(whole) // 2])

    with pytest.raises(DataError, match=r"^E_DATA_TRUNCATED: file=.*cut.csv.gz row=\d+ "):
        import_tardis(cut, None, META, tmp_path / "out.parquet")


def test_tardis_cut_plain_csv_last_row_truncated(tmp_path: Path) -> None:
    text = "\n".join([L2_HEADER, *snapshot_rows(1_000), l2_row(2_000, "bid", "99.9", "1")])
    path = tmp_path / "cut.csv"
    path.write_text(text[:-12])

    with pytest.raises(DataError, match=r"^E_DATA_TRUNCATED: file=.* row=5 has [1-7] of 8 fields"):
        import_tardis(path, None, META, tmp_path / "out.parquet")


def test_tardis_lenient_counts_every_dropped_row(tmp_path: Path) -> None:
    crossed = snapshot_rows(9_000)
    crossed[2] = l2_row(9_000, "ask", "99.9", "1", snapshot=True)
    lines = [
        L2_HEADER,
        *snapshot_rows(1_000),
        l2_row(2_000, "bid", "100.0", "-1"),  # negative
        l2_row(2_001, "bid", "100.05", "1"),  # off grid
        l2_row(2_002, "middle", "100.0", "1"),  # unknown side
        l2_row(2_003, "bid", "1e", "1"),  # bad value
        l2_row(500, "bid", "100.0", "1"),  # backwards
        "binance-futures,ETHUSDT,2004,2009,false,bid,100.0,1",  # other instrument
        l2_row(2_005, "bid", "100.0", "4"),  # good
        *crossed,  # 4 rows dropped as one crossed snapshot
        l2_row(9_500, "bid", "99.9", "1"),  # good
        "binance-futures,BTCUSDT,9600",  # short line
    ]
    l2 = write_csv(tmp_path / "l2.csv", lines)

    report = import_tardis(l2, None, META, tmp_path / "out.parquet", strict=False)

    assert dict(report.dropped) == {
        "E_DATA_BAD_VALUE": 1,
        "E_DATA_CROSSED": 4,
        "E_DATA_METADATA": 1,
        "E_DATA_NEGATIVE_SIZE": 1,
        "E_DATA_NONMONOTONIC": 1,
        "E_DATA_OFF_GRID": 1,
        "E_DATA_TRUNCATED": 1,
        "E_DATA_UNKNOWN_KIND": 1,
    }
    assert dict(report.rows_read) == {str(l2): len(lines) - 1}
    assert report.events_written == 1 + 4 + 2
    assert report.dropped_total + 4 + 2 == len(lines) - 1
    assert "dropped[E_DATA_CROSSED]=4" in report.lines()


def test_tardis_gzip_header_only_is_empty_and_writes_nothing(tmp_path: Path) -> None:
    l2 = tmp_path / "l2.csv.gz"
    l2.write_bytes(gzip.compress((L2_HEADER + "\n").encode()))
    out = tmp_path / "out.parquet"

    with pytest.raises(DataError, match=rf"^E_DATA_EMPTY: file={l2} row=0 no events to import"):
        import_tardis(l2, None, META, out)

    assert not out.exists()


def test_tardis_lenient_drop_inside_snapshot_keeps_one_run(tmp_path: Path) -> None:
    rows = snapshot_rows(1_000)
    rows.insert(2, l2_row(1_000, "bid", "99.95", "1", snapshot=True))  # off grid, dropped
    l2 = write_csv(tmp_path / "l2.csv", [L2_HEADER, *rows])

    report = import_tardis(l2, None, META, tmp_path / "out.parquet", strict=False)
    events, _ = load_events(tmp_path / "out.parquet")

    assert dict(report.dropped) == {"E_DATA_OFF_GRID": 1}
    assert events.kind.tolist() == [KIND_CLEAR, *[KIND_SNAPSHOT] * 4]
