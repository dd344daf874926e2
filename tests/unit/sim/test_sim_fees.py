"""Fee tiers by 30-day volume, rebates, effective fee and distance to the next tier."""

from __future__ import annotations

from dataclasses import replace

import pytest
from tests.unit.sim.sim_cases import ASK, BID, BUY, MS, SELL, ZERO_LATENCY, D, T, book, drive

from mmbot.config import MmConfig
from mmbot.core.errors import ConfigError
from mmbot.sim import SimParams

# tick 1 USD, lot 1 unit: notional = price_ticks * qty_lots
TIERS = ((0.0, 1.0, 5.0), (1000.0, 0.0, 4.0), (2000.0, -0.5, 3.0))
TIERED = replace(ZERO_LATENCY, fee_tiers=TIERS)


def test_fees_follow_tiers_as_volume_crosses_thresholds() -> None:
    rows = [
        *book(0, {99: 50}, {100: 50}),
        (20, D, ASK, 100, 0),  # the ask moves up to 101, leaving 100 free for our bids
        (20, D, ASK, 101, 50),
        (30, T, SELL, 99, 10),  # a sweep through 100 fills our first bid (10 lots)
        (40, T, SELL, 99, 4),  # and 4 lots of the second
    ]
    script = [
        (0, "market", BUY, 5),  # 500 USD taker, tier 0: 500 * 5e-4 = 0.25; volume 500
        (10, "market", BUY, 6),  # 600 USD taker, still tier 0: 0.30; volume 1100 -> tier 1
        (25, "limit", BID, 100, 10),  # later: 1000 USD maker at tier 1: 0 bps; volume 2100
        (25, "limit", BID, 100, 4),  # -> tier 2: 400 USD maker at -0.5 bps = -0.02 rebate
    ]
    venue = drive(rows, script, TIERED)
    log = venue.fill_log()
    assert log.fee_usd.tolist() == pytest.approx([0.25, 0.30, 0.0, -0.02], abs=1e-12)
    # (0.25 + 0.30 + 0 - 0.02) / 2500 * 1e4 = 2.12 bps
    assert venue.effective_fee_bps == pytest.approx(2.12, abs=1e-9)
    assert venue.fee_tier_distance_usd == 0.0  # top tier
    # cash: -(500 + 0.25) - (600 + 0.30) - 1000 - (400 - 0.02) = -2500.53
    assert venue.cash_usd == pytest.approx(-2500.53, abs=1e-9)
    assert venue.position_lots == 25


def test_tier_distance_counts_prior_30d_volume() -> None:
    params = replace(TIERED, volume_30d_usd=1500.0)  # starts in tier 1
    rows = book(0, {99: 50}, {100: 50})
    venue = drive(rows, [], params)
    assert venue.fee_tier_distance_usd == pytest.approx(500.0)  # 2000 - 1500
    venue = drive(rows, [(0, "market", BUY, 2)], params)
    # 200 USD at tier 1 taker 4 bps = 0.08; volume 1700 -> 300 to go
    assert venue.fill_log().fee_usd.tolist() == pytest.approx([0.08])
    assert venue.fee_tier_distance_usd == pytest.approx(300.0)


def test_maker_rebate_increases_cash() -> None:
    params = replace(ZERO_LATENCY, fee_tiers=((0.0, -1.0, 2.0),))
    rows = [*book(0, {99: 5}, {101: 5}), (10, T, BUY, 102, 3)]
    venue = drive(rows, [(0, "limit", ASK, 101, 2)], params)
    # sold 2 @101 = 202 USD maker at -1 bps: fee -0.0202, cash 202 + 0.0202
    assert venue.cash_usd == pytest.approx(202.0202, abs=1e-12)
    assert venue.effective_fee_bps == pytest.approx(-1.0)
    assert venue.position_lots == -2
    assert venue.fill_log().side.tolist() == [SELL]


def test_params_from_default_config_converts_units() -> None:
    params = SimParams.from_config(MmConfig())
    assert (params.tick_size, params.lot_size) == (0.1, 0.001)
    assert (params.entry_latency_ns, params.response_latency_ns) == (10 * MS, 10 * MS)
    assert params.fee_tiers[2] == (50_000_000.0, -0.5, 3.0)
    assert (params.queue_model, params.latency_model) == ("risk_averse", "constant")


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"tick_size": 0.0}, "key=tick_size"),
        ({"queue_model": "fifo"}, "key=queue_model"),
        ({"entry_latency_ns": -1}, "key=entry_latency_ns"),
        ({"fee_tiers": ((10.0, 1.0, 2.0),)}, "key=fee_tiers"),
        ({"fee_tiers": ((0.0, 1.0, 2.0), (0.0, 1.0, 2.0))}, "key=fee_tiers.1"),
    ],
)
def test_params_invalid_value_raises_sim_config_error(change: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError, match=f"E_SIM_CONFIG: {key} "):
        replace(ZERO_LATENCY, **change)  # type: ignore[arg-type]
