"""The quoting rule both simulators run (../shared/FACTS.md, "Peers measured").

Every 100 ms: bid at floor(mid - 2 ticks), ask at ceil(mid + 2 ticks), post-only, cancel and
replace a side whose price differs, stop quoting the side that would grow a position beyond the
limit. Constant order latency: 10 ms entry, 10 ms response.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BPS_PER_UNIT = 1e4
QUEUE_MODELS = ("risk_averse", "prob")


@dataclass(frozen=True, slots=True)
class QuoteRule:
    """Parameters of the fixed-spread quoter, in the units both simulators take."""

    decision_interval_ns: int = 100_000_000
    half_spread_ticks: int = 2
    order_qty_lots: int = 1
    max_position_lots: int = 10
    entry_latency_ns: int = 10_000_000
    response_latency_ns: int = 10_000_000
    maker_fee_bps: float = 1.0
    taker_fee_bps: float = 5.0
    prob_queue_power: float = 2.0


@dataclass(frozen=True, slots=True)
class RunResult:
    """One timed run of the quoter on one simulator; `loop_s` excludes load and compile."""

    side: str
    queue: str
    n_events: int
    loop_s: float
    n_fills: int
    n_orders: int
    n_cancels: int
    position_lots: int
    fees_usd: float
    fill_keys: np.ndarray  # one row per fill: (ts_exch_ns, side +1 buy / -1 sell, price_ticks)

    @property
    def events_per_s(self) -> float:
        """Return the replay throughput of this run."""
        return self.n_events / self.loop_s
