"""Venue ports of the live modes: the journaling wrapper, the shadow venue, the live contract.

Theory of operation. The engine talks to one port (`EngineVenue`, engine/loop.py). A mode
is a stack of wrappers around the port that owns the market data:

    live-sim   JournalingVenue(SimVenuePort)                  orders reach the simulator
    shadow     JournalingVenue(ShadowVenue(feed))             orders are recorded, never sent
               (feed: the replay's SimVenuePort, or a LiveBridge over a market-data-only adapter)
    canary     JournalingVenue(CanaryVenue(live venue, caps)) orders past the caps and gate
    live       JournalingVenue(CanaryVenue(live venue))       the gate only

ShadowVenue answers its own sends one decision later (ack, modified, canceled) so the order
manager moves exactly as it would against a venue that never fills; its position stays flat.
"""

from __future__ import annotations

from typing import Final, Protocol

import numpy as np

from mmbot.core.types import MarketView
from mmbot.engine.journal import Journal, JournalEntry
from mmbot.engine.loop import EngineVenue
from mmbot.engine.orders import make_client_id
from mmbot.sim import FillLog, ReportKind
from mmbot.venues.sim import VenueReport

_FATES: Final = {
    ReportKind.ACK: "ack",
    ReportKind.REJECT: "reject",
    ReportKind.FILL: "fill",
    ReportKind.CANCELED: "canceled",
    ReportKind.MODIFIED: "modified",
    ReportKind.EXPIRED: "expired",
}
LOCAL_REJECT_REASON: Final = -1  # reason of a reject a wrapper made up (a refused request)


class FeedSource(Protocol):
    """Market data without order entry: what shadow mode reads (a replay or a venue stream)."""

    def run_until(self, ts_ns: int) -> bool: ...
    def first_ts_ns(self) -> int: ...
    def market_view(self, ts_ns: int) -> MarketView: ...
    @property
    def exch_mid_ticks_x2(self) -> int: ...


class LiveVenue(EngineVenue, Protocol):
    """What the canary/live runner needs of a real venue (the ccxt adapter implements it).

    first_ts_ns() is the wall time (ns since the epoch) when the market stream started;
    run_until(ts_ns) applies what the streams delivered up to ts_ns without blocking and
    returns False once the stream is closed for good; reports() drains order reports;
    place/replace/cancel hand a request to the venue without waiting for its answer (the
    answer comes back as a report); position/cash/notional are the venue-reconciled values.
    Credentials stay inside the adapter: nothing here prints or logs them.
    """


def empty_fill_log() -> FillLog:
    """Return a fill log with no fills."""
    i64 = np.zeros(0, dtype=np.int64)
    return FillLog(i64, i64, i64, i64, i64, i64, i64, i64, np.zeros(0, dtype=np.float64), i64)


def local_report(ts_ns: int, kind: int, order_id: int, client_seq: int, side: int,
                 price_ticks: int, qty_lots: int, reason: int = 0) -> VenueReport:  # fmt: skip
    """Return a report a port makes up itself (shadow answers, canary refusals)."""
    leaves = 0 if kind == ReportKind.CANCELED else qty_lots
    return VenueReport(ts_ns, ts_ns, kind, order_id, client_seq, side, price_ticks, qty_lots,
                       leaves, reason, 0, 0.0)  # fmt: skip


class PassThroughVenue:
    """A venue port that wraps another: the read-only views go straight to the inner port.

    JournalingVenue and CanaryVenue add behaviour to the requests and reports; everything a
    decorator does not change is answered here, once.
    """

    def __init__(self, inner: EngineVenue) -> None:
        self.inner = inner
        self._now_ns = 0

    def run_until(self, ts_ns: int) -> bool:
        """Advance the inner port; requests sent after this carry ts_ns."""
        self._now_ns = ts_ns
        return self.inner.run_until(ts_ns)

    def first_ts_ns(self) -> int:
        """Return the inner port's first local time."""
        return self.inner.first_ts_ns()

    def market_view(self, ts_ns: int) -> MarketView:
        """Return the inner port's view."""
        return self.inner.market_view(ts_ns)

    def fill_log(self) -> FillLog:
        """Return the inner port's fills."""
        return self.inner.fill_log()

    @property
    def exch_mid_ticks_x2(self) -> int:
        """Twice the venue book's mid at the last view."""
        return self.inner.exch_mid_ticks_x2

    @property
    def position_lots(self) -> int:
        """Position as reported by the inner port."""
        return self.inner.position_lots

    @property
    def cash_usd(self) -> float:
        """Cash as reported by the inner port."""
        return self.inner.cash_usd

    @property
    def notional_usd(self) -> float:
        """Notional traded so far."""
        return self.inner.notional_usd

    @property
    def effective_fee_bps(self) -> float:
        """Fees paid per notional traded, bps."""
        return self.inner.effective_fee_bps

    @property
    def fee_tier_distance_usd(self) -> float:
        """USD volume to the next fee tier."""
        return self.inner.fee_tier_distance_usd


