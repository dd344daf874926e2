"""Test helpers: a real book run, and the venue statements tests/fixtures/finops/ holds, made
from that run's fills.csv in the layout of a Binance USD-M trade-history export.

`make_book_run` runs what the README runs for a book (synthetic correlated pair, the example
portfolio config), small: 30,000 events, ~90 fills over two symbols and three strategies.
`statement_fixtures` turns its fills.csv into the statements; test_fixtures.py checks the
files in tests/fixtures/finops/ are exactly that (rewrite them with --update-golden).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from tests.e2e._cli import REPO_ROOT, mmbot

from mmbot.artifacts import fmt_exact
from mmbot.finops import BINANCE_USDM_COLUMNS

FIXTURES: Final = REPO_ROOT / "tests" / "fixtures" / "finops"
BOOK_CONFIG: Final = REPO_ROOT / "configs" / "portfolio_example.yaml"
BOOK_EVENTS: Final = 30_000
CLEAN: Final = "binance_usdm_clean.csv"
BROKEN: Final = "binance_usdm_broken.csv"
UID: Final = "100000001"
FIRST_TRADE_ID: Final = 7_000_001
# What BROKEN changes, by data row of CLEAN (from 1): one fill left out, one fee off by
# 0.0001 USDT, one row listed twice.
MISSING_ROW: Final = 5
FEE_ROW: Final = 9
DUPLICATED_ROW: Final = 12
FEE_ERROR_USD: Final = 0.0001


def make_book_run(folder: Path) -> Path:
    """Synthesize the book's market and backtest it into folder/run; return the run dir."""
    data, run = folder / "data", folder / "run"
    done = mmbot("data", "synth", "--seed", "7", "--events", str(BOOK_EVENTS), "--symbols",
                 "BTCUSDT,ETHUSDT", "--correlation", "0.7", "--out", str(data))  # fmt: skip
    assert done.returncode == 0, done.stderr
    done = mmbot("backtest", "run", "-c", str(BOOK_CONFIG), "--data", str(data), "--out", str(run))
    assert done.returncode == 0, done.stderr
    return run


def _time(ts_ns: str) -> str:
    moment = datetime.fromtimestamp(int(ts_ns) // 1_000_000_000, tz=UTC)
    return moment.strftime("%y-%m-%d %H:%M:%S")


def statement_rows(fills_csv: Path) -> list[list[str]]:
    """Return the Binance rows of every fill of fills.csv, in its order (exact numbers)."""
    with open(fills_csv, encoding="ascii", newline="") as handle:
        fills = list(csv.DictReader(handle))
    return [
        [
            UID, _time(fill["ts_ns"]), fill["symbol"], fill["side"].upper(), fill["price"],
            fill["qty"], fmt_exact(float(fill["price"]) * float(fill["qty"])),
            f"{fill['fee']} USDT", "0", str(fill["side"] == "buy").lower(),
            str(fill["liquidity"] == "maker").lower(), str(FIRST_TRADE_ID + index),
            fill["order_id"],
        ]
        for index, fill in enumerate(fills)
    ]  # fmt: skip


def broken_rows(rows: Sequence[list[str]]) -> list[list[str]]:
    """Return rows with MISSING_ROW left out, FEE_ROW's fee off, DUPLICATED_ROW twice."""
    out: list[list[str]] = []
    for number, row in enumerate(rows, start=1):
        if number == MISSING_ROW:
            continue
        kept = list(row)
        if number == FEE_ROW:
            amount, asset = row[7].split(" ")
            kept[7] = f"{fmt_exact(float(amount) + FEE_ERROR_USD)} {asset}"
        out.extend([kept, kept] if number == DUPLICATED_ROW else [kept])
    return out


def csv_bytes(rows: Sequence[Sequence[str]]) -> bytes:
    """Return a statement file's bytes: the header, then rows (LF endings, as saved here)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(BINANCE_USDM_COLUMNS)
    writer.writerows(rows)
    return buffer.getvalue().encode("ascii")


def statement_fixtures(run_dir: Path) -> dict[str, bytes]:
    """Return the fixture statements (file name -> bytes) made from run_dir's fills.csv."""
    rows = statement_rows(run_dir / "fills.csv")
    return {CLEAN: csv_bytes(rows), BROKEN: csv_bytes(broken_rows(rows))}
