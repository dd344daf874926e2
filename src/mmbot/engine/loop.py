"""The engine: one event loop for every mode; only the clock and the venue differ.

Theory of operation. The engine owns the clock and steps it from one decision point to the
next (every `decision_interval_ns` of local time). At each point it lets the venue catch up
(market data, our orders reaching it, its reports reaching us), applies the reports to the
order manager, reads the market view, runs the risk invariants, asks the allocator for a
budget and the strategy stack for a quote, lets the risk gate shape the quote to its trading
state (REDUCING: reduce-only; HALTED: nothing rests), turns the quote into actions, lets the
risk gate filter them and sends what passed. Everything it decides from is the view at local
time; nothing reads the wall clock in backtest mode, so two runs give the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from mmbot.alloc import Allocator
from mmbot.core.clock import SimClock
from mmbot.core.types import (
    Action,
    CancelOrder,
    Denied,
    MarketView,
    PlaceOrder,
    Quote,
    ReplaceOrder,
)
from mmbot.engine.orders import ExecutionPolicy, ManagedOrder, OrderManager, client_seq_of
from mmbot.risk import RiskContext, RiskGate
from mmbot.sim import FillLog, ReportKind
from mmbot.strategy import StrategyParams, StrategyState, decide, initial_state
from mmbot.strategy.trace import DecisionTrace
from mmbot.venues.sim import VenueReport

_NS_PER_DAY = 86_400 * 1_000_000_000
_NS_PER_MS = 1_000_000
_FILL_RATE_ALPHA = 0.05  # weight of the newest order outcome in cost_fillrate_ewma


class EngineVenue(Protocol):
    """What the engine needs of a venue (SimVenuePort; the live modes' ports, engine/live_*)."""

    def run_until(self, ts_ns: int) -> bool: ...
    def first_ts_ns(self) -> int: ...
    def market_view(self, ts_ns: int) -> MarketView: ...
    def reports(self) -> list[VenueReport]: ...
    def place(self, side: int, price_ticks: int, qty_lots: int, client_seq: int) -> int: ...
    def replace(self, order_id: int, price_ticks: int, qty_lots: int) -> None: ...
    def cancel(self, order_id: int) -> None: ...
    def fill_log(self) -> FillLog: ...
    @property
    def exch_mid_ticks_x2(self) -> int: ...
    @property
    def position_lots(self) -> int: ...
    @property
    def cash_usd(self) -> float: ...
    @property
    def notional_usd(self) -> float: ...
    @property
    def effective_fee_bps(self) -> float: ...
    @property
    def fee_tier_distance_usd(self) -> float: ...


@dataclass(frozen=True, slots=True)
class EngineParams:
    """How the engine paces and labels a run."""

    strategy_id: str
    decision_interval_ns: int
    alloc_interval_ns: int = 1_000_000_000
    kill_switch_file: Path | None = None
    keep_traces: bool = False
    execution: ExecutionPolicy = "queue_aware"  # naive_repost: the latency e2e's baseline
    keep_quotes: bool = False  # record every decision's wanted quote (docs/LATENCY.md)


@dataclass(slots=True)
class DayBook:
    """Counters since the start of the UTC day (for the intraday caps)."""

    day: int = -1
    equity_start_usd: float = 0.0
    notional_start_usd: float = 0.0
    orders_start: int = 0


@dataclass(slots=True)
class EngineRecord:
    """What a run leaves besides the venue's fill log: mids, risk records, traces, denials."""

    mid_ts_ns: list[int] = field(default_factory=list)
    mid_ticks_x2: list[int] = field(default_factory=list)
    risk_lines: list[str] = field(default_factory=list)
    denials: dict[str, int] = field(default_factory=dict)
    traces: list[DecisionTrace] = field(default_factory=list)
    inventory_lots: list[int] = field(default_factory=list)
    quotes: list[tuple[int, Quote | None]] = field(default_factory=list)  # (ts_ns, wanted)
    decisions: int = 0


class Engine:
    """Drive a strategy stack against a venue through the risk gate and the allocator."""

    def __init__(
        self,
        venue: EngineVenue,
        strategy: StrategyParams,
        risk: RiskGate,
        allocator: Allocator,
        params: EngineParams,
        clock: SimClock,
    ) -> None:
        self.venue = venue
        self.strategy = strategy
        self.risk = risk
        self.allocator = allocator
        self.params = params
        self.clock = clock
        self.orders = OrderManager(params.strategy_id, params.execution)
        self.record = EngineRecord()
        self.cost_fillrate_ewma = 0.0
        self._state: StrategyState = initial_state(strategy)
        self._day = DayBook()
        self._budget_usd = allocator.values()["portfolio_budget_available_usd"]
        self._budget_lots = 0
        self._next_alloc_ns = 0
        self._handlers: dict[int, Callable[[ManagedOrder, VenueReport], None]] = {
            ReportKind.ACK: lambda order, _: self.orders.on_ack(order),
            ReportKind.REJECT: lambda order, r: self.orders.on_reject(order, r.ts_local_ns),
            ReportKind.FILL: self._on_fill,
            ReportKind.CANCELED: self._on_done_unfilled,
            ReportKind.EXPIRED: self._on_done_unfilled,
            ReportKind.MODIFIED: lambda order, r: self.orders.on_modified(
                order, r.price_ticks, r.leaves_lots, r.ts_local_ns
            ),
        }

    def run(self) -> EngineRecord:
        """Step through the whole data set (backtest / live-sim at max speed)."""
        ts_ns = self.venue.first_ts_ns()
        interval = self.params.decision_interval_ns
        while self.step(ts_ns):
            ts_ns += interval
        return self.record

    def step(self, ts_ns: int) -> bool:
        """Run one decision point at local time ts_ns; return False when the data ended."""
        venue = self.venue
        alive = venue.run_until(ts_ns)
        self.clock.advance_to(ts_ns)
        for report in venue.reports():
            self._apply(report)
        view = venue.market_view(ts_ns)
        if view.best_bid_lots > 0 and view.best_ask_lots > 0:
            self._decide(view, view.best_bid_ticks + view.best_ask_ticks)
        record = self.record
        record.decisions += 1
        exch_mid_x2 = venue.exch_mid_ticks_x2
        if exch_mid_x2 > 0:
            record.mid_ts_ns.append(ts_ns)
            record.mid_ticks_x2.append(exch_mid_x2)
        return alive

    def settle(self, ts_ns: int) -> None:
        """Let the venue catch up to ts_ns and apply its reports; decide nothing (shutdown)."""
        self.venue.run_until(ts_ns)
        self.clock.advance_to(ts_ns)
        for report in self.venue.reports():
            self._apply(report)

    def cancel_all(self, ts_ns: int) -> int:
        """Send a cancel for every resting order, past the risk gate (shutdown); return how many."""
        cancels = self.orders.plan(None)
        self._send(cancels, ts_ns)
        return len(cancels)

    def _decide(self, view: MarketView, mid_x2: int) -> None:
        # Runs at every decision point: helpers that usually do nothing
        # (day roll, kill-switch flag, denial count, empty send) are guarded here, not called.
        ts_ns = view.ts_ns
        strategy, venue, orders, risk = self.strategy, self.venue, self.orders, self.risk
        record = self.record
        mid_usd = 0.5 * mid_x2 * strategy.tick_size
        position = venue.position_lots
        pnl_usd = venue.cash_usd + position * strategy.lot_size * mid_usd
        day = ts_ns // _NS_PER_DAY
        if day != self._day.day:
            self._roll_day(day, pnl_usd)
        if ts_ns >= self._next_alloc_ns:
            self._reallocate(ts_ns, pnl_usd, mid_usd)
        day_book = self._day
        ctx = RiskContext(
            ts_ns, position, mid_usd, orders.open_orders(),
            pnl_usd - day_book.equity_start_usd,
            venue.notional_usd - day_book.notional_start_usd,
            orders.quotes_placed_total - day_book.orders_start,
        )  # fmt: skip
        if self.params.kill_switch_file is not None:
            self._kill_switch(self.params.kill_switch_file)
        for line in risk.after_step(ctx):
            record.risk_lines.append(line.line())
        decision = decide(self._state, view, position, self._budget_lots, strategy)
        self._state = decision.state
        if self.params.keep_traces:
            record.traces.append(decision.trace)
        if self.params.keep_quotes:
            record.quotes.append((ts_ns, decision.quote))
        record.inventory_lots.append(position)
        # REDUCING rests only the reducing side, cut to what may come off; HALTED rests nothing,
        # so plan() cancels every resting order.
        allowed, denied = risk.check(orders.plan(risk.shape_quote(decision.quote, ctx)), ctx)
        if denied:
            self._count_denials(denied)
        if allowed:
            self._send(allowed, ts_ns)

    def _reallocate(self, ts_ns: int, pnl_usd: float, mid_usd: float) -> None:
        """Refresh the size budget; the allocator is a slow control, run every alloc interval."""
        lot_usd = self.strategy.lot_size * mid_usd
        demand_usd = 2.0 * self.strategy.order_qty_lots * lot_usd  # both sides at full size
        strategy_id = self.params.strategy_id
        allocation = self.allocator.update(
            ts_ns, self._budget_usd + pnl_usd, {strategy_id: demand_usd}
        )
        self._budget_lots = int(allocation.budget_usd[strategy_id] / (2.0 * lot_usd))
        self._next_alloc_ns = ts_ns + self.params.alloc_interval_ns

    def _roll_day(self, day: int, pnl_usd: float) -> None:
        """Start the intraday counters of a new UTC day (day: days since the epoch)."""
        if self._day.day >= 0:
            self.risk.reset_intraday()
        self._day = DayBook(day, pnl_usd, self.venue.notional_usd, self.orders.quotes_placed_total)

    def _kill_switch(self, flag: Path) -> None:
        if flag.exists():
            self.risk.trip_kill_switch(f"flag file {flag} present")

    def _count_denials(self, denied: list[Denied]) -> None:
        for denial in denied:
            self.record.denials[denial.code] = self.record.denials.get(denial.code, 0) + 1

    def _send(self, actions: list[Action], ts_ns: int) -> None:
        venue, orders = self.venue, self.orders
        for action in actions:
            if isinstance(action, PlaceOrder):
                seq = client_seq_of(action.client_id)
                order_id = venue.place(action.side, action.price_ticks, action.qty_lots, seq)
                orders.on_sent_place(action, seq, order_id, ts_ns)
            elif isinstance(action, ReplaceOrder):
                venue.replace(orders.venue_id_of(action.client_id), action.price_ticks,
                              action.qty_lots)  # fmt: skip
                orders.on_sent_replace(action)
            elif isinstance(action, CancelOrder):
                venue.cancel(orders.venue_id_of(action.client_id))
                orders.on_sent_cancel(action)

    def _apply(self, report: VenueReport) -> None:
        order = self.orders.lookup(report.order_id, report.client_id)
        if order is not None:
            self._handlers[report.kind](order, report)

    def _on_fill(self, order: ManagedOrder, report: VenueReport) -> None:
        self.orders.on_fill(order, report.qty_lots, report.leaves_lots, report.ts_local_ns)
        if report.leaves_lots == 0:  # the order ends filled, in one fill or several
            self._order_outcome(1.0)

    def _on_done_unfilled(self, order: ManagedOrder, report: VenueReport) -> None:
        self.orders.on_canceled(order, report.ts_local_ns)
        self._order_outcome(1.0 if order.filled_lots > 0 else 0.0)

    def _order_outcome(self, filled: float) -> None:
        self.cost_fillrate_ewma += _FILL_RATE_ALPHA * (filled - self.cost_fillrate_ewma)

    def values(self) -> dict[str, float | int]:
        """Return the engine's metric values, ready for export (obs issue)."""
        ages = self.orders.order_ages_ns
        return {
            **self.risk.counters(),
            **self.allocator.values(),
            "cost_fillrate_ewma": self.cost_fillrate_ewma,
            "effective_fee_bps_now": self.venue.effective_fee_bps,
            "fee_tier_distance_usd": self.venue.fee_tier_distance_usd,
            "order_age_ms_p50": quantile_ms(ages, 0.5),
            "order_age_ms_p95": quantile_ms(ages, 0.95),
            "quotes_placed_total": self.orders.quotes_placed_total,
            "unknown_reports_total": self.orders.unknown_reports_total,
        }


def quantile_ms(values_ns: Sequence[int] | npt.NDArray[Any], q: float) -> float:
    """Return the inverted-CDF q-quantile of nanosecond values in ms (0 when empty).

    The one definition behind the engine's order-age values, the backtest report's
    order_age_p*_ms figures and the latency figures.
    """
    if len(values_ns) == 0:
        return 0.0
    return float(np.quantile(values_ns, q, method="inverted_cdf")) / _NS_PER_MS
