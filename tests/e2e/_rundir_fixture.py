"""A small hand-made run directory (two symbols, two strategies, makers and takers)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mmbot.engine.rundir import (
    FillRecord,
    InstrumentRecord,
    MidSeriesRecord,
    OrderRecord,
    RunInfo,
    write_run_dir,
)

S = 1_000_000_000
H = 3600 * S
T0 = 1_767_225_600 * S  # 2026-01-01T00:00:00Z


def _order(order_id: str, symbol: str, strategy: str, side: int, price: float, qty: float,
           placed: int, ended: int, state: str) -> OrderRecord:  # fmt: skip
    return OrderRecord(order_id, f"c-{order_id}", symbol, strategy, side, price, qty, placed,
                       placed, ended, state, qty if state == "filled" else 0.0)  # fmt: skip


def _fill(ts: int, order_id: str, symbol: str, side: int, price: float, qty: float, maker: bool,
          fee: float, mid: float, strategy: str) -> FillRecord:  # fmt: skip
    return FillRecord(ts, order_id, f"c-{order_id}", symbol, side, price, qty, maker, fee, "USD",
                      mid, strategy)  # fmt: skip


def write_fixture_run(out: Path) -> Path:
    """Write the fixture run directory into out and return it."""
    fills = [
        _fill(T0, "1", "BTC", 1, 99.9, 2.0, True, -0.01, 100.0, "glft"),
        _fill(T0 + S + S // 2, "2", "BTC", -1, 100.6, 1.0, True, 0.02, 100.5, "glft"),
        _fill(T0 + 2 * S, "3", "ETH", 1, 10.02, 5.0, False, 0.025, 10.0, "fixed"),
        _fill(T0 + H + 2 * S, "4", "BTC", -1, 100.8, 1.0, False, 0.04, 101.0, "fixed"),
    ]
    orders = [
        _order("1", "BTC", "glft", 1, 99.9, 2.0, T0 - S, T0, "filled"),
        _order("2", "BTC", "glft", -1, 100.6, 1.0, T0, T0 + S + S // 2, "filled"),
        _order("3", "ETH", "fixed", 1, 10.02, 5.0, T0 + 2 * S, T0 + 2 * S, "filled"),
        _order("4", "BTC", "fixed", -1, 100.8, 1.0, T0 + H + 2 * S, T0 + H + 2 * S, "filled"),
        _order("5", "BTC", "glft", 1, 99.0, 1.0, T0, T0 + 3 * S, "canceled"),
    ]
    mids = [
        MidSeriesRecord("BTC", np.array([T0, T0 + S, T0 + 2 * S, T0 + H + 2 * S], np.int64),
                        np.array([100.0, 100.5, 99.0, 101.0])),
        MidSeriesRecord("ETH", np.array([T0, T0 + 2 * S, T0 + 3 * S], np.int64),
                        np.array([10.0, 10.0, 9.98])),
    ]  # fmt: skip
    info = RunInfo(
        mode="backtest", seed=7, config_sha256="c" * 64, data_sha256="d" * 64,
        instruments={"BTC": InstrumentRecord("synthetic", 0.1, 0.001),
                     "ETH": InstrumentRecord("synthetic", 0.01, 0.01)},
        versions={"mmbot": "test"},
    )  # fmt: skip
    write_run_dir(out, info, fills, orders, mids)
    return out
