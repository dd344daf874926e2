"""Quote-to-fill latency, order age and fill rate of a backtest run (docs/LATENCY.md).

An *intent* is a maximal run of consecutive decisions in which the strategy wanted the same
side at the same price (size may change; a decision without that side quoted ends it). A
fill belongs to the latest intent on its side at its price that started before it; an
intent's time-to-fill is the exchange time of its first fill minus the local time of the
decision that started it. Reposting does not restart an intent, so queue priority lost by
reposting shows up as a longer time-to-fill. The simulator puts local and exchange time on
one axis (docs/SIM.md), so the difference includes the order entry latency.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from mmbot.config import MmConfig
from mmbot.core.types import BUY, SELL, Quote
from mmbot.engine.loop import Engine, quantile_ms

# The naive baseline sends a cancel and a place per side every decision: at 50 ms decisions
# that is 40 places/s and 40 cancels/s, which the shipped 20/s buckets would throttle. The
# baseline gets this much headroom so that it measures queue loss, not throttling.
_NAIVE_RATE_PER_S = 1_000.0
_NAIVE_BURST = 1_000


@dataclass(frozen=True, slots=True)
class Intent:
    """One continuous want: side at price_ticks from start_ts_ns (local time of its decision)."""

    side: int
    price_ticks: int
    start_ts_ns: int


@dataclass(frozen=True, slots=True)
class LatencyFigures:
    """What the latency e2e compares between execution policies."""

    p95_time_to_fill_ms: float
    p95_order_age_ms: float
    intent_fill_rate: float
    order_fill_rate: float
    intents: int
    filled_intents: int
    orders: int
    fills: int
    replace_attempts: int
    replace_allowed: int


def naive_baseline_config(cfg: MmConfig) -> MmConfig:
    """Return cfg with the replace policy off and the order/cancel buckets out of the way."""
    risk = cfg.risk.model_copy(
        update={
            "min_replace_ticks": 0,
            "min_order_age_ms": 0,
            "orders_per_s": _NAIVE_RATE_PER_S,
            "cancels_per_s": _NAIVE_RATE_PER_S,
            "orders_burst": _NAIVE_BURST,
            "cancels_burst": _NAIVE_BURST,
        }
    )
    return cfg.model_copy(update={"risk": risk})


def intents_of(quotes: Sequence[tuple[int, Quote | None]]) -> list[Intent]:
    """Return the intents of a run's wanted quotes, in order of their start."""
    out: list[Intent] = []
    current: dict[int, int] = {}  # side -> price_ticks of the open intent
    for ts_ns, quote in quotes:
        wanted = {}
        if quote is not None:
            if quote.bid_lots > 0:
                wanted[BUY] = quote.bid_ticks
            if quote.ask_lots > 0:
                wanted[SELL] = quote.ask_ticks
        for side, price_ticks in wanted.items():
            if current.get(side) != price_ticks:
                out.append(Intent(side, price_ticks, ts_ns))
        current = wanted
    return out


def time_to_fill_ns(
    intents: Sequence[Intent],
    fill_ts_ns: Sequence[int],
    fill_side: Sequence[int],
    fill_price_ticks: Sequence[int],
) -> list[int]:
    """Return the time-to-fill of every intent that got a fill (fills in time order)."""
    starts: dict[tuple[int, int], list[int]] = {}
    index: dict[tuple[int, int], list[int]] = {}
    for k, intent in enumerate(intents):
        key = (intent.side, intent.price_ticks)
        starts.setdefault(key, []).append(intent.start_ts_ns)
        index.setdefault(key, []).append(k)
    first_fill: dict[int, int] = {}
    for ts_ns, side, price_ticks in zip(fill_ts_ns, fill_side, fill_price_ticks, strict=True):
        key = (side, price_ticks)
        pos = bisect_right(starts.get(key, []), ts_ns) - 1
        if pos < 0:
            raise ValueError(f"fill at ts_ns={ts_ns} side={side} price_ticks={price_ticks} "
                             "expected=an intent at that price before it")  # fmt: skip
        first_fill.setdefault(index[key][pos], ts_ns)
    return [ts_ns - intents[k].start_ts_ns for k, ts_ns in sorted(first_fill.items())]


def latency_figures(engine: Engine) -> LatencyFigures:
    """Return the figures of a finished run of node.build_policy_engine's engine (it records
    every decision's wanted quote)."""
    log = engine.ledger.fill_log()
    intents = intents_of(engine.record.quotes)
    ttf = time_to_fill_ns(intents, log.ts_ns.tolist(), log.side.tolist(), log.price_ticks.tolist())
    orders = engine.orders.orders  # every order sent, as orders.csv and the report count them
    orders_filled = sum(1 for o in orders if o.filled_lots > 0)
    counters = engine.risk.counters()
    return LatencyFigures(
        p95_time_to_fill_ms=quantile_ms(ttf, 0.95),
        p95_order_age_ms=quantile_ms(engine.orders.order_ages_ns, 0.95),
        intent_fill_rate=len(ttf) / len(intents) if intents else 0.0,
        order_fill_rate=orders_filled / len(orders) if orders else 0.0,
        intents=len(intents),
        filled_intents=len(ttf),
        orders=len(orders),
        fills=len(log),
        replace_attempts=int(counters["replace_attempts"]),
        replace_allowed=int(counters["replace_allowed"]),
    )
