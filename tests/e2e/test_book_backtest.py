"""A book through the CLI as the README runs it: synth a correlated pair, backtest the example
book; the report splits per symbol, strategy and leg, every level adds up, bytes repeat."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest
from tests.e2e._cli import mmbot

from mmbot.audit import COMPONENTS, NET_SIGN

CONFIG = "configs/portfolio_example.yaml"
EVENTS = 150_000


@pytest.fixture(scope="module")
def book_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("book") / "data"
    done = mmbot(
        "data", "synth", "--seed", "7", "--events", str(EVENTS), "--symbols", "BTCUSDT,ETHUSDT",
        "--correlation", "0.7", "--out", str(folder),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return folder


@pytest.fixture(scope="module")
def book_run(book_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("run") / "book"
    done = mmbot("backtest", "run", "-c", CONFIG, "--data", str(book_data), "--out", str(out))
    assert done.returncode == 0, done.stderr
    return out, done.stdout


def _net_of_components(entry: dict[str, object]) -> float:
    usd = entry["usd"]
    assert isinstance(usd, dict)
    return math.fsum(NET_SIGN[name] * float(usd[name]) for name in COMPONENTS)


def test_report_has_each_symbol_strategy_and_leg_then_total_and_it_adds_up(
    book_run: tuple[Path, str],
) -> None:
    out, _ = book_run
    report = json.loads((out / "backtest.json").read_text())
    expected = {
        "by_symbol": ["BTCUSDT", "ETHUSDT"],
        "by_strategy": ["avellaneda_stoikov", "fixed_spread", "glft"],
        "by_leg": ["avellaneda_stoikov@BTCUSDT", "fixed_spread@BTCUSDT", "fixed_spread@ETHUSDT",
                   "glft@BTCUSDT", "glft@ETHUSDT"],
    }  # fmt: skip
    total_net = float(report["figures"]["net_usd"])
    for level, keys in expected.items():
        groups = report[level]
        assert [g["key"] for g in groups] == [*keys, "TOTAL"]
        *parts, total = groups
        assert all(int(g["fills"]) > 0 for g in parts), level
        assert float(total["net_usd"]) == pytest.approx(total_net, abs=1e-9)
        assert sum(int(g["fills"]) for g in parts) == int(total["fills"])
        assert math.fsum(float(g["net_usd"]) for g in parts) == pytest.approx(total_net, abs=1e-8)
        for group in groups:  # every level: components sum to its net
            assert _net_of_components(group) == pytest.approx(float(group["net_usd"]), abs=1e-8)
    markdown = (out / "BACKTEST.md").read_text()
    for title in ("symbol", "strategy", "leg"):
        assert f"## By {title}" in markdown


def test_cli_prints_a_line_per_symbol_and_strategy(book_run: tuple[Path, str]) -> None:
    _, stdout = book_run
    lines = stdout.splitlines()
    assert any(line.startswith("VERDICT=") for line in lines)
    keys = ("symbol=BTCUSDT", "symbol=ETHUSDT", "symbol=TOTAL", "strategy=glft",
            "strategy=fixed_spread", "strategy=avellaneda_stoikov", "strategy=TOTAL")  # fmt: skip
    for key in keys:
        assert any(line.startswith(f"{key} net_bps=") for line in lines), key
    assert lines[-1].startswith("RESULT=OK")


def test_run_directory_has_the_mux_trace_allocations_and_chart(book_run: tuple[Path, str]) -> None:
    out, _ = book_run
    with open(out / "mux.csv", newline="") as handle:
        mux = list(csv.DictReader(handle))
    assert {row["symbol"] for row in mux} == {"BTCUSDT", "ETHUSDT"}  # both have 2+ strategies
    for row in mux:
        weights = [float(v) for k, v in row.items() if k.startswith("weight_")]
        assert math.fsum(weights) == pytest.approx(1.0, abs=1e-12)
    with open(out / "allocations.csv", newline="") as handle:
        allocations = list(csv.DictReader(handle))
    assert {(r["strategy"], r["symbol"]) for r in allocations} == {
        ("glft", "BTCUSDT"), ("glft", "ETHUSDT"), ("fixed_spread", "BTCUSDT"),
        ("fixed_spread", "ETHUSDT"), ("avellaneda_stoikov", "BTCUSDT"),
    }  # fmt: skip
    by_ts: dict[str, float] = {}
    for row in allocations:
        by_ts[row["ts_ns"]] = by_ts.get(row["ts_ns"], 0.0) + float(row["budget_usd"])
        assert by_ts[row["ts_ns"]] <= float(row["budget_available_usd"]) + 1e-9
    assert (out / "mux.svg").read_bytes().startswith(b"<?xml")
    run = json.loads((out / "run.json").read_text())
    assert sorted(run["instruments"]) == ["BTCUSDT", "ETHUSDT"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert {"mux.csv", "allocations.csv"} <= set(json.dumps(manifest).split('"'))


def test_a_second_run_gives_the_same_bytes(
    book_run: tuple[Path, str], book_data: Path, tmp_path: Path
) -> None:
    out, _ = book_run
    again = tmp_path / "again"
    done = mmbot("backtest", "run", "-c", CONFIG, "--data", str(book_data), "--out", str(again))
    assert done.returncode == 0, done.stderr
    for name in ("backtest.json", "BACKTEST.md", "fills.csv", "orders.csv", "mux.csv",
                 "allocations.csv", "mux.svg", "risk_records.csv"):  # fmt: skip
        assert (again / name).read_bytes() == (out / name).read_bytes(), name


def test_a_book_without_its_data_is_one_line(tmp_path: Path) -> None:
    done = mmbot("backtest", "run", "-c", CONFIG, "--data", str(tmp_path), "--out",
                 str(tmp_path / "out"))  # fmt: skip
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("E_DATA_FILE_MISSING: ")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "args",
    [
        ("backtest", "wf", "--train-s", "60", "--test-s", "60"),
        ("demo",),
    ],
)
def test_one_symbol_commands_refuse_a_book_in_one_line(
    args: tuple[str, ...], tmp_path: Path
) -> None:
    done = mmbot(*args, "-c", CONFIG, *(("--data", str(tmp_path)) if args[0] == "backtest" else ()),
                 "--out", str(tmp_path / "out"))  # fmt: skip
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("E_CLI_USAGE: ")
    assert "is a book" in lines[0]
