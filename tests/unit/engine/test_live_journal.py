"""The order journal across sessions: canonical lines written as appended, one session epoch
per run into a directory, torn lines from a kill -9, and order numbers that never repeat."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mmbot.core.errors import AuditError
from mmbot.core.ids import MAX_CLIENT_ID_LEN, MAX_CLIENT_SEQ
from mmbot.core.types import PlaceOrder, Quote
from mmbot.engine.journal import (
    JOURNAL_FILE,
    SESSION_FILE,
    Journal,
    JournalEntry,
    claim_session,
    read_journal,
)
from mmbot.engine.orders import MAX_SESSION, SEQS_PER_SESSION, OrderManager
from mmbot.venues.base import OrderIntent
from mmbot.venues.idempotency import client_id_for

pytestmark = pytest.mark.selected
PLACE = JournalEntry(10, "place", "s-1", 1, 99, 3)
FILL = JournalEntry(20, "fill", "s-1", 1, 99, 3, 0, "maker")


def open_session(run_dir: Path) -> Journal:
    """Return the journal of run_dir's next session, as `mmbot run` starts one."""
    journal = Journal(run_dir / JOURNAL_FILE)
    journal.start_session()
    return journal


def _lines_of(session: int, *entries: JournalEntry) -> bytes:
    journal = Journal(None, session)
    for entry in entries:
        journal.append(entry)
    return journal.render()


