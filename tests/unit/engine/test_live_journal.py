"""The order journal: canonical JSON lines, append-only, atomic flush, counts by event."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mmbot.engine.journal import Journal, JournalEntry

pytestmark = pytest.mark.selected


def test_journal_flush_writes_canonical_lines_in_order(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl")
    journal.append(JournalEntry(10, "place", "glft-1", 1, 99, 3))
    journal.append(JournalEntry(20, "fill", "glft-1", 1, 99, 3, 0, "maker"))
    path = journal.flush()
    assert path is not None
    assert path.read_bytes() == (
        b'{"client_id":"glft-1","detail":"","event":"place","leaves_lots":-1,"price_ticks":99,'
        b'"qty_lots":3,"side":"buy","ts_ns":10}\n'
        b'{"client_id":"glft-1","detail":"maker","event":"fill","leaves_lots":0,"price_ticks":99,'
        b'"qty_lots":3,"side":"buy","ts_ns":20}\n'
    )


def test_journal_second_flush_appends_and_keeps_earlier_bytes(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl")
    journal.append(JournalEntry(10, "place", "s-1", -1, 101, 2))
    first = journal.flush()
    assert first is not None
    before = first.read_bytes()
    journal.append(JournalEntry(30, "cancel", "s-1", -1))
    journal.flush()
    after = first.read_bytes()
    assert after.startswith(before) and after.count(b"\n") == 2
    assert json.loads(after.splitlines()[1])["event"] == "cancel"
    assert journal.flushes == 2
    assert [p.name for p in tmp_path.iterdir()] == ["journal.jsonl"]  # no temp files left


def test_journal_counts_every_event_including_zero() -> None:
    journal = Journal(None)
    journal.append(JournalEntry(1, "place", "s-1", 1, 5, 1))
    journal.append(JournalEntry(2, "refused", "s-2", 1, 5, 9, detail="max_order_lots"))
    counts = journal.counts()
    assert counts["place"] == 1 and counts["refused"] == 1 and counts["fill"] == 0
    assert journal.flush() is None  # in-memory journal: nothing written


def test_journal_entry_unknown_event_refused() -> None:
    with pytest.raises(ValueError, match="'sent'"):
        JournalEntry(1, "sent", "s-1")
