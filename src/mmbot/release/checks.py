"""One check's outcome, as the release commands print it, and the age of the files they read."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from mmbot.core.errors import MmError

_NS_PER_S: Final = 1_000_000_000
S_PER_H: Final = 3600.0


class ReleaseError(MmError):
    """A release check that does not hold: the release waits until a person fixes it."""

    exit_code = 1


@dataclass(frozen=True, slots=True)
class CheckResult:
    """A check's name and, when it failed, its one E_* line."""

    name: str
    problem: str | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        """Return whether the check passed."""
        return self.problem is None

    def line(self) -> str:
        """Return `[OK] name detail` or `[FAIL] E_...: ...`."""
        if self.problem is not None:
            return f"[FAIL] {self.problem}"
        return f"[OK] {self.name} {self.detail}".rstrip()


def failed(name: str, error: MmError) -> CheckResult:
    """Return the failed check `name` carrying error's line."""
    return CheckResult(name, error.line())


def fail(name: str, code: str, detail: str) -> CheckResult:
    """Return the failed check `name` with the line `code: detail`."""
    return failed(name, ReleaseError(code, detail))


def file_age_s(path: Path, now_ns: int) -> float:
    """Return how long ago path was last written, seconds (negative: written in the future)."""
    return now_ns / _NS_PER_S - path.stat().st_mtime


def stale_problem(path: Path, now_ns: int, max_age_h: float) -> ReleaseError | None:
    """Return E_REPORT_MISSING / E_REPORT_STALE for path, or None when it is fresh."""
    if not path.is_file():
        return ReleaseError("E_REPORT_MISSING", f"file={path} does not exist")
    age_h = file_age_s(path, now_ns) / S_PER_H
    if age_h > max_age_h:
        return ReleaseError(
            "E_REPORT_STALE", f"file={path} age_h={age_h:.1f} expected<={max_age_h:g}"
        )
    return None