def test_journal_flush_writes_canonical_lines_in_order(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl", session=4)
    journal.append(JournalEntry(10, "place", "glft-1", 1, 99, 3))
    journal.append(JournalEntry(20, "fill", "glft-1", 1, 99, 3, 0, "maker"))
    path = journal.flush()
    assert path is not None
    assert path.read_bytes() == (
        b'{"client_id":"glft-1","detail":"","event":"place","leaves_lots":-1,"price_ticks":99,'
        b'"qty_lots":3,"session":4,"side":"buy","ts_ns":10}\n'
        b'{"client_id":"glft-1","detail":"maker","event":"fill","leaves_lots":0,"price_ticks":99,'
        b'"qty_lots":3,"session":4,"side":"buy","ts_ns":20}\n'
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


def test_journal_entry_is_in_the_file_as_soon_as_it_is_appended(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl")
    journal.append(PLACE)
    assert (tmp_path / "journal.jsonl").read_bytes() == journal.render()  # before any flush


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


# ---- sessions: restarts into the same run directory --------------------------------------
def test_restart_into_the_same_dir_appends_a_new_session_and_keeps_the_old(
    tmp_path: Path,
) -> None:
    first = open_session(tmp_path)
    first.append(PLACE)
    first.append(FILL)
    first.flush()
    before = (tmp_path / JOURNAL_FILE).read_bytes()
    second = open_session(tmp_path)
    second.append(JournalEntry(5, "place", "s-1000000001", -1, 101, 1))
    second.flush()
    assert (first.session, second.session) == (0, 1)
    assert (tmp_path / JOURNAL_FILE).read_bytes().startswith(before)
    read = read_journal(tmp_path / JOURNAL_FILE)
    assert [(e["session"], e["event"]) for e in read.entries] == [
        (0, "place"), (0, "fill"), (1, "place")]  # fmt: skip
    assert read.torn_lines == []
    assert json.loads((tmp_path / SESSION_FILE).read_bytes()) == {"epoch": 1}


_KILLED_SESSION = """
import os, signal, sys
from pathlib import Path
from mmbot.engine.journal import JOURNAL_FILE, Journal, JournalEntry
journal = Journal(Path(sys.argv[1]) / JOURNAL_FILE)
journal.start_session()
for seq in (1, 2, 3):
    journal.append(JournalEntry(seq, "fill", f"s-{seq}", 1, 99, 1, 0, "maker"))
os.kill(os.getpid(), signal.SIGKILL)  # no flush, no close: what a kill -9 leaves
"""


def test_kill_9_before_any_flush_loses_no_entry_and_the_restart_takes_the_next_epoch(
    tmp_path: Path,
) -> None:
    code = textwrap.dedent(_KILLED_SESSION)
    for _ in range(2):
        done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=False)
        assert done.returncode == -signal.SIGKILL
    read = read_journal(tmp_path / JOURNAL_FILE)
    assert [(e["session"], e["client_id"]) for e in read.entries] == [
        (s, f"s-{seq}") for s in (0, 1) for seq in (1, 2, 3)]  # fmt: skip
    assert claim_session(tmp_path) == 2


def test_start_session_after_an_entry_refused_and_a_memory_journal_stays_in_its_session(
    tmp_path: Path,
) -> None:
    journal = Journal(tmp_path / JOURNAL_FILE)
    journal.append(PLACE)
    with pytest.raises(RuntimeError, match="after an entry"):
        journal.start_session()
    assert Journal(None, 3).start_session() == 3
    assert not (tmp_path / SESSION_FILE).exists()


def test_epoch_is_persisted_at_claim_so_a_session_killed_before_any_order_is_not_reused(
    tmp_path: Path,
) -> None:
    assert [claim_session(tmp_path) for _ in range(3)] == [0, 1, 2]
    assert not (tmp_path / JOURNAL_FILE).exists()  # no journal line written, epochs still used


def test_torn_last_line_is_ended_by_the_next_session_and_skipped_by_readers(
    tmp_path: Path,
) -> None:
    first = open_session(tmp_path)
    first.append(PLACE)
    fragment = first.render()[:25]  # a kill -9 inside the write of the fill's line
    first.flush()
    with (tmp_path / JOURNAL_FILE).open("ab") as handle:
        handle.write(fragment)
    assert read_journal(tmp_path / JOURNAL_FILE).torn_lines == [2]  # a reader meanwhile
    second = open_session(tmp_path)
    second.append(JournalEntry(30, "place", "s-1000000001", -1, 101, 1))
    second.flush()
    lines = (tmp_path / JOURNAL_FILE).read_bytes().split(b"\n")
    assert lines[1] == fragment and json.loads(lines[2])["session"] == 1  # not glued
    read = read_journal(tmp_path / JOURNAL_FILE)
    assert read.torn_lines == [2]
    assert [(e["session"], e["event"]) for e in read.entries] == [(0, "place"), (1, "place")]


def test_two_sessions_torn_in_a_row_are_two_session_ends(tmp_path: Path) -> None:
    journal = tmp_path / JOURNAL_FILE
    journal.write_bytes(b'{"client_id":"s-1","ev\n{"cli\n' + _lines_of(2, PLACE))
    read = read_journal(journal)
    assert read.torn_lines == [1, 2]  # sessions 0 and 1 died mid-line
    assert [e["session"] for e in read.entries] == [2]


@pytest.mark.parametrize(
    "body",
    [
        b'{"event":"place","session":0}\n{"cli\n{"event":"fill","session":0}\n',  # mid-session
        b'{"event":"place","session":0}\n{"a\n{"b\n{"event":"fill","session":1}\n',  # 2 > 1 end
        b'{"event":"place","session":0}\n\n{"event":"fill","session":0}\n',  # an empty line
    ],
)
def test_a_line_that_is_no_entry_where_no_session_ended_is_refused(
    tmp_path: Path, body: bytes
) -> None:
    journal = tmp_path / JOURNAL_FILE
    journal.write_bytes(body)
    with pytest.raises(AuditError, match=r"^E_AUDIT_BAD_VALUE: .* line 2 is not a journal"):
        read_journal(journal)


def test_run_dir_with_a_journal_but_no_session_file_starts_after_its_sessions(
    tmp_path: Path,
) -> None:
    (tmp_path / JOURNAL_FILE).write_bytes(b'{"client_id":"s-1","event":"place"}\n')  # pre-epoch
    assert claim_session(tmp_path) == 1
    (tmp_path / SESSION_FILE).unlink()
    (tmp_path / JOURNAL_FILE).write_bytes(_lines_of(6, PLACE, FILL) + b'{"cli')
    assert claim_session(tmp_path) == 7


@pytest.mark.parametrize("body", [b"", b"[]", b'{"epoch":"1"}', b'{"epoch":-1}', b"{"])
def test_bad_session_file_is_one_line_not_a_guess(tmp_path: Path, body: bytes) -> None:
    (tmp_path / SESSION_FILE).write_bytes(body)
    with pytest.raises(AuditError, match=r"^E_AUDIT_BAD_VALUE: .*session\.json expected"):
        claim_session(tmp_path)


def test_last_epoch_is_claimed_and_the_one_past_it_refused(tmp_path: Path) -> None:
    (tmp_path / SESSION_FILE).write_bytes(b'{"epoch":%d}' % (MAX_SESSION - 1))
    assert claim_session(tmp_path) == MAX_SESSION
    with pytest.raises(AuditError, match=f"epoch={MAX_SESSION + 1} expected<={MAX_SESSION}"):
        claim_session(tmp_path)
    assert json.loads((tmp_path / SESSION_FILE).read_bytes()) == {"epoch": MAX_SESSION}


# ---- order numbers: unique across sessions, today's in session 0 ---------------------------
def _first_place_id(session: int | None) -> str:
    orders = OrderManager("fixed_spread")
    if session is not None:
        orders.start_session(session)
    place = orders.plan(Quote(99, 101, 1, 1))[0]
    assert isinstance(place, PlaceOrder)
    return place.client_id


def test_session_numbers_orders_from_its_block_and_session_0_is_todays() -> None:
    assert _first_place_id(None) == _first_place_id(0) == "fixed_spread-1"
    assert _first_place_id(1) == "fixed_spread-1000000001"
    assert _first_place_id(MAX_SESSION) == f"fixed_spread-{MAX_SESSION * SEQS_PER_SESSION + 1}"


def test_start_session_after_an_order_was_numbered_or_past_the_last_epoch_refused() -> None:
    orders = OrderManager("s")
    orders.next_client_id()
    with pytest.raises(RuntimeError, match="after an order"):
        orders.start_session(1)
    with pytest.raises(ValueError, match=rf"expected 0\.\.{MAX_SESSION}$"):
        OrderManager("s").start_session(MAX_SESSION + 1)


def test_a_session_never_numbers_into_the_next_sessions_block() -> None:
    orders = OrderManager("s")
    orders.start_session(1)
    orders.seqs._seq = 2 * SEQS_PER_SESSION - 2  # the session's second-last number was used
    assert orders.next_client_id() == f"s-{2 * SEQS_PER_SESSION - 1}"
    with pytest.raises(RuntimeError, match="used all"):
        orders.next_client_id()


def test_venue_ids_of_the_last_epoch_fit_36_chars_and_sessions_never_share_one() -> None:
    tag = "x" * 16  # the longest venue tag (bridge.venue_tag)
    last = client_id_for(OrderIntent(tag, (MAX_SESSION + 1) * SEQS_PER_SESSION - 1, 1, 1, 1))
    assert len(last) == MAX_CLIENT_ID_LEN and last.replace("-", "").isalnum()
    with pytest.raises(ValueError, match=rf"expected 0\.\.{MAX_CLIENT_SEQ}$"):
        client_id_for(OrderIntent(tag, MAX_CLIENT_SEQ + 1, 1, 1, 1))
    same_intent = [OrderIntent("fixedspread", s * SEQS_PER_SESSION + 1, 1, 1001, 2)
                   for s in range(3)]  # fmt: skip
    ids = [client_id_for(intent) for intent in same_intent]
    assert ids[0].startswith("fixedspread-1-") and len(set(ids)) == 3
