"""Stream a venue CSV (.csv or .csv.gz) in chunks of string columns, with file row numbers.

pyarrow's streaming reader does the parsing (one block at a time, so memory stays flat);
every column is read as text so a bad value fails one row, not a whole block: the
importers cast with polars and screen the rows themselves. Malformed lines (wrong field
count) go through the screen too: strict mode fails on the first, lenient mode skips and
counts it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
from numpy.typing import NDArray

from mmbot.core.errors import DataError
from mmbot.core.text import first_line
from mmbot.data.screen import RowScreen, data_error, require_file

_BLOCK_BYTES: Final = 8 << 20
_HEAD_BYTES: Final = 4096
# Read every column as text; files have fewer columns than this.
_MAX_COLUMNS: Final = 64


@dataclass(frozen=True, slots=True)
class CsvChunk:
    """A chunk of rows: 1-based data row numbers (header excluded) and string columns."""

    rows: NDArray[np.int64]
    frame: pl.DataFrame

    def __len__(self) -> int:
        return len(self.rows)


@dataclass(frozen=True, slots=True)
class _BadLine:
    line: int
    expected: int
    actual: int

    @property
    def code(self) -> str:
        """Return E_DATA_TRUNCATED for a short line (a cut file), else E_DATA_FORMAT."""
        return "E_DATA_TRUNCATED" if self.actual < self.expected else "E_DATA_FORMAT"


def _is_number(text: object) -> bool:
    try:
        float(str(text))
    except ValueError:
        return False
    return True


class _Reader:
    """One pass over one file; holds the parser state between blocks."""

    def __init__(self, path: Path, screen: RowScreen, block_bytes: int, header: bool) -> None:
        self.where = str(path)
        self.screen = screen
        self.bad_lines: list[_BadLine] = []
        self.header_lines = int(header)
        self.next_row = 1
        require_file(self.where)
        self.stream = pa.input_stream(self.where, compression="detect")
        self.reader = self._guard(
            lambda: pacsv.open_csv(
                self.stream,
                read_options=pacsv.ReadOptions(
                    autogenerate_column_names=True, block_size=block_bytes, use_threads=False
                ),
                parse_options=pacsv.ParseOptions(invalid_row_handler=self._on_invalid),
                convert_options=pacsv.ConvertOptions(
                    column_types={f"f{i}": pa.string() for i in range(_MAX_COLUMNS)}
                ),
            )
        )

    def _on_invalid(self, row: Any) -> str:
        bad = _BadLine(int(row.number), int(row.expected_columns), int(row.actual_columns))
        self.bad_lines.append(bad)
        if self.screen.strict:
            return "error"
        self.screen.count_external(bad.code, 1)
        return "skip"

    def _bad_line_error(self, bad: _BadLine) -> DataError:
        if bad.code == "E_DATA_TRUNCATED":
            what = f"has {bad.actual} of {bad.expected} fields; the file is cut, re-fetch it"
        else:
            what = f"has {bad.actual} fields, expected {bad.expected}; check the file format"
        return data_error(bad.code, self.where, bad.line - self.header_lines, what)

    def _guard(self, step: Any) -> Any:
        """Run one parser step, turning pyarrow errors into one-line E_DATA_* errors."""
        try:
            return step()
        except StopIteration:
            raise
        except (pa.ArrowInvalid, OSError) as exc:
            if self.bad_lines and self.screen.strict:
                raise self._bad_line_error(self.bad_lines[0]) from None
            message = first_line(exc)
            if "runcated" in message or "Empty CSV" in message or "end of" in message:
                raise data_error(
                    "E_DATA_TRUNCATED",
                    self.where,
                    self.next_row,
                    f"stream ends early ({message}); re-fetch the file",
                ) from None
            raise data_error(
                "E_DATA_FORMAT", self.where, self.next_row, f"unreadable CSV ({message})"
            ) from None

    def batches(self) -> Iterator[pa.RecordBatch]:
        """Yield the parsed blocks; close the file when done."""
        iterator = iter(self.reader)
        try:
            while True:
                try:
                    yield self._guard(lambda: next(iterator))
                except StopIteration:
                    return
        finally:
            self.stream.close()

    def row_numbers(self, count: int) -> NDArray[np.int64]:
        """Return the data row numbers of the next count parsed rows, around skipped lines."""
        skipped = np.asarray(
            [bad.line - self.header_lines for bad in self.bad_lines], dtype=np.int64
        )
        skipped = skipped[skipped >= self.next_row]
        candidates = np.arange(self.next_row, self.next_row + count + len(skipped), dtype=np.int64)
        rows = candidates[~np.isin(candidates, skipped)][:count]
        if count:
            self.next_row = int(rows[-1]) + 1
        self.bad_lines = [b for b in self.bad_lines if b.line - self.header_lines >= self.next_row]
        return rows


def _first_field(path: Path) -> str:
    """Return the first field of the first line (to tell a header from data)."""
    try:
        with pa.input_stream(str(path), compression="detect") as stream:
            head = bytes(stream.read(_HEAD_BYTES))
    except (pa.ArrowInvalid, OSError):
        return ""  # unreadable: the parser reports it with a row number
    return head.split(b"\n", 1)[0].split(b",", 1)[0].decode("ascii", "replace").strip()


def _check_columns(names: Sequence[str], required: Sequence[str], where: str) -> None:
    missing = [name for name in required if name not in names]
    if missing:
        raise data_error(
            "E_DATA_MISSING_COLUMNS",
            where,
            "header",
            f"missing={','.join(missing)} found={','.join(names)}; "
            f"expected columns {','.join(required)}",
        )


def iter_csv(
    path: Path,
    screen: RowScreen,
    required: Sequence[str],
    positional: Sequence[str] | None = None,
    block_bytes: int | None = None,
) -> Iterator[CsvChunk]:
    """Yield chunks of path holding the required columns as text.

    With positional=None the file must start with a header naming the columns. Otherwise
    a first line whose first field is a number is data, and columns are named by position.
    """
    header = positional is None or not _is_number(_first_field(path))
    reader = _Reader(path, screen, block_bytes or _BLOCK_BYTES, header)
    names: list[str] | None = None if header else list(positional or ())
    selected: list[pl.Expr] = []
    for batch in reader.batches():
        frame = pl.DataFrame(pl.from_arrow(batch))
        if not selected:
            if frame.height == 0:
                continue
            if names is None:
                names = [str(frame[column][0]).strip() for column in frame.columns]
                frame = frame.slice(1)
            names = names[: frame.width]
            _check_columns(names, required, reader.where)
            selected = [pl.col(f"f{names.index(name)}").alias(name) for name in required]
        frame = frame.select(selected)
        yield CsvChunk(reader.row_numbers(frame.height), frame)
    if not selected and header:
        _check_columns([], required, reader.where)
