"""Edge decomposition on hand-computed fills: signs for buys/sells, maker/taker, rebates."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mmbot.audit import (
    COMPONENTS,
    NET_SIGN,
    FillArrays,
    MidSeries,
    bottleneck,
    decompose,
    direct_pnl,
    markout_bps,
    totals,
)

pytestmark = pytest.mark.selected
S = 1_000_000_000
MIDS = MidSeries(
    ts_ns=np.array([0, 1 * S, 2 * S, 3 * S], dtype=np.int64),
    mid=np.array([100.0, 100.5, 99.0, 101.0]),
)
# A maker buy with a rebate, B maker sell, C taker buy, D taker sell at the very end.
FILLS = FillArrays(
    ts_ns=np.array([0, 1_500_000_000, 2 * S, 3 * S], dtype=np.int64),
    side=np.array([1, -1, 1, -1], dtype=np.int64),
    price=np.array([99.9, 100.6, 99.2, 100.8]),
    qty=np.array([2.0, 1.0, 1.0, 1.0]),
    is_maker=np.array([True, True, False, False]),
    fee_usd=np.array([-0.01, 0.02, 0.05, 0.04]),
    mid_at_fill=np.array([100.0, 100.5, 99.0, 101.0]),
)
# Hand arithmetic, horizon 1 s (m_T = 101.0):
# A: gross 2*(100.0-99.9)=0.2  adverse 2*(100.5-100.0)=1.0  inventory 2*(101-100.5)=1.0  fees -0.01
# B: gross -1*(100.5-100.6)=0.1  adverse -1*(99.0-100.5)=1.5  inventory -1*(101-99)=-2.0 fees 0.02
# C: slippage 1*(99.0-99.2)=-0.2  adverse 1*(101-99)=2.0  inventory 0  fees 0.05
# D: slippage -1*(101-100.8)=-0.2  adverse 0 (horizon past the end)  inventory 0  fees 0.04
# Fees keep fills.csv's sign (paid positive, A's rebate negative) and enter net negated.
EXPECTED = {
    "gross": [0.2, 0.1, 0.0, 0.0],
    "fees": [-0.01, 0.02, 0.05, 0.04],
    "adverse": [1.0, 1.5, 2.0, 0.0],
    "slippage": [0.0, 0.0, -0.2, -0.2],
    "inventory": [1.0, -2.0, 0.0, 0.0],
}


def test_decompose_hand_case_every_component_per_fill() -> None:
    parts = decompose(FILLS, MIDS, horizon_ns=S)
    for name, values in EXPECTED.items():
        np.testing.assert_allclose(parts.component(name), values, atol=1e-12, err_msg=name)


def test_decompose_sums_to_net_per_fill_and_total_within_1e_8() -> None:
    parts = decompose(FILLS, MIDS, horizon_ns=S)
    direct = direct_pnl(FILLS, MIDS.final_mid)
    np.testing.assert_allclose(direct, [2.21, -0.42, 1.75, -0.24], atol=1e-12)
    assert np.max(np.abs(parts.net() - direct)) <= 1e-8
    total = totals(parts)
    assert abs(total.net_usd - 3.3) <= 1e-8
    assert abs(math.fsum(NET_SIGN[c] * total.usd[c] for c in COMPONENTS) - total.net_usd) <= 1e-8
    assert total.usd["fees"] == pytest.approx(0.1)  # paid 0.11, rebated 0.01: a cost of 0.1


def test_decompose_total_equals_ledger_cash_plus_marked_position() -> None:
    # Cash: -2*99.9 + 100.6 - 99.2 + 100.8 - (-0.01 + 0.02 + 0.05 + 0.04) = -97.7; position +1.
    cash = -math.fsum(FILLS.side * FILLS.price * FILLS.qty) - math.fsum(FILLS.fee_usd)
    position = float(np.sum(FILLS.side * FILLS.qty))
    total = totals(decompose(FILLS, MIDS, horizon_ns=S))
    assert abs(cash + position * MIDS.final_mid - total.net_usd) <= 1e-8


def test_totals_bps_of_notional_and_bottleneck_is_largest_drag() -> None:
    total = totals(decompose(FILLS, MIDS, horizon_ns=S))
    assert total.notional_usd == pytest.approx(500.4)
    assert total.usd["inventory"] == pytest.approx(-1.0)
    name, bps, usd = bottleneck(total)
    assert name == "inventory"
    assert bps == pytest.approx(1e4 * -1.0 / 500.4)
    assert usd == pytest.approx(-1.0)


def test_bottleneck_fees_paid_is_a_drag_reported_as_its_effect_on_net() -> None:
    # One maker buy exactly at the mid, the mid never moves: the paid fee is the only drag.
    fills = FillArrays(
        ts_ns=np.array([0], dtype=np.int64),
        side=np.array([1], dtype=np.int64),
        price=np.array([100.0]),
        qty=np.array([1.0]),
        is_maker=np.array([True]),
        fee_usd=np.array([0.01]),
        mid_at_fill=np.array([100.0]),
    )
    mids = MidSeries(ts_ns=np.array([0], dtype=np.int64), mid=np.array([100.0]))
    total = totals(decompose(fills, mids, horizon_ns=S))
    assert total.usd["fees"] == pytest.approx(0.01) and total.bps["fees"] == pytest.approx(1.0)
    assert total.net_usd == pytest.approx(-0.01)
    name, bps, usd = bottleneck(total)
    assert (name, bps, usd) == ("fees", pytest.approx(-1.0), pytest.approx(-0.01))


def test_totals_mask_selects_fills() -> None:
    parts = decompose(FILLS, MIDS, horizon_ns=S)
    maker = totals(parts, FILLS.is_maker)
    assert maker.fills == 2
    assert maker.usd["slippage"] == 0.0
    assert maker.net_usd == pytest.approx(2.21 - 0.42)


def test_bottleneck_none_when_nothing_drags() -> None:
    fills = FillArrays(
        ts_ns=np.array([0], dtype=np.int64),
        side=np.array([1], dtype=np.int64),
        price=np.array([99.0]),
        qty=np.array([1.0]),
        is_maker=np.array([True]),
        fee_usd=np.array([-0.01]),
        mid_at_fill=np.array([100.0]),
    )
    mids = MidSeries(ts_ns=np.array([0], dtype=np.int64), mid=np.array([100.0]))
    assert bottleneck(totals(decompose(fills, mids, horizon_ns=S))) == ("none", 0.0, 0.0)


def test_markout_bps_sign_convention() -> None:
    # Buy at 99.9 then mid 100.5 one second later: +1*(100.5-99.9)/99.9 > 0 (a good fill).
    fills = FillArrays(
        ts_ns=np.array([0], dtype=np.int64),
        side=np.array([1], dtype=np.int64),
        price=np.array([99.9]),
        qty=np.array([2.0]),
        is_maker=np.array([True]),
        fee_usd=np.array([0.0]),
        mid_at_fill=np.array([100.0]),
    )
    assert markout_bps(fills, MIDS, S) == pytest.approx(1e4 * 0.6 / 99.9)


@given(
    st.lists(
        st.tuples(
            st.integers(0, 4 * S),
            st.sampled_from([1, -1]),
            st.floats(50, 150),
            st.floats(0.001, 10),
            st.booleans(),
            st.floats(-1, 1),
        ),
        min_size=1,
        max_size=30,
    ),
    st.integers(0, 5 * S),
)
def test_decompose_property_components_sum_to_direct_pnl(
    rows: list[tuple[int, int, float, float, bool, float]], horizon_ns: int
) -> None:
    rows = sorted(rows)
    ts = np.array([r[0] for r in rows], dtype=np.int64)
    fills = FillArrays(
        ts_ns=ts,
        side=np.array([r[1] for r in rows], dtype=np.int64),
        price=np.array([r[2] for r in rows]),
        qty=np.array([r[3] for r in rows]),
        is_maker=np.array([r[4] for r in rows]),
        fee_usd=np.array([r[5] for r in rows]),
        mid_at_fill=MIDS.asof(ts),
    )
    parts = decompose(fills, MIDS, horizon_ns)
    assert np.max(np.abs(parts.net() - direct_pnl(fills, MIDS.final_mid))) <= 1e-8
