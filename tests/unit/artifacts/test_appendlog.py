"""The append-only line log: whole ASCII lines only, earlier bytes kept, a torn tail ended."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmbot.artifacts import AppendLog
from mmbot.core.errors import ArtifactError


def test_append_keeps_earlier_bytes_across_opens(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "log.jsonl"
    first = AppendLog(path)
    first.append(b"a\n")
    first.close()
    second = AppendLog(path)
    second.append(b"b\nc\n")
    second.append(b"")
    second.close()
    second.close()  # idempotent
    assert path.read_bytes() == b"a\nb\nc\n"
    assert not first.ended_torn_tail and not second.ended_torn_tail


def test_open_ends_a_torn_tail_so_the_next_line_is_not_glued(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_bytes(b'a\n{"b":')
    log = AppendLog(path)
    log.append(b"c\n")
    log.close()
    assert log.ended_torn_tail and path.read_bytes() == b'a\n{"b":\nc\n'


@pytest.mark.parametrize(
    ("data", "code"),
    [(b"no newline", "E_ART_NEWLINE"), (b"cr\r\n", "E_ART_NEWLINE"),
     ("\u00e9\n".encode(), "E_ART_NONASCII")],
)  # fmt: skip
def test_append_refuses_what_is_not_whole_ascii_lines(tmp_path: Path, data: bytes,
                                                      code: str) -> None:  # fmt: skip
    log = AppendLog(tmp_path / "log.jsonl")
    with pytest.raises(ArtifactError, match=f"^{code}: "):
        log.append(data)
    log.close()
    assert (tmp_path / "log.jsonl").read_bytes() == b""
