"""The book's caps: which symbols reduce or halt, what latches, what is recorded."""

from __future__ import annotations

from mmbot.risk import ACTIVE, HALTED, REDUCING, BookLimits, BookRisk

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


def test_net_delta_over_its_cap_reduces_only_the_symbols_that_add_to_it() -> None:
    risk = BookRisk(LIMITS)
    # net +600 > 500: the long symbols add to it, the short one takes from it; gross 800 ok
    assert _states(risk, [400.0, 300.0, -100.0]) == [REDUCING, REDUCING, ACTIVE]
    assert _states(risk, [-400.0, -300.0, 100.0]) == [REDUCING, REDUCING, ACTIVE]
    assert _states(risk, [250.0, 250.0, 0.0]) == [ACTIVE] * 3  # exactly at the cap: within


def test_gross_over_its_cap_reduces_every_symbol_and_clears_when_back_within() -> None:
    risk = BookRisk(LIMITS)
    assert _states(risk, [600.0, -500.0]) == [REDUCING, REDUCING]  # gross 1100, net 100
    assert _states(risk, [500.0, -500.0]) == [ACTIVE, ACTIVE]  # not latched


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
