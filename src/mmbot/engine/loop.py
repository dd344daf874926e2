"""The engine: one event loop for every mode and every book; only the clock and venues differ.

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
A book of several symbols and strategies runs the same loop (docs/ALLOC_MUX.md): at each
point every symbol's venue catches up first, each symbol's mux turns its mid into the weights
of the strategies quoting it, the allocator splits the budget over every (strategy, symbol)
from those weights, the book's caps (risk/book.py) tell each symbol's gate what the book
allows, and then each symbol decides as above, one strategy (leg) after another, each leg's
quote clamped inside the other legs' prices so that our strategies never trade together.
Everything it decides from is the view at local time; nothing reads the wall clock in
backtest mode, so two runs give the same bytes. The kill switch reaches the engine as the
risk gate's latch (RiskGate.trip_kill_switch): whoever watches a flag file does so outside
the decision path (engine/kill_switch.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

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
    ReplaceOrder,
)
from mmbot.engine.book import (
    DayBook,
    EngineRecord,
    EngineVenue,
    Leg,
    SymbolBook,
    clamp_to_walls,
)
from mmbot.engine.ledger import Ledger
from mmbot.engine.orders import (
    ExecutionPolicy,
    ManagedOrder,
    OrderManager,
    client_seq_of,
    fold_fill_ratio,
)
from mmbot.risk import BookRisk, Exposure, RiskContext, RiskGate, RiskRecord
from mmbot.strategy import StrategyParams

__all__ = ["Engine", "EngineParams", "EngineRecord", "EngineVenue", "quantile_ms"]

_NS_PER_DAY = 86_400 * 1_000_000_000
_NS_PER_MS = 1_000_000


@dataclass(frozen=True, slots=True)
class EngineParams:
    """How the engine paces and records a run.

    keep_book_trace: record the mux's regime and weights at every decision and every
    allocation (a portfolio's run directory: mux.csv, allocations.csv).
    """

    decision_interval_ns: int
    alloc_interval_ns: int = 1_000_000_000
    keep_traces: bool = False
    execution: ExecutionPolicy = "queue_aware"  # naive_repost: the latency e2e's baseline
    keep_quotes: bool = False  # record every decision's wanted quote (docs/LATENCY.md)
    keep_book_trace: bool = False


Replay = Callable[["Engine"], bool]
"""A whole-run replay the composition root may hand the engine (venues/fused): it runs the
backtest its own way, leaving the engine exactly as `run`'s own loop would, and returns
True; False when it does not serve this engine (which then runs its own loop)."""


class MuxRow(NamedTuple):
    """The mux of one symbol at one decision point; weights align with the symbol's legs."""

    ts_ns: int
    symbol: str
    detected_regime: str
    active_regime: str
    realized_vol_bps: float
    trend_z: float
    weights: tuple[float, ...]


class AllocRow(NamedTuple):
    """One allocation: the book's equity and the budget of every leg (engine leg order)."""

    ts_ns: int
    equity_usd: float
    hwm_equity_usd: float
    budget_available_usd: float
    weights: tuple[float, ...]
    demand_usd: tuple[float, ...]
    budget_usd: tuple[float, ...]


class Engine:
    """Drive a book of (strategy, symbol) legs against their venues through the risk gates,
    the book's caps, the mux and the allocator."""

    def __init__(
        self,
        books: Sequence[SymbolBook],
        allocator: Allocator,
        params: EngineParams,
        clock: Clock,
        book_risk: BookRisk | None = None,
        replay: Replay | None = None,
    ) -> None:
        if not books:
            raise ValueError("an engine needs at least one symbol")
        self.books = tuple(books)
        self.legs = tuple(leg for book in self.books for leg in book.legs)
        self.allocator = allocator
        self.params = params
        self.clock = clock
        self.book_risk = book_risk
        self._replay = replay
        self.book_risk_records: list[RiskRecord] = []
        self.mux_trace: list[MuxRow] = []
        self.allocations: list[AllocRow] = []
        self.self_cross_prevented_total = 0
        self.cost_fillrate_ewma = 0.0
        self._episodes_closed = 0
        self._single = len(self.legs) == 1
        self._day = DayBook()
        self._budget_usd = allocator.values()["portfolio_budget_available_usd"]
        self._next_alloc_ns = 0
        self._handlers: dict[int, Callable[[Leg, ManagedOrder, OrderEvent], None]] = {
            OrderEventKind.ACCEPTED: lambda leg, order, e: leg.orders.on_ack(order, e.ts_local_ns),
            OrderEventKind.REJECTED: self._on_reject,
            OrderEventKind.REPLACE_REJECTED: self._on_reject,
            OrderEventKind.PARTIALLY_FILLED: self._on_fill,
            OrderEventKind.FILLED: self._on_fill,
            OrderEventKind.CANCELED: self._on_canceled,
            OrderEventKind.REPLACE_ACCEPTED: self._on_modified,
            OrderEventKind.UNKNOWN_OUTCOME: lambda leg, order, _: leg.orders.on_unknown_outcome(
                order
            ),
        }

    # A book of one leg (every single-symbol mode) reads as the one-strategy engine it is.
    @property
    def venue(self) -> EngineVenue:
        """Return the venue port of a one-symbol engine."""
        return self.only_book().venue

    @property
    def risk(self) -> RiskGate:
        """Return the risk gate of a one-symbol engine."""
        return self.only_book().risk

    @property
    def record(self) -> EngineRecord:
        """Return the decision records of a one-symbol engine."""
        return self.only_book().record

    @property
    def strategy(self) -> StrategyParams:
        """Return the strategy parameters of a one-leg engine."""
        return self.only_leg().params

    @property
    def orders(self) -> OrderManager:
        """Return the order manager of a one-leg engine."""
        return self.only_leg().orders

    @property
    def ledger(self) -> Ledger:
        """Return the ledger of a one-leg engine."""
        return self.only_leg().ledger

    def only_book(self) -> SymbolBook:
        """Return the book of a one-symbol engine (TypeError for a book of several)."""
        if len(self.books) != 1:
            raise TypeError(f"an engine of {len(self.books)} symbols: use engine.books")
        return self.books[0]

    def only_leg(self) -> Leg:
        """Return the leg of a one-leg engine (TypeError for several)."""
        if not self._single:
            raise TypeError(f"an engine of {len(self.legs)} legs: use engine.legs")
        return self.legs[0]

    def run(self) -> None:
        """Replay the whole data set as fast as possible (backtest): needs a SimClock. The
        replay the composition root handed over runs it when it serves this engine (the fused
        loop of a one-leg backtest, venues/fused); else these steps."""
        clock = self.clock
        if not isinstance(clock, SimClock):
            raise TypeError(f"Engine.run replays on a SimClock, not {type(clock).__name__}")
        if self._replay is not None and self._replay(self):
            return
        ts_ns = self.first_ts_ns()
        interval = self.params.decision_interval_ns
        clock.advance_to(ts_ns)
        while self.step():
            ts_ns += interval
            clock.advance_to(ts_ns)

    def first_ts_ns(self) -> int:
        """Return the local time of the first event of any symbol."""
        return min(book.venue.first_ts_ns() for book in self.books)

    def step(self) -> bool:
        """Run one decision point at the clock's time; return False when every symbol's data
        ended."""
        ts_ns = self.clock.now_ns()
        books = self.books
        alive = deciding = False
        for book in books:
            venue = book.venue
            alive = venue.run_until(ts_ns) or alive
            for report in venue.reports():
                self._apply(book, report)
            deciding = self._look(book, ts_ns) or deciding
        if deciding:
            # Each symbol's book limits see the others' exposures as they stand, orders sent
            # this step included: only the symbol that just decided changed, so it alone is
            # refreshed (the same numbers as recomputing all of them before every symbol).
            exposures = None if self.book_risk is None else self._exposures()
            self._book_step(ts_ns, exposures)
            for index, book in enumerate(books):
                view = book.view
                if view is None:
                    continue
                if exposures is not None:
                    self._limit_to_book(index, book, exposures)
                self._decide(book, view)
                if exposures is not None:
                    exposures[index] = _exposure_of(book)
        for book in books:
            record = book.record
            record.decisions += 1
            exch_mid_x2 = book.venue.exch_mid_ticks_x2
            if exch_mid_x2 > 0:
                record.mid_ts_ns.append(ts_ns)
                record.mid_ticks_x2.append(exch_mid_x2)
        return alive

    def settle(self) -> None:
        """Let the venues catch up to the clock's time and apply their reports; decide nothing."""
        ts_ns = self.clock.now_ns()
        for book in self.books:
            book.venue.run_until(ts_ns)
            for report in book.venue.reports():
                self._apply(book, report)

    def cancel_all(self) -> int:
        """Send a cancel for every resting order, past the risk gates (shutdown); return how
        many."""
        sent = 0
        for book in self.books:
            for leg in book.legs:
                cancels = leg.orders.plan(None)
                self._send(book, leg, cancels, self.clock.now_ns())
                sent += len(cancels)
        return sent

    def _look(self, book: SymbolBook, ts_ns: int) -> bool:
        """Read the symbol's view; on a two-sided book keep it, its mid and the mux's weights
        for this point and return True."""
        view = book.venue.market_view(ts_ns)
        if not (view.best_bid_lots > 0 and view.best_ask_lots > 0):
            book.view = None
            return False
        book.view = view
        book.mid_usd = 0.5 * (view.best_bid_ticks + view.best_ask_ticks) * book.tick_size
        mux = book.mux
        if mux is not None:
            decision = mux.update(ts_ns, book.mid_usd)
            for leg, weight in zip(book.legs, decision.weights, strict=True):
                leg.weight = weight
            if self.params.keep_book_trace:
                self.mux_trace.append(
                    MuxRow(ts_ns, book.symbol, decision.detected_regime, decision.active_regime,
                           decision.realized_vol_bps, decision.trend_z, decision.weights)
                )  # fmt: skip
        return True

    def _book_step(self, ts_ns: int, exposures: list[Exposure] | None) -> None:
        """The book-wide part of a decision point: day roll, allocation, book caps (exposures:
        every symbol's now, with book caps)."""
        day = ts_ns // _NS_PER_DAY
        if day != self._day.day:
            self._roll_day(day)
        if ts_ns >= self._next_alloc_ns:
            self._reallocate(ts_ns)
        if exposures is not None:
            self._apply_book_caps(ts_ns, exposures)

    def _book_pnl_usd(self) -> float:
        books = self.books
        if len(books) == 1:
            return books[0].pnl_usd(books[0].mid_usd)
        return sum(book.pnl_usd(book.mid_usd) for book in books)

    def _decide(self, book: SymbolBook, view: MarketView) -> None:
        # Runs at every decision point of every symbol: helpers that usually do nothing
        # (denial count, empty send, walls of a one-leg symbol) are guarded here, not called,
        # and a one-leg symbol (every one-symbol mode) reads its leg directly.
        ts_ns = view.ts_ns
        risk, record, legs = book.risk, book.record, book.legs
        mid_usd = book.mid_usd
        day_book = book.day
        if len(legs) == 1:
            ledger, orders = legs[0].ledger, legs[0].orders
            position = ledger.position_lots
            ctx = RiskContext(
                ts_ns, position, mid_usd, orders.open_orders(),
                ledger.cash_usd + position * book.lot_size * mid_usd - day_book.equity_start_usd,
                ledger.notional_usd - day_book.notional_start_usd,
                orders.quotes_placed_total - day_book.orders_start,
            )  # fmt: skip
        else:
            position = book.position_lots
            ctx = RiskContext(
                ts_ns, position, mid_usd, book.open_orders(),
                book.pnl_usd(mid_usd) - day_book.equity_start_usd,
                book.notional_usd - day_book.notional_start_usd,
                book.quotes_placed_total - day_book.orders_start,
            )  # fmt: skip
        record.risk_records.extend(risk.after_step(ctx))
        record.inventory_lots.append(position)
        params = self.params
        for leg in legs:
            if leg is not legs[0]:  # the context of a later leg holds what earlier ones sent
                ctx = ctx._replace(
                    open_orders=book.open_orders(),
                    order_count_day=book.quotes_placed_total - day_book.orders_start,
                )
            decision = leg.decide(leg.state, view, leg.ledger.position_lots, leg.budget_lots,
                                  leg.params)  # fmt: skip
            leg.state = decision.state
            if params.keep_traces:
                record.traces.append(decision.trace)
            if params.keep_quotes:
                record.quotes.append((ts_ns, decision.quote))
            # REDUCING rests only the reducing side, cut to what may come off; HALTED rests
            # nothing, so plan() cancels every resting order.
            quote = risk.shape_quote(decision.quote, ctx)
            if quote is not None and len(legs) > 1:
                quote, moved = clamp_to_walls(quote, *book.walls(leg))
                self.self_cross_prevented_total += moved
            allowed, denied = risk.check(leg.orders.plan(quote), ctx)
            if denied:
                self._count_denials(record, denied)
            if allowed:
                self._send(book, leg, allowed, ts_ns)

    def _reallocate(self, ts_ns: int) -> None:
        """Refresh every leg's size budget; the allocator is a slow control, run every alloc
        interval. A leg asks for its mux weight of both sides at full size."""
        demand_usd: dict[str, float] = {}
        for book in self.books:
            lot_usd = book.lot_size * book.mid_usd
            for leg in book.legs:
                demand_usd[leg.key] = leg.weight * (2.0 * leg.params.order_qty_lots * lot_usd)
        equity_usd = self._budget_usd + self._book_pnl_usd()
        allocation = self.allocator.update(ts_ns, equity_usd, demand_usd)
        budget_usd = allocation.budget_usd
        for book in self.books:
            lot_usd = book.lot_size * book.mid_usd
            for leg in book.legs:
                leg.budget_lots = int(budget_usd[leg.key] / (2.0 * lot_usd)) if lot_usd else 0
        self._next_alloc_ns = ts_ns + self.params.alloc_interval_ns
        if self.params.keep_book_trace:
            self.allocations.append(
                AllocRow(ts_ns, equity_usd, allocation.hwm_equity_usd,
                         allocation.budget_available_usd,
                         tuple(leg.weight for leg in self.legs),
                         tuple(demand_usd[leg.key] for leg in self.legs),
                         tuple(budget_usd[leg.key] for leg in self.legs))
            )  # fmt: skip

    def _apply_book_caps(self, ts_ns: int, exposures: list[Exposure]) -> None:
        """Tell each symbol's gate what the book's day caps allow it from now on."""
        assert self.book_risk is not None
        books = self.books
        states, records = self.book_risk.evaluate(
            ts_ns,
            [exposure.position_usd for exposure in exposures],
            self._book_pnl_usd() - self._day.equity_start_usd,
            sum(book.quotes_placed_total for book in books) - self._day.orders_start,
        )
        for book, (state, cause) in zip(books, states, strict=True):
            book.risk.set_book_state(state, cause)
        self.book_risk_records.extend(records)

    def _limit_to_book(self, index: int, book: SymbolBook, exposures: list[Exposure]) -> None:
        """Give the symbol's gate the position the book's gross and net caps leave it, given
        every other symbol's worst case (exposures: every symbol's as it stands)."""
        assert self.book_risk is not None
        long_lots, short_lots = self.book_risk.position_limits(
            index, exposures, book.lot_size * book.mid_usd
        )
        book.risk.set_book_limits(long_lots, short_lots)

    def _exposures(self) -> list[Exposure]:
        """Return each symbol's position in USD now and with every resting bid / ask filled."""
        return [_exposure_of(book) for book in self.books]

    def _roll_day(self, day: int) -> None:
        """Start the intraday counters of a new UTC day (day: days since the epoch)."""
        first = self._day.day < 0
        for book in self.books:
            if not first:
                book.risk.reset_intraday()
            book.day = DayBook(
                day, book.pnl_usd(book.mid_usd), book.notional_usd, book.quotes_placed_total
            )
        if self.book_risk is not None and not first:
            self.book_risk.reset_intraday()
        self._day = DayBook(
            day, self._book_pnl_usd(), sum(book.notional_usd for book in self.books),
            sum(book.quotes_placed_total for book in self.books),
        )  # fmt: skip

    @staticmethod
    def _count_denials(record: EngineRecord, denied: list[Denied]) -> None:
        for denial in denied:
            record.denials[denial.code] = record.denials.get(denial.code, 0) + 1

    @staticmethod
    def _send(book: SymbolBook, leg: Leg, actions: list[Action], ts_ns: int) -> None:
        venue, orders = book.venue, leg.orders
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

    def _apply(self, book: SymbolBook, event: OrderEvent) -> None:
        if event.kind == OrderEventKind.POSITION_ADOPTED:
            book.legs[0].ledger.adopt(event.side * event.qty_lots)
            return
        legs = book.legs
        leg = legs[0] if len(legs) == 1 else book.leg_of(event)
        order = leg.orders.lookup(event.order_id, event.client_seq)
        if order is not None:
            self._handlers[event.kind](leg, order, event)
        elif event.kind in FILL_KINDS:  # not ours, but it moved the position: book it
            leg.ledger.on_fill(event)

    def _on_reject(self, leg: Leg, order: ManagedOrder, event: OrderEvent) -> None:
        leg.orders.on_reject(order, event.ts_local_ns)

    def _on_fill(self, leg: Leg, order: ManagedOrder, event: OrderEvent) -> None:
        leg.ledger.on_fill(event)
        ratio = leg.orders.on_fill(order, event.qty_lots, event.leaves_lots, event.ts_local_ns)
        if ratio is not None:
            self._episode_closed(ratio)

    def _on_canceled(self, leg: Leg, order: ManagedOrder, event: OrderEvent) -> None:
        ratio = leg.orders.on_canceled(order, event.ts_local_ns)
        if ratio is not None:
            self._episode_closed(ratio)

    def _on_modified(self, leg: Leg, order: ManagedOrder, event: OrderEvent) -> None:
        ratio = leg.orders.on_modified(order, event.price_ticks, event.leaves_lots,
                                       event.ts_local_ns)  # fmt: skip
        if ratio is not None:
            self._episode_closed(ratio)

    def _episode_closed(self, ratio: float) -> None:
        """Fold a quote episode's fill ratio into the book's cost_fillrate_ewma (each leg keeps
        its own in its order manager)."""
        self.cost_fillrate_ewma = fold_fill_ratio(
            self.cost_fillrate_ewma, ratio, self._episodes_closed
        )
        self._episodes_closed += 1

    @property
    def fee_tier_distance_usd(self) -> float:
        """Return the 30-day volume left to the next fee tier (the nearest of the venues')."""
        return min(book.venue.fee_tier_distance_usd for book in self.books)

    def values(self) -> dict[str, float | int]:
        """Return the engine's metric values, ready for export (obs issue)."""
        if self._single:
            book, leg = self.books[0], self.legs[0]
            ages: Sequence[int] = leg.orders.order_ages_ns
            risk_values = book.risk.counters()
            fee_bps = book.venue.effective_fee_bps
        else:
            ages = sorted(age for leg in self.legs for age in leg.orders.order_ages_ns)
            risk_values = _book_counters([book.risk.counters() for book in self.books])
            assert self.book_risk is not None
            risk_values.update(self.book_risk.counters())
            fee_bps = _effective_fee_bps([leg.ledger for leg in self.legs])
        values: dict[str, float | int] = {
            **risk_values,
            **self.allocator.values(),
            "cost_fillrate_ewma": self.cost_fillrate_ewma,
            "effective_fee_bps_now": fee_bps,
            "fee_tier_distance_usd": self.fee_tier_distance_usd,
            "order_age_ms_p50": quantile_ms(ages, 0.5),
            "order_age_ms_p95": quantile_ms(ages, 0.95),
            "quotes_placed_total": sum(leg.orders.quotes_placed_total for leg in self.legs),
            "unknown_reports_total": sum(leg.orders.unknown_reports_total for leg in self.legs),
        }
        if not self._single:
            values["self_cross_prevented_total"] = self.self_cross_prevented_total
        return values


def _exposure_of(book: SymbolBook) -> Exposure:
    """Return a symbol's position in USD now and with every resting bid / ask filled."""
    lot_usd = book.lot_size * book.mid_usd
    position, bids, asks = book.position_lots, 0, 0
    for leg in book.legs:
        leg_bids, leg_asks = leg.orders.resting_lots()
        bids += leg_bids
        asks += leg_asks
    return Exposure(position * lot_usd, (position + bids) * lot_usd, (position - asks) * lot_usd)


def _book_counters(per_symbol: list[dict[str, int | float]]) -> dict[str, int | float]:
    """Return the symbols' gate counters over the book: flags and the trading state at their
    worst (max), counts summed."""
    worst = ("intraday_caps_breached", "kill_switch_active", "trading_state")
    pick = {name: max if name in worst else sum for name in per_symbol[0]}
    return {name: how(c[name] for c in per_symbol) for name, how in pick.items()}


def _effective_fee_bps(ledgers: list[Ledger]) -> float:
    notional = sum(ledger.notional_usd for ledger in ledgers)
    return 1e4 * sum(ledger.fees_usd for ledger in ledgers) / notional if notional > 0 else 0.0


def quantile_ms(values_ns: Sequence[int] | npt.NDArray[Any], q: float) -> float:
    """Return the inverted-CDF q-quantile of nanosecond values in ms (0 when empty).

    The one definition behind the engine's order-age values, the backtest report's
    order_age_p*_ms figures and the latency figures.
    """
    if len(values_ns) == 0:
        return 0.0
    return float(np.quantile(values_ns, q, method="inverted_cdf")) / _NS_PER_MS
