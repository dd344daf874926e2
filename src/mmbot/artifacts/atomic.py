"""Atomic file replacement: readers see the old bytes or the new bytes, never a mix.

Theory of operation: the payload goes to a temp file in the target's own folder (so the
rename stays on one filesystem), is flushed and fsynced, then `os.replace` swaps it in and
the folder is fsynced so the rename itself survives a power cut. If anything fails before
the rename, the temp file is removed and the old file is untouched. A process killed
between write and rename cannot clean up after itself; its temp file carries its pid, and
the next write into that folder removes temp files whose writer is gone.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Final

_TEMP_RE: Final = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.(?P<seq>\d+)\.tmp$")
_sequence = 0


def _temp_path(target: Path) -> Path:
    global _sequence  # noqa: PLW0603 - per-process counter keeps temp names unique without RNG
    _sequence += 1
    return target.with_name(f".{target.name}.{os.getpid()}.{_sequence}.tmp")


def pid_alive(pid: int) -> bool:
    """Return whether a process with this pid exists (this process counts)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale_temps(folder: Path) -> list[Path]:
    """Remove temp files left in folder by writers that died; return what was removed."""
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for entry in sorted(folder.iterdir()):
        match = _TEMP_RE.match(entry.name)
        if match is None or pid_alive(int(match.group("pid"))):
            continue
        with contextlib.suppress(FileNotFoundError):
            entry.unlink()
            removed.append(entry)
    return removed


def fsync_dir(folder: Path) -> None:
    """Flush folder's entries (a rename into it) to disk."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temp path beside path; on success fsync it and rename it over path.

    For writers that need a file name of their own (pyarrow's ParquetWriter streaming
    row groups, matplotlib's savefig). If the block raises, the temp file is removed and
    the old file at path is untouched.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale_temps(target.parent)
    temp = _temp_path(target)
    try:
        yield temp
        fd = os.open(temp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise
    fsync_dir(target.parent)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Replace the file at path with data atomically and durably; return the path."""
    with atomic_output(path) as temp, open(temp, "xb") as handle:
        handle.write(data)
    return Path(path)
