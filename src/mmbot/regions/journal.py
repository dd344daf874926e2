"""The rollout's records in --state-dir: the journal of applied changes and the active region.

Theory of operation. journal.jsonl holds one canonical JSON line per applied change,
`{"plan": <the plan printed>, "result": "applied"}`, oldest first; it is only ever extended.
An append writes the whole new file (the old bytes, unchanged, then the new line) aside,
fsyncs it and renames it over the old one, so a reader sees the old journal or the new one,
never a torn line. The append is refused if the journal changed since it was read for the
plan (a second operator applying at the same time). active_region.json then names the region
the change moved to; the journal is the record, the state file says where quoting is now.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from mmbot.artifacts import atomic_write_bytes, canonical_json_bytes, utc_iso, write_json
from mmbot.core.errors import DataError
from mmbot.regions.timing import parse_utc

DEFAULT_STATE_DIR: Final = Path("artifacts/regions")
JOURNAL_FILE: Final = "journal.jsonl"
STATE_FILE: Final = "active_region.json"
APPLIED: Final = "applied"


@dataclass(frozen=True, slots=True)
class Journal:
    """The journal as read: its exact bytes and when its last change was applied."""

    path: Path
    data: bytes
    entries: int
    last_change_ns: int | None


def _bad_line(path: Path, number: int, expected: str) -> DataError:
    return DataError(
        "E_REGION_JOURNAL",
        f"file={path} line={number} expected={expected}; "
        "the journal is append-only: restore it from its last good copy",
    )


def _entry_time_ns(line: bytes, path: Path, number: int) -> int:
    """Return when the entry on line was applied (its plan's now_utc)."""
    try:
        entry = json.loads(line)
    except ValueError:
        raise _bad_line(path, number, "a JSON object") from None
    plan = entry.get("plan") if isinstance(entry, dict) else None
    applied_utc = plan.get("now_utc") if isinstance(plan, dict) else None
    applied_ns = parse_utc(applied_utc) if isinstance(applied_utc, str) else None
    if applied_ns is None or entry.get("result") != APPLIED:
        raise _bad_line(path, number, '{"plan":{...,"now_utc":...},"result":"applied"}')
    return applied_ns


def read_journal(state_dir: Path) -> Journal:
    """Return the journal in state_dir (empty when there is none); refuse a bad line."""
    path = state_dir / JOURNAL_FILE
    data = path.read_bytes() if path.is_file() else b""
    if data and not data.endswith(b"\n"):
        raise _bad_line(path, data.count(b"\n") + 1, "a line ending with LF")
    lines = data.splitlines()
    times = [_entry_time_ns(line, path, number) for number, line in enumerate(lines, start=1)]
    return Journal(path, data, len(lines), times[-1] if times else None)


def append_entry(journal: Journal, plan: dict[str, object]) -> Path:
    """Append `{"plan": plan, "result": "applied"}` to the journal as read; return its path."""
    current = journal.path.read_bytes() if journal.path.is_file() else b""
    if current != journal.data:
        raise DataError(
            "E_REGION_JOURNAL",
            f"file={journal.path} changed since the plan was "
            "made (another rollout applied?); plan again",
        )
    line = canonical_json_bytes({"plan": plan, "result": APPLIED}, where=str(journal.path))
    return atomic_write_bytes(journal.path, journal.data + line)


def read_active_region(state_dir: Path) -> str | None:
    """Return the active region of state_dir's state file (None: no change applied yet)."""
    path = state_dir / STATE_FILE
    if not path.is_file():
        return None
    try:
        state = json.loads(path.read_bytes())
    except ValueError:
        state = None
    region = state.get("region") if isinstance(state, dict) else None
    if not isinstance(region, str):
        raise DataError(
            "E_REGION_STATE",
            f'file={path} expected={{"region":"<name>",...}} as region rollout --apply writes it',
        )
    return region


def write_active_region(state_dir: Path, region: str, now_ns: int, entries: int) -> Path:
    """Write the state file: region active since now, set by the journal's entry number."""
    state = {"journal_entry": entries, "region": region, "since_utc": utc_iso(now_ns)}
    return write_json(state_dir / STATE_FILE, state)
