"""The order journal: an append-only record of every order action and what became of it.

Theory of operation. The live runner wraps the venue port in a `JournalingVenue`
(engine/live_ports.py) that appends one entry per request it hands on - place, replace,
cancel, or refused (canary caps, closed gate) - and one per venue report it passes back -
ack, reject, fill, canceled, modified, expired. Entries are never edited or removed. At a
flush point the journal renders the entries it has not rendered yet (canonical JSON, one line
each, cached) and atomically replaces the file with every line so far, through the artifact
writer: a reader sees the previous flush or this one, never a torn line. Timestamps are the
engine's local time (the sim clock in the sim modes), never the time of the flush, so the
sim modes write the same bytes every run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from mmbot.artifacts import atomic_write_bytes, canonical_json_bytes

SENDS: Final = ("place", "replace", "cancel")
FATES: Final = ("ack", "reject", "fill", "canceled", "modified", "expired", "refused")
_SIDES: Final = {1: "buy", -1: "sell", 0: ""}


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One order action or venue answer; detail carries the fill's liquidity or the reason."""

    ts_ns: int
    event: str
    client_id: str
    side: int = 0
    price_ticks: int = 0
    qty_lots: int = 0
    leaves_lots: int = -1
    detail: str = ""

    def __post_init__(self) -> None:
        if self.event not in SENDS and self.event not in FATES:
            raise ValueError(f"journal event {self.event!r} is not one of {SENDS + FATES}")

    def payload(self) -> dict[str, object]:
        """Return the entry as one JSON object."""
        return {
            "client_id": self.client_id,
            "detail": self.detail,
            "event": self.event,
            "leaves_lots": self.leaves_lots,
            "price_ticks": self.price_ticks,
            "qty_lots": self.qty_lots,
            "side": _SIDES[self.side],
            "ts_ns": self.ts_ns,
        }


class Journal:
    """Append entries; flush() writes every entry so far to path as JSON lines, atomically."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.entries: list[JournalEntry] = []
        self._lines: list[bytes] = []
        self._counts: dict[str, int] = {}
        self.flushes = 0

    def append(self, entry: JournalEntry) -> None:
        """Record one entry."""
        self.entries.append(entry)
        self._counts[entry.event] = self._counts.get(entry.event, 0) + 1

    def counts(self) -> dict[str, int]:
        """Return the number of entries by event, every known event listed (0 when none)."""
        return {event: self._counts.get(event, 0) for event in SENDS + FATES}

    def render(self) -> bytes:
        """Return the journal as canonical JSON lines (one entry a line, LF-terminated)."""
        where = str(self.path) if self.path is not None else "<journal>"
        for entry in self.entries[len(self._lines) :]:
            self._lines.append(canonical_json_bytes(entry.payload(), where=where))
        return b"".join(self._lines)

    def flush(self) -> Path | None:
        """Write every entry so far to the journal file (when it has one); return its path."""
        if self.path is None:
            return None
        atomic_write_bytes(self.path, self.render())
        self.flushes += 1
        return self.path
