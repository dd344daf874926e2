"""Row screening: strict mode fails on the first bad row, lenient mode drops and counts it.

Theory of operation: a chunk of rows is screened by a sequence of vectorised checks. Each
check rejects a boolean mask of rows under one error code; a row rejected once is not
looked at again, so every dropped row is counted under exactly one code (the first check
it fails). Strict mode remembers the earliest rejected row of the chunk and raises it when
the chunk is done; lenient mode keeps a count per code. Nothing is dropped silently.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Final

import numpy as np
from numpy.typing import NDArray

from mmbot.core.errors import DataError

_STRICT_HINT: Final = "fix the input or import with --lenient to drop and count such rows"


def data_error(code: str, file: str, row: int | str, detail: str) -> DataError:
    """Return the one-line `E_DATA_*: file=... row=... detail` error."""
    return DataError(code, f"file={file} row={row} {detail}")


def require_file(where: str) -> None:
    """Raise E_DATA_FILE_MISSING unless where is an existing file."""
    if not Path(where).is_file():
        raise data_error("E_DATA_FILE_MISSING", where, 0, "no such file; check the path")


class RowScreen:
    """Screen chunks of rows of one file; row numbers are 1-based data rows."""

    def __init__(self, file: str, strict: bool) -> None:
        self.file = file
        self.strict = strict
        self.rows_read = 0
        self._dropped: dict[str, int] = {}
        self._rows: NDArray[np.int64] = np.empty(0, dtype=np.int64)
        self._keep: NDArray[np.bool_] = np.empty(0, dtype=np.bool_)
        self._first: tuple[int, str, str] | None = None
        self._last_ts_ns = int(np.iinfo(np.int64).min)  # newest kept timestamp, across chunks

    @property
    def dropped(self) -> dict[str, int]:
        """Return rows dropped so far, by error code (lenient mode)."""
        return dict(self._dropped)

    @property
    def keep(self) -> NDArray[np.bool_]:
        """Return the mask of rows of the current chunk not rejected so far."""
        return self._keep

    def begin(self, rows: NDArray[np.int64]) -> None:
        """Start screening a chunk whose rows carry these file row numbers."""
        self._rows = rows
        self._keep = np.ones(len(rows), dtype=np.bool_)
        self._first = None
        self.rows_read += len(rows)

    def reject(self, code: str, bad: NDArray[np.bool_], detail: Callable[[int], str]) -> None:
        """Reject the rows in bad (not yet rejected); detail(i) describes row i of the chunk."""
        bad = bad & self._keep
        if not bad.any():
            return
        self._keep &= ~bad
        if not self.strict:
            self._dropped[code] = self._dropped.get(code, 0) + int(bad.sum())
            return
        index = int(np.argmax(bad))
        row = int(self._rows[index])
        if self._first is None or row < self._first[0]:
            self._first = (row, code, detail(index))

    def reject_backwards(self, ts_ns: NDArray[np.int64], detail: Callable[[int, int], str]) -> None:
        """Reject rows older than an earlier kept row, across chunks (E_DATA_NONMONOTONIC).

        Rows rejected so far do not count as earlier rows; later checks of the chunk do not
        change the newest timestamp kept. detail(i, newest) describes row i of the chunk,
        newest being the timestamp it is older than.
        """
        floor = np.iinfo(np.int64).min
        kept = np.where(self._keep, ts_ns, floor)
        newest_before = np.maximum.accumulate(np.concatenate(([self._last_ts_ns], kept)))[:-1]
        self.reject(
            "E_DATA_NONMONOTONIC", ts_ns < newest_before, lambda i: detail(i, int(newest_before[i]))
        )
        kept = np.where(self._keep, ts_ns, floor)
        if len(kept):
            self._last_ts_ns = max(self._last_ts_ns, int(kept.max()))

    def count_external(self, code: str, rows: int) -> None:
        """Count rows rejected outside a chunk (e.g. malformed CSV lines skipped by the parser)."""
        self._dropped[code] = self._dropped.get(code, 0) + rows
        self.rows_read += rows

    def end(self) -> NDArray[np.bool_]:
        """Finish the chunk: raise its earliest bad row (strict) or return the keep mask."""
        if self._first is not None:
            row, code, detail = self._first
            raise data_error(code, self.file, row, f"{detail}; {_STRICT_HINT}")
        return self._keep
