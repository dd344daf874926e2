"""Canary constraints against a fake live venue: the gate, the hard caps, refusals as values."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from tests.counting_port import CountingPort

from mmbot.config import MmConfig, load_config
from mmbot.core.clock import SimClock
from mmbot.core.events import OrderEvent, OrderEventKind, local_event
from mmbot.core.types import BUY, SELL
from mmbot.data import EventBatch, synthesize
from mmbot.data.synth_params import preset
from mmbot.engine.journal import Journal
from mmbot.engine.live import LiveRunner, Pacing, run_live
from mmbot.engine.live_canary import CanaryLimits, CanaryVenue, FlagGate
from mmbot.engine.live_ports import JournalingVenue, OrderNames
from mmbot.engine.loop import Engine
from mmbot.engine.orders import OrderState
from mmbot.node import engine_over
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
    venue = CountingPort(events, SimParams.from_config(config))
    journal = Journal(None)
    names = OrderNames(sid)
    canary = CanaryVenue(venue, gate, limits, journal, names)
    engine = engine_over(config, JournalingVenue(canary, journal, names), sid, clock=SimClock(0))
    runner = LiveRunner(engine, journal, Pacing(None, WINDOW_NS))
    if on_step is not None:
        runner.on_step = lambda ts_ns: on_step(engine, ts_ns)
    run_live(runner)
    return engine, venue, canary, journal


def test_canary_gate_closed_sends_no_orders(config: MmConfig, events: EventBatch) -> None:
    engine, venue, canary, journal = _canary(config, events, FlagGate(False), CanaryLimits(5, 5))
    assert venue.sends == 0 and len(venue.venue.fill_log()) == 0 and engine.ledger.fills == 0
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
    engine, venue, canary, _ = _canary(config, events, FlagGate(True), CanaryLimits(5, 5))
    fills = venue.venue.fill_log()  # what the venue traded, reported to the engine or not
    assert venue.sends > 0 and len(fills) > 10
    inventory = np.cumsum(fills.side * fills.qty_lots)
    assert int(np.abs(inventory).max()) <= 5
    assert canary.refused["max_position_lots"] > 0  # the cap bit: uncapped, it reaches 9 lots
    assert canary.refused["gate_closed"] == 0
    reported = engine.ledger.fill_log()
    assert engine.ledger.position_lots == int(np.sum(reported.side * reported.qty_lots))


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


def _adopted(position_lots: int) -> list[OrderEvent]:
    """The event a live venue sends first when it holds position_lots at an --adopt start."""
    if position_lots == 0:
        return []
    side = 1 if position_lots > 0 else -1
    return [OrderEvent(0, 0, OrderEventKind.POSITION_ADOPTED, 0, 0, side, 0, abs(position_lots),
                       0, 0, 0, 0.0)]  # fmt: skip


class _StartingInventoryPort(CountingPort):
    """A counting sim port that holds start_lots from the start, as after an --adopt."""

    def __init__(self, events: EventBatch, params: SimParams, start_lots: int) -> None:
        super().__init__(events, params)
        self._adoption = _adopted(start_lots)

    def reports(self) -> list[OrderEvent]:
        adoption, self._adoption = self._adoption, []
        return adoption + super().reports()


def test_canary_adopted_position_over_cap_reduces_to_the_cap_and_no_further(
    config: MmConfig, events: EventBatch
) -> None:
    sid = config.strategy.model
    venue = _StartingInventoryPort(events, SimParams.from_config(config), 15)
    journal = Journal(None)
    names = OrderNames(sid)
    canary = CanaryVenue(venue, FlagGate(True), CanaryLimits(5, 5), journal, names)
    engine = engine_over(config, JournalingVenue(canary, journal, names), sid, clock=SimClock(0))
    run_live(LiveRunner(engine, journal, Pacing(None, WINDOW_NS)))
    fills = venue.venue.fill_log()
    position = 15 + np.cumsum(fills.side * fills.qty_lots)
    back = int(np.argmax(position <= 5))
    assert position[back] == 5  # down to the cap: 10 lots over, two asks of 5, no overshoot
    assert (fills.side[: back + 1] == -1).all()  # only reducing orders went out before
    refused = [e for e in journal.entries if e.event == "refused"]
    assert refused and refused[0].side == 1 and refused[0].detail == "max_position_lots"
    assert canary.refused["max_order_lots"] == 0
    reported = engine.ledger.fill_log()
    assert engine.ledger.position_lots == 15 + int(np.sum(reported.side * reported.qty_lots))


class _FakeInner:
    """The least of a live venue a CanaryVenue calls: ids, reports on demand (the first of
    them the position it holds at start)."""

    def __init__(self, position_lots: int) -> None:
        self.sent: list[tuple[str, int]] = []
        self.queued: list[OrderEvent] = _adopted(position_lots)

    def place(self, side: int, price_ticks: int, qty_lots: int, client_seq: int) -> int:
        self.sent.append(("place", qty_lots))
        return 100 + client_seq

    def replace(self, order_id: int, price_ticks: int, qty_lots: int) -> None:
        self.sent.append(("replace", qty_lots))

    def reports(self) -> list[OrderEvent]:
        queued, self.queued = self.queued, []
        return queued


def _canary_over(inner: _FakeInner) -> CanaryVenue:
    """Return a canary (caps 5, 5) over inner that has taken in inner's starting position."""
    canary = CanaryVenue(inner, FlagGate(True), CanaryLimits(5, 5), Journal(None), OrderNames("s"))  # type: ignore[arg-type]
    canary.reports()  # the adoption, as the engine's first decision reads it
    return canary


