"""What every loopback fake exchange shares: an aiohttp app on 127.0.0.1, its state and faults.

Theory of operation: a fake keeps its orders as the venue's own JSON, keyed by client id, and
adds its routes (`_add_routes`), its middleware (`_middleware`) and the venue-specific pieces:
how an order is read (`_is_open`, `_leaves_lots`), how a fill is executed and told
(`_execute`), how a book is told (`_book_msg`), how an order is cancelled (`_cancel`) and when
its dead-man switch fires (`_dead_man_tick`). This base starts and stops the server, and owns
what a test drives the same way on every venue: `faults` (one-shot counters consumed as they
fire), `stats`, `fill`, `push_book`, `disconnect`, the periodic task (a partition closes every
stream; the dead-man switch is checked) and the views the harness reads.

A fake lists the markets of `symbols` (tests.loopback.market; BTCUSDT alone unless told):
orders, fills, positions and books are kept per symbol, one account holds them all. The
first symbol is the default of every control and view that names none (`position_lots`,
`push_book`), so a one-symbol test reads as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

from aiohttp import web
from tests.loopback.market import MARKETS, SYMBOL, Market

from mmbot.engine.orders import SEQS_PER_SESSION


@dataclass
class FakeFaults:
    """Faults the next requests/messages suffer; each counter is consumed as it fires."""

    rate_limit_next: int = 0  # answer the next N REST calls with the venue's 429
    retry_after_s: float = 0.2
    reject_next: int = 0  # reject the next N order posts (Binance -5022, Bybit 110007)
    drop_next: int = 0  # answer the next N order posts 503 without processing them
    ack_lost_next: int = 0  # process the next N order posts, then answer 503
    ack_delay_s: float = 0.0  # process the next ack_lost post, then sleep before answering
    partition_on_ack_lost: bool = False  # the link goes down together with the lost ack
    dup_fills: int = 0  # send the next N fill messages twice
    ws_drop_fills: int = 0  # do not send the next N fill messages at all
    stale_book: bool = False  # stop publishing book updates
    partition: bool = False  # refuse every request and close every stream
    fail_queries: bool = False  # answer every query of one order 503 (its outcome stays unknown)
    fail_open_orders: bool = False  # answer every open-orders read 503

    def take(self, counter: str) -> bool:
        """Consume one count of the one-shot fault `counter`; return True when it fires."""
        left: int = getattr(self, counter)
        if left <= 0:
            return False
        setattr(self, counter, left - 1)
        return True


@dataclass
class FakeStats:
    """What the fake saw, for the test's assertions."""

    posts_by_client_id: Counter[str] = field(default_factory=Counter)
    requests: Counter[str] = field(default_factory=Counter)
    max_window_weight: int = 0  # peak request weight in one window (Bybit: requests per IP)
    endpoint_peak: Counter[str] = field(default_factory=Counter)  # per-endpoint peak per second
    limit_429s: int = 0  # the venue's own limit answered 429/403/10006
    injected_429s: int = 0
    dead_man_cancels: int = 0
    stale_token_refusals: int = 0  # posts/amends under an older epoch than the newest posted
    bad_signatures: int = 0
    private_streams: int = 0  # private websockets opened (Bybit: authenticated)
    # Binance: each order that rested or was canceled, and each countdown set, in the order
    # they happened: ("rested" | "canceled", client id) or ("countdown", milliseconds).
    order_history: list[tuple[str, str]] = field(default_factory=list)


STALE_TOKEN = "stale fencing token: an older epoch than the newest order posted"
_ENGINE_CLIENT_ID = re.compile(r"^[A-Za-z0-9_]+-([0-9a-z]{1,10})-[0-9a-f]{8}$")


