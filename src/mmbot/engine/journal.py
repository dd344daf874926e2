"""The order journal: an append-only record of every order action and what became of it.

Theory of operation. The live runner wraps the venue port in a `JournalingVenue`
(engine/live_ports.py) that appends one entry per request it hands on - place, replace,
cancel, or refused (canary caps, closed gate) - and one per venue report it passes back -
ack, reject, fill, canceled, modified, expired. Entries are never edited or removed.

A run directory holds one journal, `journal.jsonl`, for all of its sessions: every `mmbot
run` into the same `--out` is a new session that first claims the next epoch (0, 1, 2, ...)
in `session.json` (Journal.start_session: written atomically once the run's inputs are
checked, before the runner starts, so before any order is sent; a start refused on its inputs
claims none) and then only appends to the journal, each line carrying its `session`. One file,
not one per session, so every reader of the run's journal keeps reading one path, and a
session's lines stay in the order they happened. The epoch also numbers the session's
orders (OrderManager.start_session), so client ids never repeat across restarts.

Each entry is written as it is appended (canonical JSON, one line, through the artifact
writer's AppendLog): a kill -9 loses no entry that was appended, and a request's entry is
written before the request is handed on. flush() fsyncs (a power cut loses at most what came
after the last flush) and closes the file; the next append opens it again. A kill -9 inside a
write can leave a torn last line: the next session's open ends it with LF, so it is never
glued to that session's first line, and read_journal() skips it - a torn line may only sit
where a session ended (at the end of the file, or before a later session's first line);
anywhere else a line that is not an entry is corruption and refused.

A book of several symbols writes one journal: its ports share it, and each of their lines
names its `symbol` (client ids are numbered per symbol, so only the pair names an order); a
one-symbol run's lines have no such field.

Timestamps are the engine's local time (the sim clock in the sim modes), never the time of
the write, so the sim modes write the same bytes every run into a fresh `--out`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from mmbot.artifacts import AppendLog, canonical_json_bytes, write_json
from mmbot.core.errors import AuditError
from mmbot.engine.orders import MAX_SESSION

SENDS: Final = ("place", "replace", "cancel")
# "expired" is read in journals of earlier versions; an expiry is now journaled "canceled".
FATES: Final = ("ack", "reject", "fill", "canceled", "modified", "expired", "refused", "unknown",
                "adopted")  # fmt: skip
JOURNAL_FILE: Final = "journal.jsonl"
SESSION_FILE: Final = "session.json"
_SIDES: Final = {1: "buy", -1: "sell", 0: ""}


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One order action or venue answer; detail carries the fill's liquidity or the reason.

    symbol: the order's symbol in a run of several (a line of a one-symbol run has no field).
    """

    ts_ns: int
    event: str
    client_id: str
    side: int = 0
    price_ticks: int = 0
    qty_lots: int = 0
    leaves_lots: int = -1
    detail: str = ""
    symbol: str = ""

    def __post_init__(self) -> None:
        if self.event not in SENDS and self.event not in FATES:
            raise ValueError(f"journal event {self.event!r} is not one of {SENDS + FATES}")

    def payload(self, session: int) -> dict[str, object]:
        """Return the entry of session as one JSON object."""
        payload: dict[str, object] = {
            "client_id": self.client_id,
            "detail": self.detail,
            "event": self.event,
            "leaves_lots": self.leaves_lots,
            "price_ticks": self.price_ticks,
            "qty_lots": self.qty_lots,
            "session": session,
            "side": _SIDES[self.side],
            "ts_ns": self.ts_ns,
        }
        if self.symbol:
            payload["symbol"] = self.symbol
        return payload


class Journal:
    """Append entries of one session; each is written to path at once (None: memory only)."""

    def __init__(self, path: Path | None, session: int = 0) -> None:
        self.path = path
        self.session = session
        self.entries: list[JournalEntry] = []
        self._lines: list[bytes] = []
        self._written = 0  # how many of _lines are in the file
        self._log: AppendLog | None = None
        self._counts: dict[str, int] = {}
        self.flushes = 0

    def append(self, entry: JournalEntry) -> None:
        """Record one entry (and write it, when the journal has a file)."""
        self.entries.append(entry)
        self._counts[entry.event] = self._counts.get(entry.event, 0) + 1
        if self.path is not None:
            self._write_new()

    def counts(self) -> dict[str, int]:
        """Return the number of entries by event, every known event listed (0 when none)."""
        return {event: self._counts.get(event, 0) for event in SENDS + FATES}

    def render(self) -> bytes:
        """Return this session's entries as canonical JSON lines (one a line, LF-terminated)."""
        self._render_new()
        return b"".join(self._lines)

    def _render_new(self) -> None:
        """Render the entries appended since the last call (each line is rendered once)."""
        where = str(self.path) if self.path is not None else "<journal>"
        for entry in self.entries[len(self._lines) :]:
            self._lines.append(canonical_json_bytes(entry.payload(self.session), where=where))

    def _write_new(self) -> AppendLog:
        """Append the lines not in the file yet; return the open log."""
        assert self.path is not None
        self._render_new()
        if self._log is None:
            self._log = AppendLog(self.path)
        self._log.append(b"".join(self._lines[self._written :]))
        self._written = len(self._lines)
        return self._log

    def start_session(self) -> int:
        """Claim the next session epoch of the journal's run directory and return it.

        session.json holds it before this returns (so before any order can be sent); the
        lines written from now on carry it. A journal without a file stays in its session.
        """
        if self.entries:
            raise RuntimeError("start_session after an entry was appended")
        if self.path is not None:
            self.session = claim_session(self.path.parent)
        return self.session

    def flush(self) -> Path | None:
        """Make every entry so far durable and close the file (when it has one); return it."""
        if self.path is None:
            return None
        self._write_new().close()
        self._log = None
        self.flushes += 1
        return self.path


