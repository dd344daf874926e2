"""The risk gate: each invariant driven over its limit, with the exact counters expected."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pytest
from pydantic import ValidationError

from mmbot.config.schema import MmConfig
from mmbot.core.types import BUY, SELL, Action, CancelOrder, PlaceOrder, Quote, ReplaceOrder
from mmbot.risk import ACTIVE, HALTED, REDUCING, OpenOrder, RiskContext, RiskGate, RiskParams

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
    assert (params.min_qty_lots, params.min_notional_usd) == (1, 0.0)


def test_params_from_config_takes_the_instruments_minimums() -> None:
    cfg = MmConfig.model_validate(
        {"instrument": {"min_qty_lots": 5, "min_notional_usd": 100.0}}, strict=False
    )
    params = RiskParams.from_config(cfg, tick_size=0.1, lot_size=0.001)
    assert (params.min_qty_lots, params.min_notional_usd) == (5, 100.0)


@pytest.mark.parametrize(
    ("instrument", "key"),
    [
        ({"min_qty_lots": 0}, "min_qty_lots"),
        ({"min_notional_usd": -1.0}, "min_notional_usd"),
        ({"min_notional_usd": float("inf")}, "min_notional_usd"),
    ],
)
def test_config_refuses_bad_instrument_minimums(instrument: dict[str, Any], key: str) -> None:
    with pytest.raises(ValidationError, match=key):
        MmConfig.model_validate({"instrument": instrument})


def test_gate_places_within_limits_all_allowed() -> None:
    gate = RiskGate(_params())
    actions = [PlaceOrder("b1", BUY, 198, 4), PlaceOrder("a1", SELL, 202, 4)]
    allowed, denied = gate.check(actions, _ctx(position_lots=3))
    assert allowed == actions
    assert denied == []
    assert gate.counters()["risk_denials_total"] == 0


def test_gate_place_over_position_limit_denied_with_reason() -> None:
    gate = RiskGate(_params())
    resting = {"b0": OpenOrder(BUY, 198, 5, T0)}
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
    allowed, denied = gate.check(
        [first, second], _ctx(open_orders={"b0": OpenOrder(BUY, 199, 3, T0)})
    )
    assert allowed == [first]
    assert [d.reason for d in denied] == ["max_position: 11 lots would be > 10"]


@pytest.mark.parametrize(
    ("resting_lots", "qty_lots", "allowed"),
    [(0, 9, True), (0, 10, True), (0, 11, False), (4, 6, True), (4, 7, False)],
)
def test_gate_active_worst_case_position_boundary(
    resting_lots: int, qty_lots: int, allowed: bool
) -> None:
    gate = RiskGate(_params())  # limit 10 lots
    resting = {"b0": OpenOrder(BUY, 190, resting_lots, T0)} if resting_lots else {}
    buy = PlaceOrder("b1", BUY, 198, qty_lots)
    passed, denied = gate.check([buy], _ctx(open_orders=resting))
    assert passed == ([buy] if allowed else [])
    assert [d.code for d in denied] == ([] if allowed else ["E_RISK_POSITION"])


REDUCE_HEAD = "reduce_only: trading_state REDUCING (max_position: |position| 15 lots > 10)"


@pytest.mark.parametrize(
    ("position_lots", "resting", "action", "reason"),
    [
        (15, {}, PlaceOrder("a1", SELL, 202, 4), None),  # one below the 5 lots over the limit
        (15, {}, PlaceOrder("a1", SELL, 202, 5), None),  # exactly the excess
        (15, {}, PlaceOrder("a1", SELL, 202, 6), "6 lots reducing would be > 5 allowed"),
        (15, {}, PlaceOrder("a1", SELL, 202, 30), "30 lots reducing would be > 5 allowed"),
        (15, {"a0": OpenOrder(SELL, 203, 3, T0)}, PlaceOrder("a1", SELL, 202, 2), None),
        (15, {"a0": OpenOrder(SELL, 203, 3, T0)}, PlaceOrder("a1", SELL, 202, 3),
         "6 lots reducing would be > 5 allowed"),
        # A replace takes its own old quantity off the reducing side.
        (15, {"a0": OpenOrder(SELL, 206, 3, T0)}, ReplaceOrder("a0", "a0", SELL, 202, 5), None),
        (15, {"a0": OpenOrder(SELL, 206, 3, T0)}, ReplaceOrder("a0", "a0", SELL, 202, 6),
         "6 lots reducing would be > 5 allowed"),
        (15, {}, PlaceOrder("b1", BUY, 198, 1), "a buy of 1 lots would add to position 15 lots"),
    ],
)  # fmt: skip
def test_gate_reducing_over_position_limit_lets_only_the_excess_come_off(
    position_lots: int, resting: dict[str, OpenOrder], action: Action, reason: str | None
) -> None:
    gate = RiskGate(_params())  # limit 10 lots: 15 is 5 over
    ctx = _ctx(ts_ns=T0 + 100 * MS, position_lots=position_lots, open_orders=resting)
    allowed, denied = gate.check([action], ctx)
    assert gate.counters()["trading_state"] == REDUCING
    if reason is None:
        assert (allowed, denied) == ([action], [])
    else:
        assert [(d.code, d.reason) for d in denied] == [
            ("E_RISK_REDUCE_ONLY", f"{REDUCE_HEAD}; {reason}")
        ]


def test_gate_reducing_batch_cannot_reduce_past_the_excess() -> None:
    gate = RiskGate(_params())
    sells = [PlaceOrder(f"a{i}", SELL, 202 + i, 2) for i in range(3)]
    allowed, denied = gate.check(sells, _ctx(position_lots=15))  # long 15, 5 over
    assert allowed == sells[:2]
    assert [d.reason for d in denied] == [f"{REDUCE_HEAD}; 6 lots reducing would be > 5 allowed"]


def test_gate_unusable_mid_position_limit_zero_denied() -> None:
    gate = RiskGate(_params())
    buy = PlaceOrder("b1", BUY, 198, 1)
    _, denied = gate.check([buy], _ctx(mid_price_usd=float("nan")))
    assert [d.reason for d in denied] == ["max_position: 1 lots would be > 0"]


def test_gate_replace_takes_old_qty_off_book_allowed() -> None:
    gate = RiskGate(_params())
    resting = {"b0": OpenOrder(BUY, 196, 8, T0)}
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
        "old": OpenOrder(BUY, 196, 5, T0),
        "young": OpenOrder(BUY, 190, 5, ts_ns - 49 * MS),
        "far": OpenOrder(SELL, 210, 5, T0),
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
    resting = {"b0": OpenOrder(BUY, 196, 5, T0)}
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
    ("ctx_field", "value", "code", "denial_code", "state"),
    [
        ("pnl_usd_day", -50.0, "E_RISK_INTRADAY_LOSS", "E_RISK_REDUCE_ONLY", REDUCING),
        ("traded_notional_usd_day", 10_000.0, "E_RISK_INTRADAY_NOTIONAL", "E_RISK_REDUCE_ONLY",
         REDUCING),
        ("order_count_day", 100, "E_RISK_INTRADAY_ORDERS", "E_RISK_INTRADAY_ORDERS", HALTED),
    ],
)  # fmt: skip
def test_gate_intraday_cap_reached_flat_quoting_stops_cancels_pass(
    ctx_field: str, value: float, code: str, denial_code: str, state: int
) -> None:
    gate = RiskGate(_params())
    resting = {"b0": OpenOrder(BUY, 190, 1, T0)}
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
    assert [d.code for d in denied] == [denial_code, denial_code]
    assert gate.counters()["intraday_caps_breached"] == 1
    assert gate.counters()["trading_state"] == state
    records = gate.after_step(breached)
    assert [r.code for r in records] == [code, "E_RISK_TRADING_STATE"]
    # Latched: a recovered day value does not reopen quoting, and no second record.
    assert gate.check(actions[:1], _ctx(ts_ns=T0 + 200 * MS))[1][0].code == denial_code
    assert gate.after_step(_ctx(ts_ns=T0 + 200 * MS)) == []
    gate.reset_intraday()
    assert gate.counters()["intraday_caps_breached"] == 0
    assert gate.check(actions[:1], _ctx(ts_ns=T0 + 300 * MS))[1] == []
    assert gate.counters()["trading_state"] == ACTIVE


# Every cap exactly at its limit, one step inside and one step beyond: the state it leaves.
@pytest.mark.parametrize(
    ("ctx_field", "inside", "at_limit", "beyond", "state"),
    [
        ("position_lots", 9, 10, 11, REDUCING),  # max_position 1000 USD at mid 100: 10 lots
        ("position_lots", -9, -10, -11, REDUCING),
        ("pnl_usd_day", -49.99, -50.0, -50.01, REDUCING),
        ("traded_notional_usd_day", 9_999.99, 10_000.0, 10_000.01, REDUCING),
        ("order_count_day", 99, 100, 101, HALTED),
    ],
)
def test_gate_cap_boundaries_set_the_trading_state(
    ctx_field: str, inside: float, at_limit: float, beyond: float, state: int
) -> None:
    is_position = ctx_field == "position_lots"
    expected_at_limit = ACTIVE if is_position else state  # a position AT the limit is within it
    for value, expected in ((inside, ACTIVE), (at_limit, expected_at_limit), (beyond, state)):
        gate = RiskGate(_params())
        field: dict[str, Any] = {ctx_field: value}
        records = gate.after_step(_ctx()._replace(**field))
        assert gate.counters()["trading_state"] == expected, (ctx_field, value)
        assert ("E_RISK_TRADING_STATE" in [r.code for r in records]) == (expected != ACTIVE)
        if is_position:  # the after-step breach record follows the same boundary
            assert ("E_RISK_POSITION" in [r.code for r in records]) == (expected != ACTIVE)


@pytest.mark.parametrize(("position_lots", "recorded"), [(4, False), (5, False), (6, True)])
def test_gate_skew_boundary_recorded_only_beyond(position_lots: int, recorded: bool) -> None:
    gate = RiskGate(_params())  # skew limit 5 lots; the skew limit records, it does not gate
    records = gate.after_step(_ctx(position_lots=position_lots))
    assert [r.code for r in records] == (["E_RISK_SKEW"] if recorded else [])
    assert gate.counters()["trading_state"] == ACTIVE


@pytest.mark.parametrize(
    ("position_lots", "resting", "action", "code"),
    [
        (4, {}, PlaceOrder("a1", SELL, 202, 4), None),  # closes the position exactly
        (4, {}, PlaceOrder("a1", SELL, 202, 5), "E_RISK_REDUCE_ONLY"),  # would flip it
        (4, {"a0": OpenOrder(SELL, 203, 3, T0)}, PlaceOrder("a1", SELL, 202, 1), None),
        (
            4,
            {"a0": OpenOrder(SELL, 203, 3, T0)},
            PlaceOrder("a1", SELL, 202, 2),
            "E_RISK_REDUCE_ONLY",
        ),
        (4, {}, PlaceOrder("b1", BUY, 198, 1), "E_RISK_REDUCE_ONLY"),
        (-4, {}, PlaceOrder("b1", BUY, 198, 4), None),
        (-4, {}, PlaceOrder("a1", SELL, 202, 1), "E_RISK_REDUCE_ONLY"),
        (0, {}, PlaceOrder("a1", SELL, 202, 1), "E_RISK_REDUCE_ONLY"),
    ],
)
def test_gate_day_loss_cap_reduce_only_down_to_flat(
    position_lots: int, resting: dict[str, OpenOrder], action: Action, code: str | None
) -> None:
    gate = RiskGate(_params())
    ctx = _ctx(position_lots=position_lots, open_orders=resting, pnl_usd_day=-60.0)
    _, denied = gate.check([action], ctx)
    assert [d.code for d in denied] == ([] if code is None else [code])
    if code is not None:
        assert denied[0].reason.startswith(
            "reduce_only: trading_state REDUCING (intraday_max_loss_usd); "
        )


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
    resting = {"b0": OpenOrder(BUY, 190, 1, T0)}
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
    assert gate.counters()["trading_state"] == HALTED
    assert [r.line() for r in gate.after_step(ctx)] == [
        f"E_RISK_TRADING_STATE: ts_ns={T0 + 100 * MS} trading_state: ACTIVE -> HALTED "
        "(kill_switch: flag file /run/mmbot/KILL present)",
        f"E_RISK_KILL_SWITCH: ts_ns={T0 + 100 * MS} kill_switch: flag file /run/mmbot/KILL present",
    ]
    assert gate.after_step(ctx) == []
    gate.reset_kill_switch()
    assert gate.counters()["kill_switch_active"] == 0
    assert gate.check(actions, ctx) == (actions, [])
    assert gate.counters()["trading_state"] == ACTIVE


def test_gate_cap_breached_under_kill_switch_still_latched() -> None:
    gate = RiskGate(_params())
    gate.trip_kill_switch("manual")
    records = gate.after_step(_ctx(pnl_usd_day=-60.0))
    assert [r.code for r in records] == [
        "E_RISK_INTRADAY_LOSS", "E_RISK_TRADING_STATE", "E_RISK_KILL_SWITCH"
    ]  # fmt: skip
    gate.reset_kill_switch()
    _, denied = gate.check([PlaceOrder("b1", BUY, 198, 1)], _ctx())
    assert [d.code for d in denied] == ["E_RISK_REDUCE_ONLY"]  # HALTED -> REDUCING, not ACTIVE
    assert gate.counters()["intraday_caps_breached"] == 1
    assert gate.counters()["trading_state"] == REDUCING


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
        ["E_RISK_POSITION", "E_RISK_TRADING_STATE"],
        [],
        ["E_RISK_TRADING_STATE"],
        ["E_RISK_SKEW"],
        [],
        ["E_RISK_POSITION", "E_RISK_SKEW", "E_RISK_TRADING_STATE"],
    ]
    assert counted == [0, 1, 1, 2, 2, 2, 3, 3, 5]


def test_gate_record_line_is_one_ascii_line() -> None:
    gate = RiskGate(_params())
    records = gate.after_step(_ctx(ts_ns=T0, position_lots=-11))
    assert [r.line() for r in records] == [
        f"E_RISK_POSITION: ts_ns={T0} max_position: |position| 11 lots (1100.00 USD) > 10",
        f"E_RISK_SKEW: ts_ns={T0} max_skew: |position| 11 lots (1100.00 USD) > 5",
        f"E_RISK_TRADING_STATE: ts_ns={T0} trading_state: ACTIVE -> REDUCING "
        "(max_position: |position| 11 lots > 10)",
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
        "trading_state",
    ]


QUOTE = Quote(bid_ticks=198, ask_ticks=202, bid_lots=8, ask_lots=8)


@pytest.mark.parametrize(
    ("ctx", "shaped"),
    [
        (_ctx(position_lots=10), QUOTE),  # ACTIVE: as it is
        (_ctx(position_lots=15), Quote(198, 202, 0, 5)),  # the 5 lots over the limit
        (_ctx(position_lots=-30), Quote(198, 202, 8, 0)),  # 20 over: the quote's 8 lots
        (_ctx(position_lots=3, pnl_usd_day=-50.0), Quote(198, 202, 0, 3)),  # down to flat
        (_ctx(position_lots=0, pnl_usd_day=-50.0), None),  # flat: nothing reduces
        (_ctx(position_lots=3, order_count_day=100), None),  # HALTED: rest nothing
    ],
)
def test_gate_shape_quote_follows_the_trading_state(ctx: RiskContext, shaped: Quote | None) -> None:
    gate = RiskGate(_params())
    assert gate.shape_quote(QUOTE, ctx) == shaped
    assert gate.shape_quote(None, ctx) is None


@pytest.mark.parametrize(
    ("position_lots", "shaped"),
    [
        (4, QUOTE),  # at the lot cap: ACTIVE
        (5, Quote(198, 202, 0, 1)),  # one over: cut to 1
        (7, Quote(198, 202, 0, 3)),  # the USD limit (10 lots) is not reached: the lot cap rules
        (-6, Quote(198, 202, 2, 0)),
    ],
)
def test_gate_lot_cap_sizes_the_reduction(position_lots: int, shaped: Quote) -> None:
    gate = RiskGate(_params(max_position_lots=4))  # canary's --max-position-lots beside 10 lots
    assert gate.shape_quote(QUOTE, _ctx(position_lots=position_lots)) == shaped


def test_gate_lot_cap_bounds_the_worst_case_position() -> None:
    gate = RiskGate(_params(max_position_lots=4))
    bids = [PlaceOrder("b1", BUY, 198, 4), PlaceOrder("b2", BUY, 197, 1)]
    allowed, denied = gate.check(bids, _ctx())
    assert allowed == bids[:1] and [d.code for d in denied] == ["E_RISK_POSITION"]


def test_gate_shape_quote_kill_switch_rests_nothing() -> None:
    gate = RiskGate(_params())
    gate.trip_kill_switch("manual")
    assert gate.shape_quote(QUOTE, _ctx(position_lots=3)) is None


def test_gate_trading_state_transitions_recorded_once_each() -> None:
    gate = RiskGate(_params())
    lines = []
    for step, position_lots in enumerate([0, 12, 11, 10, 0]):
        ctx = _ctx(ts_ns=T0 + step, position_lots=position_lots)
        gate.check([], ctx)
        lines += [r.line() for r in gate.after_step(ctx) if r.code == "E_RISK_TRADING_STATE"]
    gate.trip_kill_switch("manual")
    lines += [
        r.line() for r in gate.after_step(_ctx(ts_ns=T0 + 9)) if r.code != "E_RISK_KILL_SWITCH"
    ]
    assert lines == [
        f"E_RISK_TRADING_STATE: ts_ns={T0 + 1} trading_state: ACTIVE -> REDUCING "
        "(max_position: |position| 12 lots > 10)",
        f"E_RISK_TRADING_STATE: ts_ns={T0 + 3} trading_state: REDUCING -> ACTIVE "
        "(within every limit)",
        f"E_RISK_TRADING_STATE: ts_ns={T0 + 9} trading_state: ACTIVE -> HALTED "
        "(kill_switch: manual)",
    ]


@pytest.mark.parametrize(
    ("overrides", "position_lots", "resting", "action", "code"),
    [
        ({}, 0, {}, PlaceOrder("b1", BUY, 198, 1), None),  # defaults: no minimum bites
        ({"min_qty_lots": 3}, 0, {}, PlaceOrder("b1", BUY, 198, 2), "E_RISK_MIN_QTY"),
        ({"min_qty_lots": 3}, 0, {}, PlaceOrder("b1", BUY, 198, 3), None),
        ({"min_qty_lots": 3}, 0, {}, PlaceOrder("b1", BUY, 198, 4), None),
        # 198 ticks of 0.5 USD, 1 lot = 99 USD: 3 lots = 297 USD
        ({"min_notional_usd": 297.0}, 0, {}, PlaceOrder("b1", BUY, 198, 2),
         "E_RISK_MIN_NOTIONAL"),
        ({"min_notional_usd": 297.0}, 0, {}, PlaceOrder("b1", BUY, 198, 3), None),
        ({"min_notional_usd": 297.0}, 0, {}, PlaceOrder("b1", BUY, 198, 4), None),
        # A reducing order that closes the whole position goes as reduce-only.
        ({"min_qty_lots": 3}, 2, {}, PlaceOrder("a1", SELL, 202, 2), None),
        ({"min_qty_lots": 3}, 2, {}, PlaceOrder("a1", SELL, 202, 1), "E_RISK_MIN_QTY"),
        ({"min_qty_lots": 3}, 2, {"a0": OpenOrder(SELL, 203, 1, T0)},
         PlaceOrder("a1", SELL, 202, 1), None),
        ({"min_qty_lots": 3}, -2, {}, PlaceOrder("b1", BUY, 198, 2), None),
        ({"min_qty_lots": 3}, 2, {}, PlaceOrder("b1", BUY, 198, 2), "E_RISK_MIN_QTY"),
        ({"min_notional_usd": 1000.0}, 2, {}, PlaceOrder("a1", SELL, 202, 2), None),
        ({"min_qty_lots": 3}, 0, {"b0": OpenOrder(BUY, 190, 5, T0)},
         ReplaceOrder("b0", "b0", BUY, 194, 2), "E_RISK_MIN_QTY"),
    ],
)  # fmt: skip
def test_gate_venue_minimums_deny_small_orders_except_a_whole_close(
    overrides: dict[str, Any],
    position_lots: int,
    resting: dict[str, OpenOrder],
    action: Action,
    code: str | None,
) -> None:
    gate = RiskGate(_params(**overrides))
    ctx = _ctx(ts_ns=T0 + 100 * MS, position_lots=position_lots, open_orders=resting)
    _, denied = gate.check([action], ctx)
    assert [d.code for d in denied] == ([] if code is None else [code])


def test_gate_venue_minimum_reasons_name_the_key() -> None:
    gate = RiskGate(_params(min_qty_lots=3, min_notional_usd=500.0))
    _, denied = gate.check([PlaceOrder("b1", BUY, 198, 2), PlaceOrder("b2", BUY, 198, 4)], _ctx())
    assert [(d.code, d.reason) for d in denied] == [
        ("E_RISK_MIN_QTY", "min_qty_lots: 2 lots < 3"),
        ("E_RISK_MIN_NOTIONAL", "min_notional_usd: 396 USD < 500"),
    ]


@pytest.mark.parametrize(
    ("overrides", "match"),
    [({"min_qty_lots": 0}, "min_qty_lots=0"), ({"min_notional_usd": -1.0}, "min_notional")],
)
def test_params_refuse_bad_venue_minimums(overrides: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        _params(**overrides)


def test_gate_denies_a_second_replace_of_one_order_in_one_batch() -> None:
    # Limit 10 lots; bids w and x rest 5 lots each. The first replace books x at 2 lots (worst
    # case 7); booked against x's resting 5 lots, a second replace to 8 lots would also pass
    # (7 + 8 - 5 = 10), yet both amends landing would rest 5 + 8 = 13 lots. Found by
    # tests/property/test_risk_gate_machine.py.
    gate = RiskGate(_params(min_order_age_ns=0))
    resting = {"w": OpenOrder(BUY, 198, 5, T0 - MS), "x": OpenOrder(BUY, 200, 5, T0 - MS)}
    first = ReplaceOrder("x", "x", BUY, 195, 2)
    second = ReplaceOrder("x", "x", BUY, 190, 8)
    allowed, denied = gate.check([first, second], _ctx(open_orders=resting))
    assert allowed == [first]
    assert [(d.code, d.action) for d in denied] == [("E_RISK_REPLACE_TWICE", second)]
    # Alone, the second is checked against what rests: 5 + 8 lots is over the limit.
    allowed, denied = gate.check([second], _ctx(ts_ns=T0 + MS, open_orders=resting))
    assert allowed == [] and [d.code for d in denied] == ["E_RISK_POSITION"]
    # Each batch starts afresh: the same order may be replaced again.
    allowed, denied = gate.check([first], _ctx(ts_ns=T0 + 2 * MS, open_orders=resting))
    assert (allowed, denied) == ([first], [])


def test_book_limits_deny_beyond_them_on_each_side_and_reduce_a_position_over_them() -> None:
    gate = RiskGate(_params())  # its own cap: 10 lots at mid 100
    gate.set_book_limits(long_lots=4, short_lots=2)
    resting = {"s-1": OpenOrder(BUY, 99, 3, T0)}
    orders = [PlaceOrder("s-2", BUY, 98, 1), PlaceOrder("s-3", BUY, 97, 1),
              PlaceOrder("s-4", SELL, 101, 3)]  # fmt: skip
    allowed, denied = gate.check(orders, _ctx(open_orders=resting))
    assert [a.client_id for a in allowed] == ["s-2"]  # 3 resting + 1 = 4 long worst case
    assert [(d.code, d.action.client_id) for d in denied] == [
        ("E_RISK_BOOK_LIMIT", "s-3"), ("E_RISK_BOOK_LIMIT", "s-4"),
    ]  # fmt: skip
    assert "book limit: 5 lots would be > 4" in denied[0].reason
    records = gate.after_step(_ctx(position_lots=-5))  # short 5 > 2: reduce down to 2
    assert gate.trading_state == REDUCING
    assert any("(book limit: |position| 5 lots > 2)" in r.detail for r in records)
    quote = gate.shape_quote(Quote(99, 101, 4, 4), _ctx(position_lots=-5))
    assert quote == Quote(99, 101, 3, 0)
