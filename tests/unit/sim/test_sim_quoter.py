"""The compiled fixed-spread quoter: conservation, determinism, and one shared core."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from tests.unit.sim.sim_cases import MS, python_quoter, synthetic_tape

from mmbot.artifacts import write_fill_log
from mmbot.sim import (
    FixedSpreadQuoterParams,
    QuoterResult,
    SimParams,
    run_fixed_spread_quoter,
)

SIM = SimParams(tick_size=0.1, lot_size=0.001)  # 10 ms feed/entry/response, default fees
QUOTER = FixedSpreadQuoterParams(max_position_lots=5)
TAPE = synthetic_tape(20_000)


@pytest.fixture(scope="module")
def result() -> QuoterResult:
    return run_fixed_spread_quoter(TAPE, QUOTER, SIM)


def test_quoter_trades_and_respects_position_limit(result: QuoterResult) -> None:
    assert result.n_events == 20_000
    assert result.n_fills > 50 and result.n_orders > result.n_fills
    running_lots = np.cumsum(result.fills.side * result.fills.qty_lots)
    # reports lag, so the limit can be overshot by what was resting: at most one order a side
    assert np.abs(running_lots).max() <= QUOTER.max_position_lots + QUOTER.order_qty_lots
    assert result.fills.is_maker.all()  # post-only quotes never take


def test_quoter_cash_and_inventory_conserved(result: QuoterResult) -> None:
    fills = result.fills
    notional = fills.price_ticks * SIM.tick_size * fills.qty_lots * SIM.lot_size
    assert result.position_lots == int((fills.side * fills.qty_lots).sum())
    assert result.cash_usd == pytest.approx(
        -(fills.side * notional).sum() - result.fees_usd, abs=1e-8
    )
    assert result.fees_usd == pytest.approx(fills.fee_usd.sum(), abs=1e-10)
    # default base tier: maker 1 bps
    assert result.effective_fee_bps == pytest.approx(1.0, abs=1e-9)


def test_quoter_two_runs_write_identical_fill_log_bytes(
    tmp_path: Path, result: QuoterResult
) -> None:
    again = run_fixed_spread_quoter(TAPE, QUOTER, SIM)
    first = write_fill_log(tmp_path / "a.csv", result.fills).read_bytes()
    second = write_fill_log(tmp_path / "b.csv", again.fills).read_bytes()
    assert first == second
    assert first.startswith(b"ts_ns,ts_local_ns,order_id,client_id,side,price_ticks,qty_lots,")


def test_quoter_matches_same_rule_on_sim_venue(tmp_path: Path, result: QuoterResult) -> None:
    venue = python_quoter(TAPE, SIM, QUOTER)
    compiled = write_fill_log(tmp_path / "compiled.csv", result.fills).read_bytes()
    stepped = write_fill_log(tmp_path / "stepped.csv", venue.fill_log()).read_bytes()
    assert compiled == stepped
    assert (venue.position_lots, venue.cash_usd) == (result.position_lots, result.cash_usd)


def test_quoter_buffers_grow_without_changing_results() -> None:
    # order_capacity 4 starts with 1024-row buffers, full after 1024 - (4 + 256 + 4) = 760
    # fills; the default capacity starts with 2048 rows
    tape = synthetic_tape(200_000, seed=11)
    small = run_fixed_spread_quoter(tape, QUOTER, replace(SIM, order_capacity=4))
    large = run_fixed_spread_quoter(tape, QUOTER, SIM)
    assert small.n_fills == large.n_fills > 760
    assert np.array_equal(small.fills.ts_ns, large.fills.ts_ns)
    assert small.cash_usd == large.cash_usd


def test_quoter_recorded_latency_and_prob_queue_run_deterministically() -> None:
    params = replace(SIM, latency_model="recorded", queue_model="prob", prob_variant="log")
    first = run_fixed_spread_quoter(TAPE, QUOTER, params)
    second = run_fixed_spread_quoter(TAPE, QUOTER, params)
    assert first.n_fills > 0
    assert first.fills.ts_ns.tolist() == second.fills.ts_ns.tolist()
    assert (first.fills.ts_local_ns - first.fills.ts_ns == 10 * MS).all()
