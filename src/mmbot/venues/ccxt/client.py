"""The ccxt adapter's exchange client: the ccxt.pro instance and the one path of every REST call.

Every REST call goes through `request_once` / `request`: it waits for the weight budget (the
venue-wide one, and the endpoint's own where the venue has per-endpoint limits), maps ccxt's
errors to mmbot's (429/418/10006 -> `RateLimitedError` with Retry-After, auth -> a human,
network/5xx -> temporary) and retries only idempotent calls. Paged reads follow the dialect's
next-page parameters to the last page. Loading the markets sizes the venue-wide budget from
the venue's answer and reads the instrument's grid from ccxt's markets. Response headers come
back to the client (the venue's own weight count, per-endpoint limits); raw stream messages
go to the hooks it is built with. A client opened for market data only sends the dialect's
two public calls (markets, time) and refuses every other before it is sent
(E_VENUE_MARKET_DATA_ONLY). A book of several symbols on one account shares one client:
`for_instrument` returns a view naming another symbol over the same ccxt instance and the
same budgets.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from ccxt.base import errors as cx  # type: ignore[import-untyped]

from mmbot.core.errors import ConfigError
from mmbot.core.text import first_line
from mmbot.venues.base import Instrument, TemporaryVenueError, VenueAuthError
from mmbot.venues.ccxt.config import CcxtVenueConfig, VenueStats
from mmbot.venues.ccxt.dialect import Dialect, StreamHooks
from mmbot.venues.credentials import Credentials
from mmbot.venues.ratelimit import WeightBudget
from mmbot.venues.recon import VenueMarket

NextPage = Callable[[Instrument, dict[str, Any], Any], dict[str, Any] | None]
MessageHook = Callable[[dict[str, Any]], None]


class ExchangeClient:
    """One adapter's ccxt exchange and the request path every REST call takes."""

    def __init__(
        self,
        config: CcxtVenueConfig,
        dialect: Dialect,
        credentials: Credentials,
        on_user: MessageHook,  # each raw private-stream message
        on_book: MessageHook,  # each raw book message
        stats: VenueStats,
        now_ns: Callable[[], int],
        public_only: bool = False,
    ) -> None:
        self.config = config
        self.dialect = dialect
        self.inst = config.instrument
        self._stats = stats
        self._now_ns = now_ns
        self._public_only = public_only
        limit, window_s = dialect.default_limit
        self._root = self  # the client whose budget a view (for_instrument) shares
        self._budget = self._new_budget(limit, window_s)
        self.endpoint_budgets: dict[str, WeightBudget] = {
            ep: self._new_budget(lim, win) for ep, (lim, win) in dialect.endpoint_limits.items()
        }
        self.exchange = dialect.make_exchange(
            {
                "apiKey": credentials.api_key,
                "secret": credentials.secret,
                "enableRateLimit": False,  # the weight budget paces requests
                "timeout": config.timeout_ms,
            },
            StreamHooks(on_user, on_book, self._on_headers),
        )
        self.exchange.timeout_on_exit = config.close_grace_ms
        if config.rest_base_url is not None and config.ws_base_url is not None:
            dialect.use_loopback(self.exchange, config.rest_base_url, config.ws_base_url)

    def for_instrument(self, inst: Instrument) -> ExchangeClient:
        """Return a view of this client whose requests name inst: the same ccxt instance,
        the same venue-wide and endpoint budgets (one account's), the same hooks."""
        view = copy.copy(self)
        view.inst = inst
        view.config = replace(self.config, instrument=inst)
        return view

    # ---- the weight budgets ------------------------------------------------------------
    @property
    def budget(self) -> WeightBudget:
        """Return the venue-wide weight budget (every view of the client shares it)."""
        return self._root._budget

    def _configure_budget(self, venue_limit: tuple[int, float]) -> None:
        """Size the venue-wide budget: the configured limit/window, else the venue's."""
        limit = self.config.weight_limit or venue_limit[0]
        window_s = self.config.weight_window_s or venue_limit[1]
        self._root._budget = self._new_budget(limit, window_s)

    def _on_headers(self, headers: Mapping[str, str], url: str) -> None:
        now_ns = self._now_ns()
        for sample in self.dialect.limit_samples(url, headers):
            if not sample.scope:
                self.budget.observe_used(sample.used, now_ns)
                continue
            budget = self.endpoint_budgets.get(sample.scope)
            if sample.limit is not None and (budget is None or budget.limit != sample.limit):
                budget = self._new_budget(sample.limit, sample.window_s or 1.0)
                self.endpoint_budgets[sample.scope] = budget
            if budget is not None:
                budget.observe_used(sample.used, now_ns)

    def _new_budget(self, limit: int, window_s: float) -> WeightBudget:
        return WeightBudget(limit, int(window_s * 1e9), self.config.weight_fraction)

    # ---- markets ----------------------------------------------------------------------
    async def load_markets(self) -> VenueMarket:
        """Load the venue's markets within the budget; return the instrument's grid.

        The dialect's markets call comes first: its answer sizes the venue-wide budget.
        """
        d = self.dialect
        info = await self.request(d.ep.markets, d.markets_params(self.inst))
        self._configure_budget(d.rate_limit(info))
        await self.admit(d.load_markets_weight)  # ccxt's own markets call(s)
        await self.exchange.load_markets()
        return self.venue_market()

    def venue_market(self) -> VenueMarket:
        """Return the instrument's grid in the loaded markets (E_RECON_INSTRUMENT: unlisted)."""
        market = self.exchange.markets.get(self.inst.symbol)
        if market is None:
            listed = f"symbol={self.inst.symbol} not listed by {self.dialect.name}"
            raise ConfigError("E_RECON_INSTRUMENT", f"{listed}; expected a linear perpetual")
        # ccxt gives both venues' precision as tick sizes (precisionMode TICK_SIZE).
        precision, min_qty = market["precision"], market["limits"]["amount"].get("min")
        return VenueMarket(_decimal(precision["price"]), _decimal(precision["amount"]),
                           None if min_qty is None else _decimal(min_qty))  # fmt: skip

    # ---- requests ----------------------------------------------------------------------
    async def admit(self, weight: int, endpoint: str = "") -> None:
        """Wait until the endpoint's own budget (if any), then the venue-wide one, admit it."""
        budgets = [self.budget]
        if endpoint in self.endpoint_budgets:
            budgets.insert(0, self.endpoint_budgets[endpoint])
        for budget in budgets:  # each records the request once, when it admits it
            while (wait_ns := budget.delay_ns(weight, self._now_ns())) > 0:
                await asyncio.sleep(wait_ns / 1e9)

    async def request_once(self, endpoint: str, params: dict[str, Any]) -> Any:
        """Send one request through the budget; map ccxt's transient errors to ours."""
        if self._public_only and endpoint not in (self.dialect.ep.markets, self.dialect.ep.time):
            raise market_data_only(endpoint)
        await self.admit(self.dialect.weights[endpoint], endpoint)
        try:
            return await getattr(self.exchange, endpoint)(params)
        except (cx.RateLimitExceeded, cx.DDoSProtection) as exc:
            retry_after_s = float(getattr(exc, "retry_after_s", 1.0))
            self.budget.on_retry_after(retry_after_s, self._now_ns())
            self._stats.rate_limited_total += 1
            raise RateLimitedError(
                "E_VENUE_RATE_LIMIT", f"{endpoint}: rate limited", retry_after_s
            ) from exc
        except cx.AuthenticationError as exc:
            raise VenueAuthError("E_VENUE_AUTH", f"{endpoint}: {reason(exc)}") from exc
        except (cx.NetworkError, cx.BadResponse) as exc:
            self._stats.temporary_errors_total += 1
            raise TemporaryVenueError("E_VENUE_TEMPORARY", f"{endpoint}: {cause(exc)}") from exc

    async def request(self, endpoint: str, params: dict[str, Any]) -> Any:
        """Send an idempotent request (read, cancel, heartbeat), retrying transient errors."""
        attempts = self.config.max_rate_limit_retries + 1
        for attempt in range(attempts):
            try:
                return await self.request_once(endpoint, params)
            except RateLimitedError:
                if attempt == attempts - 1:
                    raise
            except TemporaryVenueError:
                if attempt == attempts - 1:
                    raise
                await self.backoff(attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    async def backoff(self, attempt: int) -> None:
        """Wait before retry attempt+1 of a failed request (exponential)."""
        await asyncio.sleep(self.config.retry_backoff_ms / 1000 * 2**attempt)

    async def pages(self, endpoint: str, params: dict[str, Any],
                    next_params: NextPage) -> AsyncIterator[Any]:  # fmt: skip
        """Yield every page of a paged read, first to last."""
        page: dict[str, Any] | None = params
        while page is not None:
            raw = await self.request(endpoint, page)
            yield raw
            page = next_params(self.inst, page, raw)

    async def close(self) -> None:
        """Close ccxt's sessions (REST and websockets)."""
        await self.exchange.close()


class RateLimitedError(TemporaryVenueError):
    """A 429/418 (Bybit 10006/403): the request was refused before it was processed."""


def market_data_only(call: str) -> VenueAuthError:
    """Return the refusal of an order or account call on an adapter opened for market data.

    A human must act, as with missing keys: something wired a feed where a venue belongs.
    """
    return VenueAuthError(
        "E_VENUE_MARKET_DATA_ONLY",
        f"{call} refused: the adapter was started for market data only (no credentials); "
        "expected no order or account call",
    )


def reason(exc: BaseException) -> str:
    """Return an exception's text on one line, cut to a readable length."""
    text = str(exc).replace("\n", " ")
    return text[:200]


def cause(exc: BaseException) -> str:
    """Return what a ccxt error came from, on one line: the first exception under it that is
    not ccxt's (a DNS failure, a refused connection) as `Class: first line`, then ccxt's text
    in parentheses; a ccxt error raised from nothing else is `Class: text` alone."""
    under: BaseException | None = exc
    seen: set[int] = set()
    while under is not None and isinstance(under, cx.BaseError) and id(under) not in seen:
        seen.add(id(under))
        under = under.__cause__ or under.__context__
    if under is None or isinstance(under, cx.BaseError):
        return _described(exc)
    return f"{_described(under)} ({reason(exc)})"


def _decimal(value: float | str) -> Decimal:
    return Decimal(str(value))


def _described(exc: BaseException) -> str:
    text = first_line(exc)
    name = type(exc).__name__
    return name if text == name else f"{name}: {text[:200]}"
