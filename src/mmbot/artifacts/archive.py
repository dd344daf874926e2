"""Deterministic tar.gz: same members, same bytes (sorted, fixed metadata, gzip mtime 0)."""

from __future__ import annotations

import gzip
import io
import os
import tarfile
from collections.abc import Mapping
from pathlib import Path

from mmbot.artifacts.atomic import atomic_write_bytes

# 2000-01-01T00:00:00Z: a fixed member mtime; 0 makes some extractors warn about dates.
_FIXED_MTIME = 946_684_800


def tar_gz_bytes(members: Mapping[str, bytes]) -> bytes:
    """Return a gzip-compressed tar of members (arcname -> bytes), byte-for-byte stable."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for arcname in sorted(members):
            data = members[arcname]
            info = tarfile.TarInfo(arcname)
            info.size = len(data)
            info.mtime = _FIXED_MTIME
            info.mode = 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    packed = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=packed, mtime=0, compresslevel=9) as gz:
        gz.write(raw.getvalue())
    return packed.getvalue()


def write_tar_gz(path: str | os.PathLike[str], members: Mapping[str, bytes]) -> Path:
    """Write a deterministic tar.gz of members atomically."""
    return atomic_write_bytes(path, tar_gz_bytes(members))


def write_tar_gz_of_files(path: str | os.PathLike[str], files: Mapping[str, Path]) -> Path:
    """Write a deterministic tar.gz of files on disk (arcname -> source path)."""
    return write_tar_gz(path, {arcname: src.read_bytes() for arcname, src in files.items()})
