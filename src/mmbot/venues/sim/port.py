"""The simulated venue behind the port the engine drives (backtest and live-sim modes)."""

from __future__ import annotations

from operator import itemgetter
from typing import Any, Final

from mmbot.core.events import OrderEvent, OrderEventKind, fill_kind
from mmbot.core.types import MarketView
from mmbot.sim import ReportKind, SimParams, SimVenue
from mmbot.sim import layout as lo
from mmbot.sim.jit import bound_entry
from mmbot.sim.layout import ST_REACHED
from mmbot.sim.reports import take_report_rows
from mmbot.sim.state import EventArrays
from mmbot.sim.stream import EventStream
from mmbot.sim.venue import check_modify, check_order
from mmbot.sim.view import (
    ST_BEHIND,
    V_ASK_DEPTH_LOTS,
    V_BEST_ASK_LOTS,
    V_BEST_ASK_TICKS,
    V_BEST_BID_LOTS,
    V_BEST_BID_TICKS,
    V_BID_DEPTH_LOTS,
    V_BUY_TRADE_DEPTH_TICKS,
    V_BUY_VOLUME_LOTS,
    V_CURSOR,
    V_EXCH_MID_TICKS_X2,
    V_N_EVENTS,
    V_REPORTS_WAITING,
    V_SELL_TRADE_DEPTH_TICKS,
    V_SELL_VOLUME_LOTS,
    V_VIEW_END,
    advance_with_view,
    local_view,
    new_view,
)

# The view slots MarketView takes after ts_ns, in its field order. One tolist() and one
# itemgetter cost ~0.35 us; ten int(view[i]) conversions of numpy scalars cost ~1.2 us.
_MARKET_VIEW_SLOTS = itemgetter(
    V_BEST_BID_TICKS, V_BEST_BID_LOTS, V_BEST_ASK_TICKS, V_BEST_ASK_LOTS,
    V_BID_DEPTH_LOTS, V_ASK_DEPTH_LOTS, V_BUY_VOLUME_LOTS, V_SELL_VOLUME_LOTS,
    V_BUY_TRADE_DEPTH_TICKS, V_SELL_TRADE_DEPTH_TICKS,
)  # fmt: skip


# The event kind of each simulator report kind (sim.layout REP_*); FILL and REJECT are refined
# per report (partial or final fill; reject of a new order or of a replace/cancel).
_EVENT_KIND: Final[dict[int, OrderEventKind]] = {
    ReportKind.ACK: OrderEventKind.ACCEPTED,
    ReportKind.REJECT: OrderEventKind.REJECTED,
    ReportKind.FILL: OrderEventKind.FILLED,
    ReportKind.CANCELED: OrderEventKind.CANCELED,
    ReportKind.MODIFIED: OrderEventKind.REPLACE_ACCEPTED,
    ReportKind.EXPIRED: OrderEventKind.CANCELED,
}
_FILL, _REJECT, _ACK = int(ReportKind.FILL), int(ReportKind.REJECT), int(ReportKind.ACK)


