"""High availability: a leader lease with fencing tokens over SQLite or Redis (docs/HA.md)."""

from mmbot.ha.fence import ACTION_LOG_FILE, ActionLog, FencedVenue, token_of
from mmbot.ha.lease import (
    BackendUnavailable,
    Change,
    LeaderLease,
    LeaseBackend,
    LeaseConfig,
    MonotonicClock,
)
from mmbot.ha.redis_lease import RedisLease, redis_lease_of
from mmbot.ha.role import LeaderRole, VenueTakeover
from mmbot.ha.setup import HaOptions, HaParts, backend_of, ha_parts
from mmbot.ha.sqlite_lease import HostMonotonicClock, SqliteLease, create_lease_file

__all__ = [
    "ACTION_LOG_FILE",
    "ActionLog",
    "BackendUnavailable",
    "Change",
    "FencedVenue",
    "HaOptions",
    "HaParts",
    "HostMonotonicClock",
    "LeaderLease",
    "LeaderRole",
    "LeaseBackend",
    "LeaseConfig",
    "MonotonicClock",
    "RedisLease",
    "SqliteLease",
    "VenueTakeover",
    "backend_of",
    "create_lease_file",
    "ha_parts",
    "redis_lease_of",
    "token_of",
]
