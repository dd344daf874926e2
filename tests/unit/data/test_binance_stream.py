"""Binance USD-M stream recordings: snapshot/diff rules, bookTicker on the book, gaps, clock."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tests.unit.data.streamkit import (
    BOOK_ASKS,
    BOOK_BIDS,
    LOCAL_BEHIND_MS,
    META,
    MS,
    T0_MS,
    diff,
    snapshot,
    synced_start,
    ticker,
    trade,
    write_recording,
)

from mmbot.core.errors import DataError
from mmbot.data import (
    KIND_CLEAR,
    KIND_DEPTH,
    KIND_SNAPSHOT,
    KIND_TRADE,
    SIDE_ASK,
    SIDE_BID,
    SIDE_SELL,
    BookReplay,
    import_binance_stream,
    info,
    load_events,
)


def _import(
    tmp_path: Path, lines: list[str], strict: bool = True
) -> tuple[dict[str, object], Path]:
    source = write_recording(tmp_path / "rec.gz", lines)
    out = tmp_path / "out.parquet"
    report = import_binance_stream([source], META, out, strict=strict)
    return report.figures(), out


def _tops(path: Path) -> tuple[list[int], list[int]]:
    events, _ = load_events(path)
    bids, asks = BookReplay().tops(events)
    return bids.tolist(), asks.tolist()


def test_stream_snapshot_then_straddling_diff_rebuilds_the_book(tmp_path: Path) -> None:
    figures, out = _import(tmp_path, synced_start())

    events, meta = load_events(out)
    assert meta.venue == "binance-usdm" and meta.symbol == "BTCUSDT"
    assert events.kind.tolist() == [KIND_CLEAR] + [KIND_SNAPSHOT] * 4 + [KIND_DEPTH] * 2
    assert events.ts_exch_ns[0] == (T0_MS + 10) * MS  # the snapshot's T
    assert events.price_ticks[5:].tolist() == [998, 1001]  # the diff's two levels
    assert events.qty_lots[5:].tolist() == [4000, 1400]
    bids, asks = _tops(out)
    assert (bids[-1], asks[-1]) == (1000, 1001)
    assert figures["diffs_no_book"] == 1  # the diff before the snapshot
    assert figures["diffs_applied"] == 1 and figures["sequence_gaps"] == 0


def test_stream_ticker_between_diffs_moves_the_top_and_never_crosses(tmp_path: Path) -> None:
    lines = [
        *synced_start(),
        # The diff of ids 106..110 arrives first; the ticker of id 108 (the bid at 100.0 is
        # gone, the ask fell to 100.0) after it: in exchange order the ticker goes first.
        diff(T0_MS + 40, (106, 110, 105), [("100.0", "0.000")], [("100.0", "0.700")]),
        ticker(T0_MS + 30, 108, ("99.9", "2.000"), ("100.0", "0.700"), latency_ms=30),
        ticker(T0_MS + 45, 110, ("99.9", "2.000"), ("100.0", "0.700")),  # same id as the diff
    ]

    figures, out = _import(tmp_path, lines)

    events, _ = load_events(out)
    rows = list(zip(events.side.tolist(), events.price_ticks.tolist(), events.qty_lots.tolist(),
                    strict=True))  # fmt: skip
    # The ticker: the bid side first (its ask is at the best bid), the 100.0 bid deleted, then
    # the ask set at 100.0; then the diff, deletion first; the second ticker changes nothing.
    assert rows[7:] == [(SIDE_BID, 1000, 0), (SIDE_ASK, 1000, 700),
                        (SIDE_BID, 1000, 0), (SIDE_ASK, 1000, 700)]  # fmt: skip
    assert events.ts_exch_ns[7:].tolist() == [(T0_MS + t) * MS for t in (30, 30, 40, 40)]
    assert info(out).crossed_events == 0
    bids, asks = _tops(out)
    assert (bids[-1], asks[-1]) == (999, 1000)
    assert figures["tickers_checked"] == 1 and figures["ticker_mismatches"] == 0
    assert figures["ticker_rows"] == 2


def test_stream_ticker_that_differs_from_the_book_at_its_id_is_one_error(tmp_path: Path) -> None:
    lines = [*synced_start(), ticker(T0_MS + 30, 105, ("100.0", "1.000"), ("100.1", "9.000"))]

    with pytest.raises(DataError) as caught:
        _import(tmp_path, lines)

    line = caught.value.line()
    assert line.startswith("E_DATA_BOOK_MISMATCH: file=") and "row=4 " in line
    assert "u=105" in line and "\n" not in line


def test_stream_gap_strict_is_one_line_naming_ids_and_line(tmp_path: Path) -> None:
    lines = [*synced_start(), diff(T0_MS + 30, (108, 112, 107), [("99.7", "1.000")], [])]

    with pytest.raises(DataError) as caught:
        _import(tmp_path, lines)

    line = caught.value.line()
    assert line.startswith("E_DATA_SEQUENCE_GAP: file=")
    assert "row=4 " in line and "U=108 u=112 pu=107" in line and "pu=105" in line
    assert "--lenient" in line


def test_stream_gap_lenient_clears_then_resyncs_from_the_next_snapshot(tmp_path: Path) -> None:
    lines = [
        *synced_start(),
        diff(T0_MS + 30, (108, 112, 107), [("99.7", "1.000")], []),  # gap: lost 106..107
        diff(T0_MS + 40, (113, 115, 112), [("99.6", "1.000")], []),  # no book: waits
        ticker(T0_MS + 45, 115, ("100.0", "1.000"), ("100.1", "1.400")),  # no book: dropped
        snapshot(T0_MS + 50, 120, [("101.0", "1.000")], [("101.1", "1.000")]),
        diff(T0_MS + 60, (118, 122, 115), [("101.0", "2.000")], []),
    ]

    figures, out = _import(tmp_path, lines, strict=False)

    events, _ = load_events(out)
    clears = np.flatnonzero(events.kind == KIND_CLEAR)
    assert events.ts_exch_ns[clears].tolist() == [(T0_MS + t) * MS for t in (10, 30, 50)]
    bids, asks = _tops(out)
    assert (bids[clears[1]], asks[clears[1]]) == (np.iinfo(np.int64).min, np.iinfo(np.int64).max)
    assert (bids[-1], asks[-1]) == (1010, 1011)
    assert figures["sequence_gaps"] == 1 and figures["snapshots_used"] == 2
    assert figures["diffs_no_book"] == 2 and figures["tickers_no_book"] == 1
    assert figures["dropped_total"] == 1  # the diff that showed the gap


def test_stream_first_diff_starting_after_the_snapshot_is_a_gap(tmp_path: Path) -> None:
    lines = [snapshot(T0_MS, 100, BOOK_BIDS, BOOK_ASKS), diff(T0_MS + 5, (102, 104, 101), [], [])]

    with pytest.raises(DataError, match=r"E_DATA_SEQUENCE_GAP: .*U=102 .*U<=100<=u"):
        _import(tmp_path, lines)


def test_stream_clock_offset_is_the_fastest_message_and_is_subtracted(tmp_path: Path) -> None:
    lines = [*synced_start(), trade(T0_MS + 25, 7, "100.1", "0.002", False, latency_ms=1)]

    figures, out = _import(tmp_path, lines)

    # The trade was the fastest: local - E = 1 ms of transit - LOCAL_BEHIND_MS.
    assert figures["clock_offset_ns"] == (1 - LOCAL_BEHIND_MS) * MS
    events, _ = load_events(out)
    latency_ns = events.ts_local_ns - events.ts_exch_ns
    trade_row = int(np.flatnonzero(events.kind == KIND_TRADE)[0])
    assert latency_ns[trade_row] == 1 * MS  # at E (= T + 1 ms): its transit counts as 0
    assert latency_ns.min() >= 0 and latency_ns.max() == 5 * MS  # the others: E-T + 4 ms


def test_stream_day_files_in_order_equal_one_file_and_reversed_are_refused(
    tmp_path: Path,
) -> None:
    lines = [*synced_start(), trade(T0_MS + 25, 7, "100.1", "0.002", True)]
    whole = write_recording(tmp_path / "whole.gz", lines)
    day1 = write_recording(tmp_path / "d1.gz", lines[:2])
    day2 = write_recording(tmp_path / "d2.gz", lines[2:])

    import_binance_stream([whole], META, tmp_path / "a.parquet")
    import_binance_stream([day1, day2], META, tmp_path / "b.parquet")
    with pytest.raises(DataError, match=r"E_DATA_NONMONOTONIC: file=.*d1.gz row=1 .*in recording"):
        import_binance_stream([day2, day1], META, tmp_path / "c.parquet")

    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()
    assert not (tmp_path / "c.parquet").exists()


@pytest.mark.parametrize(
    ("bad_line", "code"),
    [
        ("1721347000000000000 {not json", "E_DATA_FORMAT"),
        ("noon {}", "E_DATA_FORMAT"),
        (trade(T0_MS + 25, 8, "100.15", "0.002", True), "E_DATA_OFF_GRID"),
        (trade(T0_MS + 25, 8, "100.1", "0.0005", True), "E_DATA_OFF_GRID"),
        (ticker(T0_MS + 25, 106, ("100.1", "1.000"), ("100.1", "1.000")), "E_DATA_CROSSED"),
        (trade(T0_MS + 25, 8, "100.1", "0.002", True).replace('"BTCUSDT"', '"ETHUSDT"'),
         "E_DATA_METADATA"),
    ],
)  # fmt: skip
def test_stream_bad_line_strict_names_file_and_line_lenient_counts(
    tmp_path: Path, bad_line: str, code: str
) -> None:
    lines = [*synced_start(), bad_line, trade(T0_MS + 26, 9, "100.1", "0.002", True)]

    with pytest.raises(DataError) as caught:
        _import(tmp_path, lines)
    figures, out = _import(tmp_path, lines, strict=False)

    assert caught.value.line().startswith(f"{code}: file=") and " row=4 " in caught.value.line()
    assert figures["dropped_total"] == 1
    events, _ = load_events(out)
    assert events.kind.tolist().count(KIND_TRADE) == 1  # the good trade after it


def test_stream_non_market_trade_and_other_streams_are_skipped(tmp_path: Path) -> None:
    lines = [
        *synced_start(),
        trade(T0_MS + 25, 8, "100.1", "0.002", True, how="INSURANCE_FUND"),
        '1721347000000000000 {"result":null,"id":1}',
        trade(T0_MS + 26, 9, "100.0", "0.003", True),
    ]

    source = write_recording(tmp_path / "rec.gz", lines)
    report = import_binance_stream([source], META, tmp_path / "o.parquet")

    assert dict(report.skipped) == {"no_event": 1, "trade:INSURANCE_FUND": 1}
    events, _ = load_events(tmp_path / "o.parquet")
    trades = events.take(events.kind == KIND_TRADE)
    assert trades.side.tolist() == [SIDE_SELL] and trades.qty_lots.tolist() == [3]


def test_stream_message_later_than_the_window_strict_refused_lenient_dropped(
    tmp_path: Path,
) -> None:
    # Stamped between the snapshot and the diff, which left the window before it arrived.
    late = trade(T0_MS + 15, 9, "100.1", "0.002", True, latency_ms=3_000)
    lines = [*synced_start(), trade(T0_MS + 2_500, 8, "100.1", "0.002", True), late]

    with pytest.raises(DataError, match=r"E_DATA_NONMONOTONIC: file=.* row=5 trade"):
        _import(tmp_path, lines)
    figures, _ = _import(tmp_path, lines, strict=False)

    assert figures["trades_written"] == 1 and figures["dropped_total"] == 1


def test_stream_trades_after_a_first_print_are_not_compared_with_the_top(tmp_path: Path) -> None:
    lines = [
        *synced_start(),
        trade(T0_MS + 25, 8, "100.1", "1.400", False),  # lifts the whole best ask ...
        trade(T0_MS + 25, 9, "100.2", "0.100", False),  # ... and one order behind it
        trade(T0_MS + 26, 10, "100.3", "0.100", False),  # a new taker beyond the top
    ]

    figures, _ = _import(tmp_path, lines)

    assert figures["trades_after_first_print"] == 1
    assert figures["trades_beyond_top"] == 1


def test_stream_diff_rows_delete_first_so_the_book_never_crosses_between_them(
    tmp_path: Path,
) -> None:
    # The bid moves up onto the old best ask (100.1), which the same diff deletes.
    lines = [*synced_start(), diff(T0_MS + 30, (106, 107, 105), [("100.1", "0.300")],
                                   [("100.1", "0.000")])]  # fmt: skip

    _, out = _import(tmp_path, lines)

    events, _ = load_events(out)
    assert events.qty_lots[-2:].tolist() == [0, 300]  # the ask's deletion, then the new bid
    assert info(out).crossed_events == 0


def test_stream_diffs_without_a_snapshot_strict_refused_lenient_trades_only(
    tmp_path: Path,
) -> None:
    lines = [diff(T0_MS, (80, 90, 70), [("100.0", "0.500")], []),
             trade(T0_MS + 5, 7, "100.1", "0.002", False)]  # fmt: skip

    with pytest.raises(DataError, match=r"^E_DATA_NO_SNAPSHOT: file=.*rec.gz row=0 1 depth diffs"):
        _import(tmp_path, lines)
    figures, out = _import(tmp_path, lines, strict=False)

    events, _ = load_events(out)
    assert events.kind.tolist() == [KIND_TRADE]
    assert figures["snapshots_used"] == 0 and figures["diffs_no_book"] == 1
