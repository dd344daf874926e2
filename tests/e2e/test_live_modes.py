"""The live modes end to end: live-sim (goldens, determinism, pacing), SIGTERM, shadow, kill switch.

Data: the shipped PASS fixture (configs/fixtures/backtest_pass.yaml) on
`mmbot data synth --preset fixture_alt --seed 7 --events 300000`, written once per session
through the CLI (conftest.fixture_alt_data), so the data sha256 in the goldens is the CLI's.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from _cli import REPO_ROOT, clean_env
from _cli import mmbot as _mmbot
from tests.cli_runner import run_cli
from tests.counting_port import CountingPort

from mmbot.artifacts import write_fill_log
from mmbot.config import MmConfig, load_config
from mmbot.core.clock import SimClock
from mmbot.data import EventBatch, load_events
from mmbot.engine.journal import Journal
from mmbot.engine.live import LiveRunner, Pacing
from mmbot.engine.loop import Engine
from mmbot.node import build_live_sim, build_shadow, starting_maker_bps
from mmbot.sim import SimParams

FIXTURE_CONFIG = REPO_ROOT / "configs" / "fixtures" / "backtest_pass.yaml"
NS_PER_S = 1_000_000_000
RUN_FILES = ("live_sim.json", "LIVE_SIM.md", "fills.csv", "orders.csv", "mids.csv",
             "risk_records.csv", "risk_denials.csv", "run.json", "journal.jsonl")  # fmt: skip


@pytest.fixture(scope="module")
def data(fixture_alt_data: Path) -> Path:
    """Return the fixture event file (what `mmbot data synth --preset ...` writes)."""
    return fixture_alt_data


@pytest.fixture(scope="module")
def config() -> MmConfig:
    return load_config(FIXTURE_CONFIG, {}).config


@pytest.fixture(scope="module")
def events(data: Path) -> EventBatch:
    return load_events(data)[0]


def _live_sim(data: Path, out: Path, *options: str) -> str:
    result = _mmbot(
        "run", "--mode", "live-sim", "--config", str(FIXTURE_CONFIG), "--data", str(data),
        "--out", str(out), *options,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


def _journaled(config: MmConfig, events: EventBatch, pacing: Pacing,
               on_step: Callable[[Engine, LiveRunner, int], None] | None = None,
               ) -> tuple[Engine, Journal, float]:  # fmt: skip
    system = build_live_sim(config, events, pacing, Journal(None))
    engine, runner = system.engine, system.runner
    if on_step is not None:
        runner.on_step = lambda ts_ns: on_step(engine, runner, ts_ns)
    started = time.perf_counter()
    system.run()
    return engine, system.journal, time.perf_counter() - started


@pytest.mark.selected
def test_live_sim_max_speed_passes_thresholds_matches_goldens_and_repeats(
    data: Path, tmp_path: Path, golden: Callable[[str, bytes], None]
) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    stdout = _live_sim(data, first, "--speed", "max")
    _live_sim(data, second, "--speed", "max")
    assert "VERDICT=PASS " in stdout
    assert stdout.splitlines()[-1].startswith("RESULT=OK mode=live-sim stop=data_end ")
    report = json.loads((first / "live_sim.json").read_text())
    figures = report["figures"]
    assert figures["net_bps"] >= 2.5
    assert figures["taker_share_pct"] <= 15.0
    assert figures["order_age_p95_ms"] <= 350.0
    assert report["run"]["mode"] == "live-sim" and report["live"]["working_orders_left"] == 0
    for name in RUN_FILES:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    golden("live_sim_case1.json", (first / "live_sim.json").read_bytes())
    golden("live_sim_case1.md", (first / "LIVE_SIM.md").read_bytes())


@pytest.mark.selected
def test_live_sim_speed_50_same_fills_as_max_over_same_window(
    config: MmConfig, events: EventBatch, tmp_path: Path
) -> None:
    window_ns = 150 * NS_PER_S  # 3 s of wall time at speed 50
    fast, fast_journal, _ = _journaled(config, events, Pacing(None, window_ns))
    paced, paced_journal, wall_s = _journaled(config, events, Pacing(50.0, window_ns))
    fast_fills = write_fill_log(tmp_path / "fast.csv", fast.ledger.fill_log()).read_bytes()
    paced_fills = write_fill_log(tmp_path / "paced.csv", paced.ledger.fill_log()).read_bytes()
    assert fast.ledger.fills > 100
    assert paced_fills == fast_fills
    assert paced_journal.render() == fast_journal.render()
    assert 2.9 <= wall_s <= 6.0  # paced by the wall clock, not run flat out


@pytest.mark.selected
def test_sigterm_cancels_resting_orders_flushes_journal_exits_0(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    process = subprocess.Popen(
        [sys.executable, "-m", "mmbot", "run", "--mode", "live-sim", "--speed", "5",
         "--config", str(FIXTURE_CONFIG), "--data", str(data), "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env(), cwd=REPO_ROOT,
    )  # fmt: skip
    assert process.stdout is not None
    assert process.stdout.readline().startswith("RUNNING mode=live-sim ")
    time.sleep(1.5)  # ~7.5 s of data: orders are resting
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert "stop=signal:SIGTERM " in stdout and "working_orders_left=0 " in stdout
    report = json.loads((out / "live_sim.json").read_text())
    assert report["live"]["stop_reason"] == "signal:SIGTERM"
    assert report["live"]["shutdown_cancels"] >= 1
    journal = [json.loads(line) for line in (out / "journal.jsonl").read_text().splitlines()]
    assert len(journal) == sum(report["live"]["journal"].values())  # flushed in full
    assert [e["event"] for e in journal].count("cancel") == report["live"]["journal"]["cancel"]
    orders = (out / "orders.csv").read_text().splitlines()
    assert len(orders) > 3 and not any(row.split(",")[10] == "open" for row in orders[1:])


@pytest.mark.selected
def test_shadow_journals_every_order_sends_none_and_books_its_paper_fills(
    config: MmConfig, events: EventBatch
) -> None:
    feed = CountingPort(events, SimParams.from_config(config))
    inst = config.instrument
    maker_bps = starting_maker_bps(config)  # as `mmbot run --mode shadow` builds it
    journal = Journal(None)
    system = build_shadow(config, feed, Pacing(None, 60 * NS_PER_S), journal, SimClock(0))
    engine, shadow = system.engine, system.shadow
    assert shadow is not None
    outcome = system.run()
    counts = journal.counts()
    assert feed.sends == 0 and len(feed.venue.fill_log()) == 0  # nothing reached the venue
    assert counts["place"] >= 2 and counts["replace"] > 10
    assert shadow.sends == {k: counts[k] for k in ("cancel", "place", "replace")}
    fills = [e for e in journal.entries if e.event == "fill"]
    assert len(fills) == engine.ledger.fills == shadow.paper_fills > 0
    assert engine.ledger.position_lots == sum(e.side * e.qty_lots for e in fills)
    log = engine.ledger.fill_log()
    assert [(e.side, e.price_ticks, e.qty_lots) for e in fills] == list(
        zip(log.side.tolist(), log.price_ticks.tolist(), log.qty_lots.tolist(), strict=True)
    )
    assert {e.detail for e in fills} == {"maker"} and (log.is_maker == 1).all()
    usd = log.price_ticks * inst.tick_size * log.qty_lots * inst.lot_size
    assert log.fee_usd.tolist() == pytest.approx((usd * maker_bps * 1e-4).tolist())
    assert outcome.working_orders_left == 0  # its own cancels are answered too


@pytest.mark.selected
def test_shadow_cli_writes_shadow_orders_total(data: Path, tmp_path: Path) -> None:
    result = _mmbot(
        "run", "--mode", "shadow", "--speed", "max", "--window-s", "30",
        "--config", str(FIXTURE_CONFIG), "--data", str(data), "--out", str(tmp_path),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].startswith("RESULT=OK mode=shadow stop=window ")
    payload = json.loads((tmp_path / "shadow.json").read_text())
    totals = payload["shadow_orders_total"]
    assert totals["place"] >= 2 and totals == {
        k: payload["live"]["journal"][k] for k in ("cancel", "place", "replace")
    }
    assert payload["ledger"]["fills"] == payload["live"]["journal"]["fill"]  # paper fills


@pytest.mark.selected
@pytest.mark.parametrize("how", ["flag_file", "api"])
def test_kill_switch_stops_new_orders_at_next_decision(
    config: MmConfig, events: EventBatch, tmp_path: Path, how: str
) -> None:
    flag = tmp_path / "KILL"
    kill_at: list[int] = []

    def trip(engine: Engine, runner: LiveRunner, ts_ns: int) -> None:
        if kill_at or engine.record.decisions < 400 or not engine.orders.open_orders():
            return
        kill_at.append(ts_ns)
        if how == "flag_file":
            flag.write_text("stop\n")
        else:
            runner.kill("operator")

    config = config.model_copy(
        update={"risk": config.risk.model_copy(update={"kill_switch_file": str(flag)})}
    )
    engine, journal, _ = _journaled(config, events, Pacing(None, 60 * NS_PER_S), trip)
    assert kill_at, "no decision with resting orders to kill"
    interval = engine.params.decision_interval_ns
    next_ts = kill_at[0] + interval
    new_orders = [e for e in journal.entries if e.event in ("place", "replace")]
    assert any(e.ts_ns <= kill_at[0] for e in new_orders)
    assert [e for e in new_orders if e.ts_ns >= next_ts] == []
    cancels = [e for e in journal.entries if e.event == "cancel"]
    assert cancels and cancels[0].ts_ns == next_ts  # what rested is pulled at once
    assert engine.values()["kill_switch_active"] == 1
    assert engine.orders.open_orders() == {}


@pytest.mark.usefixtures("cli_env")
@pytest.mark.parametrize("mode", ["live-sim", "shadow"])
def test_adopt_refused_outside_canary_and_live(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mode: str
) -> None:
    absent, out = tmp_path / "absent.parquet", tmp_path / "out"
    returncode = run_cli("run", "--mode", mode, "--adopt", "--data", str(absent), "--out", str(out))
    assert returncode == 2
    assert capsys.readouterr().err.splitlines() == [
        f"E_CLI_USAGE: --adopt with --mode {mode} expected --mode canary or live "
        "(only a real venue has a position to adopt)"
    ]
    assert not out.exists()


def test_shadow_with_both_venue_and_data_refused_in_a_fresh_interpreter(tmp_path: Path) -> None:
    result = _mmbot(
        "run", "--mode", "shadow", "--venue", "binance-usdm", "--symbol", "BTCUSDT",
        "--data", str(tmp_path / "absent.parquet"), "--out", str(tmp_path / "out"),
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "E_CLI_USAGE: --venue with --data expected one market: a venue's stream (--venue) or a "
        "replay (--data)"
    ]
    assert not (tmp_path / "out").exists()
