"""The ccxt adapter's shared state, bookkeeping and request path (see `ccxt_venue`).

Every REST call goes through `_rest_once` / `_rest`: it waits for the weight budget (the
venue-wide one, and the endpoint's own where the venue has per-endpoint limits), maps ccxt's
errors to mmbot's (429/418/10006 -> `_RateLimitedError` with Retry-After, auth -> a human,
network/5xx -> temporary) and retries only idempotent calls.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ccxt.base import errors as cx  # type: ignore[import-untyped]

from mmbot.core.text import first_line
from mmbot.venues.base import (
    BookTop,
    Instrument,
    PlaceResult,
    TemporaryVenueError,
    VenueAuthError,
    VenueFill,
    VenueOrder,
)
from mmbot.venues.ccxt_dialect import Dialect, StreamHooks
from mmbot.venues.credentials import Credentials, RedactingFilter
from mmbot.venues.fills import FillJournal
from mmbot.venues.guards import BookGuard, ClockGuard
from mmbot.venues.idempotency import IdempotencyStore
from mmbot.venues.ratelimit import WeightBudget

log = logging.getLogger("mmbot.venues.ccxt")
NS_PER_MS = 1_000_000


@dataclass(frozen=True, slots=True)
class CcxtVenueConfig:
    """How to reach the venue and how careful to be."""

    instrument: Instrument
    rest_base_url: str | None = None  # e.g. http://127.0.0.1:PORT for the loopback exchange
    ws_base_url: str | None = None
    timeout_ms: int = 5_000
    max_clock_skew_ms: float = 500.0
    max_book_age_ms: float = 2_000.0
    dead_man_countdown_ms: int = 60_000  # 0: do not arm the venue's dead-man switch
    heartbeat_ms: int = 15_000
    weight_fraction: float = 0.7
    weight_limit: int | None = None  # None: the venue's limit (exchangeInfo / dialect)
    weight_window_s: float | None = None
    max_rate_limit_retries: int = 3
    resolve_attempts: int = 5
    retry_backoff_ms: int = 50
    reconnect_backoff_ms: int = 100
    recon_overlap_ms: int = 60_000
    close_grace_ms: int = 250  # ccxt waits this long on close (TLS shutdown); 0 on loopback
    venue: str = "binance"  # the dialect: "binance" (USD-M) or "bybit" (linear)

    @property
    def dead_man_enabled(self) -> bool:
        """Return True when the venue's dead-man switch is to be armed."""
        return self.dead_man_countdown_ms > 0


@dataclass(slots=True)
class VenueStats:
    """Counters a test or a metrics exporter reads."""

    reconnects_total: int = 0
    recons_total: int = 0
    rate_limited_total: int = 0
    temporary_errors_total: int = 0
    dead_man_arms_total: int = 0
    fenced_total: int = 0
    unexplained_fills: list[str] = field(default_factory=list)


def dialect_for(name: str) -> Dialect:
    """Return the dialect of a venue name ("binance", "bybit"); ValueError on anything else."""
    if name == "binance":
        from mmbot.venues.binance_dialect import BinanceDialect

        return BinanceDialect()
    if name == "bybit":
        from mmbot.venues.bybit_dialect import BybitDialect

        return BybitDialect()
    raise ValueError(f"unknown venue {name!r}; expected binance or bybit")


