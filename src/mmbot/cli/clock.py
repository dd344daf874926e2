"""The clock a command reads: the wall's, or one pinned with --at (deterministic artifacts)."""

from __future__ import annotations

from datetime import UTC, datetime

from mmbot.core.clock import Clock, SimClock, WallClock
from mmbot.core.errors import UsageError


def clock_at(at: str | None) -> Clock:
    """Return a clock pinned at `at` (YYYY-MM-DDTHH:MM:SSZ), or the wall clock for None."""
    if at is None:
        return WallClock()
    try:
        moment = datetime.strptime(at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise UsageError("E_CLI_USAGE", f"--at value={at} expected=YYYY-MM-DDTHH:MM:SSZ") from None
    return SimClock(int(moment.timestamp()) * 1_000_000_000)
