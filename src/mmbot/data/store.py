"""Event files: Parquet, six non-null int64 columns, instrument metadata in the footer.

Writing is streaming (row groups of a fixed size, so the bytes depend only on the events,
not on how the caller chunked them) and atomic (a temp file renamed into place). Reading
streams record batches and checks every one of them against the schema rules.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from mmbot.artifacts import atomic_output
from mmbot.core.text import first_line
from mmbot.data.batch import EventBatch
from mmbot.data.check import EventChecker
from mmbot.data.schema import COLUMNS, META_KEYS, META_PREFIX, SCHEMA_VERSION, InstrumentMeta
from mmbot.data.screen import data_error, require_file

_MAGIC: Final = b"PAR1"
_COMPRESSION: Final = "zstd"
_CHUNK_ROWS: Final = 1_000_000


def _arrow_schema(meta: InstrumentMeta) -> pa.Schema:
    values = {
        "venue": meta.venue,
        "symbol": meta.symbol,
        "tick_size": repr(float(meta.tick_size)),
        "lot_size": repr(float(meta.lot_size)),
        "schema_version": SCHEMA_VERSION,
    }
    metadata = {f"{META_PREFIX}{key}": values[key] for key in META_KEYS}
    fields = [pa.field(name, pa.int64(), nullable=False) for name in COLUMNS]
    return pa.schema(fields, metadata=metadata)


def _record_batch(batch: EventBatch, schema: pa.Schema) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays([pa.array(a) for a in batch.columns()], schema=schema)


def write_events(
    path: str | os.PathLike[str],
    batches: Iterable[EventBatch],
    meta: InstrumentMeta,
    row_group_rows: int = 1_000_000,
) -> Path:
    """Write batches to an event file atomically; return its path.

    Every batch is checked against the schema rules first (E_DATA_* on a bad row, and
    nothing is written); no events at all is E_DATA_EMPTY, and nothing is written either.
    Row groups hold exactly row_group_rows events (the last fewer).
    """
    if row_group_rows <= 0:
        raise ValueError(f"row_group_rows must be > 0, got {row_group_rows}")
    schema = _arrow_schema(meta)
    checker = EventChecker(os.fspath(path))
    with atomic_output(path) as temp:
        writer = pq.ParquetWriter(temp, schema, compression=_COMPRESSION)
        try:
            pending = EventBatch.empty()
            events = 0
            for batch in batches:
                checker.check(batch)
                events += len(batch)
                pending = EventBatch.concat([pending, batch]) if len(pending) else batch
                start = 0
                while len(pending) - start >= row_group_rows:
                    group = pending.slice(start, start + row_group_rows)
                    writer.write_batch(_record_batch(group, schema), row_group_size=row_group_rows)
                    start += row_group_rows
                pending = pending.slice(start, len(pending))
            if len(pending):
                writer.write_batch(_record_batch(pending, schema), row_group_size=row_group_rows)
            if not events:
                raise data_error(
                    "E_DATA_EMPTY", os.fspath(path), 0,
                    "no events to write (--events 0, an input without data rows, or every row "
                    "dropped); nothing was written",
                )  # fmt: skip
        finally:
            writer.close()
    return Path(path)


def _open(path: str | os.PathLike[str]) -> pq.ParquetFile:
    where = os.fspath(path)
    require_file(where)
    try:
        return pq.ParquetFile(where)
    except (pa.ArrowInvalid, OSError) as exc:
        with open(where, "rb") as handle:
            head = handle.read(len(_MAGIC))
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - len(_MAGIC)))
            tail = handle.read(len(_MAGIC))
        if head == _MAGIC and tail != _MAGIC:
            raise data_error(
                "E_DATA_TRUNCATED", where, 0, "Parquet footer missing (file cut); regenerate it"
            ) from None
        raise data_error(
            "E_DATA_FORMAT", where, 0, f"not an event file ({first_line(exc)}); expected Parquet"
        ) from None


def _meta_of(schema: pa.Schema, where: str) -> InstrumentMeta:
    raw = {key.decode(): value.decode() for key, value in (schema.metadata or {}).items()}
    values = {key: raw.get(f"{META_PREFIX}{key}") for key in META_KEYS}
    missing = [f"{META_PREFIX}{key}" for key, value in values.items() if value is None]
    if missing:
        raise data_error(
            "E_DATA_METADATA",
            where,
            0,
            f"missing={','.join(missing)}; write event files with mmbot.data.write_events",
        )
    if values["schema_version"] != SCHEMA_VERSION:
        raise data_error(
            "E_DATA_METADATA",
            where,
            0,
            f"schema_version={values['schema_version']} expected={SCHEMA_VERSION}; re-import",
        )
    try:
        return InstrumentMeta(
            venue=str(values["venue"]),
            symbol=str(values["symbol"]),
            tick_size=float(str(values["tick_size"])),
            lot_size=float(str(values["lot_size"])),
        )
    except ValueError as exc:
        raise data_error("E_DATA_METADATA", where, 0, f"bad instrument ({exc})") from None


def _check_columns(schema: pa.Schema, where: str) -> None:
    missing = [name for name in COLUMNS if name not in schema.names]
    if missing:
        raise data_error(
            "E_DATA_MISSING_COLUMNS",
            where,
            0,
            f"missing={','.join(missing)}; expected columns {','.join(COLUMNS)}",
        )
    wrong = [
        f"{name}:{schema.field(name).type}"
        for name in COLUMNS
        if schema.field(name).type != pa.int64()
    ]
    if wrong:
        raise data_error("E_DATA_FORMAT", where, 0, f"columns {','.join(wrong)} expected int64")


def read_meta(path: str | os.PathLike[str]) -> InstrumentMeta:
    """Return the instrument metadata of an event file."""
    return _meta_of(_open(path).schema_arrow, os.fspath(path))


def iter_events(
    path: str | os.PathLike[str], chunk_rows: int = _CHUNK_ROWS
) -> Iterator[EventBatch]:
    """Yield the events of a file in batches of at most chunk_rows, checking each one
    (E_DATA_EMPTY for a file without events)."""
    if chunk_rows <= 0:
        raise ValueError(f"chunk_rows must be > 0, got {chunk_rows}")
    where = os.fspath(path)
    parquet = _open(path)
    _check_columns(parquet.schema_arrow, where)
    _meta_of(parquet.schema_arrow, where)
    require_events(parquet, where)
    yield from _batches(parquet, where, chunk_rows)


def require_events(parquet: pq.ParquetFile, where: str) -> None:
    """Raise E_DATA_EMPTY for a file without events."""
    if parquet.metadata.num_rows == 0:
        raise data_error("E_DATA_EMPTY", where, 0, "holds no events; re-import or re-synthesize it")


def open_events(
    path: str | os.PathLike[str], allow_empty: bool = False
) -> tuple[InstrumentMeta, Iterator[EventBatch]]:
    """Return the metadata of an event file and an iterator over its checked batches.

    The file is opened once; errors come as read_meta then iter_events would raise them
    (a metadata error before a missing-columns error, then E_DATA_EMPTY unless allow_empty:
    `data info` describes an empty file). Not part of the package API.
    """
    where = os.fspath(path)
    parquet = _open(path)
    meta = _meta_of(parquet.schema_arrow, where)
    _check_columns(parquet.schema_arrow, where)
    if not allow_empty:
        require_events(parquet, where)
    return meta, _batches(parquet, where, _CHUNK_ROWS)


def _batches(parquet: pq.ParquetFile, where: str, chunk_rows: int) -> Iterator[EventBatch]:
    checker = EventChecker(where)
    rows_done = 0
    batches = parquet.iter_batches(batch_size=chunk_rows, columns=list(COLUMNS))
    while True:
        try:
            record = next(batches, None)
        except (pa.ArrowInvalid, OSError) as exc:
            raise data_error(
                "E_DATA_FORMAT", where, rows_done + 1, f"unreadable row group ({first_line(exc)})"
            ) from None
        if record is None:
            return
        _refuse_nulls(record, where, rows_done)
        batch = EventBatch(
            *(
                np.ascontiguousarray(record.column(name).to_numpy(), dtype=np.int64)
                for name in COLUMNS
            )
        )
        checker.check(batch)
        rows_done += len(batch)
        yield batch


def _refuse_nulls(record: pa.RecordBatch, where: str, rows_before: int) -> None:
    """Raise E_DATA_BAD_VALUE naming the file row (from 1) of the record's first null."""
    firsts = [
        (int(np.flatnonzero(record.column(name).is_null().to_numpy(zero_copy_only=False))[0]),
         name)
        for name in COLUMNS
        if record.column(name).null_count
    ]  # fmt: skip
    if firsts:
        index, name = min(firsts)
        raise data_error(
            "E_DATA_BAD_VALUE", where, rows_before + index + 1,
            f"column={name} is null; event columns are non-null",
        )  # fmt: skip


def load_events(path: str | os.PathLike[str]) -> tuple[EventBatch, InstrumentMeta]:
    """Return every event of a file as one batch, with its instrument metadata
    (E_DATA_EMPTY for a file without events)."""
    meta, batches = open_events(path)
    return EventBatch.concat(batches), meta


def count_events(path: str | os.PathLike[str]) -> int:
    """Return the number of events in a file, from its footer (no data is read)."""
    return int(_open(path).metadata.num_rows)
