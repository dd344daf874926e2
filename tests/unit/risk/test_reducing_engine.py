"""REDUCING in the engine over the simulated venue: inventory over a cap comes down passively.

The engine starts from the venue's position, as canary/live do after --adopt; here a sim port
that starts with an inventory (bought at the data's median price) stands in for the adopted venue.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mmbot.backtest.wiring import build_engine
from mmbot.config import MmConfig, load_config
from mmbot.data import EventBatch, synthesize
from mmbot.data.synth_params import preset
from mmbot.engine.loop import Engine
from mmbot.risk import HALTED, REDUCING
from mmbot.sim import SimParams
from mmbot.venues.sim import SimVenuePort

CONFIG = Path(__file__).resolve().parents[3] / "configs" / "fixtures" / "backtest_pass.yaml"
CAP_LOTS = 20  # the fixture's max_position_usd 200 at its ~100 USD mid, lot 0.1 (19-20)


class StartingInventoryPort(SimVenuePort):
    """The sim venue, holding start_lots from the start (bought at entry_usd a lot)."""

    def __init__(self, events: EventBatch, params: SimParams, start_lots: int,
                 entry_usd: float) -> None:  # fmt: skip
        super().__init__(events, params)
        self._start_lots = start_lots
        self._start_cost_usd = start_lots * entry_usd

    @property
    def position_lots(self) -> int:
        """The simulator's position plus the inventory held from the start."""
        return self.venue.position_lots + self._start_lots

    @property
    def cash_usd(self) -> float:
        """The simulator's cash less what the starting inventory cost."""
        return self.venue.cash_usd - self._start_cost_usd


@pytest.fixture(scope="module")
def events() -> EventBatch:
    params, meta = preset("fixture_alt")
    return EventBatch.concat(list(synthesize(7, 60_000, meta, params)))


def _config(**risk: float) -> MmConfig:
    cfg = load_config(CONFIG, {}).config
    return cfg.model_copy(update={"risk": cfg.risk.model_copy(update=risk)})


def _run(cfg: MmConfig, events: EventBatch, start_lots: int) -> Engine:
    engine = build_engine(cfg, events, cfg.strategy.model)
    priced = events.price_ticks[events.price_ticks > 0]
    lot_usd = float(np.median(priced)) * cfg.instrument.tick_size * cfg.instrument.lot_size
    engine.venue = StartingInventoryPort(events, SimParams.from_config(cfg), start_lots,
                                         lot_usd)  # fmt: skip
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
    fills = engine.venue.fill_log()
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
    fills = engine.venue.fill_log()
    position = 10 + np.cumsum(fills.side * fills.qty_lots)
    after = fills.ts_local_ns > capped_ts_ns
    held = int(position[~after][-1])
    assert held != 0 and after.sum() > 0  # the cap found inventory, and some came off
    path = np.abs(np.concatenate([[held], position[after]]))
    assert (np.diff(path) <= 0).all()  # reduce-only: |position| never grew, never flipped
    assert (np.sign(position[after]) * np.sign(held) >= 0).all()
    assert engine.venue.position_lots == 0  # flat, and nothing reopened it
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
    ts_ns, interval_ns = engine.venue.first_ts_ns(), engine.params.decision_interval_ns
    for _ in range(200):
        engine.step(ts_ns)
        ts_ns += interval_ns
    assert engine.orders.open_orders()  # quoting both sides when the switch trips
    engine.risk.trip_kill_switch("test")
    tripped_ts_ns = ts_ns
    while engine.step(ts_ns):
        ts_ns += interval_ns
    assert engine.orders.open_orders() == {}
    fills = engine.venue.fill_log()
    # Cancels reach the venue one entry latency later: no fill after that.
    assert not (fills.ts_ns > tripped_ts_ns + interval_ns).any()
    assert engine.risk.counters()["trading_state"] == HALTED
