"""finops reconcile: the Binance USD-M trade-history layout read into Executions, and the
matching that names every discrepancy (missing, extra, duplicate, a figure off)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.unit.finops.statements import csv_bytes

from mmbot.core.errors import AuditError
from mmbot.finops import (
    Execution,
    Reconciliation,
    discrepancy_lines,
    match,
    read_statement,
    venue_symbol,
    zone_offset_s,
)

ROW = ["100000001", "24-01-01 00:00:08", "BTCUSDT", "BUY", "59999.9", "0.002",
       "119.9998", "-0.00599999 USDT", "0", "true", "true", "7000002", "17"]  # fmt: skip
EPOCH_2024 = 1_704_067_200


def _statement(tmp_path: Path, rows: list[list[str]], name: str = "trades.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(csv_bytes(rows))
    return path


def _with(**cells: str) -> list[str]:
    index = {"time": 1, "side": 3, "amount": 6, "fee": 7, "trade_id": 11}
    row = list(ROW)
    for name, value in cells.items():
        row[index[name]] = value
    return row


def test_read_statement_maps_every_column_to_the_ledgers_terms(tmp_path: Path) -> None:
    (only,) = read_statement(_statement(tmp_path, [ROW]))
    assert only == Execution(
        source="trades.csv", row=1, symbol="BTCUSDT", order_id="17", side="buy",
        ts_s=EPOCH_2024 + 8, price=59999.9, qty=0.002, notional_usd=119.9998,
        fee_usd=-0.00599999, trade_id="7000002",
    )  # fmt: skip


def test_read_statement_takes_the_time_zone_binance_writes_into_the_file_name(
    tmp_path: Path,
) -> None:
    name = "Binance-Futures-Trade-History-202401011200(UTC+3)-part1-of1.csv"
    (only,) = read_statement(_statement(tmp_path, [_with(time="2024-01-01 03:00:08")], name))
    assert only.ts_s == EPOCH_2024 + 8
    assert (zone_offset_s("x(UTC-5)y"), zone_offset_s("x(UTC+5:30)"), zone_offset_s("x")) == (
        -18000, 19800, 0)  # fmt: skip


def test_read_statement_reads_a_bom_reordered_columns_and_a_fee_without_space(
    tmp_path: Path,
) -> None:
    header = ["Order ID", "Trade ID", "Time", "Symbol", "Side", "Price", "Quantity", "Amount",
              "Fee"]  # fmt: skip
    cells = ["17", "1", "24-01-01 00:00:08", "BTCUSDT", "SELL", "100", "1", "100", "0.05USDC"]
    path = tmp_path / "t.csv"
    path.write_bytes(("\ufeff" + ",".join(header) + "\n" + ",".join(cells) + "\n").encode())
    (only,) = read_statement(path)
    assert (only.side, only.fee_usd, only.order_id) == ("sell", 0.05, "17")


@pytest.mark.parametrize(
    ("row", "code", "names"),
    [
        (_with(fee="0.0001 BNB"), "E_FINOPS_FEE_ASSET", "BNB"),
        (_with(fee="free"), "E_FINOPS_STATEMENT_VALUE", "column=Fee"),
        (_with(side="LONG"), "E_FINOPS_STATEMENT_VALUE", "column=Side"),
        (_with(time="01/01/2024 00:00"), "E_FINOPS_STATEMENT_VALUE", "column=Time"),
        (ROW[:5], "E_FINOPS_STATEMENT_VALUE", "cells=5"),
    ],
)
def test_read_statement_refuses_a_bad_cell_naming_row_and_column(
    tmp_path: Path, row: list[str], code: str, names: str
) -> None:
    with pytest.raises(AuditError) as caught:
        read_statement(_statement(tmp_path, [ROW, row]))
    assert caught.value.code == code
    assert "row=2" in caught.value.detail and names in caught.value.detail


def test_read_statement_refuses_another_layout_naming_the_expected_one(tmp_path: Path) -> None:
    path = tmp_path / "spot.csv"
    path.write_text("Date(UTC),Pair,Side,Price,Executed,Amount,Fee\n")
    with pytest.raises(AuditError) as caught:
        read_statement(path)
    assert caught.value.code == "E_FINOPS_STATEMENT_LAYOUT"
    assert "Uid,Time,Symbol,Side,Price,Quantity,Amount,Fee" in caught.value.detail


def test_venue_symbol_writes_ccxt_and_dashed_symbols_as_the_venue_does() -> None:
    assert [venue_symbol(s) for s in ("BTC/USDT:USDT", "btc-usdt", "BTCUSDT")] == ["BTCUSDT"] * 3


def _fill(row: int, ts_s: int, price: float, qty: float = 1.0, fee: float = 0.01,
          trade_id: str = "", order_id: str = "1") -> Execution:  # fmt: skip
    return Execution("src", row, "BTCUSDT", order_id, "buy", ts_s, price, qty, price * qty, fee,
                     trade_id)  # fmt: skip


def test_match_pairs_rows_within_one_second_by_price_whatever_their_order() -> None:
    ledger = [_fill(1, 10, 100.0), _fill(2, 10, 100.5)]
    statement = [_fill(1, 10, 100.5, trade_id="a"), _fill(2, 10, 100.0, trade_id="b")]
    done = Reconciliation(match(ledger, statement))
    assert done.passed and done.max_abs_delta() == 0.0
    pairs = [(line.ledger and line.ledger.row, line.statement and line.statement.row)
             for line in done.lines]  # fmt: skip
    assert pairs == [(1, 2), (2, 1)]


def test_match_names_missing_extra_duplicate_and_fee_and_totals_are_statement_minus_ledger(
) -> None:  # fmt: skip
    ledger = [_fill(1, 10, 100.0), _fill(2, 11, 101.0), _fill(3, 12, 102.0, fee=0.02)]
    statement = [
        _fill(1, 10, 100.0, trade_id="a"),
        _fill(2, 12, 102.0, fee=0.025, trade_id="c"),  # the fee is off by 0.005
        _fill(3, 12, 102.0, fee=0.025, trade_id="c"),  # listed twice
        _fill(4, 13, 103.0, trade_id="d", order_id="9"),  # not ours
    ]  # ledger row 2 (ts 11) is not on the statement
    done = Reconciliation(match(ledger, statement))
    assert [line.codes for line in done.lines] == [
        (), ("E_FINOPS_MISSING_FILL",), ("E_FINOPS_FEE_MISMATCH",), ("E_FINOPS_DUPLICATE",),
        ("E_FINOPS_EXTRA_FILL",)]  # fmt: skip
    assert not done.passed
    assert done.counts() == {"E_FINOPS_DUPLICATE": 1, "E_FINOPS_EXTRA_FILL": 1,
                             "E_FINOPS_FEE_MISMATCH": 1, "E_FINOPS_MISSING_FILL": 1}  # fmt: skip
    assert done.total("delta", "notional_usd") == pytest.approx(
        (100 + 102 + 102 + 103) - (100 + 101 + 102), abs=1e-9)  # fmt: skip
    assert done.total("delta", "fee_usd") == pytest.approx(0.07 - 0.04, abs=1e-12)
    lines = discrepancy_lines(done)
    assert lines[0].startswith("E_FINOPS_MISSING_FILL: line=2 symbol=BTCUSDT order_id=1 ")
    assert "repeats row=2 (trade_id=c)" in lines[2]
    assert "fee_usd ledger=0.02 statement=0.025 delta=0.005" in lines[1]


def test_match_a_delta_within_the_tolerance_passes_and_beyond_it_fails() -> None:
    ledger = [_fill(1, 10, 100.0, fee=0.01)]
    inside = Reconciliation(match(ledger, [_fill(1, 10, 100.0, fee=0.01 + 5e-9, trade_id="a")]))
    outside = Reconciliation(match(ledger, [_fill(1, 10, 100.0, fee=0.01 + 5e-8, trade_id="a")]))
    assert inside.passed and 0 < inside.max_abs_delta() <= 1e-8
    assert [line.codes for line in outside.lines] == [("E_FINOPS_FEE_MISMATCH",)]
