"""The risk gate: each invariant driven over its limit, with the exact counters expected."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pytest

from mmbot.config.schema import MmConfig
from mmbot.core.types import BUY, SELL, Action, CancelOrder, PlaceOrder, ReplaceOrder
from mmbot.risk import OpenOrder, RiskContext, RiskGate, RiskParams

MS = 1_000_000
T0 = 1_700_000_000 * 1_000_000_000


BASE = RiskParams(
    tick_size=0.5,
    lot_size=1.0,
    max_position_usd=1_000.0,
    max_skew_usd=500.0,
    intraday_max_loss_usd=50.0,
    intraday_max_notional_usd=10_000.0,
    intraday_max_orders=100,
    orders_per_s=10.0,
    orders_burst=50,
    cancels_per_s=10.0,
    cancels_burst=50,
    min_replace_ticks=2,
    min_order_age_ns=50 * MS,
)


def _params(**overrides: Any) -> RiskParams:
    """Return small round limits: mid 100 USD, lot 1 -> max position 10 lots, skew 5 lots."""
    return replace(BASE, **overrides)


def _ctx(
    ts_ns: int = T0,
    position_lots: int = 0,
    open_orders: Mapping[str, OpenOrder] | None = None,
    mid_price_usd: float = 100.0,
    pnl_usd_day: float = 0.0,
    traded_notional_usd_day: float = 0.0,
    order_count_day: int = 0,
) -> RiskContext:
    return RiskContext(
        ts_ns=ts_ns,
        position_lots=position_lots,
        mid_price_usd=mid_price_usd,
        open_orders=open_orders or {},
        pnl_usd_day=pnl_usd_day,
        traded_notional_usd_day=traded_notional_usd_day,
        order_count_day=order_count_day,
    )


def test_params_from_config_converts_units() -> None:
    params = RiskParams.from_config(MmConfig(), tick_size=0.1, lot_size=0.001)
    assert params.min_order_age_ns == 50 * MS
    assert params.max_position_usd == 10_000.0
    assert (params.orders_burst, params.cancels_burst) == (40, 40)


def test_gate_places_within_limits_all_allowed() -> None:
    gate = RiskGate(_params())
    actions = [PlaceOrder("b1", BUY, 198, 4), PlaceOrder("a1", SELL, 202, 4)]
    allowed, denied = gate.check(actions, _ctx(position_lots=3))
    assert allowed == actions
    assert denied == []
    assert gate.counters()["risk_denials_total"] == 0


def test_gate_place_over_position_limit_denied_with_reason() -> None:
    gate = RiskGate(_params())
    resting = {"b0": (BUY, 198, 5, T0)}
    buy, sell = PlaceOrder("b1", BUY, 197, 5), PlaceOrder("a1", SELL, 202, 5)
    allowed, denied = gate.check([buy, sell], _ctx(position_lots=2, open_orders=resting))
    assert allowed == [sell]
    assert [(d.code, d.reason, d.action) for d in denied] == [
        ("E_RISK_POSITION", "max_position: 12 lots would be > 10", buy)
    ]
    assert gate.counters()["risk_denials_total"] == 1


def test_gate_same_batch_places_accumulate_second_denied() -> None:
    gate = RiskGate(_params())
    first, second = PlaceOrder("b1", BUY, 198, 4), PlaceOrder("b2", BUY, 197, 4)
    allowed, denied = gate.check([first, second], _ctx(open_orders={"b0": (BUY, 199, 3, T0)}))
    assert allowed == [first]
    assert [d.reason for d in denied] == ["max_position: 11 lots would be > 10"]


def test_gate_risk_reducing_order_beyond_limit_allowed() -> None:
    gate = RiskGate(_params())
    sell = PlaceOrder("a1", SELL, 202, 8)
    allowed, _ = gate.check([sell], _ctx(position_lots=15))
    assert allowed == [sell]


def test_gate_unusable_mid_position_limit_zero_denied() -> None:
    gate = RiskGate(_params())
    buy = PlaceOrder("b1", BUY, 198, 1)
    _, denied = gate.check([buy], _ctx(mid_price_usd=float("nan")))
    assert [d.reason for d in denied] == ["max_position: 1 lots would be > 0"]


def test_gate_replace_takes_old_qty_off_book_allowed() -> None:
    gate = RiskGate(_params())
    resting = {"b0": (BUY, 196, 8, T0)}
    replace = ReplaceOrder("b0", "b1", BUY, 198, 9)
    allowed, _ = gate.check(
        [replace], _ctx(ts_ns=T0 + 60 * MS, position_lots=1, open_orders=resting)
    )
    assert allowed == [replace]
    assert gate.counters()["replace_allowed"] == 1


def test_gate_replace_policy_small_move_young_unknown_skipped() -> None:
    gate = RiskGate(_params())
    ts_ns = T0 + 100 * MS
    resting = {
        "old": (BUY, 196, 5, T0),
        "young": (BUY, 190, 5, ts_ns - 49 * MS),
        "far": (SELL, 210, 5, T0),
    }
    actions = [
        ReplaceOrder("old", "old2", BUY, 197, 5),  # moved 1 tick < 2
        ReplaceOrder("young", "young2", BUY, 186, 5),  # 49 ms old < 50
        ReplaceOrder("gone", "gone2", BUY, 186, 5),
        ReplaceOrder("far", "far2", SELL, 206, 5),  # moved 4 ticks, 100 ms old
    ]
    allowed, denied = gate.check(actions, _ctx(ts_ns=ts_ns, open_orders=resting))
    assert allowed == [actions[3]]
    assert [(d.code, d.reason) for d in denied] == [
        ("E_RISK_REPLACE_TICKS", "min_replace_ticks: moved 1 ticks (0.5 USD) < 2"),
        ("E_RISK_REPLACE_AGE", "min_order_age_ms: order age 49.000 ms < 50"),
        ("E_RISK_UNKNOWN_ORDER", "replace: gone is not resting"),
    ]
    counters = gate.counters()
    assert (counters["replace_attempts"], counters["replace_allowed"]) == (4, 1)
    assert counters["risk_denials_total"] == 3


@pytest.mark.parametrize(
    ("price_ticks", "qty_lots", "code"),
    [
        (196, 3, None),  # same price, smaller: takes risk off, keeps queue priority
        (196, 5, "E_RISK_REPLACE_TICKS"),  # same price, same size: nothing to do
        (196, 7, "E_RISK_REPLACE_TICKS"),  # same price, larger: churn, loses priority
        (197, 3, "E_RISK_REPLACE_TICKS"),  # a 1-tick move is still under the policy
    ],
)
def test_gate_replace_policy_lets_same_price_size_cuts_through(
    price_ticks: int, qty_lots: int, code: str | None
) -> None:
    gate = RiskGate(_params())  # min_replace_ticks 2
    resting = {"b0": (BUY, 196, 5, T0)}
    replace = ReplaceOrder("b0", "b1", BUY, price_ticks, qty_lots)
    _, denied = gate.check([replace], _ctx(ts_ns=T0 + 100 * MS, open_orders=resting))
    assert [d.code for d in denied] == ([] if code is None else [code])
    assert gate.counters()["replace_allowed"] == (1 if code is None else 0)


def test_gate_order_bucket_empty_throttled_then_refilled_by_ts() -> None:
    gate = RiskGate(_params(orders_burst=3, orders_per_s=10.0))
    places = [PlaceOrder(f"b{i}", BUY, 190 + i, 1) for i in range(5)]
    allowed, denied = gate.check(places, _ctx())
    assert allowed == places[:3]
    assert [d.code for d in denied] == ["E_RISK_THROTTLE_ORDERS"] * 2
    assert denied[0].reason == "orders_per_s: bucket empty (rate 10/s, burst 3)"
    allowed, _ = gate.check(places[3:], _ctx(ts_ns=T0 + 99 * MS))
    assert allowed == []
    allowed, _ = gate.check(places[3:], _ctx(ts_ns=T0 + 100 * MS))
    assert allowed == places[3:4]
    allowed, _ = gate.check(places[4:], _ctx(ts_ns=T0))  # time going back earns nothing
    assert allowed == []
    counters = gate.counters()
    assert (counters["throttled_orders_total"], counters["risk_denials_total"]) == (6, 6)


def test_gate_cancel_bucket_empty_throttled() -> None:
    gate = RiskGate(_params(cancels_burst=2))
    cancels = [CancelOrder(f"c{i}") for i in range(3)]
    allowed, denied = gate.check(cancels, _ctx())
    assert allowed == cancels[:2]
    assert [(d.code, d.action) for d in denied] == [("E_RISK_THROTTLE_CANCELS", cancels[2])]
    assert gate.counters()["throttled_cancels_total"] == 1


@pytest.mark.parametrize(
    ("ctx_field", "value", "code"),
    [
        ("pnl_usd_day", -50.0, "E_RISK_INTRADAY_LOSS"),
        ("traded_notional_usd_day", 10_000.0, "E_RISK_INTRADAY_NOTIONAL"),
        ("order_count_day", 100, "E_RISK_INTRADAY_ORDERS"),
    ],
)
def test_gate_intraday_cap_reached_quoting_stops_cancels_pass(
    ctx_field: str, value: float, code: str
) -> None:
    gate = RiskGate(_params())
    resting = {"b0": (BUY, 190, 1, T0)}
    actions: list[Action] = [
        PlaceOrder("b1", BUY, 198, 1),
        ReplaceOrder("b0", "b2", BUY, 180, 1),
        CancelOrder("b0"),
    ]
    just_under: dict[str, Any] = {
        ctx_field: value * 0.99 if isinstance(value, float) else value - 1
    }
    at_cap: dict[str, Any] = {ctx_field: value}
    under = _ctx()._replace(**just_under)
    assert gate.check(actions[:1], under)[1] == []
    assert gate.after_step(under) == []
    breached = _ctx(ts_ns=T0 + 100 * MS, open_orders=resting)._replace(**at_cap)
    allowed, denied = gate.check(actions, breached)
    assert allowed == [actions[2]]
    assert [d.code for d in denied] == [code, code]
    assert "quoting stopped" in denied[0].reason
    assert gate.counters()["intraday_caps_breached"] == 1
    records = gate.after_step(breached)
    assert [r.code for r in records] == [code]
    # Latched: a recovered day value does not reopen quoting, and no second record.
    assert gate.check(actions[:1], _ctx(ts_ns=T0 + 200 * MS))[1][0].code == code
    assert gate.after_step(_ctx(ts_ns=T0 + 200 * MS)) == []
    gate.reset_intraday()
    assert gate.counters()["intraday_caps_breached"] == 0
    assert gate.check(actions[:1], _ctx(ts_ns=T0 + 300 * MS))[1] == []


def test_gate_day_order_cap_within_batch_denies_extra() -> None:
    gate = RiskGate(_params())
    places = [PlaceOrder("b1", BUY, 198, 1), PlaceOrder("a1", SELL, 202, 1)]
    allowed, denied = gate.check(places, _ctx(order_count_day=99))
    assert allowed == places[:1]
    assert [(d.code, d.reason) for d in denied] == [
        ("E_RISK_INTRADAY_ORDERS", "intraday_max_orders: 100 orders would be > 100")
    ]
    assert gate.counters()["intraday_caps_breached"] == 0


def test_gate_kill_switch_denies_all_but_cancels_until_reset() -> None:
    gate = RiskGate(_params())
    resting = {"b0": (BUY, 190, 1, T0)}
    actions: list[Action] = [PlaceOrder("b1", BUY, 198, 1), ReplaceOrder("b0", "b2", BUY, 180, 1)]
    cancel = CancelOrder("b0")
    gate.trip_kill_switch("flag file /run/mmbot/KILL present")
    gate.trip_kill_switch("second trip keeps the first reason")
    ctx = _ctx(ts_ns=T0 + 100 * MS, open_orders=resting)
    allowed, denied = gate.check([*actions, cancel], ctx)
    assert allowed == [cancel]
    assert [(d.code, d.reason) for d in denied] == [
        ("E_RISK_KILL_SWITCH", "kill_switch: flag file /run/mmbot/KILL present")
    ] * 2
    assert gate.counters()["kill_switch_active"] == 1
    assert [r.line() for r in gate.after_step(ctx)] == [
        f"E_RISK_KILL_SWITCH: ts_ns={T0 + 100 * MS} kill_switch: flag file /run/mmbot/KILL present"
    ]
    assert gate.after_step(ctx) == []
    gate.reset_kill_switch()
    assert gate.counters()["kill_switch_active"] == 0
    assert gate.check(actions, ctx) == (actions, [])


def test_gate_cap_breached_under_kill_switch_still_latched() -> None:
    gate = RiskGate(_params())
    gate.trip_kill_switch("manual")
    records = gate.after_step(_ctx(pnl_usd_day=-60.0))
    assert [r.code for r in records] == ["E_RISK_INTRADAY_LOSS", "E_RISK_KILL_SWITCH"]
    gate.reset_kill_switch()
    _, denied = gate.check([PlaceOrder("b1", BUY, 198, 1)], _ctx())
    assert [d.code for d in denied] == ["E_RISK_INTRADAY_LOSS"]
    assert gate.counters()["intraday_caps_breached"] == 1


def test_gate_after_step_position_and_skew_breach_counted_once_per_episode() -> None:
    gate = RiskGate(_params())
    steps = [0, 6, 7, 11, 12, 4, -6, 0, 11]
    counted = []
    codes = []
    for index, position_lots in enumerate(steps):
        records = gate.after_step(_ctx(ts_ns=T0 + index * MS, position_lots=position_lots))
        codes.append([r.code for r in records])
        counted.append(gate.counters()["pos_skew_breach_total"])
    assert codes == [
        [],
        ["E_RISK_SKEW"],
        [],
        ["E_RISK_POSITION"],
        [],
        [],
        ["E_RISK_SKEW"],
        [],
        ["E_RISK_POSITION", "E_RISK_SKEW"],
    ]
    assert counted == [0, 1, 1, 2, 2, 2, 3, 3, 5]


def test_gate_record_line_is_one_ascii_line() -> None:
    gate = RiskGate(_params())
    records = gate.after_step(_ctx(ts_ns=T0, position_lots=-11))
    assert [r.line() for r in records] == [
        f"E_RISK_POSITION: ts_ns={T0} max_position: |position| 11 lots (1100.00 USD) > 10",
        f"E_RISK_SKEW: ts_ns={T0} max_skew: |position| 11 lots (1100.00 USD) > 5",
    ]
    gate.trip_kill_switch("op\u00e9rator\nsaid stop")
    line = gate.after_step(_ctx(ts_ns=T0, position_lots=-11))[0].line()
    assert line.isascii()
    assert "\n" not in line


def test_gate_counters_exact_keys() -> None:
    assert sorted(RiskGate(_params()).counters()) == [
        "intraday_caps_breached",
        "kill_switch_active",
        "pos_skew_breach_total",
        "replace_allowed",
        "replace_attempts",
        "risk_denials_total",
        "throttled_cancels_total",
        "throttled_orders_total",
    ]
