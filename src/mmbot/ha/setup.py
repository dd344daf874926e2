"""`--ha sqlite:PATH | redis://HOST:PORT/DB` and `--instance NAME`: the backend and the lease."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from mmbot.ha.fence import ACTION_LOG_FILE, ActionLog
from mmbot.ha.lease import LeaderLease, LeaseBackend, LeaseConfig
from mmbot.ha.redis_lease import redis_lease_of
from mmbot.ha.sqlite_lease import HostMonotonicClock, SqliteLease, create_lease_file

_SQLITE: str = "sqlite:"


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


def backend_of(spec: str) -> LeaseBackend:
    """Return the lease backend a `--ha` value names (the SQLite file created if absent)."""
    if backend_kind(spec) == "redis":
        return redis_lease_of(spec)
    path = Path(spec[len(_SQLITE) :])
    create_lease_file(path)
    return SqliteLease(path)


@dataclass(frozen=True, slots=True)
class HaParts:
    """An instance's HA pieces: its lease, the registry the fence reads, its log (the system
    builds its LeaderRole over them, with the venue it takes over)."""

    lease: LeaderLease
    registry: LeaseBackend
    log: ActionLog


def ha_parts(options: HaOptions, out: Path) -> HaParts:
    """Return the lease of options on the host's monotonic clock, logging into out."""
    backend = backend_of(options.spec)
    lease = LeaderLease(backend, HostMonotonicClock(), options.instance, options.config)
    log = ActionLog(out / ACTION_LOG_FILE, lease)
    return HaParts(lease, backend, log)
