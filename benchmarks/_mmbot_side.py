"""mmbot's side of the simulator benchmark: the compiled fixed-spread quoter (mmbot.sim).

Settings mirror the peer exactly: feed latency is the recorded `ts_local_ns` of each event
(hftbacktest reads `local_ts`), order entry and response latency are the rule's constants, and
the fee tier is the rule's maker/taker bps.
"""

from __future__ import annotations

import time

import numpy as np

from _quoting import QuoteRule, RunResult
from mmbot.data import EventBatch, InstrumentMeta
from mmbot.sim import FixedSpreadQuoterParams, SimParams, run_fixed_spread_quoter


def sim_params(meta: InstrumentMeta, queue: str, rule: QuoteRule) -> SimParams:
    """Return the simulated venue for one queue model under the benchmark's rule."""
    return SimParams(
        tick_size=meta.tick_size,
        lot_size=meta.lot_size,
        queue_model=queue,  # type: ignore[arg-type] - validated by SimParams
        prob_variant="power",
        prob_power=rule.prob_queue_power,
        latency_model="recorded",
        entry_latency_ns=rule.entry_latency_ns,
        response_latency_ns=rule.response_latency_ns,
        fee_tiers=((0.0, rule.maker_fee_bps, rule.taker_fee_bps),),
    )


def quoter_params(rule: QuoteRule) -> FixedSpreadQuoterParams:
    """Return the compiled quoter's parameters for the benchmark's rule."""
    return FixedSpreadQuoterParams(
        decision_interval_ns=rule.decision_interval_ns,
        half_spread_ticks=rule.half_spread_ticks,
        order_qty_lots=rule.order_qty_lots,
        max_position_lots=rule.max_position_lots,
    )


def run_quoter(batch: EventBatch, meta: InstrumentMeta, queue: str, rule: QuoteRule) -> RunResult:
    """Run the quoter once over `batch`; time the whole call (state setup, loop, result)."""
    sim = sim_params(meta, queue, rule)
    quoter = quoter_params(rule)
    started_s = time.perf_counter()
    result = run_fixed_spread_quoter(batch, quoter, sim)
    loop_s = time.perf_counter() - started_s
    return RunResult(
        side="mmbot",
        queue=queue,
        n_events=result.n_events,
        loop_s=loop_s,
        n_fills=result.n_fills,
        n_orders=result.n_orders,
        n_cancels=result.n_cancels,
        position_lots=result.position_lots,
        fees_usd=result.fees_usd,
        fill_keys=np.stack(
            [result.fills.ts_ns, result.fills.side, result.fills.price_ticks], axis=1
        ),
    )
