"""The live bridge: the engine's synchronous venue port over the async live Venue (ccxt).

Theory of operation. The engine steps synchronously inside the asyncio live runner
(engine/live.py); between two decisions the runner awaits, and that is when venue I/O runs.
The bridge never blocks a decision:
- place/replace/cancel return at once. Each becomes a task that awaits the adapter
  (`place(OrderIntent)`, `modify`, `cancel`); the requests of one order run one after the
  other (a cancel waits for its place's answer). An answer becomes an OrderEvent for the next
  decision: ACCEPTED or REJECTED for a place, REPLACE_ACCEPTED or REPLACE_REJECTED for a
  replace, REPLACE_REJECTED for a cancel that did not take (the order stays live and the
  engine cancels it again). A place whose outcome is unknown is reported once as
  UNKNOWN_OUTCOME (the engine keeps its side's slot, posting nothing in its stead) and
  asked again under the same intent (the adapter is idempotent:
  it resolves by client id, never posts twice) until it is known or the bridge closes. One
  unknown for longer than `max_unknown_outcome_s` stops quoting for the rest of the run, as
  the kill switch does: run_until latches one E_VENUE_OUTCOME_TIMEOUT line as the quote
  block (no decision, the runner cancels what rests) while the asking goes on, so the
  order's answer and fills still arrive.
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
- HA (docs/HA.md; `standby`): the bridge starts as a standby - the venue's position taken,
  its open orders left to their leader, no dead-man switch armed. Elected, the instance's
  LeaderRole calls take_over(epoch): a task cancels the venue's open orders of older
  epochs, reconciles and arms the switch; until it is done the quote block is
  E_HA_TAKEOVER, so nothing is quoted before. A take-over that fails stops quoting for the
  run, as an unknown outcome does (takeover_failed: the role then withdraws from the lease).
  stand_by() (a step-down) gives the switch up.
Ids: the engine's order id is its client sequence; the venue's client id is derived from the
intent (`<tag>-<seq>-<hash8>`, venues/idempotency.py); the bridge keeps both directions.
Reject reasons are small ints (REJECT_REASONS) so the journal's `detail` names them.
Credentials never reach the bridge: the venue factory closes over them.
Parts: `orders` (the order table, request tasks and their answers), `streams` (the fill/book
pumps and the fill ledger), `port` (the venue protocol and counters they share). This module
is the facade; the package (mmbot.venues.bridge) re-exports its public names.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from mmbot.core.clock import Clock, WallClock
from mmbot.core.errors import MmError
from mmbot.core.events import FILL_KINDS, OrderEvent, OrderEventKind
from mmbot.core.types import MarketView
from mmbot.venues.base import Instrument, Rejected, VenueAuthError
from mmbot.venues.bridge.orders import REJECT_REASONS, OrderTable, RequestScheduler
from mmbot.venues.bridge.port import BridgeableVenue, BridgeStats, SharedVenue, one_line
from mmbot.venues.bridge.streams import FillRouter, StreamPumps
from mmbot.venues.recon import LocalState

__all__ = [
    "REJECT_REASONS",
    "BridgeConfig",
    "BridgeStats",
    "BridgeableVenue",
    "LiveBridge",
    "linear_instrument",
    "venue_tag",
]

log = logging.getLogger("mmbot.venues.bridge")

_EMPTY_SIDE: Final = (0, 0, 0, 0, 0, 0, 0, 0, -1, -1)  # a view with no book: nothing decided
_SYMBOL_QUOTES: Final = ("USDT", "USDC", "BUSD", "FDUSD", "USD")


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


@dataclass(frozen=True, slots=True)
class BridgeConfig:
    """How the bridge starts, how long it tolerates an unknown outcome, how long close waits."""

    adopt: bool = False  # take the venue's position and open orders at start, not refuse
    standby: bool = False  # an HA instance: start as a standby, make the venue ours at take_over
    max_unknown_outcome_s: float = 10.0  # a place unknown for longer stops quoting
    close_timeout_s: float = 5.0

    def __post_init__(self) -> None:
        for key in ("max_unknown_outcome_s", "close_timeout_s"):
            value = getattr(self, key)
            if not (value > 0 and math.isfinite(value)):
                raise ValueError(f"key={key} value={value} expected=a finite number > 0")


def _shared(venue: BridgeableVenue | None) -> SharedVenue:
    """Return venue as one an HA instance can share (E_HA_VENUE for one it cannot)."""
    if not isinstance(venue, SharedVenue):
        raise MmError("E_HA_VENUE", f"venue={type(venue).__name__} expected a one-symbol "
                      "order venue (CcxtVenue) under --ha")  # fmt: skip
    return venue


def venue_tag(strategy_id: str) -> str:
    """Return the client-id prefix for a strategy id ([A-Za-z0-9], at most 16 chars)."""
    return re.sub(r"[^A-Za-z0-9]", "", strategy_id)[:16] or "mm"


class LiveBridge:
    """The engine's EngineVenue/LiveVenue port over an async BridgeableVenue."""

    def __init__(
        self,
        make_venue: Callable[[], BridgeableVenue],
        strategy_id: str,
        tick_size: float,
        lot_size: float,
        clock: Clock | None = None,
        config: BridgeConfig | None = None,
    ) -> None:
        self._make_venue = make_venue
        self._clock: Clock = clock or WallClock()
        self.config = config or BridgeConfig()
        self.stats = BridgeStats()
        self.fatal: MmError | None = None
        self.venue: BridgeableVenue | None = None
        self._first_ts: int | None = None
        self._now_ns = 0
        self._block: str | None = "E_VENUE_DISCONNECTED: venue not started"
        self._latched_stop: str | None = None  # a line that stops quoting for the run
        self._takeover_line: str | None = None  # an HA take-over still running
        self._takeover: asyncio.Task[None] | None = None
        self._takeover_failed = False
        self._tag = venue_tag(strategy_id)
        self._table = OrderTable(self.stats)
        self._requests = RequestScheduler(self._table, self._tag,
                                          lambda: self.venue, self._fail,
                                          self._clock.now_ns)  # fmt: skip
        self._router = FillRouter(self._table, tick_size * lot_size)
        self._pumps = StreamPumps(self._router, self._fail)

    # ---- lifecycle (the runner awaits these inside its loop) ------------------------------
    @property
    def order_idem_hits_total(self) -> int:
        """Return the venue adapter's idempotency hits (0 before it started)."""
        return 0 if self.venue is None else self.venue.order_idem_hits_total

    async def start(self) -> None:
        """Build and start the venue (reconciliation with a flat, order-less local state).

        A venue holding a position or orders this session does not know refuses the start
        (E_RECON_*, raised by venue.start) unless adopt: nothing was sent, close cancels nothing.
        """
        venue = self._make_venue()
        self.venue = venue
        if self.config.standby:
            report = await _shared(venue).start_standby()
        else:
            report = await venue.start(LocalState(), adopt=self.config.adopt)
        if report.venue_position_lots:  # the engine books it before its first decision
            lots = report.venue_position_lots
            self._table.inbox.append(OrderEvent(0, 0, OrderEventKind.POSITION_ADOPTED, 0, 0,
                                                1 if lots > 0 else -1, 0, abs(lots), 0, 0, 0,
                                                0.0))  # fmt: skip
        for line in report.lines:
            log.warning("startup reconciliation, adopted the venue's state: %s", line)
        self._pumps.start(venue)
        if report.adopted:
            await self._cancel_adopted_orders(venue)
        self._block = self._latched_stop or venue.quote_block()

    async def _cancel_adopted_orders(self, venue: BridgeableVenue) -> None:
        """Cancel the orders an earlier session left resting; the position stays adopted.

        The engine did not place them, so it cannot manage them, and the risk gate could not
        count them in its worst-case position. One that cannot be cancelled stops quoting.
        """
        adopted = set(venue.local_open_orders())
        self.stats.adopt_cancels += await self._cancel_open(venue, "adopt")
        left = sorted(adopted & set(venue.local_open_orders()))
        if left:
            self._latched_stop = (
                f"E_RECON_OPEN_ORDERS: adopted client_ids={','.join(left)} still resting after "
                "cancel expected none; quoting stopped for the run (cancel them at the venue)"
            )
            log.error("%s", self._latched_stop)

    def take_over(self, epoch: int) -> None:
        """Elected under epoch (ha/): make the venue ours before quoting (a task; the quote
        block is E_HA_TAKEOVER until it is done)."""
        self._takeover_line = (f"E_HA_TAKEOVER: epoch={epoch} canceling older epochs' orders "
                               "and arming the dead-man switch before quoting")  # fmt: skip
        self._takeover = asyncio.get_running_loop().create_task(self._take_over(epoch))

    async def _take_over(self, epoch: int) -> None:
        try:
            self.stats.takeover_cancels += await _shared(self.venue).take_over(epoch, self._tag)
        except Exception as exc:  # a venue error or a bug: never quote over foreign orders
            self._takeover_failed = True
            self._latched_stop = (f"E_HA_TAKEOVER: epoch={epoch} failed: {one_line(exc)}; "
                                  "quoting stopped for the run")  # fmt: skip
            log.error("%s", self._latched_stop)
        self._takeover_line = None

    @property
    def takeover_failed(self) -> bool:
        """Return whether an HA take-over failed (quoting stopped for the run)."""
        return self._takeover_failed

    def stand_by(self) -> None:
        """Stepped down (ha/): stop a take-over still running; leave the switch to the next
        leader."""
        if self._takeover is not None:
            self._takeover.cancel()
        self._takeover_line = None
        _shared(self.venue).stand_by()

    async def close(self) -> None:
        """Let requests in flight finish, cancel what is still open, close the venue."""
        venue = self.venue
        if self._takeover is not None:
            self._takeover.cancel()
            await asyncio.wait([self._takeover])
        await self._requests.drain(self.config.close_timeout_s)
        if venue is not None and not isinstance(self.fatal, VenueAuthError):
            self.stats.close_cancels += await self._cancel_open(venue, "close")
        await self._pumps.stop()
        if venue is not None:
            await venue.close()

    async def _cancel_open(self, venue: BridgeableVenue, when: str) -> int:
        """Cancel every order the adapter lists as open; return how many cancels were answered."""
        answered = 0
        for cid in list(venue.local_open_orders()):
            try:
                result = await asyncio.wait_for(venue.cancel(cid), self.config.close_timeout_s)
            except (MmError, TimeoutError) as exc:
                log.error("%s: cancel of client_id=%s failed: %s", when, cid, one_line(exc))
                continue
            answered += 1
            if isinstance(result, Rejected):
                log.warning("%s: %s", when, result.line())
        return answered

    def _fail(self, exc: MmError) -> None:
        if self.fatal is None:
            self.fatal = exc
            log.error("venue failed, stopping: %s", exc.line())

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
        self._latch_outcome_timeout(ts_ns)
        self._block = self._read_block()
        if self._block is not None:
            self.stats.blocked_decisions += 1
        if self.venue is not None:
            self._table.end_gone(self.venue)
        return self.fatal is None

    def _latch_outcome_timeout(self, ts_ns: int) -> None:
        """Stop quoting for good once a place has been of unknown outcome for too long."""
        oldest = None if self._latched_stop is not None else self._table.oldest_unknown()
        if oldest is None:
            return
        order, since_ns = oldest
        unknown_s = (ts_ns - since_ns) / 1e9
        limit_s = self.config.max_unknown_outcome_s
        if unknown_s > limit_s:
            self._latched_stop = (
                f"E_VENUE_OUTCOME_TIMEOUT: client_id={order.client_id} outcome unknown for "
                f"{unknown_s:.3f} s expected<=max_unknown_outcome_s={limit_s:g}; quoting "
                "stopped for the run, resolving continues"
            )
            log.error("%s", self._latched_stop)

    def _read_block(self) -> str | None:
        if self.fatal is not None:
            return f"E_VENUE_DISCONNECTED: venue failed: {self.fatal.code}"
        if self._latched_stop is not None:
            return self._latched_stop
        if self._takeover_line is not None:
            return self._takeover_line
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

    def reports(self) -> list[OrderEvent]:
        """Return the events that arrived up to the latest run_until, stamped with its time;
        fills carry the newest top of book's mid."""
        if not self._table.inbox:
            return []
        now, mid_x2 = self._now_ns, self.exch_mid_ticks_x2
        return [
            e._replace(ts_local_ns=now, mid_ticks_x2=mid_x2) if e.kind in FILL_KINDS
            else e._replace(ts_local_ns=now)
            for e in self._table.take()
        ]  # fmt: skip

    def market_view(self, ts_ns: int) -> MarketView:
        """Return the newest top of book; no sizes while quoting is blocked."""
        book = self._pumps.book
        if self._block is not None or book is None:
            return MarketView(ts_ns, *_EMPTY_SIDE)
        return MarketView(ts_ns, book.bid_ticks, book.bid_lots, book.ask_ticks, book.ask_lots,
                          book.bid_lots, book.ask_lots, 0, 0, -1, -1)  # fmt: skip

    def place(self, side: int, price_ticks: int, qty_lots: int, client_seq: int) -> int:
        """Send a post-only place as a task; return the engine's order id (the sequence)."""
        return self._requests.place(side, price_ticks, qty_lots, client_seq)

    def replace(self, order_id: int, price_ticks: int, qty_lots: int) -> None:
        """Send a modify (new price, qty_lots still to rest) as a task."""
        self._requests.replace(order_id, price_ticks, qty_lots)

    def cancel(self, order_id: int) -> None:
        """Send a cancel as a task."""
        self._requests.cancel(order_id)

    # ---- values ----------------------------------------------------------------------------
    @property
    def exch_mid_ticks_x2(self) -> int:
        """Twice the mid of the newest top of book (0 before the first)."""
        book = self._pumps.book
        return 0 if book is None else book.bid_ticks + book.ask_ticks

    @property
    def effective_fee_bps(self) -> float:
        """Fees paid per notional traded, bps (0 before the first fill)."""
        router = self._router
        return 1e4 * router.fees_usd / router.notional_usd if router.notional_usd > 0 else 0.0

    @property
    def fee_tier_distance_usd(self) -> float:
        """Not known from the venue streams: 0."""
        return 0.0

    def summary(self) -> dict[str, object]:
        """Return the bridge's figures for a report."""
        s, router = self.stats, self._router
        return {
            "adopt_cancels": s.adopt_cancels,
            "blocked_decisions": s.blocked_decisions,
            "cancels": s.cancels,
            "close_cancels": s.close_cancels,
            "ended_unfilled": s.ended_unfilled,
            "fees_usd": router.fees_usd,
            "fills": router.fills,
            "latched_stop": self._latched_stop or "",
            "notional_usd": router.notional_usd,
            "places": s.places,
            "rejects": s.rejects,
            "replaces": s.replaces,
            "takeover_cancels": s.takeover_cancels,
            "unknown_fills": s.unknown_fills,
        }
