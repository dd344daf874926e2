"""Domain core: value types, clocks, error codes. Pure: no I/O, no wall clock, no global RNG."""

from mmbot.core.clock import Clock, SimClock, WallClock
from mmbot.core.errors import REGISTRY, ArtifactError, ConfigError, MmError, UsageError
from mmbot.core.types import (
    BUY,
    SELL,
    Action,
    CancelOrder,
    Denied,
    MarketView,
    PlaceOrder,
    Quote,
    ReplaceOrder,
    Side,
)

__all__ = [
    "BUY",
    "REGISTRY",
    "SELL",
    "Action",
    "ArtifactError",
    "CancelOrder",
    "Clock",
    "ConfigError",
    "Denied",
    "MarketView",
    "MmError",
    "PlaceOrder",
    "Quote",
    "ReplaceOrder",
    "Side",
    "SimClock",
    "UsageError",
    "WallClock",
]
