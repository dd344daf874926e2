"""The embedded lease backend: one SQLite file shared by the instances of one host.

Every operation opens the file (never creating it: a file that went away is an unreachable
backend, not a fresh lease whose tokens would start again at 1), runs one `BEGIN IMMEDIATE`
transaction - SQLite's write lock, so two instances never both see the lease free - and
closes it. Expiry is on the host's monotonic clock (CLOCK_MONOTONIC is one clock for every
process of a Linux host), injected so the tests can drive it.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final, TypeVar

from mmbot.ha.lease import BackendUnavailable, MonotonicClock

_R = TypeVar("_R")
_NS_PER_MS: Final = 1_000_000
_LOCK_TIMEOUT_S: Final = 0.25  # wait this long for another instance's transaction
_SCHEMA: Final = (
    "CREATE TABLE IF NOT EXISTS lease (id INTEGER PRIMARY KEY CHECK (id = 1), holder TEXT NOT "
    "NULL, token INTEGER NOT NULL, expires_ns INTEGER NOT NULL)"
)


class HostMonotonicClock:
    """CLOCK_MONOTONIC: the same clock in every process of the host."""

    def now_ns(self) -> int:
        """Return the host's monotonic time, ns."""
        return time.monotonic_ns()


class SqliteLease:
    """The lease in one SQLite file (created with create_lease_file before first use)."""

    def __init__(self, path: Path, clock: MonotonicClock | None = None) -> None:
        self.path = path
        self.clock = clock or HostMonotonicClock()

    def _run(self, body: Callable[[sqlite3.Connection, int], _R]) -> _R:
        """Run body(connection, now_ns) in one immediate transaction."""
        try:
            conn = sqlite3.connect(f"file:{self.path}?mode=rw", uri=True,
                                   timeout=_LOCK_TIMEOUT_S, isolation_level=None)  # fmt: skip
        except sqlite3.Error as exc:
            raise BackendUnavailable(f"E_HA_BACKEND: sqlite path={self.path} {exc}") from None
        try:
            conn.execute("BEGIN IMMEDIATE")
            result = body(conn, self.clock.now_ns())
            conn.execute("COMMIT")
            return result
        except sqlite3.Error as exc:
            raise BackendUnavailable(f"E_HA_BACKEND: sqlite path={self.path} {exc}") from None
        finally:
            conn.close()

    def acquire(self, holder: str, ttl_ms: int) -> int:
        """Take the lease if it is free or expired: return its new token (0: held)."""

        def take(conn: sqlite3.Connection, now_ns: int) -> int:
            row = conn.execute("SELECT token, expires_ns FROM lease WHERE id = 1").fetchone()
            token, expires_ns = (0, 0) if row is None else (int(row[0]), int(row[1]))
            if row is not None and expires_ns > now_ns:
                return 0
            token += 1
            conn.execute(
                "INSERT OR REPLACE INTO lease (id, holder, token, expires_ns) VALUES (1, ?, ?, ?)",
                (holder, token, now_ns + ttl_ms * _NS_PER_MS),
            )
            return token

        return self._run(take)

    def renew(self, holder: str, token: int, ttl_ms: int) -> bool:
        """Extend the lease holder holds under token; False if it does not."""

        def extend(conn: sqlite3.Connection, now_ns: int) -> bool:
            cursor = conn.execute(
                "UPDATE lease SET expires_ns = ? WHERE id = 1 AND holder = ? AND token = ? "
                "AND expires_ns > ?",
                (now_ns + ttl_ms * _NS_PER_MS, holder, token, now_ns),
            )
            return cursor.rowcount == 1

        return self._run(extend)

    def release(self, holder: str, token: int) -> None:
        """Expire the lease now if holder holds it under token."""

        def expire(conn: sqlite3.Connection, now_ns: int) -> None:
            conn.execute(
                "UPDATE lease SET expires_ns = ? WHERE id = 1 AND holder = ? AND token = ?",
                (now_ns, holder, token),
            )

        self._run(expire)

    def current_token(self) -> int:
        """Return the newest token granted (0: none)."""

        def read(conn: sqlite3.Connection, _now_ns: int) -> int:
            row = conn.execute("SELECT token FROM lease WHERE id = 1").fetchone()
            return 0 if row is None else int(row[0])

        return self._run(read)


def create_lease_file(path: Path) -> None:
    """Create the lease file if it does not exist (idempotent; safe from several processes)."""
    conn = sqlite3.connect(path, timeout=_LOCK_TIMEOUT_S * 8)
    try:
        conn.execute(_SCHEMA)
        conn.commit()
    finally:
        conn.close()
