"""The ccxt adapter: the live Venue over ccxt for Binance USD-M and Bybit linear perpetuals.

Importing this package imports ccxt (~0.7 s); `mmbot.venues` loads it on first use only.
`venue.CcxtVenue` is the adapter, `feed.CcxtFeed` its market-data-only start; both run a
`session.CcxtSession`. Everything venue-specific is a `dialect.Dialect` (`binance`, `bybit`).
"""

from mmbot.venues.ccxt.config import CcxtVenueConfig, VenueStats
from mmbot.venues.ccxt.feed import CcxtFeed
from mmbot.venues.ccxt.venue import CcxtVenue

__all__ = ["CcxtFeed", "CcxtVenue", "CcxtVenueConfig", "VenueStats"]
