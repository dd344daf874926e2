"""The leader lease: which one of several instances may send orders, and with which token.

Theory of operation. Instances share a lease backend (ha/sqlite_lease.py, ha/redis_lease.py)
that holds one lease: its holder, its fencing token and its expiry on the backend's own clock.
Every token the backend grants is larger than every token it granted before, so a token
orders the leaders: a request carrying a smaller token than the newest is stale.

    STANDBY --acquire ok--> LEADER --renew ok--> LEADER
       ^                      |--renew refused / backend error--> STANDBY (step-down)
       |                      |--release (shutdown)-------------> STANDBY
       +----------------------+

An instance polls the lease at every decision: a standby tries to acquire it every renew
interval, a leader renews it every renew interval. The instance never trusts the backend's
clock for its own safety: before a request it measures the time on its own monotonic clock,
and after a grant or a renew it may send until `t_request + ttl - margin`, the earliest the
backend could have let the lease expire minus a margin for the clock rate drift between the
two clocks and the time between the check and the send (`may_send`). A leader paused past
that point (SIGSTOP, a long GC) sends nothing when it wakes: its first check fails, its renew
is refused, it steps down. A renew refused or failing (backend unreachable) is a step-down at
once: the runner cancels what rests while the lease has not yet expired for the others.

Pure: the backend and the clock are ports; no I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Final, Protocol

_NS_PER_MS: Final = 1_000_000
DEFAULT_TTL_MS: Final = 3000
DEFAULT_RENEW_MS: Final = 1000
DEFAULT_MARGIN_MS: Final = 500


class BackendUnavailable(Exception):  # noqa: N818 (a state of the world, not a bug)
    """The lease backend could not be reached or answered in time."""


class LeaseBackend(Protocol):
    """Where the lease lives (shared by every instance); expiry on the backend's clock."""

    def acquire(self, holder: str, ttl_ms: int) -> int:
        """Take the lease if it is free or expired: return its new token (0: held by another)."""
        ...

    def renew(self, holder: str, token: int, ttl_ms: int) -> bool:
        """Extend the lease holder holds under token; False if it does not (any more)."""
        ...

    def release(self, holder: str, token: int) -> None:
        """Let the lease expire now if holder holds it under token."""
        ...

    def current_token(self) -> int:
        """Return the newest token granted (0: none yet): the fence a request must match."""
        ...


class MonotonicClock(Protocol):
    """The instance's own clock: never goes backwards, ns."""

    def now_ns(self) -> int: ...


@dataclass(frozen=True, slots=True)
class LeaseConfig:
    """The lease's timing, ms: ttl (backend expiry), renew (poll interval), margin (safety)."""

    ttl_ms: int = DEFAULT_TTL_MS
    renew_ms: int = DEFAULT_RENEW_MS
    margin_ms: int = DEFAULT_MARGIN_MS

    def __post_init__(self) -> None:
        if not 0 < self.renew_ms < self.ttl_ms - self.margin_ms:
            raise ValueError(
                f"E_HA_LEASE_TIMING: ttl_ms={self.ttl_ms} renew_ms={self.renew_ms} "
                f"margin_ms={self.margin_ms} expected=0 < renew_ms < ttl_ms - margin_ms"
            )
        if self.margin_ms <= 0:
            raise ValueError(f"E_HA_LEASE_TIMING: margin_ms={self.margin_ms} expected=>0")


class Change(Enum):
    """What a poll changed."""

    NONE = "none"
    ELECTED = "elected"
    STEPPED_DOWN = "stepped_down"


class LeaderLease:
    """One instance's view of the shared lease (see the module's theory of operation)."""

    def __init__(self, backend: LeaseBackend, clock: MonotonicClock, instance: str,
                 config: LeaseConfig | None = None) -> None:  # fmt: skip
        self.backend = backend
        self.clock = clock
        self.instance = instance
        self.config = config or LeaseConfig()
        self.token = 0  # the token of the current (or last) leadership; 0: never elected
        self.elections_total = 0
        self.last_error = ""
        self._leader = False
        self._valid_until_ns = 0
        self._next_attempt_ns = 0

    @property
    def is_leader(self) -> bool:
        """Return whether this instance believes it holds the lease (may_send: may it act)."""
        return self._leader

    def may_send(self) -> bool:
        """Return whether an order may go out now: leader, and the lease valid on our own clock."""
        return self._leader and self.clock.now_ns() < self._valid_until_ns

    def poll(self) -> Change:
        """Acquire or renew the lease when due; return what changed."""
        started_ns = self.clock.now_ns()
        if started_ns < self._next_attempt_ns:
            return Change.NONE
        self._next_attempt_ns = started_ns + self.config.renew_ms * _NS_PER_MS
        if self._leader:
            return self._renew(started_ns)
        return self._acquire(started_ns)

    def _acquire(self, started_ns: int) -> Change:
        try:
            token = self.backend.acquire(self.instance, self.config.ttl_ms)
        except BackendUnavailable as exc:
            self.last_error = str(exc)
            return Change.NONE
        if token <= 0:
            return Change.NONE
        self.token, self._leader = token, True
        self._valid_until_ns = self._deadline(started_ns)
        self.elections_total += 1
        return Change.ELECTED

    def _renew(self, started_ns: int) -> Change:
        try:
            renewed = self.backend.renew(self.instance, self.token, self.config.ttl_ms)
        except BackendUnavailable as exc:
            self.last_error = str(exc)
            renewed = False
        if not renewed:
            return self._step_down()
        self._valid_until_ns = self._deadline(started_ns)
        return Change.NONE

    def _deadline(self, started_ns: int) -> int:
        config = self.config
        return started_ns + (config.ttl_ms - config.margin_ms) * _NS_PER_MS

    def _step_down(self) -> Change:
        self._leader = False
        self._valid_until_ns = 0
        return Change.STEPPED_DOWN

    def release(self) -> None:
        """Give the lease up (clean shutdown) so a standby need not wait for its expiry."""
        if not self._leader:
            return
        self._step_down()
        try:
            self.backend.release(self.instance, self.token)
        except BackendUnavailable as exc:
            self.last_error = str(exc)  # it expires on its own after the ttl
