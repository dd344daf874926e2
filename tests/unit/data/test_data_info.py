"""`info`: counts, span, crossed-book counting by event and by timestamp."""

from __future__ import annotations

from pathlib import Path

from tests.unit.data.datakit import META, batch, emptied

from mmbot.data import (
    KIND_CLEAR,
    KIND_DEPTH,
    KIND_SNAPSHOT,
    KIND_TRADE,
    info,
    synthesize,
    write_events,
)


def test_info_counts_kinds_span_and_crossed_states(tmp_path: Path) -> None:
    events = batch(
        (1_000_000_000, 1_000_000_001, KIND_CLEAR, 0, 0, 0),
        (1_000_000_000, 1_000_000_001, KIND_SNAPSHOT, 1, 100, 5),
        (1_000_000_000, 1_000_000_001, KIND_SNAPSHOT, -1, 101, 5),
        # one message crosses for a row, then fixes itself: 1 event, 0 timestamps
        (2_000_000_000, 2_000_000_001, KIND_DEPTH, 1, 101, 2),
        (2_000_000_000, 2_000_000_001, KIND_DEPTH, -1, 101, 0),
        (2_000_000_000, 2_000_000_001, KIND_DEPTH, -1, 102, 3),
        # crossed at the end of a timestamp: 2 events, 1 timestamp
        (3_000_000_000, 3_000_000_001, KIND_DEPTH, 1, 103, 1),
        (3_000_000_000, 3_000_000_001, KIND_TRADE, 1, 102, 1),
        (4_500_000_000, 4_500_000_001, KIND_DEPTH, 1, 103, 0),
    )
    # a batch boundary inside the crossed timestamp must not change the counts
    path = write_events(tmp_path / "e.parquet", [events.slice(0, 7), events.slice(7, 9)], META)

    result = info(path)

    assert (result.rows, result.rows_depth, result.rows_snapshot) == (9, 5, 2)
    assert (result.rows_clear, result.rows_trade) == (1, 1)
    assert result.first_ts_exch_ns == 1_000_000_000
    assert result.span_ns == 3_500_000_000
    assert result.crossed_events == 3
    assert result.crossed_count == 1
    lines = result.lines()
    assert "span_s=3.500000" in lines
    assert "first_utc=1970-01-01T00:00:01Z" in lines
    assert "venue=BINANCE" in lines and "tick_size=0.1" in lines


def test_info_synthetic_file_never_crossed(tmp_path: Path) -> None:
    path = write_events(tmp_path / "s.parquet", synthesize(2, 100_000), META)

    result = info(path)

    assert result.rows == 100_000
    assert result.crossed_events == result.crossed_count == 0
    assert result.rows_clear == 1


def test_info_empty_file_has_no_times(tmp_path: Path) -> None:
    one_event = batch((10, 11, KIND_CLEAR, 0, 0, 0))
    result = info(emptied(write_events(tmp_path / "e.parquet", [one_event], META)))

    assert result.rows == 0
    assert "first_ts_exch_ns=none" in result.lines()
    assert result.as_dict()["first_ts_exch_ns"] is None
