"""The risk gate's named values: Side, OpenOrder and the per-batch worst-case exposure."""

from __future__ import annotations

import pytest
from tests.unit.risk.test_gate import T0, _ctx, _params

from mmbot.core.types import BUY, SELL, PlaceOrder, ReplaceOrder, Side
from mmbot.risk import OpenOrder, RiskGate
from mmbot.risk.gate import _Exposure


def test_side_members_are_the_hot_path_ints_and_name_the_side() -> None:
    assert (Side.BUY, Side.SELL) == (BUY, SELL) == (1, -1)
    assert type(BUY) is int and type(SELL) is int  # plain ints: hash and compare at int speed
    assert [Side(side).name.lower() for side in (BUY, SELL)] == ["buy", "sell"]
    with pytest.raises(ValueError, match="0 is not a valid Side"):
        Side(0)


def test_open_order_names_its_fields_and_stays_a_tuple() -> None:
    order = OpenOrder(SELL, 203, 3, T0)
    assert (order.side, order.price_ticks, order.leaves_lots, order.priced_ts_ns) == (
        SELL, 203, 3, T0,
    )  # fmt: skip
    side, price_ticks, leaves_lots, priced_ts_ns = order
    assert (side, price_ticks, leaves_lots, priced_ts_ns) == (-1, 203, 3, T0)
    assert order == (SELL, 203, 3, T0)
    with pytest.raises(AttributeError):
        order.leaves_lots = 2  # type: ignore[misc]


def test_exposure_books_each_side_apart() -> None:
    exposure = _Exposure(limit_lots=10, long_lots=4, short_lots=-4)  # long 4, nothing resting
    exposure.add_lots(BUY, 3)
    exposure.add_lots(SELL, 5)
    exposure.add_lots(SELL, -2)
    assert (exposure.lots(BUY), exposure.lots(SELL), exposure.limit_lots) == (7, -1, 10)
    assert (exposure.long_lots, exposure.short_lots) == (7, -1)


def test_gate_replace_that_flips_side_frees_its_old_side() -> None:
    # Long side: 5 lots resting, limit 10. The replace moves them to the ask, so a buy of
    # 10 fits; without taking the 5 off the bid side it would be 15 > 10.
    gate = RiskGate(_params())
    flip = ReplaceOrder("b0", "b0", SELL, 202, 8)
    buy = PlaceOrder("b1", BUY, 198, 10)
    resting = {"b0": OpenOrder(BUY, 196, 5, T0)}
    allowed, denied = gate.check([flip, buy], _ctx(ts_ns=T0 + 100_000_000, open_orders=resting))
    assert (allowed, denied) == ([flip, buy], [])
    over = PlaceOrder("b2", BUY, 198, 11)
    _, denied = RiskGate(_params()).check(
        [flip, over], _ctx(ts_ns=T0 + 100_000_000, open_orders=resting)
    )
    assert [d.reason for d in denied] == ["max_position: 11 lots would be > 10"]


def test_gate_reduce_only_denial_names_a_sell_side() -> None:
    gate = RiskGate(_params())  # short 15 lots, limit 10: REDUCING, only buys reduce
    _, denied = gate.check([PlaceOrder("a1", SELL, 202, 2)], _ctx(position_lots=-15))
    assert len(denied) == 1
    assert denied[0].reason.endswith("; a sell of 2 lots would add to position -15 lots")
