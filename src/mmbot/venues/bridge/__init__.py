"""The live bridge: the engine's synchronous venue port over an async live Venue (see `bridge`)."""

from mmbot.venues.bridge.bridge import (
    REJECT_REASONS,
    BridgeableVenue,
    BridgeConfig,
    BridgeStats,
    LiveBridge,
    linear_instrument,
    venue_tag,
)
from mmbot.venues.bridge.bridge_set import BridgeSet

__all__ = [
    "REJECT_REASONS",
    "BridgeConfig",
    "BridgeSet",
    "BridgeStats",
    "BridgeableVenue",
    "LiveBridge",
    "linear_instrument",
    "venue_tag",
]