def claim_session(run_dir: Path) -> int:
    """Return the next session epoch of run_dir, written atomically to session.json first.

    The last claimed epoch comes from session.json; without it (a run directory from before
    epochs, or one whose session file was removed) from the sessions in the journal, so a
    restart never reuses an earlier session's order numbers.
    """
    epoch = _last_session(run_dir) + 1
    if epoch > MAX_SESSION:
        raise AuditError("E_AUDIT_BAD_VALUE", f"{run_dir / SESSION_FILE} epoch={epoch} "
                         f"expected<={MAX_SESSION}; start a new --out")  # fmt: skip
    write_json(run_dir / SESSION_FILE, {"epoch": epoch})
    return epoch


def _last_session(run_dir: Path) -> int:
    """Return the last epoch claimed in run_dir (-1: none)."""
    session_path = run_dir / SESSION_FILE
    if session_path.exists():
        try:
            epoch = json.loads(session_path.read_bytes())["epoch"]
        except (ValueError, KeyError, TypeError):
            epoch = None
        if type(epoch) is not int or epoch < 0:
            raise AuditError("E_AUDIT_BAD_VALUE", f"{session_path} expected "
                             '{"epoch": <int >= 0>} as a session wrote it; restore it or '
                             "start a new --out")  # fmt: skip
        return epoch
    journal_path = run_dir / JOURNAL_FILE
    if not journal_path.exists() or journal_path.stat().st_size == 0:
        return -1
    read = read_journal(journal_path)
    return max((_session_of(e) for e in read.entries), default=0)


@dataclass(frozen=True, slots=True)
class JournalRead:
    """A run directory's journal as read: its entries and the torn lines skipped."""

    entries: list[dict[str, object]]  # every session's entries, in file order
    torn_lines: list[int]  # 1-based line numbers of fragments a killed writer left


def _session_of(entry: dict[str, object]) -> int:
    """Return an entry's session (0 for a line written before sessions existed)."""
    session = entry.get("session", 0)
    return session if isinstance(session, int) else -1


def _parse(line: bytes) -> dict[str, object] | None:
    """Return the entry of a journal line, None when it is not one (a fragment)."""
    try:
        entry = json.loads(line)
    except ValueError:
        return None
    if not isinstance(entry, dict) or "event" not in entry or _session_of(entry) < 0:
        return None
    return entry


def read_journal(path: Path) -> JournalRead:
    """Return every entry of the journal at path, skipping the fragments kill -9 left.

    A fragment (a line that is not a whole entry) may only be where a session ended, and a
    session ends once: the unterminated last line, or k fragments between an entry of
    session p and one of session q >= p + k (or at the end of the file). Anywhere else a
    fragment is refused with one E_AUDIT_BAD_VALUE line.
    """
    *lines, tail = path.read_bytes().split(b"\n")
    entries: list[dict[str, object]] = []
    torn: list[int] = []
    fragments: list[int] = []  # line numbers since the last entry
    for number, line in enumerate(lines, start=1):
        entry = _parse(line)
        if entry is None:
            fragments.append(number)
            continue
        if fragments:
            last = _session_of(entries[-1]) if entries else -1
            if _session_of(entry) - last < len(fragments):
                raise AuditError(
                    "E_AUDIT_BAD_VALUE",
                    f"{path} line {fragments[0]} is not a journal entry and no session ended "
                    "there; expected one JSON entry a line (only a killed session's last line "
                    "may be torn)",
                )
            torn.extend(fragments)
            fragments = []
        entries.append(entry)
    torn.extend(fragments)
    if tail:
        torn.append(len(lines) + 1)
    return JournalRead(entries, torn)
