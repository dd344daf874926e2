"""Canary constraints against a fake live venue: the gate, the hard caps, refusals as values."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from tests.counting_port import CountingPort

from mmbot.backtest.wiring import build_engine
from mmbot.config import MmConfig, load_config
from mmbot.data import EventBatch, synthesize
from mmbot.data.synth_params import preset
from mmbot.engine.journal import Journal
from mmbot.engine.live import LiveRunner, Pacing, run_live
from mmbot.engine.live_canary import CanaryLimits, CanaryVenue, FlagGate
from mmbot.engine.live_ports import JournalingVenue
from mmbot.engine.loop import Engine
from mmbot.engine.orders import OrderState
from mmbot.sim import SimParams

pytestmark = pytest.mark.selected
CONFIG = Path(__file__).resolve().parents[3] / "configs" / "fixtures" / "backtest_pass.yaml"
WINDOW_NS = 60 * 1_000_000_000


@pytest.fixture(scope="module")
def config() -> MmConfig:
    return load_config(CONFIG, {}).config  # order_qty_lots: 5


@pytest.fixture(scope="module")
def events() -> EventBatch:
    params, meta = preset("fixture_alt")
    return EventBatch.concat(list(synthesize(7, 40_000, meta, params)))


def _canary(config: MmConfig, events: EventBatch, gate: FlagGate, limits: CanaryLimits | None,
            on_step: Callable[[Engine, int], None] | None = None,
            ) -> tuple[Engine, CountingPort, CanaryVenue, Journal]:  # fmt: skip
    sid = config.strategy.model
    engine = build_engine(config, events, sid)
    venue = CountingPort(events, SimParams.from_config(config))
    journal = Journal(None)
    canary = CanaryVenue(venue, gate, limits, journal, sid)
    engine.venue = JournalingVenue(canary, journal, sid)
    runner = LiveRunner(engine, journal, Pacing(None, WINDOW_NS))
    if on_step is not None:
        runner.on_step = lambda ts_ns: on_step(engine, ts_ns)
    run_live(runner)
    return engine, venue, canary, journal


def test_canary_gate_closed_sends_no_orders(config: MmConfig, events: EventBatch) -> None:
    engine, venue, canary, journal = _canary(config, events, FlagGate(False), CanaryLimits(5, 5))
    assert venue.sends == 0 and len(venue.fill_log()) == 0
    assert canary.refused["gate_closed"] > 0
    assert journal.counts()["refused"] == sum(canary.refused.values())
    assert {o.state for o in engine.orders.orders} == {OrderState.REJECTED}


def test_canary_order_above_cap_refused_and_counted(config: MmConfig, events: EventBatch) -> None:
    _, venue, canary, journal = _canary(config, events, FlagGate(True), CanaryLimits(3, 100))
    assert venue.sends == 0
    assert canary.refused == {"gate_closed": 0, "max_order_lots": journal.counts()["refused"],
                              "max_position_lots": 0}  # fmt: skip
    assert canary.refused["max_order_lots"] > 0
    refused = [e for e in journal.entries if e.event == "refused"]
    assert {(e.qty_lots, e.detail) for e in refused} == {(5, "max_order_lots")}


def test_canary_within_caps_trades_and_position_stays_capped(
    config: MmConfig, events: EventBatch
) -> None:
    _, venue, canary, _ = _canary(config, events, FlagGate(True), CanaryLimits(5, 5))
    fills = venue.fill_log()
    assert venue.sends > 0 and len(fills) > 10
    inventory = np.cumsum(fills.side * fills.qty_lots)
    assert int(np.abs(inventory).max()) <= 5
    assert canary.refused["max_position_lots"] > 0  # the cap bit: uncapped, it reaches 9 lots
    assert canary.refused["gate_closed"] == 0


def test_canary_gate_opening_mid_run_lets_orders_out_only_after(
    config: MmConfig, events: EventBatch
) -> None:
    gate = FlagGate(False)
    opened: list[int] = []

    def open_gate(engine: Engine, ts_ns: int) -> None:
        if not opened and engine.record.decisions == 200:
            gate.set_open(True)
            opened.append(ts_ns)

    _, venue, canary, journal = _canary(config, events, gate, CanaryLimits(5, 5), open_gate)
    places = [e for e in journal.entries if e.event == "place"]
    refused = [e for e in journal.entries if e.event == "refused"]
    assert venue.sends > 0 and canary.refused["gate_closed"] > 0
    assert max(e.ts_ns for e in refused if e.detail == "gate_closed") <= opened[0]
    sent = [e for e in journal.entries if e.event == "ack"]
    assert sent and min(e.ts_ns for e in sent) > opened[0] and len(places) > len(refused)


def test_live_mode_has_no_caps_only_the_gate(config: MmConfig, events: EventBatch) -> None:
    _, venue, canary, _ = _canary(config, events, FlagGate(True), None)
    assert venue.sends > 0 and sum(canary.refused.values()) == 0


def test_canary_limits_refuse_non_positive_caps() -> None:
    with pytest.raises(ValueError, match="max_order_lots=0"):
        CanaryLimits(0, 5)
