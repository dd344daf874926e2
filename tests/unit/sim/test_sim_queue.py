"""Queue-position models: the update formula and the fill time each model implies."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from tests.unit.sim.sim_cases import BID, SELL, ZERO_LATENCY, D, T, book, drive, fills

from mmbot.sim.layout import QM_PROB_LOG, QM_PROB_POWER, QM_RISK_AVERSE
from mmbot.sim.queue import queue_after_depth_change

LOG_SHARE = math.log1p(10) / (math.log1p(10) + math.log1p(30))  # 0.41117...


@pytest.mark.parametrize(
    ("ahead", "traded", "prev", "new", "model", "power", "expected"),
    [
        # risk_averse: only a level shrinking below us moves us: min(ahead, new)
        (5.0, 0.0, 10, 3, QM_RISK_AVERSE, 2.0, 3.0),
        (2.0, 0.0, 10, 8, QM_RISK_AVERSE, 2.0, 2.0),
        # power 2, ahead 10 behind 10, decrease 8: share 100/200 -> 10 - 0.5*8 = 6
        (10.0, 0.0, 20, 12, QM_PROB_POWER, 2.0, 6.0),
        # power 2, ahead 10 behind 30, decrease 8: share 100/1000 -> 10 - 0.8 = 9.2
        (10.0, 0.0, 40, 32, QM_PROB_POWER, 2.0, 9.2),
        # log, ahead 10 behind 30, decrease 8: 10 - 8*log1p(10)/(log1p(10)+log1p(30))
        (10.0, 0.0, 40, 32, QM_PROB_LOG, 2.0, 10.0 - 8 * LOG_SHARE),
        # a trade of 3 already applied: the feed's 5 -> 2 is that trade, not a cancel
        (2.0, 3.0, 5, 2, QM_PROB_POWER, 2.0, 2.0),
        # an increase joins behind us
        (4.0, 0.0, 5, 9, QM_PROB_POWER, 2.0, 4.0),
        # power 0.5, ahead 5 behind 1, decrease 5: share 2.236/3.236=0.691 ahead; behind
        # can give only 1 of its 1.545, the rest comes from ahead: 5 - 3.455 - 0.545 = 1
        (5.0, 0.0, 6, 1, QM_PROB_POWER, 0.5, 1.0),
    ],
)
def test_queue_after_depth_change_table_matches_hand_values(
    ahead: float, traded: float, prev: int, new: int, model: int, power: float, expected: float
) -> None:
    got = queue_after_depth_change(ahead, traded, prev, new, model, power)
    assert got == pytest.approx(expected, abs=1e-9)


RISK = ZERO_LATENCY
POWER = replace(ZERO_LATENCY, queue_model="prob", prob_variant="power", prob_power=2.0)
LOG = replace(ZERO_LATENCY, queue_model="prob", prob_variant="log")

# Our bid of 2 lots joins 99 behind 10 lots; 10 more join behind us; 8 lots cancel.
TAPE_EQUAL = [
    *book(0, {99: 10}, {101: 10}),
    (10, D, BID, 99, 20),
    (20, D, BID, 99, 12),
    (30, T, SELL, 99, 8),
    (40, T, SELL, 99, 3),
]
# Same, but 30 lots join behind us before the 8 cancel.
TAPE_DEEP = [
    *book(0, {99: 10}, {101: 10}),
    (10, D, BID, 99, 40),
    (20, D, BID, 99, 32),
    (30, T, SELL, 99, 8),
]


@pytest.mark.parametrize(
    ("rows", "params", "expected"),
    [
        # risk_averse: cancels are behind us, ahead stays 10; trade 8 -> 2 ahead; trade 3
        # -> 1 lot over our place fills 1 at t=40
        (TAPE_EQUAL, RISK, [(40, 1, BID, 99, 1, 1)]),
        # power: ahead 10 - 4 = 6 at t=20; trade 8 -> 2 over -> fills both lots at t=30
        (TAPE_EQUAL, POWER, [(30, 1, BID, 99, 2, 1)]),
        (TAPE_EQUAL, LOG, [(30, 1, BID, 99, 2, 1)]),
        # 10 ahead / 30 behind: risk 10 -> trade 8 leaves 2 ahead, no fill
        (TAPE_DEEP, RISK, []),
        # power: ahead 9.2 -> trade 8 leaves 1.2 ahead, no fill
        (TAPE_DEEP, POWER, []),
        # log: ahead 6.71 -> trade 8 is 1.29 over our place -> 1 lot at t=30
        (TAPE_DEEP, LOG, [(30, 1, BID, 99, 1, 1)]),
    ],
    ids=["equal-risk", "equal-power", "equal-log", "deep-risk", "deep-power", "deep-log"],
)
def test_queue_model_fill_time_matches_hand_computation(
    rows: list[tuple[int, ...]], params: object, expected: list[tuple[int, ...]]
) -> None:
    venue = drive(rows, [(0, "limit", BID, 99, 2)], params)  # type: ignore[arg-type]
    assert fills(venue) == expected


def test_trade_at_price_partial_fill_then_rest_fills_later() -> None:
    # ahead 5; trade 3 -> 2 ahead; depth 5 -> 8 joins behind; 8 -> 4 still above our place;
    # trade 3 -> 1 over -> 1 of 3 lots at t=40; trade 5 -> the other 2 at t=50
    rows = [
        *book(0, {99: 5}, {101: 5}),
        (10, T, SELL, 99, 3),
        (20, D, BID, 99, 8),
        (30, D, BID, 99, 4),
        (40, T, SELL, 99, 3),
        (50, T, SELL, 99, 5),
    ]
    venue = drive(rows, [(0, "limit", BID, 99, 3)])
    assert fills(venue) == [(40, 1, BID, 99, 1, 1), (50, 1, BID, 99, 2, 1)]


def test_trade_through_our_price_fills_up_to_traded_qty() -> None:
    # our bid 100 (3 lots, empty level); a seller prints 2 lots at 99: the level was swept
    rows = [*book(0, {99: 5}, {101: 5}), (10, T, SELL, 99, 2)]
    venue = drive(rows, [(0, "limit", BID, 100, 3)])
    assert fills(venue) == [(10, 1, BID, 100, 2, 1)]
