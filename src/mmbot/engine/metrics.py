"""An engine's state as metric samples (obs/catalog.py): per leg, per symbol and for the book.

Built in the engine's own thread (a live runner every second, a finished run once) and handed
to an exporter or written as a run directory's metrics.prom; nothing here reads the wall clock:
ages are measured against the engine's clock. An EngineSampler keeps each leg's order-age
histogram up to date from the ages added since its last call, so a live run's publishing
costs the same in its tenth hour as in its first; the "now" values (the effective fee, the
acknowledgement latency) are over each strategy's recent fills and acknowledgements.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from mmbot.engine.book import Leg, SymbolBook
from mmbot.engine.loop import Engine, quantile_ms
from mmbot.obs.catalog import ORDER_AGE_BUCKETS_MS, RECENT_ACKS, RECENT_FILLS
from mmbot.obs.exporter import HistogramSample, Sample

_NS_PER_MS = 1_000_000
_INF = float("inf")
_BOUNDS = np.asarray(ORDER_AGE_BUCKETS_MS, dtype=np.float64)
Labels = tuple[tuple[str, str], ...]


class BookExtras(NamedTuple):
    """Values the engine does not own: the mode's gate, the venue adapter's idempotency hits,
    the leader lease's elections, and the deployment colour (blue or green)."""

    canary_gate_open: int = 1
    order_idem_hits_total: int = 0
    leader_elections_total: int = 0
    colour: str = "blue"


NO_EXTRAS = BookExtras()  # a backtest: orders always go out, no venue adapter, no lease


def engine_samples(
    engine: Engine, extras: BookExtras = NO_EXTRAS
) -> list[Sample | HistogramSample]:
    """Return the engine's metric samples as of its clock's time (one-shot: metrics.prom)."""
    return EngineSampler(engine).samples(extras)


class _AgeHistogram:
    """One leg's order_age_ms buckets, folded in from the ages added since the last call."""

    __slots__ = ("counts", "seen", "sum_ms")

    def __init__(self) -> None:
        self.counts = [0] * len(ORDER_AGE_BUCKETS_MS)
        self.seen = 0
        self.sum_ms = 0.0

    def sample(self, labels: Labels, ages_ns: list[int]) -> HistogramSample:
        new_ms = np.asarray(ages_ns[self.seen :], dtype=np.float64) / _NS_PER_MS
        if len(new_ms):
            added = np.searchsorted(np.sort(new_ms), _BOUNDS, side="right").tolist()
            self.counts = [count + more for count, more in zip(self.counts, added, strict=True)]
            self.sum_ms += float(new_ms.sum())
            self.seen = len(ages_ns)
        buckets = (*zip(ORDER_AGE_BUCKETS_MS, self.counts, strict=True), (_INF, self.seen))
        return HistogramSample("order_age_ms", labels, buckets, self.sum_ms)


class EngineSampler:
    """Build an engine's samples again and again (a live run's publisher)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._ages = {id(leg): _AgeHistogram() for leg in engine.legs}

    def samples(self, extras: BookExtras = NO_EXTRAS) -> list[Sample | HistogramSample]:
        """Return the engine's metric samples as of its clock's time."""
        engine = self._engine
        now_ns = engine.clock.now_ns()
        samples: list[Sample | HistogramSample] = []
        for book in engine.books:
            samples += _symbol_samples(book)
            for leg in book.legs:
                samples += _leg_samples(book, leg, now_ns)
                labels = (("symbol", book.symbol), ("strategy", leg.strategy_id))
                samples.append(self._ages[id(leg)].sample(labels, leg.orders.order_ages_ns))
        return samples + _book_samples(engine, extras)


def _symbol_samples(book: SymbolBook) -> list[Sample | HistogramSample]:
    labels: Labels = (("symbol", book.symbol),)
    gate = book.risk.counters()
    position_usd = book.position_lots * book.lot_size * book.mid_usd
    named = {
        "pos_skew_breach_total": gate["pos_skew_breach_total"],
        "intraday_caps_breached": gate["intraday_caps_breached"],
        "trading_state": gate["trading_state"],
        "risk_denials_total": gate["risk_denials_total"],
        "throttled_orders_total": gate["throttled_orders_total"],
        "throttled_cancels_total": gate["throttled_cancels_total"],
        "replace_attempts_total": gate["replace_attempts"],
        "replace_allowed_total": gate["replace_allowed"],
        "kill_switch_active": gate["kill_switch_active"],
        "position_usd": position_usd,
    }
    return [Sample(name, labels, float(value)) for name, value in named.items()]


def _leg_samples(book: SymbolBook, leg: Leg, now_ns: int) -> list[Sample | HistogramSample]:
    labels: Labels = (("symbol", book.symbol), ("strategy", leg.strategy_id))
    orders, ledger = leg.orders, leg.ledger
    working = orders.open_orders()
    oldest_ns = min((order.priced_ts_ns for order in working.values()), default=now_ns)
    named = {
        "quotes_placed_total": orders.quotes_placed_total,
        "orders_replaced_total": orders.replaces_sent_total,
        "orders_canceled_total": orders.canceled_total,
        "orders_rejected_total": orders.rejected_total,
        "fills_total": ledger.fills,
        "filled_lots_total": ledger.filled_lots,
        "traded_notional_usd_total": ledger.notional_usd,
        "fees_paid_usd_total": ledger.fees_paid_usd,
        "fee_rebates_usd_total": ledger.rebates_usd,
        "position_lots": ledger.position_lots,
        "pnl_usd": ledger.pnl_usd(book.mid_usd),
        "working_orders": len(working),
        "cost_fillrate_ewma": orders.fill_ratio_ewma,
        "working_order_age_max_ms": max(0, now_ns - oldest_ns) / _NS_PER_MS,
        "unknown_reports_total": orders.unknown_reports_total,
    }
    return [Sample(name, labels, float(value)) for name, value in named.items()]


def _book_samples(engine: Engine, extras: BookExtras) -> list[Sample | HistogramSample]:
    allocator = engine.allocator.values()  # not engine.values(): its order-age quantiles
    acks = [ack for leg in engine.legs for ack in leg.orders.ack_latencies_ns[-RECENT_ACKS:]]
    recent = [leg.ledger.recent_fees(RECENT_FILLS) for leg in engine.legs]
    notional = sum(notional for _, notional in recent)
    fee_bps = 1e4 * sum(fees for fees, _ in recent) / notional if notional > 0 else 0.0
    book_risk = engine.book_risk
    named = {
        "portfolio_budget_available_usd": allocator["portfolio_budget_available_usd"],
        "allocator_hwm_equity_usd": allocator["allocator_hwm_equity_usd"],
        "effective_fee_bps_now": fee_bps,
        "fee_tier_distance_usd": engine.fee_tier_distance_usd,
        "book_caps_breached": book_risk.counters()["book_caps_breached"] if book_risk else 0,
        "self_cross_prevented_total": engine.self_cross_prevented_total,
        "canary_gate_open": extras.canary_gate_open,
        "order_idem_hits_total": extras.order_idem_hits_total,
        "leader_elections_total": extras.leader_elections_total,
        "decisions_total": engine.books[0].record.decisions,
        f"latency_ms_p95_{extras.colour}": quantile_ms(acks, 0.95),
    }
    return [Sample(name, (), float(value)) for name, value in named.items()]
