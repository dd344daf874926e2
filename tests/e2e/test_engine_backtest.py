"""The engine over the simulated venue: determinism, ledger conservation, kill switch, values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mmbot.artifacts import write_fill_log
from mmbot.config import MmConfig, load_config
from mmbot.core.events import OrderEvent, OrderEventKind
from mmbot.core.types import PlaceOrder
from mmbot.data import EventBatch, synthesize
from mmbot.engine.kill_switch import KillSwitchFile
from mmbot.engine.loop import Engine
from mmbot.node import build_engine
from mmbot.risk import HALTED

pytestmark = pytest.mark.selected
METRIC_NAMES = {
    "quotes_placed_total", "pos_skew_breach_total", "intraday_caps_breached",
    "portfolio_budget_available_usd", "allocator_hwm_equity_usd", "order_age_ms_p50",
    "order_age_ms_p95", "cost_fillrate_ewma", "effective_fee_bps_now", "fee_tier_distance_usd",
    "replace_attempts", "replace_allowed",
}  # fmt: skip


@pytest.fixture(scope="module")
def events() -> EventBatch:
    return EventBatch.concat(list(synthesize(3, 60_000)))


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> MmConfig:
    path = tmp_path_factory.mktemp("cfg") / "rebate.yaml"
    path.write_text("fees:\n  volume_30d_usd: 60000000.0\n")  # the maker-rebate tier
    return load_config(path, {}).config


def _run(config: MmConfig, events: EventBatch) -> Engine:
    engine = build_engine(config, events, "glft")
    engine.run()
    return engine


def test_engine_two_runs_identical_fill_log_bytes(
    config: MmConfig, events: EventBatch, tmp_path: Path
) -> None:
    first, second = _run(config, events), _run(config, events)
    a = write_fill_log(tmp_path / "a.csv", first.venue.venue.fill_log()).read_bytes()
    b = write_fill_log(tmp_path / "b.csv", second.venue.venue.fill_log()).read_bytes()
    ledger_a = write_fill_log(tmp_path / "la.csv", first.ledger.fill_log()).read_bytes()
    ledger_b = write_fill_log(tmp_path / "lb.csv", second.ledger.fill_log()).read_bytes()
    assert first.ledger.fills > 10
    assert a == b
    assert ledger_a == ledger_b
    assert first.values() == second.values()


def test_engine_ledger_matches_reported_fills(config: MmConfig, events: EventBatch) -> None:
    engine = _run(config, events)
    log = engine.venue.venue.fill_log()  # the simulator's own record of every fill
    now_ns = engine.venue.venue.now_ns
    seen = log.ts_local_ns <= now_ns  # reports that reached the strategy
    lot, tick = config.instrument.lot_size, config.instrument.tick_size
    position = int(np.sum(log.side[seen] * log.qty_lots[seen]))
    notional = log.price_ticks[seen] * tick * log.qty_lots[seen] * lot
    cash = -float(np.sum(log.side[seen] * notional)) - float(np.sum(log.fee_usd[seen]))
    assert engine.ledger.position_lots == position
    assert abs(engine.ledger.cash_usd - cash) <= 1e-8
    assert engine.ledger.fills == int(seen.sum())
    filled = sum(order.filled_lots * order.side for order in engine.orders.orders)
    assert filled == position


def test_engine_with_kill_switch_tripped_places_nothing(
    config: MmConfig, events: EventBatch
) -> None:
    engine = build_engine(config, events, "glft")
    engine.risk.trip_kill_switch("operator")
    engine.run()
    values = engine.values()
    assert values["quotes_placed_total"] == 0
    assert values["kill_switch_active"] == 1
    assert values["trading_state"] == HALTED  # nothing rests: no order is even planned
    assert engine.record.denials == {}
    assert [line.split(":")[0] for line in engine.record.risk_lines] == [
        "E_RISK_TRADING_STATE", "E_RISK_KILL_SWITCH"
    ]  # fmt: skip


def test_kill_switch_file_trips_once_when_the_file_appears(tmp_path: Path) -> None:
    flag = tmp_path / "KILL"
    watcher = KillSwitchFile(flag)
    reasons: list[str] = []

    class Latch:
        def trip_kill_switch(self, reason: str) -> None:
            reasons.append(reason)

    assert watcher.poll(Latch()) is False and reasons == []
    flag.write_text("stop\n")
    assert watcher.poll(Latch()) is True
    flag.unlink()  # removing the file does not re-arm a tripped switch
    assert watcher.poll(Latch()) is True
    assert reasons == [f"flag file {flag} present"]


def test_engine_values_carry_every_metric(config: MmConfig, events: EventBatch) -> None:
    values = _run(config, events).values()
    assert set(values) >= METRIC_NAMES
    assert all(np.isfinite(float(v)) for v in values.values())
    assert values["replace_allowed"] <= values["replace_attempts"]


def test_engine_fill_rate_counts_an_order_filled_in_parts_once(
    config: MmConfig, events: EventBatch
) -> None:
    engine = build_engine(config, events, "glft")
    engine.orders.on_sent_place(PlaceOrder("glft-1", 1, 100, 3), 1, 7, 0)

    def fill(kind: OrderEventKind, qty: int, leaves: int) -> OrderEvent:
        return OrderEvent(0, 0, kind, 7, 1, 1, 100, qty, leaves, 0, 1, 0.0)

    engine._apply(engine.only_book(), fill(OrderEventKind.PARTIALLY_FILLED, 1, 2))
    assert engine.cost_fillrate_ewma == 0.0  # not ended yet
    engine._apply(engine.only_book(), fill(OrderEventKind.FILLED, 2, 0))
    assert engine.cost_fillrate_ewma == 1.0  # one episode, filled in full: it seeds the EWMA


def test_fill_ratio_falls_to_zero_when_quotes_stop_filling(
    config: MmConfig, events: EventBatch
) -> None:
    near = _run(config, events)
    far_cfg = config.model_copy(update={"strategy": config.strategy.model_copy(
        update={"model": "fixed_spread", "fixed_half_spread_ticks": 400})})  # fmt: skip
    far = _run(far_cfg, events)  # 400 ticks from the mid: nothing trades that far
    assert far.ledger.fills == 0 and far.values()["replace_allowed"] > 10  # episodes closed
    assert far.cost_fillrate_ewma == 0.0
    assert 0.0 < near.cost_fillrate_ewma < 1.0 and near.ledger.fills > 10
    assert near.orders.fill_ratio_ewma == near.cost_fillrate_ewma  # one leg: the same fold
