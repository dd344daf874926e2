"""The simulator's engine port: the simulated venue (mmbot.sim) behind the engine's venue port."""

from mmbot.venues.sim.port import SimVenuePort

__all__ = ["SimVenuePort"]
