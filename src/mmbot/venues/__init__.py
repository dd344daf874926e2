"""Venues behind one port: the sim venue, and the live Venue protocol with its ccxt adapter.

Subpackages: `sim` (the simulator's engine port), `bridge` (the engine's synchronous port over
an async live Venue), `ccxt` (the ccxt adapter and its venue dialects). Beside them, the
protocol and its values (`base`), and the venue-neutral pieces of the live side: `credentials`,
`fills`, `guards`, `idempotency`, `ratelimit`, `recon`.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Final

from mmbot.venues.base import (
    Balance,
    BookTop,
    Instrument,
    OrderIntent,
    OrderStatus,
    Position,
    Rejected,
    TemporaryVenueError,
    Venue,
    VenueAuthError,
    VenueFill,
    VenueOrder,
)
from mmbot.venues.bridge import (
    BridgeableVenue,
    BridgeConfig,
    BridgeSet,
    LiveBridge,
    linear_instrument,
)
from mmbot.venues.credentials import Credentials
from mmbot.venues.sim import SimVenuePort

if TYPE_CHECKING:
    from mmbot.venues.ccxt.book import CcxtBook
    from mmbot.venues.ccxt.config import CcxtVenueConfig
    from mmbot.venues.ccxt.feed import CcxtFeed
    from mmbot.venues.ccxt.venue import CcxtVenue

# The ccxt adapters import ccxt (~0.7 s): loaded on first use, not with the package.
_LAZY: Final = {
    "CcxtBook": "mmbot.venues.ccxt.book",
    "CcxtFeed": "mmbot.venues.ccxt.feed",
    "CcxtVenue": "mmbot.venues.ccxt.venue",
    "CcxtVenueConfig": "mmbot.venues.ccxt.config",
}


def __getattr__(name: str) -> object:
    """Import a ccxt adapter name when it is first asked for."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_LAZY[name]), name)


__all__ = [
    "Balance",
    "BookTop",
    "BridgeConfig",
    "BridgeSet",
    "BridgeableVenue",
    "CcxtBook",
    "CcxtFeed",
    "CcxtVenue",
    "CcxtVenueConfig",
    "Credentials",
    "Instrument",
    "LiveBridge",
    "OrderIntent",
    "OrderStatus",
    "Position",
    "Rejected",
    "SimVenuePort",
    "TemporaryVenueError",
    "Venue",
    "VenueAuthError",
    "VenueFill",
    "VenueOrder",
    "linear_instrument",
]
