"""Investor figures over two hand-made runs across a month end (book_runs.py): the book's
equity, monthly and daily PnL, drawdown, groups and the risk limits' peaks, worked by hand."""

from __future__ import annotations

import pytest
from tests.unit.investor.book_runs import (
    JAN31,
    MAX_DRAWDOWN_USD,
    NET_USD,
    book_config,
    write_book_runs,
)

from mmbot.engine.rundir_read import RunData, read_run_dir
from mmbot.investor import Book, audit_book, day_key, headline, limit_uses, month_key, periods
from mmbot.investor.figures import groups


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[RunData]:
    folder = write_book_runs(tmp_path_factory.mktemp("book"))
    return [read_run_dir(folder / name) for name in ("run-a", "run-b")]


@pytest.fixture(scope="module")
def book(runs: list[RunData]) -> Book:
    return audit_book(runs, horizon_ms=1000)


def test_book_equity_ends_at_the_runs_net_and_starts_at_zero(book: Book) -> None:
    assert book.timeline[0] == JAN31 + 9 * 3600 * 10**9
    assert book.equity[0] == 0.0
    assert book.equity[-1] == pytest.approx(NET_USD, abs=1e-12)
    assert book.total().net_usd == pytest.approx(NET_USD, abs=1e-12)


def test_periods_months_split_the_pnl_at_the_month_end(book: Book) -> None:
    months = periods(book, month_key)
    assert [(m.key, m.fills) for m in months] == [("2024-01", 1), ("2024-02", 2)]
    assert months[0].pnl_usd == pytest.approx(1.01, abs=1e-12)
    assert months[1].pnl_usd == pytest.approx(1.01 + 2.0, abs=1e-12)
    assert months[0].fees_usd == -0.01 and months[1].notional_usd == pytest.approx(202.0)


def test_periods_days_add_up_to_the_net(book: Book) -> None:
    days = periods(book, day_key)
    assert [d.key for d in days] == ["2024-01-31", "2024-02-01", "2024-02-02"]
    assert sum(d.pnl_usd for d in days) == pytest.approx(NET_USD, abs=1e-12)


def test_drawdown_is_the_dip_below_the_high_water_mark_from_zero(book: Book) -> None:
    assert -book.drawdown.min() == pytest.approx(MAX_DRAWDOWN_USD, abs=1e-12)
    figures = headline(book, 100_000.0)
    assert figures["max_drawdown_usd"] == pytest.approx(MAX_DRAWDOWN_USD, abs=1e-12)
    assert figures["return_pct"] == pytest.approx(100 * NET_USD / 100_000.0, abs=1e-15)
    assert (figures["days"], figures["fills"]) == (3, 3)


def test_groups_split_by_symbol_and_strategy(book: Book) -> None:
    by_symbol = dict(groups(book, book.symbol))
    assert by_symbol["BTCUSDT"].net_usd == pytest.approx(2.02, abs=1e-12)
    assert by_symbol["ETHUSDT"].net_usd == pytest.approx(2.0, abs=1e-12)
    assert [key for key, _ in groups(book, book.strategy)] == ["fixed_spread", "glft"]


def test_limit_uses_peaks_per_symbol_and_book_against_the_configs_caps(
    runs: list[RunData],
    book: Book,
) -> None:
    uses = {(u.name, u.scope): u for u in limit_uses(book_config().config, runs, book.runs)}
    position = uses["max_position_usd", "BTCUSDT"]
    assert (position.limit, position.peak) == (10_000.0, 101.0)  # held 1 while the mid hit 101
    assert position.usage_pct == pytest.approx(1.01)
    assert uses["max_position_usd", "ETHUSDT"].limit == 6000.0  # its own cap in the portfolio
    assert uses["max_position_usd", "ETHUSDT"].peak == pytest.approx(102.0)
    assert uses["intraday_max_loss_usd", "BTCUSDT"].peak == pytest.approx(0.99, abs=1e-12)
    assert uses["intraday_max_orders", "BTCUSDT"].peak == 1.0  # one order a day
    assert uses["max_gross_notional_usd", "book"].peak == pytest.approx(102.0)  # per run: max
    assert uses["max_gross_notional_usd", "book"].limit == 25_000.0
    assert list(uses)[-4:] == [("max_gross_notional_usd", "book"), ("max_net_delta_usd", "book"),
                               ("intraday_max_loss_usd", "book"),
                               ("intraday_max_orders", "book")]  # fmt: skip
