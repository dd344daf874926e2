"""The journal of applied changes (append-only, whole-file atomic) and the active-region state."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mmbot.core.errors import DataError
from mmbot.regions import JOURNAL_FILE, STATE_FILE, read_active_region, read_journal
from mmbot.regions.journal import append_entry, write_active_region

NS_PER_S = 1_000_000_000


def _plan(now_utc: str, to: str = "ap-northeast-1") -> dict[str, object]:
    return {"action": "rollout", "now_utc": now_utc, "status": "OK", "to": to}


def test_read_journal_without_a_file_is_empty(tmp_path: Path) -> None:
    journal = read_journal(tmp_path)
    assert (journal.data, journal.entries, journal.last_change_ns) == (b"", 0, None)
    assert not (tmp_path / JOURNAL_FILE).exists()


def test_append_entry_keeps_old_bytes_and_adds_one_canonical_line(tmp_path: Path) -> None:
    append_entry(read_journal(tmp_path), _plan("2026-01-05T07:00:00Z"))
    before = (tmp_path / JOURNAL_FILE).read_bytes()
    append_entry(read_journal(tmp_path), _plan("2026-01-06T07:00:00Z", "ap-southeast-1"))
    after = (tmp_path / JOURNAL_FILE).read_bytes()
    assert after.startswith(before)
    added = after[len(before) :]
    assert added == (
        b'{"plan":{"action":"rollout","now_utc":"2026-01-06T07:00:00Z","status":"OK",'
        b'"to":"ap-southeast-1"},"result":"applied"}\n'
    )
    journal = read_journal(tmp_path)
    assert journal.entries == 2
    assert journal.last_change_ns == 1_767_682_800 * NS_PER_S  # 2026-01-06T07:00:00Z


def test_append_entry_refused_when_the_journal_changed_since_read(tmp_path: Path) -> None:
    append_entry(read_journal(tmp_path), _plan("2026-01-05T07:00:00Z"))
    stale = read_journal(tmp_path)
    append_entry(read_journal(tmp_path), _plan("2026-01-05T08:00:00Z"))
    current = (tmp_path / JOURNAL_FILE).read_bytes()
    with pytest.raises(DataError) as info:
        append_entry(stale, _plan("2026-01-05T09:00:00Z"))
    assert info.value.line().startswith("E_REGION_JOURNAL: ")
    assert (tmp_path / JOURNAL_FILE).read_bytes() == current


@pytest.mark.parametrize(
    ("content", "line_number"),
    [
        (b"not json\n", 1),
        (b'{"plan":{"now_utc":"2026-01-05T07:00:00Z"},"result":"applied"}\n[]\n', 2),
        (b'{"plan":{"now_utc":"yesterday"},"result":"applied"}\n', 1),
        (b'{"plan":{"now_utc":"2026-01-05T07:00:00Z"},"result":"blocked"}\n', 1),
        (b'{"plan":{"now_utc":"2026-01-05T07:00:00Z"},"result":"applied"}', 1),  # no LF
    ],
)
def test_read_journal_refuses_a_line_that_is_not_an_entry(
    tmp_path: Path, content: bytes, line_number: int
) -> None:
    (tmp_path / JOURNAL_FILE).write_bytes(content)
    with pytest.raises(DataError) as info:
        read_journal(tmp_path)
    line = info.value.line()
    assert line.startswith(f"E_REGION_JOURNAL: file={tmp_path / JOURNAL_FILE} line={line_number} ")


def test_active_region_round_trip(tmp_path: Path) -> None:
    assert read_active_region(tmp_path) is None
    write_active_region(tmp_path, "ap-northeast-1", 1_767_596_400 * NS_PER_S, 3)
    assert read_active_region(tmp_path) == "ap-northeast-1"
    state = json.loads((tmp_path / STATE_FILE).read_bytes())
    assert state == {"journal_entry": 3, "region": "ap-northeast-1",
                     "since_utc": "2026-01-05T07:00:00Z"}  # fmt: skip


@pytest.mark.parametrize("content", [b"{}", b"[1]", b"nope", b'{"region": 5}'])
def test_read_active_region_refuses_a_bad_state_file(tmp_path: Path, content: bytes) -> None:
    (tmp_path / STATE_FILE).write_bytes(content)
    with pytest.raises(DataError) as info:
        read_active_region(tmp_path)
    assert info.value.line().startswith(f"E_REGION_STATE: file={tmp_path / STATE_FILE} ")
