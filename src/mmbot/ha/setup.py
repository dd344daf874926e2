"""`--ha sqlite:PATH | redis://HOST:PORT/DB` and `--instance NAME`: the backend and the lease.

Test seam: MM_HA_TEST_CLOCK_OFFSET_MS=N (an integer, ms, may be negative) sets this
instance's clock N ms off the host's monotonic clock - the clock its lease measures its
validity on and, with SQLite, the clock of the expiry stamps it writes and compares - as two
hosts' clocks would disagree (on one host every process reads one CLOCK_MONOTONIC). It is
read here only, and every ha_actions.jsonl line names it (`clock_offset_ms`). With Redis the
expiry is on the server's clock, so an offset changes nothing there. Never set it in
production.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from mmbot.core.errors import MmError
from mmbot.ha.fence import ACTION_LOG_FILE, ActionLog
from mmbot.ha.lease import LeaderLease, LeaseBackend, LeaseConfig, MonotonicClock
from mmbot.ha.redis_lease import redis_lease_of
from mmbot.ha.sqlite_lease import HostMonotonicClock, SqliteLease, create_lease_file

_SQLITE: str = "sqlite:"
CLOCK_OFFSET_ENV: Final = "MM_HA_TEST_CLOCK_OFFSET_MS"
_NS_PER_MS: Final = 1_000_000


@dataclass(frozen=True, slots=True)
class HaOptions:
    """Where the lease lives (`--ha`) and who this instance is (`--instance`)."""

    spec: str
    instance: str
    config: LeaseConfig = field(default_factory=LeaseConfig)

    def __post_init__(self) -> None:
        backend_kind(self.spec)
        if not self.instance or not self.instance.isascii() or ":" in self.instance:
            raise ValueError(f"E_HA_SPEC: --instance value={self.instance!r} expected=a "
                             "non-empty ASCII name without ':'")  # fmt: skip


def backend_kind(spec: str) -> str:
    """Return "sqlite" or "redis", the backend a `--ha` value names (E_HA_SPEC otherwise)."""
    if spec.startswith(_SQLITE) and len(spec) > len(_SQLITE):
        return "sqlite"
    parts = urlsplit(spec)
    if parts.scheme == "redis" and parts.hostname and parts.path.strip("/").isdigit():
        return "redis"
    raise ValueError(f"E_HA_SPEC: --ha value={spec!r} expected=sqlite:PATH or redis://HOST:PORT/DB")


def backend_of(spec: str, clock: MonotonicClock | None = None) -> LeaseBackend:
    """Return the lease backend a `--ha` value names (the SQLite file created if absent;
    clock: the one its expiry stamps are on, the host's unless given)."""
    if backend_kind(spec) == "redis":
        return redis_lease_of(spec)
    path = Path(spec[len(_SQLITE) :])
    create_lease_file(path)
    return SqliteLease(path, clock)


class OffsetClock:
    """The host's monotonic clock set offset_ms off (the test seam of the module docstring)."""

    def __init__(self, offset_ms: int) -> None:
        self.offset_ms = offset_ms
        self._host = HostMonotonicClock()

    def now_ns(self) -> int:
        """Return the host's monotonic time plus the offset, ns."""
        return self._host.now_ns() + self.offset_ms * _NS_PER_MS


def instance_clock(environ: Mapping[str, str]) -> OffsetClock:
    """Return this instance's clock: the host's, off by MM_HA_TEST_CLOCK_OFFSET_MS if set."""
    text = environ.get(CLOCK_OFFSET_ENV, "0").strip()
    try:
        return OffsetClock(int(text))
    except ValueError:
        raise MmError("E_HA_SPEC", f"{CLOCK_OFFSET_ENV} value={text!r} expected an integer "
                      "(ms; a test seam, unset it)") from None  # fmt: skip


@dataclass(frozen=True, slots=True)
class HaParts:
    """An instance's HA pieces: its lease, the registry the fence reads, its log (the system
    builds its LeaderRole over them, with the venue it takes over)."""

    lease: LeaderLease
    registry: LeaseBackend
    log: ActionLog


def ha_parts(options: HaOptions, out: Path, environ: Mapping[str, str]) -> HaParts:
    """Return the lease of options on the instance's clock (the host's monotonic clock unless
    environ sets the test seam), logging into out."""
    clock = instance_clock(environ)
    backend = backend_of(options.spec, clock)
    lease = LeaderLease(backend, clock, options.instance, options.config)
    log = ActionLog(out / ACTION_LOG_FILE, lease, clock.offset_ms)
    return HaParts(lease, backend, log)
