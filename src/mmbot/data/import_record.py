"""The record an import leaves beside its event file: `X.parquet` -> `X.import.json`.

The event file holds events and the instrument only; what an import learned about its
source (the recorder's clock offset, sequence gaps, the book checks) is kept in this record,
with the sha256 of the event file it describes. `mmbot data info` shows its summary while the
event file is unchanged, and says `stale` once the file was rewritten by something else.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from mmbot.artifacts import JsonValue, write_json

RECORD_SUFFIX: Final = ".import.json"
_READ_BYTES: Final = 1 << 20


def record_path(events_path: str | os.PathLike[str]) -> Path:
    """Return where the import record of an event file lives."""
    path = Path(events_path)
    return path.with_name(path.stem + RECORD_SUFFIX)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_READ_BYTES):
            digest.update(block)
    return digest.hexdigest()


def write_record(
    events_path: str | os.PathLike[str],
    importer: str,
    summary: Mapping[str, JsonValue],
    report: Mapping[str, JsonValue],
) -> Path:
    """Write the record of the import that just wrote events_path; return its path."""
    path = record_path(events_path)
    write_json(
        path,
        {
            "importer": importer,
            "events_sha256": _sha256(Path(events_path)),
            "summary": dict(summary),
            "report": dict(report),
        },
    )
    return path


@dataclass(frozen=True, slots=True)
class ImportRecord:
    """An import record as read back: fresh when the event file is still the one imported."""

    path: Path
    importer: str
    fresh: bool
    summary: dict[str, JsonValue]

    def lines(self) -> list[str]:
        """Return `import_<key>=value` lines (only the record's path and `stale` when stale)."""
        if not self.fresh:
            return [f"import_record={self.path} stale (the event file changed since)"]
        out = [f"import_record={self.path}", f"import_importer={self.importer}"]
        out += [
            f"import_{key}={'none' if value is None else value}"
            for key, value in self.summary.items()
        ]
        return out

    def as_dict(self) -> dict[str, JsonValue]:
        """Return the record's fields as a JSON-ready mapping."""
        return {
            "record": str(self.path),
            "importer": self.importer,
            "fresh": self.fresh,
            "summary": dict(self.summary),
        }


def read_record(events_path: str | os.PathLike[str]) -> ImportRecord | None:
    """Return the import record beside an event file; None when there is none (or it is not
    a record this module wrote)."""
    path = record_path(events_path)
    if not path.is_file():
        return None
    try:
        payload = json.loads(path.read_text(encoding="ascii"))
        importer, digest = str(payload["importer"]), str(payload["events_sha256"])
        summary = dict(payload["summary"])
    except (ValueError, KeyError, TypeError):
        return None
    return ImportRecord(path, importer, digest == _sha256(Path(events_path)), summary)
