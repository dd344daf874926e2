"""The investor package of a real book run: every figure of the exports and the deck is
recomputed here from fills.csv and mids.csv (and checked against the run's backtest.json),
and two packages of the same inputs are the same files, byte for byte."""

from __future__ import annotations

import csv
import json
import math
from collections import defaultdict
from pathlib import Path

import pytest
from tests.unit.finops.statements import make_book_run
from tests.unit.investor.book_runs import make_package

from mmbot.artifacts import fmt6


@pytest.fixture(scope="module")
def book_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_book_run(tmp_path_factory.mktemp("investor_book"))


@pytest.fixture(scope="module")
def package(book_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_package(book_run, tmp_path_factory.mktemp("package") / "investor")


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="ascii", newline="") as handle:
        return list(csv.DictReader(handle))


def _recomputed(run: Path, level: str) -> dict[str, dict[str, float]]:
    """Return net, fees, notional and fills by the fills' level (symbol, strategy) and TOTAL,
    straight from the files: each fill marked at its symbol's last mid, s*q*(m_T - p) - fee."""
    final_mid = {r["symbol"]: float(r["mid"]) for r in _rows(run / "mids.csv")}
    out: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for fill in _rows(run / "fills.csv"):
        side = 1.0 if fill["side"] == "buy" else -1.0
        price, qty, fee = float(fill["price"]), float(fill["qty"]), float(fill["fee"])
        for key in (fill[level], "TOTAL"):
            out[key]["net_usd"] += side * qty * (final_mid[fill["symbol"]] - price) - fee
            out[key]["fees_usd"] += fee
            out[key]["notional_usd"] += price * qty
            out[key]["fills"] += 1
    return out


def _peak_position_usd(run: Path) -> dict[str, float]:
    """Return each symbol's peak |position x mid| at its mids, straight from the files."""
    fills = _rows(run / "fills.csv")
    peaks: dict[str, float] = defaultdict(float)
    for mid in _rows(run / "mids.csv"):
        ts, symbol = int(mid["ts_ns"]), mid["symbol"]
        position = math.fsum((1 if f["side"] == "buy" else -1) * float(f["qty"]) for f in fills
                             if f["symbol"] == symbol and int(f["ts_ns"]) <= ts)  # fmt: skip
        peaks[symbol] = max(peaks[symbol], abs(position * float(mid["mid"])))
    return peaks


def test_every_group_figure_is_recomputed_from_fills_and_mids(
    book_run: Path, package: Path
) -> None:
    for level in ("symbol", "strategy"):
        expected = _recomputed(book_run, level)
        rows = _rows(package / "exports" / f"by_{level}.csv")
        assert [row[level] for row in rows] == [*sorted(set(expected) - {"TOTAL"}), "TOTAL"]
        for row in rows:
            want = expected[row[level]]
            for column in ("net_usd", "fees_usd", "notional_usd"):
                assert float(row[column]) == pytest.approx(want[column], abs=1e-6), (row, column)
            assert int(row["fills"]) == want["fills"]


def test_deck_headline_and_edge_agree_with_the_files_and_the_backtest_report(
    book_run: Path, package: Path
) -> None:
    payload = json.loads((package / "exports" / "package.json").read_text())
    figures = json.loads((book_run / "backtest.json").read_text())["figures"]
    headline, total = payload["headline"], _recomputed(book_run, "symbol")["TOTAL"]
    assert headline["net_pnl_usd"] == pytest.approx(total["net_usd"], abs=1e-9)
    for key in ("net_usd", "fees_usd", "notional_usd", "fills", "max_drawdown_usd"):
        ours = headline["net_pnl_usd" if key == "net_usd" else key]
        assert ours == pytest.approx(figures[key], abs=1e-9), key
    edge = {row["component"]: row for row in _rows(package / "exports" / "edge.csv")}
    for component in ("gross", "adverse", "slippage", "inventory", "fees"):
        assert edge[component]["usd"] == fmt6(figures[f"{component}_usd"]), component
    assert edge["TOTAL"]["usd"] == fmt6(figures["net_usd"])
    deck = (package / "deck" / "DECK.md").read_text()
    assert f"| net_pnl_usd | {fmt6(total['net_usd'])} |" in deck
    assert f"| fills | {int(total['fills'])} |" in deck
    monthly = _rows(package / "exports" / "monthly_returns.csv")
    assert monthly[-1]["pnl_usd"] == fmt6(headline["net_pnl_usd"])


def test_risk_limits_peaks_are_recomputed_from_fills_and_mids(
    book_run: Path, package: Path
) -> None:
    limits = {(r["limit"], r["scope"]): r for r in
              _rows(package / "exports" / "risk_limits.csv")}  # fmt: skip
    for symbol, peak in _peak_position_usd(book_run).items():
        assert float(limits["max_position_usd", symbol]["peak_in_runs"]) == pytest.approx(
            peak, abs=1e-6)  # fmt: skip
    orders = _rows(book_run / "orders.csv")
    assert int(limits["intraday_max_orders", "book"]["peak_in_runs"]) == len(orders)  # one day
    assert limits["max_position_usd", "ETHUSDT"]["value"] == "6000.000000"  # the config's


def test_two_packages_of_the_same_inputs_are_byte_identical(
    book_run: Path, package: Path, tmp_path: Path
) -> None:
    first, second = package, make_package(book_run, tmp_path / "again")
    files = sorted(p.relative_to(first).as_posix() for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second).as_posix() for p in second.rglob("*")
                           if p.is_file())  # fmt: skip
    assert len(files) == 16
    for name in files:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
