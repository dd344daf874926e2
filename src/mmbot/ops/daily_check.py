"""The daily check: today's artifacts are present, fresh, ASCII, LF-terminated, canonical JSON.

Each artifact of daily_files.DAILY_FILES is checked on its own and every problem is one E_OPS_*
line: missing (and the command that makes it), older than the allowed age (by its modification
time against the check's clock), not ASCII text with LF line ends, or - for JSON - not the bytes
its canonical re-serialisation gives (sorted keys, compact separators, one final LF), which is
what "deterministic JSON" means for every writer of the project.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from mmbot.artifacts import canonical_json_bytes
from mmbot.core.errors import MmError
from mmbot.ops.daily_files import made_by

_NS_PER_S: Final = 1_000_000_000
_S_PER_H: Final = 3600.0


@dataclass(frozen=True, slots=True)
class ArtifactCheck:
    """One artifact's path and its problems (none: it passed)."""

    path: Path
    problems: list[str]

    def lines(self) -> list[str]:
        """Return `[OK] <path>` or one `[FAIL] E_...` line per problem."""
        if not self.problems:
            return [f"[OK] {self.path}"]
        return [f"[FAIL] {problem}" for problem in self.problems]


def check_artifacts(folder: Path, names: Sequence[str], now_ns: int, max_age_h: float
                    ) -> list[ArtifactCheck]:  # fmt: skip
    """Return the check of each named artifact in folder at now_ns."""
    return [check_artifact(folder / name, now_ns, max_age_h) for name in names]


def check_artifact(path: Path, now_ns: int, max_age_h: float) -> ArtifactCheck:
    """Return the problems of the artifact at path: missing, stale, text format, JSON form."""
    if not path.is_file():
        return ArtifactCheck(path, [f"E_OPS_MISSING_ARTIFACT: file={path} not found "
                                    f"({made_by(path.name)} writes it)"])  # fmt: skip
    age_h = (now_ns - path.stat().st_mtime_ns) / _NS_PER_S / _S_PER_H
    data = path.read_bytes()
    problems = [*stale_problems(path, age_h, max_age_h), *text_problems(path, data)]
    if path.suffix == ".json" and data.isascii():
        problems += json_problems(path, data)
    return ArtifactCheck(path, problems)


def stale_problems(path: Path, age_h: float, max_age_h: float) -> list[str]:
    """Return the staleness problem of an artifact age_h hours old (none when fresh)."""
    if age_h <= max_age_h:
        return []
    return [f"E_OPS_STALE_ARTIFACT: file={path} age_h={age_h:.2f} expected<={max_age_h:.2f}; "
            f"rerun {made_by(path.name)}"]  # fmt: skip


def text_problems(path: Path, data: bytes) -> list[str]:
    """Return what keeps data from being ASCII text with LF line ends and a final LF."""
    problems = []
    if not data.isascii():
        offset = next(i for i, byte in enumerate(data) if byte > 0x7F)
        problems.append(f"E_OPS_TEXT_FORMAT: file={path} byte=0x{data[offset]:02x} at "
                        f"offset={offset} expected=ASCII only")  # fmt: skip
    cr_offset = data.find(b"\r")
    if cr_offset >= 0:
        problems.append(f"E_OPS_TEXT_FORMAT: file={path} CR at offset={cr_offset} "
                        "expected=LF line ends only")  # fmt: skip
    if not data.endswith(b"\n"):
        problems.append(f"E_OPS_TEXT_FORMAT: file={path} expected=a final LF")
    return problems


def json_problems(path: Path, data: bytes) -> list[str]:
    """Return the problem of ASCII data that is not canonical JSON (none when it is)."""
    try:
        canonical = canonical_json_bytes(json.loads(data), where=str(path))
    except (ValueError, MmError) as exc:
        reason = exc.code if isinstance(exc, MmError) else type(exc).__name__
        return [f"E_OPS_JSON_NOT_CANONICAL: file={path} cannot be read back as JSON ({reason})"]
    if canonical == data:
        return []
    offset = next((i for i, (a, b) in enumerate(zip(canonical, data, strict=False)) if a != b),
                  min(len(canonical), len(data)))  # fmt: skip
    return [f"E_OPS_JSON_NOT_CANONICAL: file={path} differs from its canonical form at "
            f"offset={offset} expected=sorted keys, compact separators, one final LF"]  # fmt: skip
