"""Windows over several event files read by row group: the same rows and opening book as the
whole sequence in memory, and a read that does not grow with the files before the window."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from mmbot.core.errors import DataError
from mmbot.data import (
    KIND_CLEAR,
    KIND_DEPTH,
    KIND_SNAPSHOT,
    KIND_TRADE,
    SIDE_ASK,
    SIDE_BID,
    SYNTH_META,
    BookReplay,
    EventBatch,
    synthesize,
    write_events,
)
from mmbot.data.windows import WindowReader

DAY_NS = 86_400 * 1_000_000_000


def _write_split(folder: Path, events: EventBatch, cuts: list[int], group_rows: int) -> list[Path]:
    """Write events as len(cuts)+1 files cut at those rows, in row groups of group_rows."""
    bounds = [0, *cuts, len(events)]
    return [
        write_events(folder / f"part{i}.parquet", [events.slice(lo, hi)], SYNTH_META, group_rows)
        for i, (lo, hi) in enumerate(itertools.pairwise(bounds))
    ]


def _random_book_rows(seed: int, count: int) -> EventBatch:
    """Rows of every kind, with snapshot runs and CLEARs, one timestamp per row."""
    rng = np.random.default_rng(seed)
    kind = rng.choice(
        [KIND_DEPTH, KIND_SNAPSHOT, KIND_CLEAR, KIND_TRADE], count, p=[0.6, 0.25, 0.03, 0.12]
    )
    # Snapshot rows come in runs: repeat each drawn kind a few times.
    kind = np.repeat(kind, rng.integers(1, 6, count))[:count]
    side = np.where(rng.random(count) < 0.5, SIDE_BID, SIDE_ASK).astype(np.int64)
    side[kind == KIND_CLEAR] = 0
    price = rng.integers(90, 110, count).astype(np.int64)
    qty = rng.integers(0, 4, count).astype(np.int64)
    qty[kind == KIND_TRADE] += 1
    ts = np.arange(count, dtype=np.int64) * 1_000
    return EventBatch(ts, ts + 7, kind.astype(np.int64), side, price, qty)


def _book_oracle(events: EventBatch, row: int) -> list[tuple[int, int, int]]:
    """The live levels just before row, replayed one row at a time: (side, price, qty), bids
    best first then asks best first; none when row is the first row or replaces the book."""
    kind = events.kind

    def is_reset(r: int) -> bool:
        snapshot_start = kind[r] == KIND_SNAPSHOT and (r == 0 or kind[r - 1] != KIND_SNAPSHOT)
        return bool(kind[r] == KIND_CLEAR or snapshot_start)

    if row == 0 or is_reset(row):
        return []
    book: dict[tuple[int, int], int] = {}
    for r in range(row):
        if is_reset(r):
            book.clear()
        if kind[r] in (KIND_DEPTH, KIND_SNAPSHOT):
            book[(int(events.side[r]), int(events.price_ticks[r]))] = int(events.qty_lots[r])
    live = [(side, price, qty) for (side, price), qty in book.items() if qty > 0]
    bids = sorted((level for level in live if level[0] == SIDE_BID), key=lambda x: -x[1])
    asks = sorted(level for level in live if level[0] == SIDE_ASK)
    return bids + asks


def test_window_opens_with_the_book_a_row_by_row_replay_holds(tmp_path: Path) -> None:
    events = _random_book_rows(5, 240)
    reader = WindowReader(_write_split(tmp_path, events, [61, 150], group_rows=7))
    stop_ns = int(events.ts_exch_ns[-1]) + 1
    for row in range(len(events)):
        window = reader.window(int(events.ts_exch_ns[row]), stop_ns)
        rows = len(events) - row
        opening = window.slice(0, len(window) - rows)
        got = list(
            zip(
                opening.side.tolist(),
                opening.price_ticks.tolist(),
                opening.qty_lots.tolist(),
                strict=True,
            )
        )
        assert got == _book_oracle(events, row), row
        assert np.all(opening.kind == KIND_SNAPSHOT)
        assert np.all(opening.ts_exch_ns == events.ts_exch_ns[row])
        assert np.all(opening.ts_local_ns == events.ts_local_ns[row])
        tail = window.slice(len(opening), len(window))
        assert all(
            np.array_equal(a, b)
            for a, b in zip(tail.columns(), events.slice(row, len(events)).columns(), strict=True)
        )


@pytest.mark.parametrize("row", [1, 777, 5_000, 12_345, 29_999])
def test_window_replays_the_same_book_as_the_whole_file(tmp_path: Path, row: int) -> None:
    events = EventBatch.concat(synthesize(11, 30_000))
    reader = WindowReader(_write_split(tmp_path, events, [9_000, 20_001], group_rows=1_000))
    window = reader.window(int(events.ts_exch_ns[row]), int(events.ts_exch_ns[-1]) + 1)
    # The window starts at the first row of row's timestamp, which may be before row.
    first = int(np.searchsorted(events.ts_exch_ns, events.ts_exch_ns[row]))
    full_bid, full_ask = BookReplay().tops(events)
    bid, ask = BookReplay().tops(window)
    opening = len(window) - (len(events) - first)
    assert np.array_equal(bid[opening:], full_bid[first:])
    assert np.array_equal(ask[opening:], full_ask[first:])


def _days(folder: Path, days: int, rows_per_day: int) -> list[Path]:
    """One file per day, each opening with CLEAR and a snapshot (as data synth writes); every
    day holds the same market, so the last day is the same whatever the count."""
    paths = []
    for day in range(days):
        batch = EventBatch.concat(synthesize(7, rows_per_day))
        shift = day * DAY_NS - int(batch.ts_exch_ns[0])
        shifted = EventBatch(
            batch.ts_exch_ns + shift, batch.ts_local_ns + shift, batch.kind, batch.side,
            batch.price_ticks, batch.qty_lots,
        )  # fmt: skip
        paths.append(write_events(folder / f"day{day}.parquet", [shifted], SYNTH_META, 500))
    return paths


def test_a_window_reads_the_same_rows_however_many_days_come_before(tmp_path: Path) -> None:
    reads = []
    for days in (2, 6):
        folder = tmp_path / f"days{days}"
        folder.mkdir()
        reader = WindowReader(_days(folder, days, 4_000))
        last_day_ns = (days - 1) * DAY_NS
        first, _last = reader.span_ns()
        assert first == 0
        window = reader.window(last_day_ns + 3 * 10**9, last_day_ns + 6 * 10**9)
        assert len(window) > 0
        reads.append((reader.reader.groups_read, reader.reader.rows_read, len(window)))
    assert reads[0] == reads[1]
    groups_read, rows_read, _rows = reads[1]
    assert rows_read <= 4_000 + 500 and groups_read <= 4_000 // 500 + 1


def test_window_outside_the_data_is_empty(tmp_path: Path) -> None:
    reader = WindowReader(_days(tmp_path, 2, 1_000))
    assert len(reader.window(-10, 0)) == 0
    assert len(reader.window(DAY_NS // 2, DAY_NS)) == 0  # the gap between the two days
    assert reader.reader.rows_read == 0


def test_files_out_of_time_order_are_e_data_nonmonotonic(tmp_path: Path) -> None:
    paths = _days(tmp_path, 2, 1_000)
    with pytest.raises(DataError) as caught:
        WindowReader(paths[::-1])
    assert caught.value.code == "E_DATA_NONMONOTONIC"
