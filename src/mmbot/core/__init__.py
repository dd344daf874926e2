"""Domain core: value types, clocks, error codes. Pure: no I/O, no wall clock, no global RNG."""

from mmbot.core.clock import Clock, SimClock, WallClock
from mmbot.core.errors import REGISTRY, ArtifactError, ConfigError, MmError, UsageError

__all__ = [
    "REGISTRY",
    "ArtifactError",
    "Clock",
    "ConfigError",
    "MmError",
    "SimClock",
    "UsageError",
    "WallClock",
]
