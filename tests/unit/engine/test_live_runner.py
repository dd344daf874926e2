"""The live runner's pacing options, stop handling and STATUS lines (e2e runs: tests/e2e)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from mmbot.artifacts import utc_iso
from mmbot.cli.run_cmd import pacing_for
from mmbot.config import load_config
from mmbot.core.errors import UsageError
from mmbot.data import EventBatch, synthesize
from mmbot.data.synth_params import preset
from mmbot.engine.journal import Journal
from mmbot.engine.live import (
    LiveRunner,
    Pacing,
    Status,
    StatusEvery,
    parse_speed,
    run_live,
    status_line,
)
from mmbot.node import build_engine, build_live_sim

pytestmark = pytest.mark.selected
CONFIG = Path(__file__).resolve().parents[3] / "configs" / "fixtures" / "backtest_pass.yaml"


@pytest.mark.parametrize(("text", "speed"), [("max", None), ("MAX", None), ("50", 50.0),
                                             ("0.5", 0.5)])  # fmt: skip
def test_parse_speed_accepts_max_and_positive_numbers(text: str, speed: float | None) -> None:
    assert parse_speed(text) == speed


@pytest.mark.parametrize("text", ["0", "-1", "fast", "inf", "nan"])
def test_parse_speed_refuses_others(text: str) -> None:
    with pytest.raises(ValueError, match="expected=a number > 0 or 'max'"):
        parse_speed(text)


def test_pacing_for_duration_times_speed_is_the_data_window() -> None:
    assert pacing_for("50", 3.0, None) == Pacing(speed=50.0, window_ns=150_000_000_000)
    assert pacing_for("50", 3.0, 100.0).window_ns == 100_000_000_000
    assert pacing_for("max", None, 30.0) == Pacing(speed=None, window_ns=30_000_000_000)
    assert pacing_for("1", None, None, live_venue=True).live_venue


def test_pacing_for_duration_with_max_speed_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="--duration-s needs a finite --speed"):
        pacing_for("max", 3.0, None)


def test_runner_stopped_before_start_shuts_down_cleanly(tmp_path: Path) -> None:
    config = load_config(CONFIG, {}).config
    params, meta = preset("fixture_alt")
    events = EventBatch.concat(list(synthesize(7, 5_000, meta, params)))
    journal = Journal(tmp_path / "journal.jsonl")
    runner = build_live_sim(config, events, Pacing(speed=1.0), journal).runner
    runner.stop("stop:test")
    outcome = run_live(runner)
    assert outcome.stop_reason == "stop:test" and outcome.decisions == 0
    assert (tmp_path / "journal.jsonl").read_bytes() == b""


def test_runner_stop_wakes_a_paced_sleep() -> None:
    config = load_config(CONFIG, {}).config
    params, meta = preset("fixture_alt")
    events = EventBatch.concat(list(synthesize(7, 5_000, meta, params)))
    engine = build_engine(config, events, "fixed_spread")
    runner = LiveRunner(engine, Journal(None), Pacing(speed=0.001))  # 50 s per decision

    async def main() -> float:
        loop = asyncio.get_running_loop()
        loop.call_later(0.2, runner.stop, "stop:test")
        started = loop.time()
        outcome = await runner.run()
        assert outcome.stop_reason == "stop:test" and outcome.decisions == 1
        return loop.time() - started

    assert asyncio.run(main()) < 2.0


def test_status_line_has_every_field_in_a_fixed_order_on_one_ascii_line() -> None:
    status = Status(1_796_385_600_000_000_000, "shadow", -3, 12.345, 2, 7, "E_VENUE_STALE_BOOK")
    assert status_line(status) == (
        "STATUS ts=2026-12-04T12:00:00Z mode=shadow pos_lots=-3 pnl_usd=12.35 working=2 "
        "fills=7 last_error=E_VENUE_STALE_BOOK"
    )


def test_status_line_shows_no_error_as_dash_and_a_tiny_loss_as_zero() -> None:
    line = status_line(Status(0, "live-sim", 0, -0.004, 0, 0))
    assert line == (
        "STATUS ts=1970-01-01T00:00:00Z mode=live-sim pos_lots=0 pnl_usd=0.00 working=0 "
        "fills=0 last_error=-"
    )


def test_status_every_refuses_a_period_that_is_not_positive() -> None:
    for every_s in (0.0, -1.0, float("inf"), float("nan")):
        with pytest.raises(ValueError, match="--status-every-s value="):
            StatusEvery("live", every_s, print)


@pytest.mark.parametrize(("every_s", "expect_each_decision"), [(1e-9, True), (3600.0, False)])
def test_runner_at_max_speed_prints_status_by_wall_period_showing_data_time(
    every_s: float, expect_each_decision: bool
) -> None:
    config = load_config(CONFIG, {}).config
    params, meta = preset("fixture_alt")
    events = EventBatch.concat(list(synthesize(7, 5_000, meta, params)))
    engine = build_engine(config, events, "fixed_spread")
    first_ts = engine.venue.first_ts_ns()
    lines: list[str] = []
    status = StatusEvery("live-sim", every_s, lines.append)
    outcome = run_live(LiveRunner(engine, Journal(None), Pacing(speed=None, status=status)))
    if not expect_each_decision:  # the run lasts far less than an hour of wall time
        assert lines == []
        return
    assert outcome.decisions > 10 and len(lines) == outcome.decisions
    assert lines[0].startswith(f"STATUS ts={utc_iso(first_ts)} mode=live-sim pos_lots=0 ")
    fills = [int(line.split(" fills=")[1].split()[0]) for line in lines]
    assert fills == sorted(fills) and fills[-1] == engine.ledger.fills > 0
