"""Every metric mmbot exports: name, type, labels, meaning (docs/OBSERVABILITY.md lists them).

The one list the exporter, the alert rules, the Grafana dashboard and the label lint read.
Labels are low-cardinality by construction: only the names in LABEL_NAMES, each metric with
a fixed label set; a label's values are symbols, strategies, sides, venues, regions or
deployment colours, never order ids or prices. A series of one (strategy, symbol) carries
`symbol` and `strategy`, a series of one symbol `symbol`, a value of the whole book none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

MetricType = Literal["counter", "gauge", "histogram"]

# The label names a metric may carry, and what their values are.
LABEL_NAMES: Final = ("symbol", "strategy", "side", "venue", "region", "colour")
LEG: Final = ("symbol", "strategy")
SYMBOL: Final = ("symbol",)
BOOK: Final[tuple[str, ...]] = ()
COLOURS: Final = ("blue", "green")
# The recent window of the "now" values: they must move within an alert's window (minutes),
# not average a whole run.
RECENT_FILLS: Final = 200
RECENT_ACKS: Final = 1000
# order_age_ms buckets (ms): a quote refreshed every 100 ms rests 100-400 ms; stuck ones longer.
ORDER_AGE_BUCKETS_MS: Final = (10.0, 25.0, 50.0, 100.0, 200.0, 350.0, 500.0, 1000.0, 2500.0,
                               5000.0, 10000.0, 30000.0, 60000.0)  # fmt: skip


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """One exported metric. name is the exposed name (a counter's ends with _total)."""

    name: str
    type: MetricType
    labels: tuple[str, ...]
    help: str


METRICS: Final = (
    # --- orders and fills, per (strategy, symbol) -----------------------------------------
    MetricSpec("quotes_placed_total", "counter", LEG, "orders placed (new client ids)"),
    MetricSpec("orders_replaced_total", "counter", LEG, "replace (modify) requests sent"),
    MetricSpec("orders_canceled_total", "counter", LEG, "orders that ended canceled"),
    MetricSpec("orders_rejected_total", "counter", LEG, "orders (or their replaces) refused"),
    MetricSpec("fills_total", "counter", LEG, "fills booked"),
    MetricSpec("filled_lots_total", "counter", LEG, "lots filled"),
    MetricSpec("traded_notional_usd_total", "counter", LEG, "notional traded, USD"),
    MetricSpec("fees_paid_usd_total", "counter", LEG, "fees paid, USD"),
    MetricSpec("fee_rebates_usd_total", "counter", LEG, "maker rebates received, USD"),
    MetricSpec("position_lots", "gauge", LEG, "the strategy's position on the symbol, lots"),
    MetricSpec("pnl_usd", "gauge", LEG, "cash plus position at the mid, USD"),
    MetricSpec("working_orders", "gauge", LEG, "orders resting or on their way"),
    MetricSpec(
        "cost_fillrate_ewma",
        "gauge",
        LEG,
        "EWMA (alpha 0.05) over quote episodes of filled lots / quoted lots; an episode is an "
        "order at one price, closed by a new price or the order's end",
    ),
    MetricSpec(
        "order_age_ms", "histogram", LEG, "how long ended orders rested at their last price, ms"
    ),
    MetricSpec(
        "working_order_age_max_ms",
        "gauge",
        LEG,
        "age at its price of the oldest order still working, ms (0: none): a stuck order",
    ),
    MetricSpec("unknown_reports_total", "counter", LEG, "venue reports about no order of ours"),
    # --- risk, per symbol ----------------------------------------------------------------
    MetricSpec("pos_skew_breach_total", "counter", SYMBOL, "position or skew limit breaches"),
    MetricSpec("intraday_caps_breached", "gauge", SYMBOL, "1 while a day cap is latched"),
    MetricSpec("trading_state", "gauge", SYMBOL, "0 ACTIVE, 1 REDUCING, 2 HALTED"),
    MetricSpec("risk_denials_total", "counter", SYMBOL, "actions the risk gate denied"),
    MetricSpec("throttled_orders_total", "counter", SYMBOL, "orders denied by the throttle"),
    MetricSpec("throttled_cancels_total", "counter", SYMBOL, "cancels denied by the throttle"),
    MetricSpec("replace_attempts_total", "counter", SYMBOL, "replaces the strategy wanted"),
    MetricSpec("replace_allowed_total", "counter", SYMBOL, "replaces the risk gate let through"),
    MetricSpec("kill_switch_active", "gauge", SYMBOL, "1 while the kill switch is tripped"),
    MetricSpec("position_usd", "gauge", SYMBOL, "the symbol's net position at its mid, USD"),
    # --- the book --------------------------------------------------------------------------
    MetricSpec(
        "portfolio_budget_available_usd",
        "gauge",
        BOOK,
        "the allocator's drawdown-scaled budget, USD",
    ),
    MetricSpec("allocator_hwm_equity_usd", "gauge", BOOK, "the allocator's equity high-water mark"),
    MetricSpec(
        "effective_fee_bps_now",
        "gauge",
        BOOK,
        f"fees net of rebates per notional over each strategy's last {RECENT_FILLS} fills, bps",
    ),
    MetricSpec("fee_tier_distance_usd", "gauge", BOOK, "30-day volume left to the next fee tier"),
    MetricSpec("book_caps_breached", "gauge", BOOK, "1 while a book cap condition holds"),
    MetricSpec(
        "self_cross_prevented_total",
        "counter",
        BOOK,
        "quote sides clamped so our strategies could not trade together",
    ),
    MetricSpec(
        "canary_gate_open",
        "gauge",
        BOOK,
        "1 while orders may go out (canary/live: the gate file exists; shadow: 0)",
    ),
    MetricSpec(
        "order_idem_hits_total",
        "counter",
        BOOK,
        "order places, replaces and cancels answered from the idempotency store (a repeat)",
    ),
    MetricSpec(
        "leader_elections_total",
        "counter",
        BOOK,
        "leader elections won by this instance (HA; 0 without a lease)",
    ),
    MetricSpec("decisions_total", "counter", BOOK, "decision points run"),
    *(
        MetricSpec(
            f"latency_ms_p95_{colour}",
            "gauge",
            BOOK,
            f"p95 of place-to-acknowledgement time over each strategy's last {RECENT_ACKS} "
            f"acknowledgements, ms, of the {colour} deployment",
        )
        for colour in COLOURS
    ),
)
METRIC_NAMES: Final = frozenset(spec.name for spec in METRICS)
