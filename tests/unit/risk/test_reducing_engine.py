"""REDUCING in the engine over the simulated venue: inventory over a cap comes down passively.

The engine starts from the venue's position, as canary/live do after --adopt; here a sim port
whose first reports adopt an inventory (POSITION_ADOPTED, as the live bridge sends it) stands in
for the adopted venue.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mmbot.config import MmConfig, load_config
from mmbot.core.clock import SimClock
from mmbot.core.events import OrderEvent, OrderEventKind
from mmbot.data import EventBatch, synthesize
from mmbot.data.synth_params import preset
from mmbot.engine.loop import Engine
from mmbot.node import build_engine, engine_over
from mmbot.risk import HALTED, REDUCING
from mmbot.sim import SimParams
from mmbot.venues.sim import SimVenuePort

CONFIG = Path(__file__).resolve().parents[3] / "configs" / "fixtures" / "backtest_pass.yaml"
CAP_LOTS = 20  # the fixture's max_position_usd 200 at its ~100 USD mid, lot 0.1 (19-20)


class StartingInventoryPort(SimVenuePort):
    """The sim venue, holding start_lots (>= 0, long) from the start: its first reports adopt
    them."""

    def __init__(self, events: EventBatch, params: SimParams, start_lots: int) -> None:
        super().__init__(events, params)
        self._adoption = [
            OrderEvent(0, 0, OrderEventKind.POSITION_ADOPTED, 0, 0, 1, 0, start_lots, 0, 0, 0, 0.0)
        ] if start_lots else []  # fmt: skip

    def reports(self) -> list[OrderEvent]:
        """The adoption first, then the simulator's events."""
        adoption, self._adoption = self._adoption, []
        return adoption + super().reports()


@pytest.fixture(scope="module")
def events() -> EventBatch:
    params, meta = preset("fixture_alt")
    return EventBatch.concat(list(synthesize(7, 60_000, meta, params)))


def _config(**risk: float) -> MmConfig:
    cfg = load_config(CONFIG, {}).config
    return cfg.model_copy(update={"risk": cfg.risk.model_copy(update=risk)})


def _run(cfg: MmConfig, events: EventBatch, start_lots: int) -> Engine:
    port = StartingInventoryPort(events, SimParams.from_config(cfg), start_lots)
    engine = engine_over(cfg, port, cfg.strategy.model, clock=SimClock(0))
    engine.run()
    return engine


def _state_changes(engine: Engine) -> list[str]:
    return [
        line.split("trading_state: ", 1)[1].split(" (", 1)[0]
        for line in engine.record.risk_lines
        if line.startswith("E_RISK_TRADING_STATE:")
    ]


def _ts_ns(engine: Engine, change: str) -> int:
    line = next(x for x in engine.record.risk_lines if f"trading_state: {change} " in x)
    return int(line.split("ts_ns=", 1)[1].split(" ", 1)[0])


def test_backtest_started_at_twice_the_position_cap_works_back_inside_passively(
    events: EventBatch,
) -> None:
    engine = _run(_config(), events, 2 * CAP_LOTS)
    assert engine.record.inventory_lots[0] == 2 * CAP_LOTS
    assert _state_changes(engine)[:2] == ["ACTIVE -> REDUCING", "REDUCING -> ACTIVE"]
    back_ts_ns = _ts_ns(engine, "REDUCING -> ACTIVE")
    fills = engine.ledger.fill_log()
    over = fills.ts_local_ns <= back_ts_ns
    assert over.sum() > 0
    assert (fills.side[over] == -1).all()  # only the reducing side traded
    assert (fills.is_maker[over] == 1).all()  # passively: resting asks, never taking
    back_lots = 2 * CAP_LOTS - int(fills.qty_lots[over].sum())
    # Back at (not through) the limit: the ask was cut to the lots over it.
    assert CAP_LOTS - 2 <= back_lots <= CAP_LOTS
    assert engine.record.denials.get("E_RISK_POSITION", 0) == 0  # the quote was shaped first
    assert engine.record.denials.get("E_RISK_REDUCE_ONLY", 0) == 0


def test_day_notional_cap_reduces_inventory_to_flat_and_keeps_it_there(
    events: EventBatch,
) -> None:
    cfg = _config(intraday_max_notional_usd=3_000.0)
    engine = _run(cfg, events, 10)
    lines = engine.record.risk_lines
    capped = next(i for i, line in enumerate(lines) if line.startswith("E_RISK_INTRADAY_NOTIONAL"))
    assert "ACTIVE -> REDUCING (intraday_max_notional_usd)" in lines[capped + 1]
    capped_ts_ns = _ts_ns(engine, "ACTIVE -> REDUCING")
    fills = engine.ledger.fill_log()
    position = 10 + np.cumsum(fills.side * fills.qty_lots)
    after = fills.ts_local_ns > capped_ts_ns
    held = int(position[~after][-1])
    assert held != 0 and after.sum() > 0  # the cap found inventory, and some came off
    path = np.abs(np.concatenate([[held], position[after]]))
    assert (np.diff(path) <= 0).all()  # reduce-only: |position| never grew, never flipped
    assert (np.sign(position[after]) * np.sign(held) >= 0).all()
    assert engine.ledger.position_lots == int(position[-1]) == 0  # flat, nothing reopened it
    assert engine.record.inventory_lots[-1] == 0
    assert engine.risk.counters()["trading_state"] == REDUCING
    assert engine.risk.counters()["intraday_caps_breached"] == 1


def test_day_order_cap_halts_and_cancels_every_resting_order(events: EventBatch) -> None:
    engine = _run(_config(intraday_max_orders=20), events, 0)
    assert _state_changes(engine) == ["ACTIVE -> HALTED"]
    halted_ts_ns = _ts_ns(engine, "ACTIVE -> HALTED")
    assert engine.orders.quotes_placed_total == 20
    assert engine.orders.open_orders() == {}  # canceled at the halt, nothing placed since
    ended = [o.ended_ts_ns for o in engine.orders.orders]
    assert all(0 <= ts_ns <= halted_ts_ns + 1_000_000_000 for ts_ns in ended)
    assert engine.risk.counters()["trading_state"] == HALTED


def test_kill_switch_mid_run_cancels_what_rests_and_nothing_fills_after(
    events: EventBatch,
) -> None:
    cfg = _config()
    engine = build_engine(cfg, events, cfg.strategy.model)
    clock = engine.clock
    assert isinstance(clock, SimClock)
    ts_ns, interval_ns = engine.venue.first_ts_ns(), engine.params.decision_interval_ns
    for _ in range(200):
        clock.advance_to(ts_ns)
        engine.step()
        ts_ns += interval_ns
    assert engine.orders.open_orders()  # quoting both sides when the switch trips
    engine.risk.trip_kill_switch("test")
    tripped_ts_ns = ts_ns
    clock.advance_to(ts_ns)
    while engine.step():
        ts_ns += interval_ns
        clock.advance_to(ts_ns)
    assert engine.orders.open_orders() == {}
    fills = engine.venue.venue.fill_log()  # every fill at the venue, reported or not
    # Cancels reach the venue one entry latency later: no fill after that.
    assert not (fills.ts_ns > tripped_ts_ns + interval_ns).any()
    assert engine.risk.counters()["trading_state"] == HALTED
