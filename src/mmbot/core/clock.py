"""Clocks. Everything that needs the time takes a Clock, so a simulation is deterministic.

SimClock is moved by the engine from event timestamps and refuses to go backwards;
WallClock is the only place in the pure packages that reads the system time.
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """A source of UTC nanoseconds since the epoch."""

    def now_ns(self) -> int:
        """Return the current time in ns since the Unix epoch (UTC)."""
        ...


class SimClock:
    """A clock moved only by the caller (event timestamps); monotone non-decreasing."""

    __slots__ = ("_now_ns",)

    def __init__(self, start_ns: int = 0) -> None:
        if start_ns < 0:
            raise ValueError(f"start_ns must be >= 0, got {start_ns}")
        self._now_ns = start_ns

    def now_ns(self) -> int:
        """Return the simulated time."""
        return self._now_ns

    def advance_to(self, ts_ns: int) -> None:
        """Move the clock to ts_ns; refuse to go backwards."""
        if ts_ns < self._now_ns:
            raise ValueError(f"SimClock cannot go backwards: now_ns={self._now_ns} ts_ns={ts_ns}")
        self._now_ns = ts_ns


class WallClock:
    """The system clock, for live modes and command-line tools."""

    __slots__ = ()

    def now_ns(self) -> int:
        """Return the system time."""
        # The one sanctioned wall-clock read in the pure packages: it is injected, never called.
        return time.time_ns()  # noqa: TID251
