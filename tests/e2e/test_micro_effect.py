"""Micro signals pay on the fixture with informed flow: less adverse selection, same risk.

The PASS fixture (configs/fixtures/backtest_pass.yaml) on `fixture_alt` seed 7
(conftest.fixture_alt_data) runs twice through the real engine, signals off and on, nothing
else changed. With signals on, the adverse component at 1 s must fall (adverse is negative
when it hurts, so "falls" means it rises toward 0) or the 1 s markout must improve, while the
mean |inventory| stays within 5%.
The golden records both runs' figures (docs/FIXTURES.md).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from _cli import REPO_ROOT, clean_env

from mmbot.artifacts import fmt6, text_bytes
from mmbot.audit import FillArrays, MidSeries, decompose, markout_bps, totals
from mmbot.config import load_config
from mmbot.data import load_events
from mmbot.engine.loop import Engine
from mmbot.node import build_engine

CONFIG = REPO_ROOT / "configs" / "fixtures" / "backtest_pass.yaml"
HORIZON_NS = 1_000_000_000


def _round_to_tick(values: npt.NDArray[np.float64], tick: float) -> npt.NDArray[np.float64]:
    """Prices as the run directory writes them (see mmbot.engine.records)."""
    decimals = max(0, -int(np.floor(np.log10(tick))) + 2)
    return np.round(values, decimals)


def _figures(engine: Engine) -> tuple[int, float, float, float]:
    """Return (fills, markout_1s_bps, adverse_bps, mean_abs_inventory_lots) of a finished run."""
    log = engine.ledger.fill_log()
    tick, lot = engine.strategy.tick_size, engine.strategy.lot_size
    fills = FillArrays(
        ts_ns=np.asarray(log.ts_ns, dtype=np.int64),
        side=np.asarray(log.side, dtype=np.int64),
        price=_round_to_tick(np.asarray(log.price_ticks, dtype=np.float64) * tick, tick),
        qty=_round_to_tick(np.asarray(log.qty_lots, dtype=np.float64) * lot, lot),
        is_maker=np.asarray(log.is_maker) != 0,
        fee_usd=np.asarray(log.fee_usd, dtype=np.float64),
        mid_at_fill=_round_to_tick(np.asarray(log.mid_ticks_x2, dtype=np.float64) * tick / 2, tick),
    )
    mids = MidSeries(
        np.asarray(engine.record.mid_ts_ns, dtype=np.int64),
        _round_to_tick(np.asarray(engine.record.mid_ticks_x2, dtype=np.float64) * tick / 2, tick),
    )
    adverse_bps = totals(decompose(fills, mids, HORIZON_NS)).bps["adverse"]
    inventory = np.abs(np.asarray(engine.record.inventory_lots, dtype=np.float64))
    return len(log), markout_bps(fills, mids, HORIZON_NS), adverse_bps, float(inventory.mean())


@pytest.fixture(scope="module")
def runs(fixture_alt_data: Path) -> dict[str, tuple[int, float, float, float]]:
    """Return the figures of the fixture run with signals off and on."""
    cfg = load_config(CONFIG, clean_env())
    events = load_events(fixture_alt_data)[0]
    out = {}
    for label, enabled in (("off", False), ("on", True)):
        engine = build_engine(
            cfg.config, events, strategy_id=cfg.config.strategy.model, signals_enabled=enabled
        )
        engine.run()
        out[label] = _figures(engine)
    return out


def _line(label: str, figures: tuple[int, float, float, float]) -> str:
    fills, markout, adverse, inventory = figures
    return (
        f"signals={label} fills={fills} markout_1s_bps={fmt6(markout)} "
        f"adverse_bps={fmt6(adverse)} mean_abs_inventory_lots={fmt6(inventory)}"
    )


@pytest.mark.selected
def test_signals_reduce_adverse_selection_at_the_same_risk(
    runs: dict[str, tuple[int, float, float, float]],
) -> None:
    _, markout_off, adverse_off, inventory_off = runs["off"]
    _, markout_on, adverse_on, inventory_on = runs["on"]
    assert adverse_on > adverse_off or markout_on > markout_off
    assert adverse_on > adverse_off  # on this fixture it is the adverse component that falls
    assert abs(inventory_on / inventory_off - 1.0) <= 0.05


@pytest.mark.selected
def test_micro_effect_golden(
    runs: dict[str, tuple[int, float, float, float]], golden: Callable[[str, bytes], None]
) -> None:
    text = "\n".join(_line(label, runs[label]) for label in ("off", "on"))
    golden("micro_effect_case1.out", text_bytes(text, "micro_effect_case1.out"))
