"""Event files: round trip, deterministic bytes, metadata, and every way a file can be bad."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tests.unit.data.datakit import META, batch, emptied

from mmbot.core.errors import DataError
from mmbot.data import (
    KIND_CLEAR,
    KIND_DEPTH,
    KIND_SNAPSHOT,
    KIND_TRADE,
    EventBatch,
    iter_events,
    load_events,
    read_meta,
    synthesize,
    write_events,
)

EVENTS = batch(
    (10, 11, KIND_CLEAR, 0, 0, 0),
    (10, 11, KIND_SNAPSHOT, 1, 1000, 5),
    (10, 11, KIND_SNAPSHOT, -1, 1001, 7),
    (20, 25, KIND_TRADE, 1, 1001, 2),
    (20, 25, KIND_DEPTH, -1, 1001, 5),
)


def test_store_round_trip_keeps_events_and_meta(tmp_path: Path) -> None:
    path = write_events(tmp_path / "e.parquet", [EVENTS], META)

    loaded, meta = load_events(path)

    assert meta == META
    for left, right in zip(loaded.columns(), EVENTS.columns(), strict=True):
        assert left.tolist() == right.tolist()


def test_store_same_events_any_chunking_same_bytes(tmp_path: Path) -> None:
    events = EventBatch.concat(synthesize(5, 30_000))
    one = write_events(tmp_path / "a.parquet", [events], META, row_group_rows=7_000)
    pieces = [events.slice(i, min(i + 997, len(events))) for i in range(0, len(events), 997)]
    many = write_events(tmp_path / "b.parquet", pieces, META, row_group_rows=7_000)

    assert one.read_bytes() == many.read_bytes()
    assert pq.ParquetFile(one).metadata.num_row_groups == 5


def test_store_iter_events_chunks_cover_file(tmp_path: Path) -> None:
    path = write_events(tmp_path / "e.parquet", synthesize(1, 10_000), META, row_group_rows=3_000)

    sizes = [len(part) for part in iter_events(path, chunk_rows=1_000)]

    assert sum(sizes) == 10_000
    assert max(sizes) <= 1_000


def test_store_missing_file_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(DataError) as caught:
        read_meta(tmp_path / "nope.parquet")

    assert caught.value.line().startswith("E_DATA_FILE_MISSING: file=")
    assert "\n" not in caught.value.line()


def test_store_cut_parquet_truncated(tmp_path: Path) -> None:
    path = write_events(tmp_path / "e.parquet", synthesize(1, 5_000), META)
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])

    with pytest.raises(DataError, match=r"^E_DATA_TRUNCATED: file=.*cut.parquet row=0"):
        list(iter_events(cut))


def test_store_not_parquet_format_error(tmp_path: Path) -> None:
    path = tmp_path / "e.parquet"
    path.write_text("a,b\n1,2\n")

    with pytest.raises(DataError, match=r"^E_DATA_FORMAT"):
        read_meta(path)


def test_store_foreign_parquet_metadata_error(tmp_path: Path) -> None:
    path = tmp_path / "plain.parquet"
    table = pa.table({name: pa.array([1], pa.int64()) for name in EVENTS.__slots__})
    pq.write_table(table, path)

    with pytest.raises(DataError, match=r"^E_DATA_METADATA: .*missing=mmbot.venue"):
        read_meta(path)


def test_store_missing_column_error(tmp_path: Path) -> None:
    path = tmp_path / "e.parquet"
    good = write_events(tmp_path / "good.parquet", [EVENTS], META)
    table = pq.read_table(good).drop_columns(["qty_lots"])
    pq.write_table(table, path)

    with pytest.raises(DataError, match=r"^E_DATA_MISSING_COLUMNS: .*missing=qty_lots"):
        list(iter_events(path))


def test_store_unknown_kind_refused_on_write(tmp_path: Path) -> None:
    bad = batch((1, 1, KIND_DEPTH, 1, 10, 1), (2, 2, 9, 1, 10, 1))

    with pytest.raises(DataError, match=r"^E_DATA_UNKNOWN_KIND: file=.* row=2 kind=9"):
        write_events(tmp_path / "e.parquet", [bad], META)
    assert not (tmp_path / "e.parquet").exists()


def test_store_backwards_ts_across_batches_refused(tmp_path: Path) -> None:
    first = batch((5, 5, KIND_DEPTH, 1, 10, 1))
    second = batch((4, 4, KIND_DEPTH, 1, 10, 2))

    with pytest.raises(DataError, match=r"^E_DATA_NONMONOTONIC: file=.* row=2 "):
        write_events(tmp_path / "e.parquet", [first, second], META)


def test_store_negative_qty_in_file_refused_on_read(tmp_path: Path) -> None:
    path = write_events(tmp_path / "good.parquet", [EVENTS], META)
    table = pq.read_table(path)
    qty = table.column("qty_lots").to_numpy().copy()
    qty[4] = -3
    bad = table.set_column(5, "qty_lots", pa.array(qty))
    pq.write_table(bad, tmp_path / "bad.parquet")

    with pytest.raises(DataError, match=r"^E_DATA_NEGATIVE_SIZE: file=.* row=5 qty_lots=-3"):
        list(iter_events(tmp_path / "bad.parquet"))


def test_store_trade_side_none_is_unknown(tmp_path: Path) -> None:
    bad = batch((1, 1, KIND_TRADE, 0, 10, 1))

    with pytest.raises(DataError, match=r"^E_DATA_UNKNOWN_KIND: .*side=0"):
        write_events(tmp_path / "e.parquet", [bad], META)


def test_store_no_events_is_empty_and_nothing_written(tmp_path: Path) -> None:
    path = tmp_path / "e.parquet"

    with pytest.raises(DataError, match=rf"^E_DATA_EMPTY: file={path} row=0 no events to write"):
        write_events(path, [EventBatch.empty()], META)

    assert list(tmp_path.iterdir()) == []


def test_store_load_of_a_file_without_events_is_empty(tmp_path: Path) -> None:
    path = emptied(write_events(tmp_path / "e.parquet", [EVENTS], META))

    for load in (load_events, lambda p: list(iter_events(p))):
        with pytest.raises(DataError, match=rf"^E_DATA_EMPTY: file={path} row=0 holds no events"):
            load(path)
