"""The ccxt adapter: the live Venue over ccxt for Binance USD-M and Bybit linear perpetuals.

Importing this package imports ccxt (~0.7 s); `mmbot.venues` loads it on first use only.
`venue.CcxtVenue` is the adapter, `feed.CcxtFeed` its market-data-only start; both run a
`session.CcxtSession`. Everything venue-specific is a `dialect.Dialect` (`binance`, `bybit`).
`book.CcxtBook` is one session for several symbols of one account, a port per symbol.
"""

from mmbot.venues.ccxt.book import CcxtBook, CcxtBookVenue
from mmbot.venues.ccxt.config import CcxtVenueConfig, VenueStats
from mmbot.venues.ccxt.feed import CcxtFeed
from mmbot.venues.ccxt.venue import CcxtVenue

__all__ = ["CcxtBook", "CcxtBookVenue", "CcxtFeed", "CcxtVenue", "CcxtVenueConfig", "VenueStats"]
