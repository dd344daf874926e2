"""Open a real venue (canary, live; shadow's feed): a LiveBridge over the venue's ccxt adapter.

Extension point: one opener per `--venue` name in `_VENUE_OPENERS`. An opener reads the
venue's credentials from the environment (MM_<VENUE>_API_KEY / _SECRET, venues/credentials.py)
and returns a bridge over a factory of its async adapter (built inside the runner's loop).
Bybit linear plugs in as `"bybit-linear"` with its adapter and MM_BYBIT_API_*. Credentials
are never printed or logged; errors name only the variables.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Final

from mmbot.config import MmConfig
from mmbot.config.book import book_of
from mmbot.core.errors import UsageError
from mmbot.venues import BridgeableVenue, BridgeConfig, Credentials, LiveBridge, linear_instrument


@dataclass(frozen=True, slots=True)
class VenueAccess:
    """Which real venue a mode trades on (or reads), and where it is reached.

    rest_url/ws_url: None means the URLs of the environment (MM_<DIALECT>_BASE_URL/WS_URL),
    else the venue's production ones. env: where credentials and those URLs are read.
    """

    venue: str | None
    symbol: str | None
    rest_url: str | None = None
    ws_url: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)


def open_live_venue(
    cfg: MmConfig, access: VenueAccess, bridge: BridgeConfig, market_data_only: bool = False
) -> LiveBridge:
    """Return a bridge to the real venue of access (not started: the runner starts it).

    market_data_only (shadow): the adapter reads the public book stream only; no credentials
    are read and no order or account call can reach the venue.
    """
    venue, symbol = access.venue, access.symbol
    if venue is None or symbol is None:
        raise UsageError("E_CLI_USAGE", "canary/live (and shadow on a venue) need --venue and "
                         f"--symbol (venues: {', '.join(sorted(_VENUE_OPENERS))})")  # fmt: skip
    opener = _VENUE_OPENERS.get(venue)
    if opener is None:
        raise UsageError(
            "E_CLI_USAGE", f"--venue value={venue} expected one of {sorted(_VENUE_OPENERS)}"
        )
    return opener(symbol, cfg, access, bridge, market_data_only)


def _open_ccxt(dialect: str, symbol: str, cfg: MmConfig, access: VenueAccess,
               bridge: BridgeConfig, market_data_only: bool) -> LiveBridge:  # fmt: skip
    """A linear perpetual through the ccxt adapter with the given dialect (binance, bybit);
    keys from MM_<DIALECT>_API_KEY/SECRET (none for market data only: the adapter is a
    CcxtFeed), URLs from access or MM_<DIALECT>_BASE_URL/WS_URL."""
    # Imported here: ccxt takes ~0.7 s to import, which no other command should pay.
    from mmbot.venues import CcxtFeed, CcxtVenue, CcxtVenueConfig

    book = book_of(cfg)  # a book of one symbol here (the live modes refuse more on a venue)
    grid = book.instruments[0]
    try:
        instrument = linear_instrument(symbol, grid.tick_size, grid.lot_size)
    except ValueError as exc:
        raise UsageError("E_CLI_USAGE", f"--symbol {exc}") from None
    env = access.env
    credentials = None if market_data_only else Credentials.from_env(dialect, env)
    prefix = f"MM_{dialect.upper()}"
    rest = access.rest_url or env.get(f"{prefix}_BASE_URL") or None
    ws = access.ws_url or env.get(f"{prefix}_WS_URL") or None
    if rest is not None and ws is None:
        ws = "ws" + rest[len("http") :] if rest.startswith("http") else None
    if (rest is None) != (ws is None):
        raise UsageError("E_CLI_USAGE", "--ws-url is needed when --base-url is not http(s)://")
    config = CcxtVenueConfig(instrument, rest_base_url=rest, ws_base_url=ws, venue=dialect)
    if rest is not None and rest.startswith("http://127.0.0.1"):
        config = replace(config, close_grace_ms=0)  # loopback: no TLS shutdown to wait for

    def make_venue() -> BridgeableVenue:
        if credentials is None:
            return CcxtFeed(config)
        return CcxtVenue(config, credentials)

    return LiveBridge(make_venue, book.strategies[0].id, grid.tick_size, grid.lot_size,
                      config=bridge)  # fmt: skip


VenueOpener = Callable[[str, MmConfig, VenueAccess, BridgeConfig, bool], LiveBridge]
_VENUE_OPENERS: Final[dict[str, VenueOpener]] = {
    "binance-usdm": partial(_open_ccxt, "binance"),
    "binance": partial(_open_ccxt, "binance"),  # the docs' short name: USD-M perpetuals
    "bybit-linear": partial(_open_ccxt, "bybit"),
}