def test_canary_over_cap_reducing_orders_sum_to_the_excess_at_most() -> None:
    inner = _FakeInner(position_lots=8)  # cap 5: 3 lots over
    canary = _canary_over(inner)
    first = canary.place(SELL, 110, 2, 1)  # 2 <= 3
    canary.place(SELL, 111, 2, 2)  # 2 resting + 2 > 3: refused
    canary.place(BUY, 90, 1, 3)  # adds to the position: refused
    canary.replace(first, 109, 3)  # its own 2 lots do not count: 3 <= 3
    canary.replace(first, 108, 4)  # 4 > 3: refused
    assert inner.sent == [("place", 2), ("replace", 3)]
    assert canary.refused["max_position_lots"] == 3
    # Once the first ask is done, the whole excess may rest again.
    inner.queued = [local_event(0, OrderEventKind.CANCELED, first, 1, SELL, 109, 3)]
    canary.reports()
    canary.place(SELL, 111, 3, 4)
    assert inner.sent[-1] == ("place", 3)


def test_canary_follows_its_position_through_the_venue_fill_events() -> None:
    inner = _FakeInner(position_lots=8)  # cap 5: 3 lots over, reduce-only
    canary = _canary_over(inner)
    first = canary.place(SELL, 110, 3, 1)
    inner.queued = [OrderEvent(0, 0, OrderEventKind.FILLED, first, 1, SELL, 110, 3, 0, 0, 1, 0.0)]
    canary.reports()  # 8 - 3: at the cap, no longer over it
    canary.place(BUY, 90, 1, 2)  # 6 > 5: refused
    canary.place(SELL, 111, 5, 3)  # down to flat: the ordinary rule lets it out
    assert inner.sent == [("place", 3), ("place", 5)]
    assert canary.refused["max_position_lots"] == 1


@pytest.mark.parametrize(
    ("position_lots", "side", "qty_lots", "sent"),
    [
        (4, BUY, 1, True),  # leaves exactly the cap
        (4, BUY, 2, False),  # one over
        (5, BUY, 1, False),  # at the cap: adding is over it
        (5, SELL, 5, True),  # at the cap: the ordinary rule, down to flat
        (6, SELL, 1, True),  # one over: exactly the excess
        (6, SELL, 2, False),  # more than the excess
        (6, BUY, 1, False),
        (-6, BUY, 1, True),
        (-6, SELL, 1, False),
    ],
)
def test_canary_position_cap_boundaries(
    position_lots: int, side: int, qty_lots: int, sent: bool
) -> None:
    inner = _FakeInner(position_lots)
    canary = _canary_over(inner)
    canary.place(side, 100, qty_lots, 1)
    assert inner.sent == ([("place", qty_lots)] if sent else [])
    assert canary.refused["max_position_lots"] == (0 if sent else 1)