class JournalingVenue(PassThroughVenue):
    """Pass every call to the inner port; journal each request and each report on the way."""

    def __init__(self, inner: EngineVenue, journal: Journal, strategy_id: str) -> None:
        super().__init__(inner)
        self.journal = journal
        self._strategy_id = strategy_id
        self._client_of: dict[int, str] = {}  # venue order id -> client id
        self._side_of: dict[int, int] = {}

    def reports(self) -> list[VenueReport]:
        """Return the inner port's reports, journaling each one's fate."""
        reports = self.inner.reports()
        for report in reports:
            client_id = self._client_of.get(report.order_id) or make_client_id(
                self._strategy_id, report.client_id
            )
            if report.kind == ReportKind.FILL:
                detail = "maker" if report.is_maker else "taker"
            elif report.kind == ReportKind.REJECT:
                detail = "local" if report.reason == LOCAL_REJECT_REASON else str(report.reason)
            else:
                detail = ""
            self.journal.append(
                JournalEntry(report.ts_local_ns, _FATES[ReportKind(report.kind)], client_id,
                             report.side, report.price_ticks, report.qty_lots,
                             report.leaves_lots, detail)
            )  # fmt: skip
        return reports

    def place(self, side: int, price_ticks: int, qty_lots: int, client_seq: int) -> int:
        """Journal and hand on a place request; return the venue order id."""
        client_id = make_client_id(self._strategy_id, client_seq)
        self.journal.append(
            JournalEntry(self._now_ns, "place", client_id, side, price_ticks, qty_lots)
        )
        order_id = self.inner.place(side, price_ticks, qty_lots, client_seq)
        self._client_of[order_id] = client_id
        self._side_of[order_id] = side
        return order_id

    def replace(self, order_id: int, price_ticks: int, qty_lots: int) -> None:
        """Journal and hand on a replace request."""
        self.journal.append(
            JournalEntry(self._now_ns, "replace", self._client_of.get(order_id, ""),
                         self._side_of.get(order_id, 0), price_ticks, qty_lots)
        )  # fmt: skip
        self.inner.replace(order_id, price_ticks, qty_lots)

    def cancel(self, order_id: int) -> None:
        """Journal and hand on a cancel request."""
        self.journal.append(
            JournalEntry(self._now_ns, "cancel", self._client_of.get(order_id, ""),
                         self._side_of.get(order_id, 0))
        )  # fmt: skip
        self.inner.cancel(order_id)


class ShadowVenue:
    """Read the market from a feed; record every request and send none (shadow mode)."""

    def __init__(self, feed: FeedSource) -> None:
        self.feed = feed
        self.sends: dict[str, int] = {"cancel": 0, "place": 0, "replace": 0}
        self._now_ns = 0
        self._next_order_id = 1
        self._orders: dict[int, tuple[int, int, int, int]] = {}  # id -> seq, side, price, qty
        self._pending: list[VenueReport] = []

    def run_until(self, ts_ns: int) -> bool:
        """Advance the feed to ts_ns."""
        self._now_ns = ts_ns
        return self.feed.run_until(ts_ns)

    def first_ts_ns(self) -> int:
        """Return the feed's first local time."""
        return self.feed.first_ts_ns()

    def market_view(self, ts_ns: int) -> MarketView:
        """Return the feed's view."""
        return self.feed.market_view(ts_ns)

    @property
    def exch_mid_ticks_x2(self) -> int:
        """Twice the feed book's mid at the last view."""
        return self.feed.exch_mid_ticks_x2

    def reports(self) -> list[VenueReport]:
        """Return the answers to the requests recorded before the latest run_until()."""
        reports, self._pending = self._pending, []
        return [r._replace(ts_local_ns=self._now_ns, ts_exch_ns=self._now_ns) for r in reports]

    def place(self, side: int, price_ticks: int, qty_lots: int, client_seq: int) -> int:
        """Record a place; it is acknowledged at the next decision."""
        self.sends["place"] += 1
        order_id = self._next_order_id
        self._next_order_id += 1
        self._orders[order_id] = (client_seq, side, price_ticks, qty_lots)
        self._pending.append(local_report(self._now_ns, ReportKind.ACK, order_id, client_seq,
                                          side, price_ticks, qty_lots))  # fmt: skip
        return order_id

    def replace(self, order_id: int, price_ticks: int, qty_lots: int) -> None:
        """Record a replace; it is confirmed at the next decision."""
        self.sends["replace"] += 1
        seq, side, _, _ = self._orders[order_id]
        self._orders[order_id] = (seq, side, price_ticks, qty_lots)
        self._pending.append(local_report(self._now_ns, ReportKind.MODIFIED, order_id, seq, side,
                                          price_ticks, qty_lots))  # fmt: skip

    def cancel(self, order_id: int) -> None:
        """Record a cancel; it is confirmed at the next decision."""
        self.sends["cancel"] += 1
        seq, side, price_ticks, qty_lots = self._orders.pop(order_id)
        self._pending.append(local_report(self._now_ns, ReportKind.CANCELED, order_id, seq, side,
                                          price_ticks, qty_lots))  # fmt: skip

    def fill_log(self) -> FillLog:
        """Return no fills: nothing was sent."""
        return empty_fill_log()

    @property
    def position_lots(self) -> int:
        """Always flat."""
        return 0

    @property
    def cash_usd(self) -> float:
        """Always 0."""
        return 0.0

    @property
    def notional_usd(self) -> float:
        """Always 0."""
        return 0.0

    @property
    def effective_fee_bps(self) -> float:
        """Always 0."""
        return 0.0

    @property
    def fee_tier_distance_usd(self) -> float:
        """Always 0."""
        return 0.0
