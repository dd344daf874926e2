from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

import pytest

from mmbot.artifacts import tar_gz_bytes, write_tar_gz_of_files

pytestmark = pytest.mark.selected


def test_tar_gz_same_members_any_order_same_bytes() -> None:
    first = tar_gz_bytes({"b.json": b"{}\n", "a.md": b"# a\n"})
    second = tar_gz_bytes({"a.md": b"# a\n", "b.json": b"{}\n"})
    assert first == second


def test_tar_gz_sorted_members_fixed_metadata_gzip_mtime_zero() -> None:
    data = tar_gz_bytes({"z.txt": b"z\n", "a.txt": b"a\n"})
    assert data[4:8] == b"\x00\x00\x00\x00"  # gzip header MTIME field
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == ["a.txt", "z.txt"]
    assert {(m.mtime, m.uid, m.gid, m.uname, m.gname, m.mode) for m in members} == {
        (946_684_800, 0, 0, "", "", 0o644)
    }
    assert gzip.decompress(data)[:5] == b"a.txt"


def test_tar_gz_of_files_independent_of_file_mtime(tmp_path: Path) -> None:
    source = tmp_path / "r.json"
    source.write_bytes(b"{}\n")
    first = write_tar_gz_of_files(tmp_path / "one.tar.gz", {"r.json": source}).read_bytes()
    source.touch()
    second = write_tar_gz_of_files(tmp_path / "two.tar.gz", {"r.json": source}).read_bytes()
    assert first == second
