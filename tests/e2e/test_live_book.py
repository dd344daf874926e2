"""A book of several symbols in the live modes: live-sim and shadow over one replay file per
symbol (configs/portfolio_example.yaml: BTCUSDT and ETHUSDT, three strategies).

Data: `mmbot data synth --symbols BTCUSDT,ETHUSDT` through the CLI, once per module (small:
the whole file runs in ~15 s).
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from _cli import REPO_ROOT
from _cli import mmbot as _mmbot
from tests.cli_runner import run_cli

from mmbot.config import MmConfig, load_config
from mmbot.data import EventBatch, load_book_files
from mmbot.engine.journal import Journal
from mmbot.engine.live import Pacing, StatusEvery
from mmbot.node import build_live_sim

CONFIG = REPO_ROOT / "configs" / "portfolio_example.yaml"
SYMBOLS = ("BTCUSDT", "ETHUSDT")
NS_PER_S = 1_000_000_000


@pytest.fixture(scope="module")
def book_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("book") / "data"
    done = _mmbot(
        "data", "synth", "--seed", "7", "--events", "60000", "--symbols", ",".join(SYMBOLS),
        "--correlation", "0.7", "--out", str(folder),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return folder


@pytest.fixture(scope="module")
def config() -> MmConfig:
    return load_config(CONFIG, {}).config


@pytest.fixture(scope="module")
def events(book_data: Path) -> dict[str, EventBatch]:
    files = load_book_files([book_data / f"{symbol}.parquet" for symbol in SYMBOLS])
    return {meta.symbol: batch for batch, meta, _ in files}


def _run(capsys: pytest.CaptureFixture[str], mode: str, data: Path, out: Path,
         *options: str) -> str:  # fmt: skip
    """Run `mmbot run` in this process (cli_env); return its stdout."""
    code = run_cli("run", "--mode", mode, "-c", str(CONFIG), "--data", str(data),
                   "--out", str(out), "--speed", "max", "--quiet", *options)  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return captured.out


def _journal(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "journal.jsonl").read_text().splitlines()]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.usefixtures("cli_env")
def test_live_sim_book_fills_as_its_backtest_and_journal_names_each_order(
    book_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    live, again, backtest = tmp_path / "live", tmp_path / "again", tmp_path / "bt"
    stdout = _run(capsys, "live-sim", book_data, live)
    _run(capsys, "live-sim", book_data, again)
    assert run_cli("backtest", "run", "-c", str(CONFIG), "--data", str(book_data),
                   "--out", str(backtest)) == 0  # fmt: skip
    assert stdout.splitlines()[-1].startswith("RESULT=OK mode=live-sim stop=data_end ")
    # The runner steps the backtest's engine on the same grid: the same fills, every symbol.
    assert (live / "fills.csv").read_bytes() == (backtest / "fills.csv").read_bytes()
    for name in ("fills.csv", "orders.csv", "journal.jsonl", "live_sim.json", "mux.csv"):
        assert (live / name).read_bytes() == (again / name).read_bytes(), name
    report = json.loads((live / "live_sim.json").read_text())
    assert report["run"]["mode"] == "live-sim" and report["live"]["working_orders_left"] == 0
    assert [g["key"] for g in report["by_symbol"]] == [*SYMBOLS, "TOTAL"]
    assert len(report["by_leg"]) == 6  # five legs and the TOTAL
    assert "## By leg" in (live / "LIVE_SIM.md").read_text()
    journal = _journal(live)
    places = {(e["symbol"], e["client_id"]) for e in journal if e["event"] == "place"}
    orders = _rows(live / "orders.csv")
    assert places == {(o["symbol"], o["client_order_id"]) for o in orders}
    assert all(o["client_order_id"].startswith(o["strategy"] + "-") for o in orders)
    strategies = {(e["symbol"], e["client_id"].rsplit("-", 1)[0]) for e in journal}
    assert strategies == {("BTCUSDT", "avellaneda_stoikov"), ("BTCUSDT", "fixed_spread"),
                          ("BTCUSDT", "glft"), ("ETHUSDT", "fixed_spread"),
                          ("ETHUSDT", "glft")}  # fmt: skip
    fills = Counter(e["symbol"] for e in journal if e["event"] == "fill")
    assert fills == Counter(row["symbol"] for row in _rows(live / "fills.csv"))


@pytest.mark.usefixtures("cli_env")
def test_shadow_book_ledger_per_symbol_strategy_and_leg_adds_up_to_the_journal(
    book_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stdout = _run(capsys, "shadow", book_data, tmp_path, "--window-s", "120")
    assert stdout.splitlines()[-1].startswith("RESULT=OK mode=shadow stop=window ")
    payload = json.loads((tmp_path / "shadow.json").read_text())
    ledger, journal = payload["ledger"], _journal(tmp_path)
    fills = [e for e in journal if e["event"] == "fill"]
    assert ledger["fills"] == len(fills) == payload["live"]["journal"]["fill"] > 0
    for level in ("by_symbol", "by_strategy", "by_leg"):
        assert sum(row["fills"] for row in ledger[level].values()) == ledger["fills"], level
        total = sum(row["pnl_usd"] for row in ledger[level].values())
        assert total == pytest.approx(ledger["pnl_usd"], abs=1e-9), level
    for symbol in SYMBOLS:
        position = sum((1 if e["side"] == "buy" else -1) * e["qty_lots"]
                       for e in fills if e["symbol"] == symbol)  # fmt: skip
        legs = [row for key, row in ledger["by_leg"].items() if key.endswith("@" + symbol)]
        assert ledger["by_symbol"][symbol]["position_lots"] == position
        assert sum(row["position_lots"] for row in legs) == position
        sent = Counter(e["event"] for e in journal if e["symbol"] == symbol)
        by_symbol = payload["shadow_orders_by_symbol"][symbol]
        assert by_symbol == {k: sent[k] for k in ("cancel", "place", "replace")}
        assert by_symbol["place"] > 0
    assert payload["shadow_orders_total"] == {
        k: payload["live"]["journal"][k] for k in ("cancel", "place", "replace")
    }


@pytest.mark.usefixtures("cli_env")
def test_book_restarted_into_its_out_numbers_each_symbol_from_the_next_epoch(
    book_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for _ in range(2):
        _run(capsys, "live-sim", book_data, tmp_path, "--window-s", "20")
    journal = _journal(tmp_path)
    sessions = {e["session"] for e in journal}
    assert sessions == {0, 1} and json.loads((tmp_path / "session.json").read_text()) == {
        "epoch": 1
    }
    places = [(e["symbol"], e["client_id"], e["session"]) for e in journal if e["event"] == "place"]
    assert len({(symbol, cid) for symbol, cid, _ in places}) == len(places)  # never reused
    for symbol, client_id, session in places:
        seq = int(client_id.rsplit("-", 1)[1])
        assert seq // 1_000_000_000 == session, (symbol, client_id)
    assert {symbol for symbol, _, session in places if session == 1} == set(SYMBOLS)


def test_status_names_each_symbol_and_kill_stops_every_symbol(
    config: MmConfig, events: dict[str, EventBatch]
) -> None:
    lines: list[str] = []
    status = StatusEvery("live-sim", 1e-9, lines.append)  # a line at every decision
    system = build_live_sim(config, events, Pacing(None, 60 * NS_PER_S, status=status),
                            Journal(None))  # fmt: skip
    engine, runner = system.engine, system.runner
    kill_at: list[int] = []

    def kill_once(ts_ns: int) -> None:
        if not kill_at and engine.books[0].record.decisions >= 300:
            kill_at.append(ts_ns)
            runner.kill("operator")

    runner.on_step = kill_once
    outcome = system.run()
    assert [line.split()[3] for line in lines[:4]] == [
        "symbol=BTCUSDT",
        "symbol=ETHUSDT",
        "symbol=BTCUSDT",
        "symbol=ETHUSDT",
    ]
    last = {line.split()[3]: line for line in lines}
    for book in engine.books:
        fills = sum(leg.ledger.fills for leg in book.legs)
        assert f" pos_lots={book.position_lots} " in last[f"symbol={book.symbol}"]
        assert f" fills={fills} " in last[f"symbol={book.symbol}"]
        assert last[f"symbol={book.symbol}"].endswith(" last_error=E_RISK_KILL_SWITCH")
    assert kill_at and all(book.risk.kill_switch_active for book in engine.books)
    late = [e for e in system.journal.entries if e.event in ("place", "replace")
            and e.ts_ns > kill_at[0]]  # fmt: skip
    assert late == [] and outcome.working_orders_left == 0
    assert {e.symbol for e in system.journal.entries if e.event == "cancel"} == set(SYMBOLS)


@pytest.mark.usefixtures("cli_env")
@pytest.mark.parametrize(
    ("symbols", "line"),
    [
        ("BTCUSDT", "E_CLI_USAGE: --symbol value=BTCUSDT expected one venue symbol per book "
         "symbol ['BTCUSDT', 'ETHUSDT'], comma-separated in that order (or no --symbol: the "
         "book's own)"),
        ("BTCUSDT,BTC/USDT:USDT", "E_CLI_USAGE: venue symbols ['BTCUSDT', 'BTCUSDT'] of the "
         "book symbols ['BTCUSDT', 'ETHUSDT'] expected one venue market per symbol"),
    ],
)  # fmt: skip
def test_canary_book_symbol_list_not_naming_each_symbol_is_refused_before_anything_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], symbols: str, line: str
) -> None:
    code = run_cli(
        "run", "--mode", "canary", "-c", str(CONFIG), "--venue", "binance-usdm", "--symbol",
        symbols, "--out", str(tmp_path / "out"), "--max-order-lots", "1",
        "--max-position-lots", "1", "--gate-file", str(tmp_path / "gate"),
    )  # fmt: skip
    assert code == 2
    assert capsys.readouterr().err.splitlines() == [line]
    assert not (tmp_path / "out" / "session.json").exists()
