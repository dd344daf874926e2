"""The engine: one event loop for every mode; only the clock and the venue differ.

Theory of operation. The engine reads the time from the clock it is given and never moves it:
a driver does. In backtest, `run()` replays as fast as possible, moving its SimClock from one
decision point to the next (every `decision_interval_ns` of local time); under the live runner
(engine/live.py) the runner moves a SimClock on the same grid (live-sim, shadow on a replay)
or the clock is a WallClock (canary, live, shadow on a venue). At each point the engine lets
the venue catch up (market data, our orders reaching it, its reports reaching us), applies
the order events to the order manager and the ledger, reads the market view, runs the risk
invariants, asks the allocator for a budget and the strategy stack for a quote, lets the
risk gate shape the quote to its trading state (REDUCING: reduce-only; HALTED: nothing
rests), turns the quote into actions, lets the risk gate filter them and sends what passed.
Everything it decides from is the view at local time; nothing reads the wall clock in
backtest mode, so two runs give the same bytes. The kill switch reaches the engine as the
risk gate's latch (RiskGate.trip_kill_switch): whoever watches a flag file does so outside
the decision path (engine/kill_switch.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from mmbot.alloc import Allocator
from mmbot.core.clock import Clock, SimClock
from mmbot.core.events import FILL_KINDS, OrderEvent, OrderEventKind
from mmbot.core.types import (
    Action,
    CancelOrder,
    Denied,
    MarketView,
    PlaceOrder,
    Quote,
    ReplaceOrder,
)
from mmbot.engine.ledger import Ledger
from mmbot.engine.orders import ExecutionPolicy, ManagedOrder, OrderManager, client_seq_of
from mmbot.risk import RiskContext, RiskGate, RiskRecord
from mmbot.strategy import StrategyParams, StrategyState, decide, initial_state
from mmbot.strategy.trace import DecisionTrace

_NS_PER_DAY = 86_400 * 1_000_000_000
_NS_PER_MS = 1_000_000
_FILL_RATE_ALPHA = 0.05  # weight of the newest order outcome in cost_fillrate_ewma


class EngineVenue(Protocol):
    """What the engine needs of a venue: market data, order entry, order events.

    Implemented by venues/sim/port.py's SimVenuePort and the live modes' ports (engine/live_*).
    Every port translates what its venue says into core.events.OrderEvent; position, cash
    and fills are the engine's own (its Ledger), never read from the venue.
    """

    def run_until(self, ts_ns: int) -> bool: ...
    def first_ts_ns(self) -> int: ...
    def market_view(self, ts_ns: int) -> MarketView: ...
    def reports(self) -> list[OrderEvent]: ...
    def place(self, side: int, price_ticks: int, qty_lots: int, client_seq: int) -> int: ...
    def replace(self, order_id: int, price_ticks: int, qty_lots: int) -> None: ...
    def cancel(self, order_id: int) -> None: ...
    @property
    def exch_mid_ticks_x2(self) -> int: ...
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
    """What a run leaves besides the venue's fill log: mids, risk records, traces, denials.

    risk_records: every record of the risk gate's after_step, in order; denials: how many
    actions the gate denied, by E_RISK_* code (the run directory's risk_records.csv and
    risk_denials.csv).
    """

    mid_ts_ns: list[int] = field(default_factory=list)
    mid_ticks_x2: list[int] = field(default_factory=list)
    risk_records: list[RiskRecord] = field(default_factory=list)
    denials: dict[str, int] = field(default_factory=dict)
    traces: list[DecisionTrace] = field(default_factory=list)
    inventory_lots: list[int] = field(default_factory=list)
    quotes: list[tuple[int, Quote | None]] = field(default_factory=list)  # (ts_ns, wanted)
    decisions: int = 0

    @property
    def risk_lines(self) -> list[str]:
        """Return the risk records as `E_RISK_<WHAT>: ts_ns=<ts> <detail>` lines."""
        return [record.line() for record in self.risk_records]


class Engine:
    """Drive a strategy stack against a venue through the risk gate and the allocator."""

    def __init__(
        self,
        venue: EngineVenue,
        strategy: StrategyParams,
        risk: RiskGate,
        allocator: Allocator,
        params: EngineParams,
        clock: Clock,
    ) -> None:
        self.venue = venue
        self.strategy = strategy
        self.risk = risk
        self.allocator = allocator
        self.params = params
        self.clock = clock
        self.orders = OrderManager(params.strategy_id, params.execution)
        self.ledger = Ledger(strategy.tick_size, strategy.lot_size)
        self.record = EngineRecord()
        self.cost_fillrate_ewma = 0.0
        self._state: StrategyState = initial_state(strategy)
        self._day = DayBook()
        self._budget_usd = allocator.values()["portfolio_budget_available_usd"]
        self._budget_lots = 0
        self._next_alloc_ns = 0
        self._handlers: dict[int, Callable[[ManagedOrder, OrderEvent], None]] = {
            OrderEventKind.ACCEPTED: lambda order, _: self.orders.on_ack(order),
            OrderEventKind.REJECTED: self._on_reject,
            OrderEventKind.REPLACE_REJECTED: self._on_reject,
            OrderEventKind.PARTIALLY_FILLED: self._on_fill,
            OrderEventKind.FILLED: self._on_fill,
            OrderEventKind.CANCELED: self._on_done_unfilled,
            OrderEventKind.REPLACE_ACCEPTED: lambda order, e: self.orders.on_modified(
                order, e.price_ticks, e.leaves_lots, e.ts_local_ns
            ),
            OrderEventKind.UNKNOWN_OUTCOME: lambda order, _: self.orders.on_unknown_outcome(order),
        }

    def run(self) -> EngineRecord:
        """Replay the whole data set as fast as possible (backtest): needs a SimClock."""
        clock = self.clock
        if not isinstance(clock, SimClock):
            raise TypeError(f"Engine.run replays on a SimClock, not {type(clock).__name__}")
        ts_ns = self.venue.first_ts_ns()
        interval = self.params.decision_interval_ns
        clock.advance_to(ts_ns)
        while self.step():
            ts_ns += interval
            clock.advance_to(ts_ns)
        return self.record

    def step(self) -> bool:
        """Run one decision point at the clock's time; return False when the data ended."""
        ts_ns = self.clock.now_ns()
        venue = self.venue
        alive = venue.run_until(ts_ns)
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

    def settle(self) -> None:
        """Let the venue catch up to the clock's time and apply its reports; decide nothing."""
        self.venue.run_until(self.clock.now_ns())
        for report in self.venue.reports():
            self._apply(report)

    def cancel_all(self) -> int:
        """Send a cancel for every resting order, past the risk gate (shutdown); return how many."""
        cancels = self.orders.plan(None)
        self._send(cancels, self.clock.now_ns())
        return len(cancels)

    def _decide(self, view: MarketView, mid_x2: int) -> None:
        # Runs at every decision point: helpers that usually do nothing
        # (day roll, denial count, empty send) are guarded here, not called.
        ts_ns = view.ts_ns
        strategy, orders, risk = self.strategy, self.orders, self.risk
        record = self.record
        mid_usd = 0.5 * mid_x2 * strategy.tick_size
        ledger = self.ledger
        position = ledger.position_lots
        pnl_usd = ledger.cash_usd + position * strategy.lot_size * mid_usd
        day = ts_ns // _NS_PER_DAY
        if day != self._day.day:
            self._roll_day(day, pnl_usd)
        if ts_ns >= self._next_alloc_ns:
            self._reallocate(ts_ns, pnl_usd, mid_usd)
        day_book = self._day
        ctx = RiskContext(
            ts_ns, position, mid_usd, orders.open_orders(),
            pnl_usd - day_book.equity_start_usd,
            ledger.notional_usd - day_book.notional_start_usd,
            orders.quotes_placed_total - day_book.orders_start,
        )  # fmt: skip
        record.risk_records.extend(risk.after_step(ctx))
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
        self._day = DayBook(day, pnl_usd, self.ledger.notional_usd, self.orders.quotes_placed_total)

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

    def _apply(self, event: OrderEvent) -> None:
        if event.kind == OrderEventKind.POSITION_ADOPTED:
            self.ledger.adopt(event.side * event.qty_lots)
            return
        order = self.orders.lookup(event.order_id, event.client_seq)
        if order is not None:
            self._handlers[event.kind](order, event)
        elif event.kind in FILL_KINDS:  # not ours, but it moved the position: book it
            self.ledger.on_fill(event)

    def _on_reject(self, order: ManagedOrder, event: OrderEvent) -> None:
        self.orders.on_reject(order, event.ts_local_ns)

    def _on_fill(self, order: ManagedOrder, event: OrderEvent) -> None:
        self.ledger.on_fill(event)
        self.orders.on_fill(order, event.qty_lots, event.leaves_lots, event.ts_local_ns)
        if event.leaves_lots == 0:  # the order ends filled, in one fill or several
            self._order_outcome(1.0)

    def _on_done_unfilled(self, order: ManagedOrder, event: OrderEvent) -> None:
        self.orders.on_canceled(order, event.ts_local_ns)
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
