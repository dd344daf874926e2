"""Open a real venue (canary, live; shadow's feed): a LiveBridge over the venue's ccxt adapter.

Extension point: one ccxt dialect per `--venue` name in `_DIALECTS`. Opening reads the
venue's credentials from the environment (MM_<VENUE>_API_KEY / _SECRET, venues/credentials.py)
and returns a bridge over a factory of its async adapter (built inside the runner's loop):
one symbol's CcxtVenue (CcxtFeed for market data only), or for a book of several symbols
one bridge per symbol over the ports of ONE shared session (CcxtBook: one connection, one
account's rate limit). Credentials are never printed or logged; errors name only the
variables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, Final

from mmbot.config import MmConfig
from mmbot.config.book import book_of
from mmbot.core.errors import UsageError
from mmbot.venues import (
    BridgeableVenue,
    BridgeConfig,
    Credentials,
    Instrument,
    LiveBridge,
    linear_instrument,
)

if TYPE_CHECKING:  # ccxt takes ~0.7 s to import, which no other command should pay
    from mmbot.venues import CcxtBook, CcxtVenueConfig


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
                         f"--symbol (venues: {', '.join(sorted(_DIALECTS))})")  # fmt: skip
    dialect = _dialect(venue)
    book = book_of(cfg)  # a book of one symbol here (open_book_venues opens several)
    grid = book.instruments[0]
    instrument = _instrument(symbol, grid.tick_size, grid.lot_size)
    connection = _connection(dialect, access, market_data_only)
    config, credentials = connection.config(instrument), connection.credentials

    def make_venue() -> BridgeableVenue:
        from mmbot.venues import CcxtFeed, CcxtVenue

        if credentials is None:
            return CcxtFeed(config)
        return CcxtVenue(config, credentials)

    return LiveBridge(make_venue, book.strategies[0].id, grid.tick_size, grid.lot_size,
                      config=bridge)  # fmt: skip


def open_book_venues(
    cfg: MmConfig, access: VenueAccess, bridge: BridgeConfig, market_data_only: bool = False
) -> dict[str, LiveBridge]:
    """Return a bridge per symbol of a book of several over ONE venue session (CcxtBook,
    built in the runner's loop by the first bridge that starts).

    The venue symbols: --symbol as a comma list, one per book symbol in the book's order,
    or (no --symbol) each book symbol read as its venue's (BTCUSDT -> BTC/USDT:USDT). Each
    bridge's client ids are tagged with its venue symbol (then its first strategy), so they
    are unique across the symbols of the one account.
    """
    if access.venue is None:
        raise UsageError("E_CLI_USAGE", "canary/live (and shadow on a venue) need --venue "
                         f"(venues: {', '.join(sorted(_DIALECTS))})")  # fmt: skip
    dialect = _dialect(access.venue)
    book = book_of(cfg)
    names = _venue_symbols(book.symbols, access.symbol)
    instruments = {
        symbol: _instrument(names[symbol], inst.tick_size, inst.lot_size)
        for symbol, inst in zip(book.symbols, book.instruments, strict=True)
    }
    venue_symbols = [inst.venue_symbol for inst in instruments.values()]
    if len(set(venue_symbols)) != len(venue_symbols):
        raise UsageError("E_CLI_USAGE", f"venue symbols {venue_symbols} of the book symbols "
                         f"{list(book.symbols)} expected one venue market per symbol")  # fmt: skip
    connection = _connection(dialect, access, market_data_only)
    session = _SharedSession(connection, tuple(instruments.values()))
    bridges: dict[str, LiveBridge] = {}
    for symbol, inst in zip(book.symbols, book.instruments, strict=True):
        # The symbol leads the tag: the first 16 characters (venue_tag) tell symbols apart.
        tag = f"{instruments[symbol].venue_symbol}{book.strategies_of(symbol)[0].id}"
        make_venue = partial(session.venue, instruments[symbol].venue_symbol)
        bridges[symbol] = LiveBridge(make_venue, tag, inst.tick_size, inst.lot_size,
                                     config=bridge)  # fmt: skip
    return bridges


@dataclass(frozen=True, slots=True)
class _Connection:
    """How the ccxt adapter reaches a venue: dialect, URLs, credentials (None: market data)."""

    dialect: str
    rest_url: str | None
    ws_url: str | None
    credentials: Credentials | None

    def config(self, instrument: Instrument) -> CcxtVenueConfig:
        """Return the adapter's config for instrument on this connection."""
        from mmbot.venues import CcxtVenueConfig

        rest = self.rest_url
        config = CcxtVenueConfig(instrument, rest_base_url=rest, ws_base_url=self.ws_url,
                                 venue=self.dialect)  # fmt: skip
        if rest is not None and rest.startswith("http://127.0.0.1"):
            config = replace(config, close_grace_ms=0)  # loopback: no TLS shutdown to wait for
        return config


class _SharedSession:
    """The one CcxtBook of a book's bridges, built on the first port asked (in the loop)."""

    def __init__(self, connection: _Connection, instruments: tuple[Instrument, ...]) -> None:
        self._connection = connection
        self._instruments = instruments
        self._book: CcxtBook | None = None

    def venue(self, venue_symbol: str) -> BridgeableVenue:
        """Return venue_symbol's port of the shared session."""
        if self._book is None:
            from mmbot.venues import CcxtBook

            connection = self._connection
            self._book = CcxtBook(connection.config(self._instruments[0]), self._instruments,
                                  connection.credentials or _NO_KEYS,
                                  public_only=connection.credentials is None)  # fmt: skip
        return self._book.venue(venue_symbol)


def _dialect(venue: str) -> str:
    dialect = _DIALECTS.get(venue)
    if dialect is None:
        raise UsageError(
            "E_CLI_USAGE", f"--venue value={venue} expected one of {sorted(_DIALECTS)}"
        )
    return dialect


def _instrument(symbol: str, tick_size: float, lot_size: float) -> Instrument:
    try:
        return linear_instrument(symbol, tick_size, lot_size)
    except ValueError as exc:
        raise UsageError("E_CLI_USAGE", f"--symbol {exc}") from None


def _venue_symbols(symbols: tuple[str, ...], given: str | None) -> dict[str, str]:
    """Return each book symbol's venue symbol text (see open_book_venues)."""
    if given is None:
        return {symbol: symbol for symbol in symbols}
    names = [name.strip() for name in given.split(",")]
    if len(names) != len(symbols) or not all(names):
        raise UsageError(
            "E_CLI_USAGE",
            f"--symbol value={given} expected one venue symbol per book symbol {list(symbols)}, "
            "comma-separated in that order (or no --symbol: the book's own)",
        )
    return dict(zip(symbols, names, strict=True))


def _connection(dialect: str, access: VenueAccess, market_data_only: bool) -> _Connection:
    """Return the connection of dialect: keys from MM_<DIALECT>_API_KEY/SECRET (none for
    market data only: the adapter holds no credentials), URLs from access or
    MM_<DIALECT>_BASE_URL/WS_URL."""
    env = access.env
    credentials = None if market_data_only else Credentials.from_env(dialect, env)
    prefix = f"MM_{dialect.upper()}"
    rest = access.rest_url or env.get(f"{prefix}_BASE_URL") or None
    ws = access.ws_url or env.get(f"{prefix}_WS_URL") or None
    if rest is not None and ws is None:
        ws = "ws" + rest[len("http") :] if rest.startswith("http") else None
    if (rest is None) != (ws is None):
        raise UsageError("E_CLI_USAGE", "--ws-url is needed when --base-url is not http(s)://")
    return _Connection(dialect, rest, ws, credentials)


_NO_KEYS: Final = Credentials("", "")  # ccxt takes empty keys as none: it signs nothing
# One dialect per --venue name (the extension point): the ccxt adapter speaks them all.
_DIALECTS: Final[dict[str, str]] = {
    "binance-usdm": "binance",
    "binance": "binance",  # the docs' short name: USD-M perpetuals
    "bybit-linear": "bybit",
}
