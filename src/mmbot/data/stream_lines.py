"""Read stream recordings: one `<local receive time, ns> <json message>` a line.

This is the format of hftbacktest's collector, and the one a recorder of ours writes: gzip
text (`.gz`) or plain text, each line the local time a message arrived, one space, and the
venue's message as it came. A combined-stream message wraps its payload as
{"stream": ..., "data": {...}}; the payload is what the importers read.

Day files are one recording split at midnight UTC: they are read in the order given, and a
file whose first line is older than the previous file's last line is refused (the files were
given out of order). A line that is not `<integer> <json object>` is E_DATA_FORMAT: strict
mode fails on it, lenient mode drops and counts it. A gzip stream cut short is
E_DATA_TRUNCATED in both modes (how much it lost is unknown).
"""

from __future__ import annotations

import gzip
import io
import json
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from mmbot.data.screen import RowScreen, data_error, require_file

CHUNK_LINES: Final = 4096
_LENIENT_HINT: Final = "fix the input or import with --lenient to drop and count such lines"


@dataclass(frozen=True, slots=True)
class StreamLine:
    """One message: its file, 1-based line number there, local receive time and payload."""

    file: str
    line: int
    local_ns: int
    payload: dict[str, Any]


def _open_text(path: Path) -> io.BufferedIOBase:
    if path.suffix == ".gz":
        return gzip.open(path, "rb")
    return path.open("rb")


def parse_line(raw: bytes) -> tuple[int, dict[str, Any]] | str:
    """Return (local_ns, payload) of one line, or what is wrong with it."""
    stamp, _, body = raw.strip().partition(b" ")
    if not stamp.isdigit():
        return f"local time {stamp[:24]!r} is not an integer (ns)"
    try:
        message = json.loads(body.decode("utf-8"))
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError
        return f"message is not JSON ({str(exc)[:80]})"
    if not isinstance(message, dict):
        return "message is not a JSON object"
    data = message.get("data", message)
    if not isinstance(data, dict):
        return "message data is not a JSON object"
    return int(stamp), data


def raw_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """Yield (1-based line number, line) of one file; a broken gzip stream is one line,
    E_DATA_TRUNCATED (cut short) or E_DATA_FORMAT (not gzip)."""
    where = str(path)
    require_file(where)
    number = 0
    try:
        with _open_text(path) as handle:
            for number, raw in enumerate(handle, start=1):
                yield number, raw
    except (EOFError, zlib.error) as exc:
        raise data_error(
            "E_DATA_TRUNCATED", where, number + 1, f"stream ends early ({exc}); re-fetch it"
        ) from None
    except gzip.BadGzipFile as exc:
        raise data_error("E_DATA_FORMAT", where, 0, f"not gzip ({exc})") from None


class StreamReader:
    """Lines of the day files of one recording, in chunks; bad lines through each file's
    screen (strict: raise; lenient: count)."""

    def __init__(self, paths: Sequence[Path], screens: Sequence[RowScreen]) -> None:
        self.paths = list(paths)
        self.screens = list(screens)
        self.lines_read = [0 for _ in self.paths]

    def chunks(self, chunk_lines: int = CHUNK_LINES) -> Iterator[tuple[int, list[StreamLine]]]:
        """Yield (file index, lines) over every file in order, at most chunk_lines a chunk,
        never two files in one chunk."""
        previous: StreamLine | None = None  # the last line of the file before
        for index, (path, screen) in enumerate(zip(self.paths, self.screens, strict=True)):
            chunk: list[StreamLine] = []
            last: StreamLine | None = None
            for line in self._lines(index, path, screen):
                if last is None and previous is not None:
                    _require_in_order(previous, line)
                last = line
                chunk.append(line)
                if len(chunk) == chunk_lines:
                    yield index, chunk
                    chunk = []
            if chunk:
                yield index, chunk
            previous = last or previous

    def _lines(self, index: int, path: Path, screen: RowScreen) -> Iterator[StreamLine]:
        for number, raw in raw_lines(path):
            self.lines_read[index] = number
            parsed = parse_line(raw)
            if isinstance(parsed, str):
                if screen.strict:
                    raise data_error(
                        "E_DATA_FORMAT", screen.file, number, f"{parsed}; {_LENIENT_HINT}"
                    )
                screen.count_external("E_DATA_FORMAT", 1)
                continue
            local_ns, payload = parsed
            yield StreamLine(screen.file, number, local_ns, payload)


def _require_in_order(previous: StreamLine, first: StreamLine) -> None:
    if first.local_ns < previous.local_ns:
        raise data_error(
            "E_DATA_NONMONOTONIC", first.file, first.line,
            f"local time {first.local_ns} is older than the last line of {previous.file} "
            f"({previous.local_ns}); give the day files in recording order",
        )  # fmt: skip
