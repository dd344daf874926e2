"""The book's caps: which symbols reduce or halt, what latches, what is recorded."""

from __future__ import annotations

from mmbot.risk import ACTIVE, HALTED, REDUCING, BookLimits, BookRisk, Exposure

LIMITS = BookLimits(
    max_gross_notional_usd=1_000.0,
    max_net_delta_usd=500.0,
    intraday_max_loss_usd=100.0,
    intraday_max_orders=50,
)


def _states(risk: BookRisk, positions: list[float], pnl: float = 0.0, orders: int = 0) -> list[int]:
    states, _ = risk.evaluate(0, positions, pnl, orders)
    return [state for state, _ in states]


def test_within_every_cap_every_symbol_is_active() -> None:
    risk = BookRisk(LIMITS)
    assert _states(risk, [400.0, -300.0, 299.0], pnl=-99.99, orders=49) == [ACTIVE] * 3


def test_limits_leave_each_symbol_the_gross_room_the_others_worst_cases_leave() -> None:
    risk = BookRisk(LIMITS)
    others = [Exposure(100.0, 300.0, -50.0), Exposure(-200.0, -100.0, -250.0)]
    mine = Exposure(0.0, 0.0, 0.0)
    # gross room: 1000 - (300 + 250) = 450; net room long: 500 - (300 - 100) = 300,
    # short: 500 + (-50 - 250) = 200; at 10 USD a lot
    assert risk.position_limits(2, [*others, mine], lot_usd=10.0) == (30, 20)
    assert risk.position_limits(2, [*others, mine], lot_usd=7.0) == (42, 28)  # floor


def test_limits_are_zero_when_the_others_already_use_the_caps() -> None:
    risk = BookRisk(LIMITS)
    full = [Exposure(600.0, 600.0, 600.0), Exposure(-500.0, -500.0, -500.0), Exposure(0, 0, 0)]
    assert risk.position_limits(2, full, lot_usd=10.0) == (0, 0)  # gross room -100
    one = [Exposure(0.0, 0.0, 0.0)]  # alone in the book: the smaller of the two caps
    assert risk.position_limits(0, one, lot_usd=10.0) == (50, 50)


def test_gross_and_net_over_their_caps_are_recorded_but_only_day_caps_set_a_state() -> None:
    risk = BookRisk(LIMITS)
    assert _states(risk, [600.0, -500.0]) == [ACTIVE, ACTIVE]  # the gates' limits reduce it
    assert risk.counters()["book_caps_breached"] == 1


def test_day_loss_latches_reducing_and_order_cap_latches_halted_until_the_next_day() -> None:
    risk = BookRisk(LIMITS)
    assert _states(risk, [10.0], pnl=-100.0) == [REDUCING]
    assert _states(risk, [10.0], pnl=50.0) == [REDUCING]  # latched though back in profit
    assert _states(risk, [10.0], orders=50) == [HALTED]  # halt outranks the loss latch
    assert _states(risk, [10.0]) == [HALTED]
    risk.reset_intraday()
    assert _states(risk, [10.0]) == [ACTIVE]


def test_each_breach_is_recorded_once_per_episode_and_counted() -> None:
    risk = BookRisk(LIMITS)
    _, first = risk.evaluate(7, [600.0, -500.0], 0.0, 0)
    assert [r.code for r in first] == ["E_RISK_BOOK_GROSS"]
    assert first[0].line().startswith("E_RISK_BOOK_GROSS: ts_ns=7 book max_gross_notional_usd")
    _, again = risk.evaluate(8, [600.0, -500.0], 0.0, 0)
    assert again == []
    risk.evaluate(9, [0.0, 0.0], 0.0, 0)
    _, second = risk.evaluate(10, [600.0, -500.0], 0.0, 0)
    assert [r.code for r in second] == ["E_RISK_BOOK_GROSS"]
    assert risk.counters() == {"book_caps_breached": 1, "book_risk_breaches_total": 2}
