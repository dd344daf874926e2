"""Fakes for the lease tests: a true clock, drifting instance clocks, a cuttable backend."""

from __future__ import annotations

from dataclasses import dataclass

from mmbot.ha import BackendUnavailable, LeaseBackend

NS_PER_MS = 1_000_000


class TrueClock:
    """The one real time of a scenario (ns), moved by the test."""

    def __init__(self, now_ns: int = 0) -> None:
        self.now = now_ns

    def now_ns(self) -> int:
        return self.now

    def advance_ms(self, ms: float) -> None:
        self.now += round(ms * NS_PER_MS)


@dataclass
class DriftClock:
    """An instance's monotonic clock: its own origin, running at rate times real time."""

    true: TrueClock
    rate: float = 1.0
    origin_ns: int = 0

    def now_ns(self) -> int:
        return self.origin_ns + int(self.true.now * self.rate)


class Cuttable:
    """A backend that raises BackendUnavailable while cut (a partition from one instance)."""

    def __init__(self, inner: LeaseBackend) -> None:
        self.inner = inner
        self.cut = False

    def _check(self) -> None:
        if self.cut:
            raise BackendUnavailable("E_HA_BACKEND: cut by the test")

    def acquire(self, holder: str, ttl_ms: int) -> int:
        self._check()
        return self.inner.acquire(holder, ttl_ms)

    def renew(self, holder: str, token: int, ttl_ms: int) -> bool:
        self._check()
        return self.inner.renew(holder, token, ttl_ms)

    def release(self, holder: str, token: int) -> None:
        self._check()
        self.inner.release(holder, token)

    def current_token(self) -> int:
        self._check()
        return self.inner.current_token()