class LoopbackServer:
    """Serve a fake venue on 127.0.0.1 (`async with FakeX() as fake:` starts and stops it)."""

    venue: ClassVar[str]  # the adapter's `venue` setting this fake stands for
    api_key: ClassVar[str]
    api_secret: ClassVar[str]

    def __init__(self, weight_limit: int, weight_window_s: float,
                 symbols: Sequence[str] = (SYMBOL,)) -> None:  # fmt: skip
        self.markets: dict[str, Market] = {symbol: MARKETS[symbol] for symbol in symbols}
        self.symbols = tuple(self.markets)
        self.weight_limit = weight_limit
        self.weight_window_s = weight_window_s
        self.endpoint_limits: dict[str, int] = {}  # per-endpoint requests per second
        self.clock_offset_ms = 0
        self.port = 0
        self.faults = FakeFaults()
        self.stats = FakeStats()
        self.orders: dict[str, dict[str, Any]] = {}  # client id -> the venue's order JSON
        self.trades: list[dict[str, Any]] = []
        self.positions = dict.fromkeys(self.symbols, 0)  # signed lots by symbol
        self.books: dict[str, tuple[int, int, int, int]] = {}  # symbol -> bid, lots, ask, lots
        self.min_qty = MARKETS[symbols[0]].lot  # the first market's minimum order quantity
        self.dead_man_window_ms: int | None = None  # the window last set at the venue
        self.newest_epoch = 0  # the fencing token of the newest client id posted (ha/)
        self._window: tuple[int, int] = (0, 0)  # (window index, weight)
        self._private: dict[web.WebSocketResponse, set[str]] = {}  # private ws -> topics
        self._public: set[web.WebSocketResponse] = set()
        self._runner: web.AppRunner | None = None
        self._ticker: asyncio.Task[None] | None = None

    def stale_token(self, client_id: str) -> bool:
        """Return whether client_id's epoch - its fencing token, `<tag>-<seq base 36>-<hex>`
        with seq = epoch * SEQS_PER_SESSION + n (docs/HA.md) - is older than the newest
        posted, counting the refusal; a newer one becomes the newest. A real venue cannot do
        this check; the fake does it to show that no stale-token order is accepted."""
        match = _ENGINE_CLIENT_ID.match(client_id)
        if match is None:  # not an engine's id: no epoch to check
            return False
        epoch = int(match.group(1), 36) // SEQS_PER_SESSION
        if epoch < self.newest_epoch:
            self.stats.stale_token_refusals += 1
            return True
        self.newest_epoch = epoch
        return False

    # ---- what a fake adds ----------------------------------------------------------------
    def _add_routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        raise NotImplementedError

    def _is_open(self, order: dict[str, Any]) -> bool:
        raise NotImplementedError

    def _leaves_lots(self, order: dict[str, Any]) -> int:
        raise NotImplementedError

    def _execute(self, order: dict[str, Any], qty_lots: int) -> list[dict[str, Any]]:
        """Fill qty_lots of order (state, position, trade); return the messages telling it."""
        raise NotImplementedError

    def _book_msg(self, market: Market, bid_ticks: int, ask_ticks: int,
                  lots: int) -> dict[str, Any]:  # fmt: skip
        raise NotImplementedError

    async def _send_private(self, msg: dict[str, Any]) -> None:
        raise NotImplementedError

    async def _cancel(self, order: dict[str, Any]) -> None:
        raise NotImplementedError

    async def _dead_man_tick(self) -> None:
        raise NotImplementedError

    def trade_ids(self, symbol: str | None = None) -> set[str]:
        """Return every trade id the fake executed in symbol (None: in every symbol)."""
        raise NotImplementedError

    @property
    def dead_man_armed(self) -> bool:
        """Return True while the dead-man switch would cancel once the link is gone."""
        raise NotImplementedError

    # ---- the views the harness reads -------------------------------------------------------
    @property
    def position_lots(self) -> int:
        """Return the position in the first symbol, signed lots."""
        return self.positions[self.symbols[0]]

    @position_lots.setter
    def position_lots(self, lots: int) -> None:
        self.positions[self.symbols[0]] = lots

    def min_qty_of(self, market: Market) -> str:
        """Return the minimum order quantity the venue lists for market."""
        return str(self.min_qty if market.symbol == self.symbols[0] else market.lot)

    def open_orders(self, symbol: str | None = None) -> list[dict[str, Any]]:
        """Return the open orders (the venue's JSON) of symbol (None: of every symbol)."""
        return [o for o in self.orders.values()
                if self._is_open(o) and symbol in (None, o["symbol"])]  # fmt: skip

    def open_client_ids(self, symbol: str | None = None) -> set[str]:
        """Return the client ids of the open orders of symbol (None: of every symbol)."""
        return {cid for cid, o in self.orders.items()
                if self._is_open(o) and symbol in (None, o["symbol"])}  # fmt: skip

    def leaves(self) -> list[tuple[str, int]]:
        """Return (client id, leaves lots) of each open order."""
        return [(cid, self._leaves_lots(o)) for cid, o in self.orders.items() if self._is_open(o)]

    # ---- test controls -----------------------------------------------------------------
    async def disconnect(self) -> None:
        """Drop every websocket (the client must reconnect and reconcile)."""
        for ws in [*self._private, *self._public]:
            await ws.close()
        self._private.clear()
        self._public.clear()

    async def push_book(self, bid_ticks: int, ask_ticks: int, lots: int = 5,
                        symbol: str | None = None) -> None:  # fmt: skip
        """Publish the top of book of symbol (the first unless told); skipped while the
        stale-book fault is on."""
        market = self.markets[symbol or self.symbols[0]]
        self.books[market.symbol] = (bid_ticks, lots, ask_ticks, lots)
        if not self.faults.stale_book:
            await send_all(self._public, self._book_msg(market, bid_ticks, ask_ticks, lots))

    async def fill(self, client_id: str, parts: list[int], out_of_order: bool = False) -> None:
        """Fill an open order in parts (lots each); optionally deliver the WS messages reversed."""
        order = self.orders[client_id]
        batches = []
        for qty_lots in parts:
            leaves = self._leaves_lots(order)
            if qty_lots <= 0 or qty_lots > leaves:
                raise ValueError(f"fill of {qty_lots} lots with {leaves} leaves")
            batches.append(self._execute(order, qty_lots))
        if out_of_order:
            batches.reverse()
        for batch in batches:
            if self.faults.take("ws_drop_fills"):
                continue
            for _ in range(2 if self.faults.take("dup_fills") else 1):
                for msg in batch:
                    await self._send_private(msg)

    # ---- helpers for the fakes -----------------------------------------------------------
    def _count_weight(self, weight: int) -> int:
        """Add weight to the current window; return the window's weight so far."""
        index = int(time.time() // self.weight_window_s)
        used = (self._window[1] if self._window[0] == index else 0) + weight
        self._window = (index, used)
        self.stats.max_window_weight = max(self.stats.max_window_weight, used)
        return used

    def _inject_429(self) -> bool:
        """Return True when this request is answered by the rate_limit_next fault."""
        if not self.faults.take("rate_limit_next"):
            return False
        self.stats.injected_429s += 1
        return True

    async def _lose_ack(self) -> bool:
        """Return True when the answer to a processed order post is lost (ack_lost_next)."""
        if not self.faults.take("ack_lost_next"):
            return False
        if self.faults.ack_delay_s > 0:
            await asyncio.sleep(self.faults.ack_delay_s)
        self.faults.partition = self.faults.partition or self.faults.partition_on_ack_lost
        return True

    async def _dead_man_fire(self, symbol: str | None = None) -> None:
        """Cancel the open orders of symbol (None: every symbol's), as the venue's dead-man
        switch does."""
        for order in self.open_orders():
            if symbol is None or order["symbol"] == symbol:
                await self._cancel(order)
                self.stats.dead_man_cancels += 1

    async def _timers(self) -> None:
        while True:
            await asyncio.sleep(0.01)
            if self.faults.partition and (self._private or self._public):
                await self.disconnect()
            await self._dead_man_tick()

    # ---- lifecycle ---------------------------------------------------------------------
    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Serve on 127.0.0.1 on an ephemeral port."""
        app = web.Application(middlewares=[self._middleware])
        self._add_routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._ticker = asyncio.create_task(self._timers())

    async def stop(self) -> None:
        """Close streams and the server (a partition ends with it)."""
        self.faults.partition = False
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        await self.disconnect()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def rest_url(self) -> str:
        """Return the REST base URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        """Return the WS base URL."""
        return f"ws://127.0.0.1:{self.port}"

    def now_ms(self) -> int:
        """Return the venue clock (local clock plus the configured offset)."""
        return time.time_ns() // 1_000_000 + self.clock_offset_ms


async def send_all(group: Iterable[web.WebSocketResponse], msg: dict[str, Any]) -> None:
    """Send msg to every open websocket of group."""
    for ws in list(group):
        if not ws.closed:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await ws.send_str(json.dumps(msg))
