"""The daily snapshot: `dist/snapshots/<YYYYMMDD>_Z/` holding every daily artifact and a
sha256 manifest (`MANIFEST.sha256`, the `sha256sum -c` format).

The folder is built aside and renamed into place (mmbot.artifacts.atomic_dir), so it is
complete or absent; a second snapshot the same UTC day replaces the first. A missing artifact
refuses the snapshot before anything is written: one E_OPS_MISSING_ARTIFACT line names each.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from mmbot.artifacts import (
    atomic_write_bytes,
    discard_stage,
    replace_folder,
    stage_folder,
    utc_day,
    write_text,
)
from mmbot.ops.daily_files import DAILY_FILES, required_files

MANIFEST: Final = "MANIFEST.sha256"


def snapshot_folder(dist: Path, now_ns: int) -> Path:
    """Return the snapshot folder of now_ns's UTC day: dist/snapshots/<YYYYMMDD>_Z."""
    return dist / "snapshots" / f"{utc_day(now_ns)}_Z"


def manifest_text(contents: Mapping[str, bytes]) -> str:
    """Return `<sha256>  <name>` lines of contents, by name (what `sha256sum -c` reads)."""
    return "".join(f"{hashlib.sha256(contents[name]).hexdigest()}  {name}\n"
                   for name in sorted(contents))  # fmt: skip


def write_daily_snapshot(artifacts: Path, dist: Path, now_ns: int) -> Path:
    """Copy every daily artifact of artifacts, with their manifest, into the day's snapshot
    folder under dist; return the folder."""
    files = required_files(artifacts, DAILY_FILES, "daily snapshot")
    contents = {name: path.read_bytes() for name, path in files.items()}
    target = snapshot_folder(dist, now_ns)
    stage = stage_folder(target)
    try:
        for name, data in contents.items():
            atomic_write_bytes(stage / name, data)
        write_text(stage / MANIFEST, manifest_text(contents))
    except BaseException:
        discard_stage(stage)
        raise
    replace_folder(stage, target)
    return target
