"""Append-only line logs: the writer of a file that grows while a process lives (the journal).

Theory of operation. An atomic replace (atomic.py) rewrites a whole file; a log that must
survive kill -9 line by line cannot rewrite itself at every line, so it is appended to:
opened with O_APPEND (every write lands at the current end, never over earlier bytes), each
append is one os.write of whole LF-terminated ASCII lines, resumed after a short write until
every byte is out. What append() wrote is in the page cache once it returns, so a kill -9
loses none of it; sync() (fsync) makes it survive a power cut too. A creating open fsyncs the
folder, so the new file's name survives a power cut as well.

A writer killed inside a write can leave a last line without its LF (a torn line). Opening
finds such a tail and ends it with LF before anything else is written: the fragment stays a
line of its own, never glued onto the next writer's first line. Readers skip it
(mmbot.engine.journal.read_journal says where a fragment may be).
"""

from __future__ import annotations

import os
from pathlib import Path

from mmbot.artifacts.atomic import fsync_dir
from mmbot.core.errors import ArtifactError

_LF = b"\n"


def _check_lines(data: bytes, where: Path) -> None:
    """Refuse anything but whole LF-terminated ASCII lines."""
    if not data.isascii():
        raise ArtifactError("E_ART_NONASCII", f"{where}: appended lines must be ASCII")
    if not data.endswith(_LF) or b"\r" in data:
        raise ArtifactError("E_ART_NEWLINE", f"{where}: appended data must be LF-terminated "
                            "lines without CR")  # fmt: skip


class AppendLog:
    """An append-only line log, open until close(); torn tail of an earlier writer ended."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        created = not target.exists()
        self.path = target
        self._fd = os.open(target, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o666)
        size = os.fstat(self._fd).st_size
        # True when an earlier writer died mid-line and its fragment was ended here.
        self.ended_torn_tail = size > 0 and os.pread(self._fd, 1, size - 1) != _LF
        if self.ended_torn_tail:
            self._write(_LF)
        if created:
            fsync_dir(target.parent)

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view) :]

    def append(self, data: bytes) -> None:
        """Append whole LF-terminated ASCII lines (nothing for empty data)."""
        if data:
            _check_lines(data, self.path)
            self._write(data)

    def sync(self) -> None:
        """Make every line appended so far durable (fsync)."""
        os.fsync(self._fd)

    def close(self) -> None:
        """Sync and close the file (idempotent)."""
        if self._fd >= 0:
            self.sync()
            os.close(self._fd)
            self._fd = -1
