"""Binance's rules for keeping a local book from a depth snapshot and depth diffs.

Theory of operation (Binance USD-M, "How to manage a local order book correctly"): a REST
snapshot is the book after update `lastUpdateId` (L); each diff carries updates `U`..`u`
and `pu`, the `u` of the diff before it on the stream.

    NO_BOOK   --snapshot-->           SNAPSHOT   (the book is the snapshot, at L)
    SNAPSHOT  --diff, u < L-->        SNAPSHOT   (older than the snapshot: dropped)
    SNAPSHOT  --diff, U <= L <= u-->  SYNCED     (the first diff applied straddles L)
    SNAPSHOT  --diff, U > L-->        GAP        (updates between L and U are missing)
    SYNCED    --diff, pu == last u--> SYNCED
    SYNCED    --diff, pu != last u--> GAP        (diffs are missing, or out of order)
    GAP: the caller fails (strict) or calls resync() and waits for the next snapshot.

A snapshot in SNAPSHOT replaces the one before (no diff was applied on it yet); a snapshot in
SYNCED is not used (the book follows the diffs, which are finer). Diffs before any snapshot
cannot be placed and are not applied. Pure: ids in, verdicts out.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class SyncState(Enum):
    """Where the local book stands."""

    NO_BOOK = "no_book"
    SNAPSHOT = "snapshot"
    SYNCED = "synced"


class DiffVerdict(Enum):
    """What to do with a diff."""

    APPLY = "apply"
    NO_BOOK = "no_book"  # no snapshot yet (or since a gap): not applied
    OLDER_THAN_SNAPSHOT = "older_than_snapshot"  # u < lastUpdateId: Binance says drop it
    GAP = "gap"


@dataclass(frozen=True, slots=True)
class DiffIds:
    """A diff's update ids: first (U), last (u) and the last of the diff before it (pu)."""

    first_id: int
    last_id: int
    prev_last_id: int


class DepthSync:
    """The sequence state of one symbol's depth stream."""

    def __init__(self) -> None:
        self.state = SyncState.NO_BOOK
        self.last_id = 0  # the snapshot's lastUpdateId, then the last applied diff's u

    def on_snapshot(self, last_update_id: int) -> bool:
        """Return True when the book restarts from this snapshot."""
        if self.state == SyncState.SYNCED:
            return False
        self.state = SyncState.SNAPSHOT
        self.last_id = last_update_id
        return True

    def on_diff(self, ids: DiffIds) -> DiffVerdict:
        """Return what to do with a diff; APPLY moves the book to its last id."""
        if self.state == SyncState.NO_BOOK:
            return DiffVerdict.NO_BOOK
        if self.state == SyncState.SNAPSHOT:
            if ids.last_id < self.last_id:
                return DiffVerdict.OLDER_THAN_SNAPSHOT
            if ids.first_id > self.last_id:
                return DiffVerdict.GAP
        elif ids.prev_last_id != self.last_id:
            return DiffVerdict.GAP
        self.state = SyncState.SYNCED
        self.last_id = ids.last_id
        return DiffVerdict.APPLY

    def expected(self) -> str:
        """Return what the next diff must satisfy, for a gap's message."""
        if self.state == SyncState.SNAPSHOT:
            return f"U<={self.last_id}<=u (the snapshot's lastUpdateId)"
        return f"pu={self.last_id} (the previous diff's u)"

    def resync(self) -> None:
        """Forget the book after a gap: wait for the next snapshot."""
        self.state = SyncState.NO_BOOK
        self.last_id = 0
