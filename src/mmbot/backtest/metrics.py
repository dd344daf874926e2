"""Backtest report figures computed from a run directory (the same inputs the audit reads)."""

from __future__ import annotations

import math
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from mmbot.backtest.edge_audit import AuditedFills, equity_and_inventory
from mmbot.engine.loop import quantile_ms
from mmbot.engine.rundir_read import RunData

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Figures = dict[str, float | int | None]  # None: not measurable on this run (reported as n/a)
_NS_PER_HOUR: Final = 3_600_000_000_000
# A daily-equivalent Sharpe from fewer than a day of hourly PnL samples is noise, not a figure.
MIN_SHARPE_HOURS: Final = 24


def max_drawdown_usd(equity: FloatArray) -> float:
    """Return the largest peak-to-trough fall of the equity curve (>= 0)."""
    if len(equity) == 0:
        return 0.0
    peaks = np.maximum.accumulate(equity)
    return float(np.max(peaks - equity))


def sharpe_daily(mid_ts_ns: IntArray, equity: FloatArray) -> float | None:
    """Return mean/std of hourly PnL scaled by sqrt(24): a daily-equivalent Sharpe.

    None (n/a) with fewer than MIN_SHARPE_HOURS hourly PnL samples, or when PnL never varies.
    """
    if len(equity) == 0:
        return None
    hours = (mid_ts_ns - mid_ts_ns[0]) // _NS_PER_HOUR
    last_index = np.r_[np.nonzero(np.diff(hours))[0], len(hours) - 1]
    hourly_pnl = np.diff(np.r_[0.0, equity[last_index]])
    if len(hourly_pnl) < MIN_SHARPE_HOURS or float(np.std(hourly_pnl)) == 0.0:
        return None
    return float(np.mean(hourly_pnl) / np.std(hourly_pnl) * math.sqrt(24.0))


def order_figures(data: RunData) -> dict[str, float | int]:
    """Return order counts, fill rate and resting-age quantiles from orders.csv."""
    orders = data.orders
    ended = orders.filter(pl.col("end_state").is_in(["filled", "canceled"]))
    ages = (ended["ended_ts_ns"] - ended["priced_ts_ns"]).to_numpy()
    placed = orders.height
    filled = orders.filter(pl.col("filled_qty") > 0).height
    return {
        "orders_placed": placed,
        "orders_filled": filled,
        "fill_rate": filled / placed if placed else 0.0,
        "order_age_p50_ms": quantile_ms(ages, 0.5),
        "order_age_p95_ms": quantile_ms(ages, 0.95),
    }


def trade_figures(audited: AuditedFills, budget_usd: float) -> Figures:
    """Return taker share, inventory extremes, drawdown, Sharpe and turnover."""
    fills = audited.fills
    notional = fills.price * fills.qty
    total = float(notional.sum())
    taker = float(notional[~fills.is_maker].sum())
    timeline, equity, inventory = equity_and_inventory(audited)
    return {
        "fills": len(fills.price),
        "taker_share_pct": 100.0 * taker / total if total > 0 else 0.0,
        "max_abs_inventory": float(np.max(np.abs(inventory))) if len(inventory) else 0.0,
        "max_drawdown_usd": max_drawdown_usd(equity),
        "sharpe_daily": sharpe_daily(timeline, equity),
        "turnover": total / budget_usd if budget_usd > 0 else 0.0,
    }
