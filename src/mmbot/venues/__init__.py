"""Venues behind one port: the simulated venue now; ccxt and loopback paper venues later."""

from mmbot.venues.sim import SimVenuePort, VenueReport

__all__ = ["SimVenuePort", "VenueReport"]
