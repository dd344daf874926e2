"""The kill-switch flag file, watched by the live runner between decisions.

An operator stops quoting by creating the file named by `risk.kill_switch_file`. The runner
polls it before each decision - never inside one: the decision path does no I/O - and trips
the risk gate's latch once the file is there; the gate then denies every place and replace,
and the runner cancels what rests. Removing the file does not re-arm the switch: a tripped
run stays halted until it is restarted. Backtests do not watch it: a file's presence is a
fact of the wall clock, and a replay must give the same bytes every run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol


class KillSwitchLatch(Protocol):
    """What the watcher trips (the risk gate)."""

    def trip_kill_switch(self, reason: str) -> None: ...


class KillSwitchFile:
    """Trip a latch once a flag file exists."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tripped = False

    def poll(self, latch: KillSwitchLatch) -> bool:
        """Trip latch if the flag file is there (once); return whether the switch is tripped."""
        if not self.tripped and self.path.exists():
            self.tripped = True
            latch.trip_kill_switch(f"flag file {self.path} present")
        return self.tripped
