"""Venues behind one port: the sim venue, and the live Venue protocol with its ccxt adapter."""

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
from mmbot.venues.sim import SimVenuePort

__all__ = [
    "Balance",
    "BookTop",
    "Instrument",
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
]