class CcxtCore:
    """State and the request path shared by the adapter's parts."""

    def __init__(
        self,
        config: CcxtVenueConfig,
        credentials: Credentials,
        now_ns: Callable[[], int] = time.time_ns,
        dialect: Dialect | None = None,
    ) -> None:
        self.config = config
        self.dialect = dialect or dialect_for(config.venue)
        self.inst = config.instrument
        self._now_ns = now_ns
        self.journal = FillJournal()
        self.idem = IdempotencyStore()
        self.clock_guard = ClockGuard(config.max_clock_skew_ms)
        self.book_guard = BookGuard(config.max_book_age_ms)
        limit, window_s = self.dialect.default_limit
        self.budget = self._new_budget(limit, window_s)
        self.endpoint_budgets: dict[str, WeightBudget] = {
            ep: self._new_budget(lim, win)
            for ep, (lim, win) in self.dialect.endpoint_limits.items()
        }
        self.stats = VenueStats()
        self._orders: dict[str, VenueOrder] = {}  # our orders by client id: newest known state
        self._open: dict[str, VenueOrder] = {}  # the open ones of _orders, in _orders' order
        self._cid_by_oid: dict[str, str] = {}
        self._inflight: dict[str, asyncio.Future[PlaceResult]] = {}
        self._fill_q: asyncio.Queue[VenueFill] = asyncio.Queue()
        self._book_q: asyncio.Queue[BookTop] = asyncio.Queue(maxsize=1)
        self._start_block: str | None = "E_VENUE_DISCONNECTED: venue not started"
        self._recon_block: str | None = None
        self._streams_up: set[str] = set()  # "private" once reconciled, "public" once connected
        self._dead_man_armed = False
        self._fill_watermark_ms = 0
        self._recon_lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        self._redactor = RedactingFilter(credentials)
        for name in self.dialect.logger_names:
            logging.getLogger(name).addFilter(self._redactor)
        hooks = StreamHooks(self._on_user_update, self._on_book, self._on_headers)
        self.exchange = self.dialect.make_exchange(
            {
                "apiKey": credentials.api_key,
                "secret": credentials.secret,
                "enableRateLimit": False,  # the weight budget paces requests
                "timeout": config.timeout_ms,
            },
            hooks,
        )
        self.exchange.timeout_on_exit = config.close_grace_ms
        if config.rest_base_url is not None and config.ws_base_url is not None:
            self.dialect.use_loopback(self.exchange, config.rest_base_url, config.ws_base_url)

    # ---- hooks the streams part implements ----------------------------------------------
    def _on_user_update(self, message: dict[str, Any]) -> None:
        raise NotImplementedError

    def _on_book(self, message: dict[str, Any]) -> None:
        raise NotImplementedError

    # ---- bookkeeping -------------------------------------------------------------------
    def local_open_orders(self) -> dict[str, VenueOrder]:
        """Return our orders that are open as far as we know."""
        return dict(self._open)

    def _is_ours(self, cid: str) -> bool:
        return cid in self._orders or self.idem.get(cid) is not None

    def _track(self, order: VenueOrder) -> VenueOrder:
        """Keep the newest state of an order of ours (terminal states and fills only grow)."""
        self._cid_by_oid[order.venue_order_id] = order.client_id
        old = self._orders.get(order.client_id)
        if old is not None:
            if not old.status.is_open and order.status.is_open:
                return old  # a late NEW after CANCELED/FILLED
            if order.filled_lots < old.filled_lots:
                return old  # an out-of-order update
        self._orders[order.client_id] = order
        # An order never re-opens (see above), so _open keeps _orders' insertion order.
        if order.status.is_open:
            self._open[order.client_id] = order
        else:
            self._open.pop(order.client_id, None)
        return order

    def _observe(self, order: VenueOrder) -> None:
        """Map a venue-reported order's ids; keep its state when it is ours."""
        self._cid_by_oid[order.venue_order_id] = order.client_id
        if self._is_ours(order.client_id):
            self._track(order)

    def _apply_fill(self, fill: VenueFill, source: str) -> None:
        if not self.journal.apply(fill, source):
            return
        self._fill_watermark_ms = max(self._fill_watermark_ms, fill.ts_ms)
        cid = fill.client_id or self._cid_by_oid.get(fill.venue_order_id, "")
        if not self._is_ours(cid):
            self.stats.unexplained_fills.append(fill.trade_id)
            log.error("fill on an order that is not ours: trade_id=%s", fill.trade_id)
        # A path without client ids (REST trades) still hands consumers the order's client id,
        # so a fill that overtakes its order's ack is matched to the right order.
        self._fill_q.put_nowait(replace(fill, client_id=cid) if cid != fill.client_id else fill)

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

    # ---- requests ----------------------------------------------------------------------
    async def _admit(self, weight: int, endpoint: str = "") -> None:
        """Wait until the endpoint's own budget (if any), then the venue-wide one, admit it."""
        budgets = [self.budget]
        if endpoint in self.endpoint_budgets:
            budgets.insert(0, self.endpoint_budgets[endpoint])
        for budget in budgets:  # each records the request once, when it admits it
            while (wait_ns := budget.delay_ns(weight, self._now_ns())) > 0:
                await asyncio.sleep(wait_ns / 1e9)

    async def _rest_once(self, endpoint: str, params: dict[str, Any]) -> Any:
        """Send one request through the budget; map ccxt's transient errors to ours."""
        await self._admit(self.dialect.weights[endpoint], endpoint)
        try:
            return await getattr(self.exchange, endpoint)(params)
        except (cx.RateLimitExceeded, cx.DDoSProtection) as exc:
            retry_after_s = float(getattr(exc, "retry_after_s", 1.0))
            self.budget.on_retry_after(retry_after_s, self._now_ns())
            self.stats.rate_limited_total += 1
            raise RateLimitedError(
                "E_VENUE_RATE_LIMIT", f"{endpoint}: rate limited", retry_after_s
            ) from exc
        except cx.AuthenticationError as exc:
            raise VenueAuthError("E_VENUE_AUTH", f"{endpoint}: {reason(exc)}") from exc
        except (cx.NetworkError, cx.BadResponse) as exc:
            self.stats.temporary_errors_total += 1
            raise TemporaryVenueError("E_VENUE_TEMPORARY", f"{endpoint}: {cause(exc)}") from exc

    async def _rest(self, endpoint: str, params: dict[str, Any]) -> Any:
        """Send an idempotent request (read, cancel, heartbeat), retrying transient errors."""
        attempts = self.config.max_rate_limit_retries + 1
        for attempt in range(attempts):
            try:
                return await self._rest_once(endpoint, params)
            except RateLimitedError:
                if attempt == attempts - 1:
                    raise
            except TemporaryVenueError:
                if attempt == attempts - 1:
                    raise
                await self._backoff(attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _backoff(self, attempt: int) -> None:
        """Wait before retry attempt+1 of a failed request (exponential)."""
        await asyncio.sleep(self.config.retry_backoff_ms / 1000 * 2**attempt)

    async def _wait_for(self, condition: Callable[[], bool], timeout_ms: int) -> None:
        deadline_ns = self._now_ns() + timeout_ms * NS_PER_MS
        while not condition():
            if self._now_ns() > deadline_ns:
                raise TemporaryVenueError("E_VENUE_DISCONNECTED", "stream did not come up")
            await asyncio.sleep(0.002)


class RateLimitedError(TemporaryVenueError):
    """A 429/418 (Bybit 10006/403): the request was refused before it was processed."""


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


def _described(exc: BaseException) -> str:
    text = first_line(exc)
    name = type(exc).__name__
    return name if text == name else f"{name}: {text[:200]}"
