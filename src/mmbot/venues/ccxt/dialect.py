"""The venue dialect: everything venue-specific the ccxt adapter needs, behind one small object.

Theory of operation. The adapter (`venue`) owns the behaviour: idempotent placement,
unknown-outcome resolution, the fill journal, reconciliation, guards, the weight budget, the
dead-man switch. A dialect only says how the venue spells things: which ccxt implicit
endpoint does what (`Endpoints`), the venue parameters for each call, how to read the venue's
JSON back into mmbot values, how to reach its streams and what its rate-limit headers say.
A dialect is pure apart from `make_exchange` and the `watch_*` / `unwatch_dead_man`
coroutines, which only call ccxt. `binance.BinanceDialect` and `bybit.BybitDialect` implement
it; `dialect_for` picks one by the venue's name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from mmbot.venues.base import Balance, BookTop, Instrument, OrderIntent, VenueFill, VenueOrder

Json = Any
HeadersHook = Callable[[dict[str, str], str], None]


@dataclass(frozen=True, slots=True)
class Endpoints:
    """The ccxt implicit-API method names of the calls the adapter makes."""

    markets: str  # the instrument/limits call made before ccxt's own load_markets
    time: str
    place: str
    cancel: str
    modify: str
    query: str  # one order by client id
    open_orders: str
    positions: str
    balances: str
    trades: str  # the account's trade history (REST fill catch-up)
    dead_man: str  # the venue's cancel-on-disconnect switch


@dataclass(frozen=True, slots=True)
class LimitSample:
    """What one response's headers say about a rate limit.

    scope "" is the venue-wide (IP) weight budget; any other scope is an endpoint method
    name with its own limit (Bybit's per-endpoint X-Bapi-Limit).
    """

    scope: str
    used: int
    limit: int | None = None
    window_s: float | None = None


@dataclass(frozen=True, slots=True)
class StreamHooks:
    """Callbacks the exchange subclass calls with raw venue messages and response headers."""

    on_user: Callable[[dict[str, Any]], None]
    on_book: Callable[[dict[str, Any]], None]
    on_headers: HeadersHook


class Dialect(Protocol):
    """How one venue spells the adapter's calls; see the module docstring."""

    name: str  # "binance" / "bybit": also the MM_<NAME>_API_* credential prefix
    ep: Endpoints
    weights: Mapping[str, int]  # request weight per endpoint method (venue-wide budget)
    endpoint_limits: Mapping[str, tuple[int, float]]  # per-endpoint (limit, window_s)
    default_limit: tuple[int, float]  # venue-wide (weight, window_s) unless the venue says
    load_markets_weight: int  # weight of ccxt's own load_markets requests
    rearm_dead_man: bool  # True: a countdown the heartbeat re-arms (0 disarms); False: a stream
    logger_names: tuple[str, ...]  # ccxt loggers to redact

    def make_exchange(self, options: dict[str, Any], hooks: StreamHooks) -> Any:
        """Return the ccxt.pro exchange instance, wired to hooks."""
        ...

    def use_loopback(self, exchange: Any, rest_base: str, ws_base: str) -> None:
        """Point the exchange's REST and WS URLs at a loopback fake."""
        ...

    def rate_limit(self, markets_raw: Json) -> tuple[int, float]:
        """Return the venue-wide (weight limit, window seconds) from the markets answer."""
        ...

    def markets_params(self, inst: Instrument) -> dict[str, Any]:
        """Return the parameters of the markets call."""
        ...

    def place_params(self, inst: Instrument, cid: str, intent: OrderIntent) -> dict[str, Any]:
        """Return the parameters of a (post-only) limit order under client id cid."""
        ...

    def order_params(self, inst: Instrument, cid: str) -> dict[str, Any]:
        """Return the parameters that name one order by client id (cancel, query)."""
        ...

    def modify_params(
        self, inst: Instrument, current: VenueOrder, price_ticks: int, qty_lots: int
    ) -> dict[str, Any]:
        """Return the parameters that move a resting order (same client id)."""
        ...

    def symbol_params(self, inst: Instrument) -> dict[str, Any]:
        """Return the parameters of the per-symbol reads (open orders, positions)."""
        ...

    def balance_params(self) -> dict[str, Any]:
        """Return the parameters of the balances read."""
        ...

    def trades_params(self, inst: Instrument, since_ms: int) -> dict[str, Any]:
        """Return the parameters of the first trade-history page since since_ms."""
        ...

    def next_trades_params(
        self, inst: Instrument, params: dict[str, Any], raw: Json
    ) -> dict[str, Any] | None:
        """Return the next page's parameters after raw, or None on the last page."""
        ...

    def next_open_orders_params(
        self, inst: Instrument, params: dict[str, Any], raw: Json
    ) -> dict[str, Any] | None:
        """Return the next open-orders page's parameters after raw, or None on the last page."""
        ...

    def dead_man_params(self, inst: Instrument, countdown_ms: int) -> dict[str, Any]:
        """Return the parameters that arm the cancel-on-disconnect switch."""
        ...

    def placed(
        self, raw: Json, inst: Instrument, cid: str, intent: OrderIntent, now_ms: int
    ) -> VenueOrder:
        """Return the order a successful place answer describes."""
        ...

    def order_ack(self, raw: Json, inst: Instrument) -> VenueOrder | None:
        """Return the order a cancel/modify answer describes; None: it names ids only."""
        ...

    def queried(self, raw: Json, inst: Instrument) -> VenueOrder | None:
        """Return the order of a query answer; None when the venue has no such order."""
        ...

    def open_orders(self, raw: Json, inst: Instrument) -> list[VenueOrder]:
        """Parse an open-orders answer."""
        ...

    def trades(self, raw: Json, inst: Instrument) -> list[VenueFill]:
        """Parse a trade-history page (client id "" where the venue does not say)."""
        ...

    def position_lots(self, raw: Json, inst: Instrument) -> tuple[int, float]:
        """Return (signed lots, entry price) of inst in a positions answer."""
        ...

    def balances(self, raw: Json) -> list[Balance]:
        """Parse a balances answer."""
        ...

    def time_ms(self, raw: Json) -> int:
        """Return the venue time (ms) of a time answer."""
        ...

    def limit_samples(self, url: str, headers: Mapping[str, str]) -> list[LimitSample]:
        """Return what a response's headers say about the venue's rate limits."""
        ...

    async def watch_private(self, exchange: Any, inst: Instrument, dead_man: bool) -> Any:
        """Subscribe to (and wait on) the private order/fill stream (and the switch's topic)."""
        ...

    async def unwatch_dead_man(self, exchange: Any) -> None:
        """Leave the stream topic that keeps the switch armed (a countdown venue has none)."""
        ...

    async def watch_public(self, exchange: Any, instruments: Sequence[Instrument]) -> Any:
        """Subscribe to (and wait on) the best bid/ask stream of every one of instruments."""
        ...

    def is_stream_url(self, kind: str, url: str) -> bool:
        """Return True when url is the venue's kind ("private"/"public") websocket."""
        ...

    def user_updates(
        self, msg: dict[str, Any], inst: Instrument
    ) -> list[tuple[VenueOrder | None, VenueFill | None]]:
        """Parse a raw private-stream message into order states and fills of inst."""
        ...

    def book(self, msg: dict[str, Any], inst: Instrument) -> BookTop | None:
        """Parse a raw book message of inst (None: another symbol or no top)."""
        ...


def header(headers: Mapping[str, str], name: str) -> str | None:
    """Return a header's value by case-insensitive name."""
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def dialect_for(name: str) -> Dialect:
    """Return the dialect of a venue name ("binance", "bybit"); ValueError on anything else."""
    if name == "binance":
        from mmbot.venues.ccxt.binance import BinanceDialect

        return BinanceDialect()
    if name == "bybit":
        from mmbot.venues.ccxt.bybit import BybitDialect

        return BybitDialect()
    raise ValueError(f"unknown venue {name!r}; expected binance or bybit")
