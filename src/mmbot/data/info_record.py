"""`data info` with what each file's import recorded (clock offset, gaps, book checks).

A file without an import record (data/import_record.py) is described exactly as `info` and
`info_set` describe it; one with a record gets its `import_*` lines after its own block, and
an `import` entry in its JSON.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from mmbot.artifacts import JsonValue
from mmbot.data.import_record import ImportRecord, read_record
from mmbot.data.info import DataInfo, DataSetInfo, info


@dataclass(frozen=True, slots=True)
class RecordedInfo:
    """One event file's summary and its import record (None: no record)."""

    info: DataInfo
    record: ImportRecord | None

    def lines(self) -> list[str]:
        """Return the file's `info` lines, then the record's `import_*` lines."""
        return self.info.lines() + (self.record.lines() if self.record else [])

    def as_dict(self) -> dict[str, JsonValue]:
        """Return the file's `info` fields, with the record under `import`."""
        fields = self.info.as_dict()
        if self.record is not None:
            fields["import"] = self.record.as_dict()
        return fields


@dataclass(frozen=True, slots=True)
class RecordedSetInfo:
    """Several event files: each one's RecordedInfo, then the set's summary."""

    files: tuple[RecordedInfo, ...]

    def _set(self) -> DataSetInfo:
        return DataSetInfo(tuple(one.info for one in self.files))

    def lines(self) -> list[str]:
        """Return each file's block (with its record), then DataSetInfo's summary lines."""
        own_lines = sum(len(one.info.lines()) for one in self.files)
        summary_lines = self._set().lines()[own_lines:]
        return [line for one in self.files for line in one.lines()] + summary_lines

    def as_dict(self) -> dict[str, JsonValue]:
        """Return every file's fields (with records) and the set's summary."""
        return {"files": [one.as_dict() for one in self.files], "summary": self._set().summary()}


def describe(paths: Sequence[str | os.PathLike[str]]) -> RecordedInfo | RecordedSetInfo:
    """Return what `mmbot data info` prints for one file or several."""
    described = tuple(RecordedInfo(info(path), read_record(path)) for path in paths)
    return described[0] if len(described) == 1 else RecordedSetInfo(described)
