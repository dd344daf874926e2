"""The simulated venue behind the port the engine drives (backtest and live-sim modes)."""

from __future__ import annotations

from operator import itemgetter
from typing import NamedTuple

from mmbot.core.types import MarketView
from mmbot.sim import SimParams, SimVenue
from mmbot.sim.jit import bound_entry
from mmbot.sim.reports import FillLog, take_report_rows
from mmbot.sim.state import EventArrays
from mmbot.sim.view import (
    V_ASK_DEPTH_LOTS,
    V_BEST_ASK_LOTS,
    V_BEST_ASK_TICKS,
    V_BEST_BID_LOTS,
    V_BEST_BID_TICKS,
    V_BID_DEPTH_LOTS,
    V_BUY_TRADE_DEPTH_TICKS,
    V_BUY_VOLUME_LOTS,
    V_EXCH_MID_TICKS_X2,
    V_SELL_TRADE_DEPTH_TICKS,
    V_SELL_VOLUME_LOTS,
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


class VenueReport(NamedTuple):
    """One venue report as plain Python values (kind: mmbot.sim.ReportKind)."""

    ts_local_ns: int
    ts_exch_ns: int
    kind: int
    order_id: int
    client_id: int
    side: int
    price_ticks: int
    qty_lots: int
    leaves_lots: int
    reason: int
    is_maker: int
    fee_usd: float


class SimVenuePort:
    """SimVenue plus the decision-point view the engine needs; no allocation per decision."""

    def __init__(self, events: EventArrays, params: SimParams, depth_levels: int = 5) -> None:
        self.venue = SimVenue(events, params)
        self._view = new_view()
        self._local_view = bound_entry(local_view, self.venue.state, 0, depth_levels, self._view)
        self._depth_levels = depth_levels
        self._ref_mid_x2 = 0
        self._exch_mid_x2 = 0

    def run_until(self, ts_ns: int) -> bool:
        """Advance the simulation to local time ts_ns; False once the data is used up."""
        return self.venue.run_until(ts_ns)

    def first_ts_ns(self) -> int:
        """Return the local time of the first event."""
        return int(self.venue.state.ts_local_ns[0])

    def market_view(self, ts_ns: int) -> MarketView:
        """Return what the strategy sees now; trade aggregates since the previous call."""
        self._local_view(self.venue.state, self._ref_mid_x2, self._depth_levels, self._view)
        values = self._view.tolist()
        if values[V_BEST_BID_LOTS] > 0 and values[V_BEST_ASK_LOTS] > 0:
            self._ref_mid_x2 = values[V_BEST_BID_TICKS] + values[V_BEST_ASK_TICKS]
        self._exch_mid_x2 = values[V_EXCH_MID_TICKS_X2]
        return MarketView(ts_ns, *_MARKET_VIEW_SLOTS(values))

    @property
    def exch_mid_ticks_x2(self) -> int:
        """Twice the venue book's mid at the last view (0 when one-sided)."""
        return self._exch_mid_x2

    def reports(self) -> list[VenueReport]:
        """Return the reports that reached the strategy since the last call."""
        rows = take_report_rows(self.venue.state)
        if not rows:  # most decision points
            return []
        return list(map(VenueReport._make, rows))

    def place(self, side: int, price_ticks: int, qty_lots: int, client_seq: int) -> int:
        """Send a post-only limit order; return the venue order id."""
        return self.venue.submit_limit(side, price_ticks, qty_lots, client_id=client_seq)

    def replace(self, order_id: int, price_ticks: int, qty_lots: int) -> None:
        """Move a resting order (a venue modify)."""
        self.venue.modify(order_id, price_ticks, qty_lots)

    def cancel(self, order_id: int) -> None:
        """Cancel a resting order."""
        self.venue.cancel(order_id)

    @property
    def position_lots(self) -> int:
        """Position as reported to the strategy."""
        return self.venue.position_lots

    @property
    def cash_usd(self) -> float:
        """Cash as reported to the strategy."""
        return self.venue.cash_usd

    @property
    def notional_usd(self) -> float:
        """Notional traded so far."""
        return self.venue.notional_usd

    @property
    def effective_fee_bps(self) -> float:
        """Fees paid per notional traded, bps."""
        return self.venue.effective_fee_bps

    @property
    def fee_tier_distance_usd(self) -> float:
        """USD volume to the next fee tier."""
        return self.venue.fee_tier_distance_usd

    def fill_log(self) -> FillLog:
        """Return every fill so far."""
        return self.venue.fill_log()
