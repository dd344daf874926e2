"""Typed fields out of text CSV columns, screened row by row; floats become ticks and lots here.

Every helper rejects the rows it cannot convert through the RowScreen (so strict mode
fails on them and lenient mode counts them) and returns a full-length int64 array whose
rejected entries are placeholders; callers keep `screen.keep` rows only. ImportSource
holds what the importers share per source file; write_import ends an import.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Final, TypeAlias

import numpy as np
import polars as pl
from numpy.typing import NDArray

from mmbot.core.errors import DataError
from mmbot.data.batch import EventBatch
from mmbot.data.csvsource import CsvChunk
from mmbot.data.report import ImportReport
from mmbot.data.schema import InstrumentMeta
from mmbot.data.screen import RowScreen, data_error
from mmbot.data.store import count_events, write_events

I64: TypeAlias = NDArray[np.int64]
F64: TypeAlias = NDArray[np.float64]
Bools: TypeAlias = NDArray[np.bool_]

# A value is on the grid when value / unit is within this many units of an integer; float64
# parsing of a decimal string is exact to ~1e-10 units for any realistic price or size.
GRID_TOLERANCE: Final = 1e-6
# Largest integer a tick or lot count may reach (leaves headroom below 2**63 for sums).
_MAX_UNITS: Final = float(2**53)
# Epoch magnitudes: now is ~1.7e12 ms, ~1.7e15 us, ~1.7e18 ns.
_MS_BELOW: Final = 10**14
_US_BELOW: Final = 10**17


def _raw(chunk: CsvChunk, column: str, index: int) -> str:
    return f"{column}={chunk.frame[column][index]!r}"


def parse_int(screen: RowScreen, chunk: CsvChunk, column: str) -> I64:
    """Return column as int64; reject rows that are not integers (E_DATA_BAD_VALUE)."""
    values = chunk.frame[column].str.strip_chars().cast(pl.Int64, strict=False)
    screen.reject(
        "E_DATA_BAD_VALUE",
        values.is_null().to_numpy(),
        lambda i: f"{_raw(chunk, column, i)} expected an integer",
    )
    return values.fill_null(0).to_numpy().astype(np.int64, copy=False)


def parse_float(screen: RowScreen, chunk: CsvChunk, column: str) -> F64:
    """Return column as float64; reject rows that are not finite numbers (E_DATA_BAD_VALUE)."""
    values = chunk.frame[column].str.strip_chars().cast(pl.Float64, strict=False)
    array = values.fill_null(np.nan).to_numpy().astype(np.float64, copy=False)
    screen.reject(
        "E_DATA_BAD_VALUE",
        ~np.isfinite(array),
        lambda i: f"{_raw(chunk, column, i)} expected a finite number",
    )
    return np.where(np.isfinite(array), array, 0.0)


def parse_choice(
    screen: RowScreen, chunk: CsvChunk, column: str, choices: Mapping[str, int], code: str
) -> I64:
    """Return column mapped through choices (case-insensitive); reject other values under code."""
    text = chunk.frame[column].str.strip_chars().str.to_lowercase()
    mapped = text.replace_strict(dict(choices), default=None, return_dtype=pl.Int64)
    screen.reject(
        code,
        mapped.is_null().to_numpy(),
        lambda i: f"{_raw(chunk, column, i)} expected one of {','.join(choices)}",
    )
    return mapped.fill_null(0).to_numpy().astype(np.int64, copy=False)


def reject_negative(screen: RowScreen, chunk: CsvChunk, column: str, values: F64) -> None:
    """Reject rows whose size is negative (E_DATA_NEGATIVE_SIZE)."""
    screen.reject(
        "E_DATA_NEGATIVE_SIZE",
        values < 0,
        lambda i: f"{_raw(chunk, column, i)} is negative; sizes must be >= 0",
    )


def reject_not_positive(screen: RowScreen, chunk: CsvChunk, column: str, values: F64) -> None:
    """Reject rows whose value is zero or negative (E_DATA_BAD_VALUE)."""
    screen.reject(
        "E_DATA_BAD_VALUE",
        values <= 0,
        lambda i: f"{_raw(chunk, column, i)} must be > 0",
    )


def to_units(
    screen: RowScreen, chunk: CsvChunk, column: str, values: F64, unit: float, unit_name: str
) -> I64:
    """Return values / unit as int64; reject rows off the grid (E_DATA_OFF_GRID)."""
    scaled = values / unit
    rounded = np.rint(scaled)
    off_grid = (np.abs(scaled - rounded) > GRID_TOLERANCE) | (np.abs(rounded) > _MAX_UNITS)
    screen.reject(
        "E_DATA_OFF_GRID",
        off_grid,
        lambda i: (
            f"{_raw(chunk, column, i)} is not a multiple of {unit_name}={unit!r};"
            f" check --{unit_name.replace('_', '-')}"
        ),
    )
    return np.where(off_grid, 0.0, rounded).astype(np.int64)


def epoch_to_ns(values: I64) -> I64:
    """Return epoch timestamps in ns, reading each value as ms, us or ns by its magnitude."""
    scale = np.where(values < _MS_BELOW, 1_000_000, np.where(values < _US_BELOW, 1_000, 1))
    scaled: I64 = (values * scale).astype(np.int64)
    return scaled


class ImportSource:
    """Screening state of one source file of an import, across its chunks."""

    def __init__(self, path: Path, meta: InstrumentMeta, strict: bool) -> None:
        self.path = path
        self.meta = meta
        self.screen = RowScreen(str(path), strict)

    def ticks(self, chunk: CsvChunk, column: str, price: F64) -> I64:
        """Screen prices (> 0, on the tick grid); return them in ticks."""
        reject_not_positive(self.screen, chunk, column, price)
        return to_units(self.screen, chunk, column, price, self.meta.tick_size, "tick_size")

    def lots(self, chunk: CsvChunk, column: str, size: F64, positive: bool) -> I64:
        """Screen sizes (>= 0, or > 0 when positive; on the lot grid); return them in lots."""
        reject_negative(self.screen, chunk, column, size)
        if positive:
            reject_not_positive(self.screen, chunk, column, size)
        return to_units(self.screen, chunk, column, size, self.meta.lot_size, "lot_size")

    def in_order(self, chunk: CsvChunk, column: str, ts_ns: I64) -> None:
        """Reject kept rows older than an earlier kept row, across chunks (E_DATA_NONMONOTONIC)."""
        self.screen.reject_backwards(
            ts_ns,
            lambda i, newest: (
                f"{_raw(chunk, column, i)} is older than the previous row"
                f" ({newest} ns); rows must be in time order"
            ),
        )


def write_import(
    out: str | os.PathLike[str],
    events: Iterable[EventBatch],
    meta: InstrumentMeta,
    strict: bool,
    sources: Sequence[ImportSource],
) -> ImportReport:
    """Write the imported events to out; return the report over the sources' screens.

    No event at all is E_DATA_EMPTY naming the inputs, and nothing is written.
    """
    try:
        write_events(out, events, meta)
    except DataError as exc:
        if exc.code != "E_DATA_EMPTY":
            raise
        screens = [source.screen for source in sources]
        read = sum(screen.rows_read for screen in screens)
        dropped = sum(sum(screen.dropped.values()) for screen in screens)
        raise data_error(
            "E_DATA_EMPTY",
            ",".join(screen.file for screen in screens),
            0,
            f"no events to import (data rows read={read}, dropped={dropped}); nothing was "
            f"written to {os.fspath(out)}",
        ) from None
    return ImportReport.of(
        os.fspath(out), strict, [source.screen for source in sources], count_events(out)
    )
