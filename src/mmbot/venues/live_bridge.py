"""The live bridge: the engine's synchronous venue port over the async live Venue (ccxt).

Theory of operation. The engine steps synchronously inside the asyncio live runner
(engine/live.py); between two decisions the runner awaits, and that is when venue I/O runs.
The bridge never blocks a decision:
- place/replace/cancel return at once. Each becomes a task that awaits the adapter
  (`place(OrderIntent)`, `modify`, `cancel`); the requests of one order run one after the
  other (a cancel waits for its place's answer). An answer becomes a VenueReport for the next
  decision: ACK or REJECT for a place, MODIFIED or REJECT for a replace, REJECT for a cancel
  that did not take (the order stays live and the engine cancels it again). A place whose
  outcome stays unknown is asked again under the same intent (the adapter is idempotent:
  it resolves by client id, never posts twice) until it is known or the bridge closes.
- Two pump tasks read the adapter's streams: `fills()` -> FILL reports (each venue trade
  once; leaves from the order's size) and `books()` -> the newest top of book.
- run_until(ts) stamps what arrived with the decision's local time. An order the adapter no
  longer lists as open (canceled by us, by the dead-man switch, expired) ends with a
  CANCELED report once every fill the adapter counted on it was delivered; a fully filled
  order ends with its last fill (leaves 0).
- quote_block(): the adapter's guard line (clock skew, stale book, stream down, failed
  reconciliation), read once per decision in run_until. While it is set, market_view() has
  no sizes - the engine decides nothing - and the runner cancels what rests: no quoting in
  that decision.
Ids: the engine's order id is its client sequence; the venue's client id is derived from the
intent (`<tag>-<seq>-<hash8>`, venues/idempotency.py); the bridge keeps both directions.
Reject reasons are small ints (REJECT_REASONS) so the journal's `detail` names them.
Credentials never reach the bridge: the venue factory closes over them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final, Protocol

import numpy as np

from mmbot.core.clock import Clock, WallClock
from mmbot.core.errors import MmError
from mmbot.core.types import MarketView
from mmbot.sim import FillLog, ReportKind
from mmbot.venues.base import (
    BookTop,
    Instrument,
    OrderIntent,
    OrderStatus,
    Rejected,
    TemporaryVenueError,
    Venue,
    VenueAuthError,
    VenueFill,
    VenueOrder,
)
from mmbot.venues.fills import FillJournal
from mmbot.venues.idempotency import client_id_for
from mmbot.venues.recon import LocalState, ReconReport
from mmbot.venues.sim import VenueReport

log = logging.getLogger("mmbot.venues.bridge")

REJECT_REASONS: Final = {
    "E_VENUE_REJECTED": 1,
    "E_VENUE_NOT_PLACED": 2,
    "E_VENUE_UNKNOWN_ORDER": 3,
    "E_VENUE_RATE_LIMIT": 4,
    "E_VENUE_TEMPORARY": 5,
    "E_VENUE_OUTCOME_UNKNOWN": 6,
    "E_VENUE_AUTH": 7,
    "E_VENUE_DISCONNECTED": 8,
}
_NS_PER_MS: Final = 1_000_000
_EMPTY_SIDE: Final = (0, 0, 0, 0, 0, 0, 0, 0, -1, -1)  # a view with no book: nothing decided
_NEVER_RESTED: Final = (OrderStatus.REJECTED, OrderStatus.EXPIRED)
_SYMBOL_QUOTES: Final = ("USDT", "USDC", "BUSD", "FDUSD", "USD")


class BridgeableVenue(Venue, Protocol):
    """A live Venue with the lifecycle and the state the bridge reads (CcxtVenue)."""

    journal: FillJournal

    async def start(self, local: LocalState | None = None, adopt: bool = False) -> ReconReport:
        """Connect, reconcile with local state, start the streams."""
        ...

    async def close(self) -> None:
        """Stop the streams and close the sessions."""
        ...

    def local_open_orders(self) -> dict[str, VenueOrder]:
        """Return our orders that are open as far as the adapter knows."""
        ...


def linear_instrument(symbol: str, tick_size: float, lot_size: float) -> Instrument:
    """Return the linear perpetual of symbol ("BTC/USDT:USDT", "BTC/USDT" or "BTCUSDT")."""
    text = symbol.strip().upper()
    if "/" in text:
        base, _, rest = text.partition("/")
        quote, _, settle = rest.partition(":")
    else:
        quote = next((q for q in _SYMBOL_QUOTES if text.endswith(q) and len(text) > len(q)), "")
        base, settle = text[: len(text) - len(quote)], ""
    if not re.fullmatch(r"[A-Z0-9]+", base) or not re.fullmatch(r"[A-Z0-9]+", quote):
        raise ValueError(f"symbol {symbol!r} expected BASE/QUOTE[:SETTLE] e.g. BTC/USDT:USDT")
    return Instrument(f"{base}/{quote}:{settle or quote}", base + quote,
                      Decimal(str(tick_size)), Decimal(str(lot_size)))  # fmt: skip


def venue_tag(strategy_id: str) -> str:
    """Return the client-id prefix for a strategy id ([A-Za-z0-9], at most 16 chars)."""
    return re.sub(r"[^A-Za-z0-9]", "", strategy_id)[:16] or "mm"


@dataclass(slots=True)
class _Order:
    """One order the engine handed to the bridge."""

    seq: int
    side: int
    price_ticks: int
    qty_lots: int  # the venue's size: filled + leaves
    client_id: str
    venue_order_id: str = ""
    delivered_lots: int = 0  # fills handed to the engine
    acked: bool = False
    done: bool = False
    tail: asyncio.Task[None] | None = None  # the newest request of this order


@dataclass(slots=True)
class BridgeStats:
    """Counters a report or a metrics exporter reads."""

    places: int = 0
    replaces: int = 0
    cancels: int = 0
    rejects: int = 0
    ended_unfilled: int = 0  # orders that ended (our cancel, the venue's) not fully filled
    unknown_fills: int = 0  # fills on orders this run did not place
    blocked_decisions: int = 0
    close_cancels: int = 0  # orders still open at close, canceled by the safety net
    last_block: str = ""


@dataclass(slots=True)
class _Fills:
    """Delivered fills, column-wise (the engine's FillLog)."""

    ts_ns: list[int] = field(default_factory=list)
    ts_local_ns: list[int] = field(default_factory=list)
    order_id: list[int] = field(default_factory=list)
    side: list[int] = field(default_factory=list)
    price_ticks: list[int] = field(default_factory=list)
    qty_lots: list[int] = field(default_factory=list)
    is_maker: list[int] = field(default_factory=list)
    fee_usd: list[float] = field(default_factory=list)
    mid_ticks_x2: list[int] = field(default_factory=list)


class LiveBridge:
    """The engine's EngineVenue/LiveVenue port over an async BridgeableVenue."""

    def __init__(
        self,
        make_venue: Callable[[], BridgeableVenue],
        strategy_id: str,
        tick_size: float,
        lot_size: float,
        clock: Clock | None = None,
        adopt: bool = False,
        close_timeout_s: float = 5.0,
    ) -> None:
        self._make_venue = make_venue
        self._tag = venue_tag(strategy_id)
        self._lot_usd_per_tick = tick_size * lot_size
        self._clock: Clock = clock or WallClock()
        self._adopt = adopt
        self._close_timeout_s = close_timeout_s
        self.stats = BridgeStats()
        self.fatal: MmError | None = None
        self.venue: BridgeableVenue | None = None
        self._first_ts: int | None = None
        self._now_ns = 0
        self._block: str | None = "E_VENUE_DISCONNECTED: venue not started"
        self._book: BookTop | None = None
        self._orders: dict[int, _Order] = {}
        self._live: dict[int, _Order] = {}  # acked, not ended
        self._seq_by_cid: dict[str, int] = {}
        self._seq_by_oid: dict[str, int] = {}
        self._inbox: list[VenueReport] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._pumps: list[asyncio.Task[None]] = []
        self._closing = False
        self._fills = _Fills()
        self._position_lots = 0
        self._cash_usd = 0.0
        self._notional_usd = 0.0
        self._fees_usd = 0.0

    # ---- lifecycle (the runner awaits these inside its loop) ------------------------------
    async def start(self) -> None:
        """Build and start the venue (reconciliation with a flat, order-less local state)."""
        venue = self._make_venue()
        self.venue = venue
        report = await venue.start(LocalState(), adopt=self._adopt)
        self._position_lots = report.venue_position_lots
        for line in report.lines:
            log.warning("startup reconciliation: %s", line)
        self._pumps = [
            asyncio.create_task(self._pump_fills(venue)),
            asyncio.create_task(self._pump_books(venue)),
        ]
        self._block = venue.quote_block()

    async def close(self) -> None:
        """Let requests in flight finish, cancel what is still open, close the venue."""
        self._closing = True
        venue = self.venue
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=self._close_timeout_s)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)
        if venue is not None and not isinstance(self.fatal, VenueAuthError):
            await self._cancel_leftovers(venue)
        for task in self._pumps:
            task.cancel()
        for task in self._pumps:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._pumps = []
        if venue is not None:
            await venue.close()

    async def _cancel_leftovers(self, venue: BridgeableVenue) -> None:
        for cid in list(venue.local_open_orders()):
            try:
                result = await asyncio.wait_for(venue.cancel(cid), self._close_timeout_s)
            except (MmError, TimeoutError) as exc:
                log.error("close: cancel of client_id=%s failed: %s", cid, _line(exc))
                continue
            self.stats.close_cancels += 1
            if isinstance(result, Rejected):
                log.warning("close: %s", result.line())

    # ---- streams ---------------------------------------------------------------------------
    async def _pump_fills(self, venue: BridgeableVenue) -> None:
        stream = venue.fills()
        try:
            async for fill in stream:
                self._on_fill(fill)
        except Exception as exc:
            self._fail(TemporaryVenueError("E_VENUE_DISCONNECTED", f"fills: {_line(exc)}"))
        finally:
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                await aclose()

    async def _pump_books(self, venue: BridgeableVenue) -> None:
        stream = venue.books()
        try:
            async for book in stream:
                self._book = book
        except Exception as exc:
            self._fail(TemporaryVenueError("E_VENUE_DISCONNECTED", f"books: {_line(exc)}"))
        finally:
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                await aclose()

    def _on_fill(self, fill: VenueFill) -> None:
        seq = self._seq_by_cid.get(fill.client_id) or self._seq_by_oid.get(fill.venue_order_id, 0)
        order = self._orders.get(seq)
        notional = fill.qty_lots * fill.price_ticks * self._lot_usd_per_tick
        self._position_lots += fill.side * fill.qty_lots
        self._cash_usd -= fill.side * notional + fill.fee_usd
        self._notional_usd += notional
        self._fees_usd += fill.fee_usd
        leaves = 0
        if order is None:
            self.stats.unknown_fills += 1
            log.warning("fill on an order this run did not place: trade_id=%s", fill.trade_id)
        else:
            order.delivered_lots += fill.qty_lots
            if not order.venue_order_id:
                order.venue_order_id = fill.venue_order_id
                self._seq_by_oid[fill.venue_order_id] = seq
            leaves = max(0, order.qty_lots - order.delivered_lots)
        self._inbox.append(VenueReport(0, fill.ts_ms * _NS_PER_MS, ReportKind.FILL, seq, seq,
                                       fill.side, fill.price_ticks, fill.qty_lots, leaves, 0,
                                       int(fill.is_maker), fill.fee_usd))  # fmt: skip

    # ---- the engine's port -----------------------------------------------------------------
    def first_ts_ns(self) -> int:
        """Return the wall time of the first call (the runner's start): the decision grid."""
        if self._first_ts is None:
            self._first_ts = self._clock.now_ns()
        return self._first_ts

    def run_until(self, ts_ns: int) -> bool:
        """Take what the streams and tasks delivered as of local time ts_ns; never blocks.

        Returns False once the venue failed for good (credentials refused, a broken stream).
        """
        self._now_ns = ts_ns
        self._block = self._read_block()
        if self._block is not None:
            self.stats.blocked_decisions += 1
        self._end_orders_gone_at_venue()
        return self.fatal is None

    def _read_block(self) -> str | None:
        if self.fatal is not None:
            return f"E_VENUE_DISCONNECTED: venue failed: {self.fatal.code}"
        if self.venue is None:
            return "E_VENUE_DISCONNECTED: venue not started"
        line = self.venue.quote_block()
        if (line or "") != self.stats.last_block:
            if line is None:
                log.info("quoting allowed again")
            else:
                log.warning("quoting blocked: %s", line)
            self.stats.last_block = line or ""
        return line

    def quote_block(self) -> str | None:
        """Return why quoting is blocked at the latest decision (None: it may quote)."""
        return self._block

    def _end_orders_gone_at_venue(self) -> None:
        venue = self.venue
        if not self._live or venue is None:
            return
        open_ids = venue.local_open_orders()
        for order in list(self._live.values()):
            if order.client_id in open_ids:
                continue
            if order.delivered_lots < venue.journal.filled_lots(order.venue_order_id):
                continue  # its fills are still on their way to the engine
            self._end(order)

    def _end(self, order: _Order) -> None:
        """Close an order that is no longer open at the venue (CANCELED unless fully filled)."""
        order.done = True
        self._live.pop(order.seq, None)
        if order.delivered_lots < order.qty_lots:
            self.stats.ended_unfilled += 1
            self._report(order, ReportKind.CANCELED, 0)

    def reports(self) -> list[VenueReport]:
        """Return the reports that arrived up to the latest run_until, stamped with its time."""
        if not self._inbox:
            return []
        now, mid_x2 = self._now_ns, self.exch_mid_ticks_x2
        reports, self._inbox = self._inbox, []
        stamped = [r._replace(ts_local_ns=now) for r in reports]
        fills = self._fills
        for r in stamped:
            if r.kind == ReportKind.FILL:
                fills.ts_ns.append(r.ts_exch_ns)
                fills.ts_local_ns.append(now)
                fills.order_id.append(r.order_id)
                fills.side.append(r.side)
                fills.price_ticks.append(r.price_ticks)
                fills.qty_lots.append(r.qty_lots)
                fills.is_maker.append(r.is_maker)
                fills.fee_usd.append(r.fee_usd)
                fills.mid_ticks_x2.append(mid_x2)
        return stamped

    def market_view(self, ts_ns: int) -> MarketView:
        """Return the newest top of book; no sizes while quoting is blocked."""
        book = self._book
        if self._block is not None or book is None:
            return MarketView(ts_ns, *_EMPTY_SIDE)
        return MarketView(ts_ns, book.bid_ticks, book.bid_lots, book.ask_ticks, book.ask_lots,
                          book.bid_lots, book.ask_lots, 0, 0, -1, -1)  # fmt: skip

    def place(self, side: int, price_ticks: int, qty_lots: int, client_seq: int) -> int:
        """Send a post-only place as a task; return the engine's order id (the sequence)."""
        intent = OrderIntent(self._tag, client_seq, side, price_ticks, qty_lots)
        cid = client_id_for(intent)
        order = _Order(client_seq, side, price_ticks, qty_lots, cid)
        self._orders[client_seq] = order
        self._seq_by_cid[cid] = client_seq
        self.stats.places += 1
        self._chain(order, lambda: self._do_place(order, intent))
        return client_seq

    def replace(self, order_id: int, price_ticks: int, qty_lots: int) -> None:
        """Send a modify (new price, qty_lots still to rest) as a task."""
        order = self._orders[order_id]
        self.stats.replaces += 1
        self._chain(order, lambda: self._do_modify(order, price_ticks, qty_lots))

    def cancel(self, order_id: int) -> None:
        """Send a cancel as a task."""
        order = self._orders[order_id]
        self.stats.cancels += 1
        self._chain(order, lambda: self._do_cancel(order))

    def _chain(self, order: _Order, step: Callable[[], Awaitable[None]]) -> None:
        task = asyncio.get_running_loop().create_task(self._after(order.tail, step))
        order.tail = task
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _after(self, previous: asyncio.Task[None] | None,
                     step: Callable[[], Awaitable[None]]) -> None:  # fmt: skip
        if previous is not None and not previous.done():
            await asyncio.wait([previous])
        try:
            await step()
        except VenueAuthError as exc:
            self._fail(exc)
        except MmError as exc:
            log.error("venue request failed: %s", exc.line())
        except Exception as exc:  # a bug or an unmapped venue error: stop quoting
            self._fail(TemporaryVenueError("E_VENUE_TEMPORARY", f"request: {_line(exc)}"))

    def _fail(self, exc: MmError) -> None:
        if self.fatal is None:
            self.fatal = exc
            log.error("venue failed, stopping: %s", exc.line())

    # ---- requests --------------------------------------------------------------------------
    async def _do_place(self, order: _Order, intent: OrderIntent) -> None:
        venue = self._require_venue()
        backoff_s = 0.05
        while True:
            try:
                result = await venue.place(intent)
                break
            except VenueAuthError as exc:
                self._reject(order, exc.code)
                raise
            except TemporaryVenueError as exc:
                # Outcome unknown: ask again under the same intent (resolved by client id).
                if exc.code != "E_VENUE_OUTCOME_UNKNOWN" or self._closing:
                    self._reject(order, exc.code)
                    return
                log.warning("place outcome unknown, asking again: %s", exc.line())
                await asyncio.sleep(backoff_s)
                backoff_s = min(1.0, 2 * backoff_s)
        if isinstance(result, Rejected):
            log.warning("place rejected: %s", result.line())
            self._reject(order, result.code)
            return
        if result.status in _NEVER_RESTED and result.filled_lots == 0:
            self._reject(order, "E_VENUE_REJECTED")
            return
        order.acked = True
        order.venue_order_id = result.venue_order_id
        order.qty_lots = result.qty_lots
        self._seq_by_oid[result.venue_order_id] = order.seq
        self._live[order.seq] = order
        self._report(order, ReportKind.ACK, result.qty_lots - order.delivered_lots)

    async def _do_modify(self, order: _Order, price_ticks: int, leaves_lots: int) -> None:
        if order.done or not order.acked:
            return
        venue = self._require_venue()
        filled = max(order.delivered_lots, venue.journal.filled_lots(order.venue_order_id))
        try:
            result = await venue.modify(order.client_id, price_ticks, filled + leaves_lots)
        except TemporaryVenueError as exc:
            self._reject_request(order, exc.code)
            return
        if isinstance(result, Rejected):
            log.warning("modify rejected: %s", result.line())
            self._reject_request(order, result.code)
        elif result.status.is_open:
            order.price_ticks, order.qty_lots = result.price_ticks, result.qty_lots
            self._report(order, ReportKind.MODIFIED, result.leaves_lots)
        # else: it ended at the venue meanwhile; run_until ends it once its fills are in

    async def _do_cancel(self, order: _Order) -> None:
        if order.done or not order.acked:
            return
        venue = self._require_venue()
        try:
            result = await venue.cancel(order.client_id)
        except TemporaryVenueError as exc:
            self._reject_request(order, exc.code)
            return
        if isinstance(result, Rejected):
            if result.code == "E_VENUE_UNKNOWN_ORDER":
                if not order.done:
                    self._end(order)  # the venue has no such order: nothing rests
                return
            self._reject_request(order, result.code)
        elif result.status.is_open:
            self._reject_request(order, "E_VENUE_REJECTED")
        # else: canceled (or filled); run_until ends it once its fills are in

    def _require_venue(self) -> BridgeableVenue:
        if self.venue is None:
            raise TemporaryVenueError("E_VENUE_DISCONNECTED", "venue not started")
        return self.venue

    def _reject(self, order: _Order, code: str) -> None:
        """A place that did not rest: REJECTED for the engine."""
        order.done = True
        self.stats.rejects += 1
        self._report(order, ReportKind.REJECT, order.qty_lots, REJECT_REASONS.get(code, 0))

    def _reject_request(self, order: _Order, code: str) -> None:
        """A replace/cancel that did not take: the order stays as it was."""
        if order.done:
            return
        self.stats.rejects += 1
        leaves = max(0, order.qty_lots - order.delivered_lots)
        self._report(order, ReportKind.REJECT, leaves, REJECT_REASONS.get(code, 0))

    def _report(self, order: _Order, kind: int, leaves_lots: int, reason: int = 0) -> None:
        self._inbox.append(VenueReport(0, 0, kind, order.seq, order.seq, order.side,
                                       order.price_ticks, order.qty_lots, leaves_lots, reason,
                                       0, 0.0))  # fmt: skip

    # ---- values ----------------------------------------------------------------------------
    def fill_log(self) -> FillLog:
        """Return the fills delivered to the engine."""
        f = self._fills
        i64 = np.int64
        order_id = np.asarray(f.order_id, dtype=i64)
        return FillLog(np.asarray(f.ts_ns, dtype=i64), np.asarray(f.ts_local_ns, dtype=i64),
                       order_id, order_id.copy(), np.asarray(f.side, dtype=i64),
                       np.asarray(f.price_ticks, dtype=i64), np.asarray(f.qty_lots, dtype=i64),
                       np.asarray(f.is_maker, dtype=i64), np.asarray(f.fee_usd, dtype=np.float64),
                       np.asarray(f.mid_ticks_x2, dtype=i64))  # fmt: skip

    @property
    def exch_mid_ticks_x2(self) -> int:
        """Twice the mid of the newest top of book (0 before the first)."""
        book = self._book
        return 0 if book is None else book.bid_ticks + book.ask_ticks

    @property
    def position_lots(self) -> int:
        """The venue's position at start plus every fill delivered since."""
        return self._position_lots

    @property
    def cash_usd(self) -> float:
        """Cash flow of the fills delivered (sells in, buys out, fees out)."""
        return self._cash_usd

    @property
    def notional_usd(self) -> float:
        """Notional traded so far."""
        return self._notional_usd

    @property
    def effective_fee_bps(self) -> float:
        """Fees paid per notional traded, bps (0 before the first fill)."""
        return 1e4 * self._fees_usd / self._notional_usd if self._notional_usd > 0 else 0.0

    @property
    def fee_tier_distance_usd(self) -> float:
        """Not known from the venue streams: 0."""
        return 0.0

    def summary(self) -> dict[str, object]:
        """Return the bridge's figures for a report."""
        s = self.stats
        return {
            "blocked_decisions": s.blocked_decisions,
            "cancels": s.cancels,
            "cash_usd": self._cash_usd,
            "close_cancels": s.close_cancels,
            "ended_unfilled": s.ended_unfilled,
            "fills": len(self._fills.ts_ns),
            "notional_usd": self._notional_usd,
            "places": s.places,
            "position_lots": self._position_lots,
            "rejects": s.rejects,
            "replaces": s.replaces,
            "unknown_fills": s.unknown_fills,
        }


def _line(exc: BaseException) -> str:
    """Return an exception as one short ASCII line (an MmError's own line, else its type)."""
    if isinstance(exc, MmError):
        return exc.line()
    return type(exc).__name__