class SimVenuePort:
    """SimVenue plus the decision-point view the engine needs; no allocation per decision."""

    def __init__(
        self, events: EventArrays | EventStream, params: SimParams, depth_levels: int = 5
    ) -> None:
        self.venue = SimVenue(events, params)
        self._view = new_view()
        # The view sums the trades since its cursor: they stay loaded while streaming.
        self.venue.pin(self._view, V_CURSOR)
        self._local_view = bound_entry(local_view, self.venue.state, 0, depth_levels, self._view)
        self._advance_with_view = bound_entry(
            advance_with_view, self.venue.state, 0, 0, depth_levels, self._view
        )
        # The view run_until filled, as Python ints, until market_view takes it (None: taken).
        self._filled: list[int] | None = None
        self._depth_levels = depth_levels
        self._ref_mid_x2 = 0
        self._exch_mid_x2 = 0
        self._placing: set[int] = set()  # order ids whose place is not answered yet
        self._fills_reported = 0  # fill log rows already turned into fill events

    def run_until(self, ts_ns: int) -> bool:
        """Advance the simulation to local time ts_ns; False once the data is used up.

        In a book the engine starts at the earliest symbol's first event: a symbol whose data
        starts later has nothing to do until then (its view is empty, so nothing is decided)."""
        # One compiled call runs the simulation and fills the view (each call unboxes the
        # state's arrays); it stops short only to have its buffers grown or events loaded.
        venue, view = self.venue, self._view
        state = venue.state
        while (
            status := self._advance_with_view(
                state, ts_ns, self._ref_mid_x2, self._depth_levels, view
            )
        ) != ST_REACHED:
            if status == ST_BEHIND:
                return True
            state = venue.resume(status)
        values: list[int] = view.tolist()
        self._filled = values
        return values[V_VIEW_END] < values[V_N_EVENTS]

    def first_ts_ns(self) -> int:
        """Return the local time of the first event."""
        return self.venue.first_ts_local_ns

    def market_view(self, ts_ns: int) -> MarketView:
        """Return what the strategy sees now; trade aggregates since the previous call."""
        values = self._filled
        if values is None:  # nothing ran since the last view: fill one now
            self._local_view(self.venue.state, self._ref_mid_x2, self._depth_levels, self._view)
            values = self._view.tolist()
        else:  # the view run_until filled: its trades are summed, move the cursor past them
            self._filled = None
            self._view[V_CURSOR] = values[V_VIEW_END]
        if values[V_BEST_BID_LOTS] > 0 and values[V_BEST_ASK_LOTS] > 0:
            self._ref_mid_x2 = values[V_BEST_BID_TICKS] + values[V_BEST_ASK_TICKS]
        self._exch_mid_x2 = values[V_EXCH_MID_TICKS_X2]
        return MarketView(ts_ns, *_MARKET_VIEW_SLOTS(values))

    @property
    def exch_mid_ticks_x2(self) -> int:
        """Twice the venue book's mid at the last view (0 when one-sided)."""
        return self._exch_mid_x2

    def reports(self) -> list[OrderEvent]:
        """Return the reports that reached the strategy since the last call, as order events."""
        # Most decision points: the view run_until filled says nothing is waiting (the
        # simulation advances only through run_until, and only taking reports moves the count).
        filled = self._filled
        if filled is not None and not filled[V_REPORTS_WAITING]:
            return []
        rows, fees = take_report_rows(self.venue.state)
        if not rows:
            return []
        return [self._event(row, fee) for row, fee in zip(rows, fees, strict=True)]

    def _event(self, row: list[Any], fee_usd: float) -> OrderEvent:
        """Turn a report row (P_* columns, a fresh list) into its order event, in place."""
        kind = row[lo.P_KIND]
        event_kind = _EVENT_KIND[kind]
        mid_x2 = 0
        if kind == _FILL:
            # Fills reach the strategy in the order the venue logged them (one response
            # latency), so the next unreported log row is this fill: it holds the venue mid.
            log = self.venue.state.fill_i
            mid_x2 = int(log[self._fills_reported, lo.L_MID_TICKS_X2])
            self._fills_reported += 1
            event_kind = fill_kind(row[lo.P_LEAVES_LOTS])
        elif kind in (_REJECT, _ACK):
            order_id = row[lo.P_ORDER_ID]
            if kind == _REJECT and order_id not in self._placing:
                event_kind = OrderEventKind.REPLACE_REJECTED
            self._placing.discard(order_id)
        row[lo.P_KIND] = event_kind
        row.append(fee_usd)
        row.append(mid_x2)
        return OrderEvent._make(row)

    # Straight to SimVenue.send (one Python frame to the compiled submit), with the same
    # argument checks as SimVenue.submit_limit / modify.
    def place(self, side: int, price_ticks: int, qty_lots: int, client_seq: int) -> int:
        """Send a post-only limit order; return the venue order id."""
        check_order(side, qty_lots)
        order_id = self.venue.send(
            lo.REQ_NEW, 0, client_seq, side, price_ticks, qty_lots, lo.FLAG_POST_ONLY
        )
        self._placing.add(order_id)
        return order_id

    def replace(self, order_id: int, price_ticks: int, qty_lots: int) -> None:
        """Move a resting order (a venue modify)."""
        check_modify(qty_lots)
        self.venue.send(lo.REQ_MODIFY, order_id, 0, 0, price_ticks, qty_lots, 0)

    def cancel(self, order_id: int) -> None:
        """Cancel a resting order."""
        self.venue.send(lo.REQ_CANCEL, order_id, 0, 0, 0, 0, 0)

    @property
    def effective_fee_bps(self) -> float:
        """Fees paid per notional traded, bps."""
        return self.venue.effective_fee_bps

    @property
    def fee_tier_distance_usd(self) -> float:
        """USD volume to the next fee tier."""
        return self.venue.fee_tier_distance_usd
