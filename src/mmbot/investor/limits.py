"""Risk limits of the config against what the runs used of them (docs/INVESTOR.md).

For every cap the risk gate enforces (docs/RISK.md) the peak the runs reached, each run on
its own (each had its own gate; runs start flat):
    per symbol   max_position_usd, max_skew_usd: peak |net position x mid| of the symbol;
                 intraday_max_loss_usd: peak fall of the symbol's equity below its level at
                 the day's start; intraday_max_notional_usd: peak traded notional in a UTC
                 day; intraday_max_orders: peak orders placed in a UTC day
    book         (a portfolio config) max_gross_notional_usd, max_net_delta_usd: peak
                 sum |position x mid| and |sum position x mid| over symbols;
                 intraday_max_loss_usd, intraday_max_orders: as above over every symbol
Positions are sampled at the decision points (mids.csv), as the gate samples them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import polars as pl

from mmbot.artifacts import Cell
from mmbot.backtest.edge_audit import AuditedFills, equity_and_inventory
from mmbot.config import MmConfig
from mmbot.config.book import book_of
from mmbot.core.errors import AuditError
from mmbot.engine.rundir_read import RunData
from mmbot.investor.figures import FloatArray, IntArray, merged_steps

BOOK: Final = "book"
ORDERS: Final = "orders"
LIMIT_COLUMNS: Final = ("limit", "scope", "value", "unit", "peak_in_runs", "usage_pct")
_NS_PER_DAY: Final = 86_400 * 1_000_000_000


@dataclass(frozen=True, slots=True)
class LimitUse:
    """One cap: its name, scope (a symbol or the book), value and the runs' peak."""

    name: str
    scope: str
    limit: float
    peak: float
    unit: str

    @property
    def usage_pct(self) -> float:
        """Return the peak as a percentage of the limit."""
        return 100.0 * self.peak / self.limit

    def row(self) -> list[Cell]:
        """Return the cap as a LIMIT_COLUMNS row (counts of orders as integers)."""
        count = self.unit == ORDERS
        limit, peak = (int(self.limit), int(self.peak)) if count else (self.limit, self.peak)
        return [self.name, self.scope, limit, self.unit, peak, self.usage_pct]


def _peak_day_loss(ts_ns: IntArray, equity: FloatArray) -> float:
    """Return the largest fall of equity below its value at the start of its UTC day."""
    day = ts_ns // _NS_PER_DAY
    first = np.flatnonzero(np.concatenate([[True], day[1:] != day[:-1]]))
    start = np.where(first > 0, equity[np.maximum(first - 1, 0)], 0.0)
    return max(0.0, float(np.max(start - np.minimum.reduceat(equity, first))))


def _peak_day_sum(ts_ns: IntArray, weights: FloatArray) -> float:
    """Return the largest sum of weights within one UTC day (0 without any)."""
    if len(ts_ns) == 0:
        return 0.0
    _, day = np.unique(ts_ns // _NS_PER_DAY, return_inverse=True)
    return float(np.bincount(day, weights=weights).max())


def _peak_day_count(ts_ns: IntArray) -> float:
    """Return the most events (orders) within one UTC day."""
    return _peak_day_sum(ts_ns, np.ones(len(ts_ns)))


def _orders_ts(data: RunData, symbol: str | None) -> IntArray:
    orders = data.orders if symbol is None else data.orders.filter(pl.col("symbol") == symbol)
    return orders["placed_ts_ns"].to_numpy()


Positions = list[tuple[IntArray, FloatArray]]


def _symbol_uses(
    cfg: MmConfig, data: RunData, audited: AuditedFills
) -> tuple[list[LimitUse], Positions]:
    """Return the per-symbol caps' peaks of one run and each symbol's position path (USD)."""
    book, risk = book_of(cfg), cfg.risk
    uses: list[LimitUse] = []
    positions: Positions = []
    for symbol, series in sorted(audited.mids.items()):
        ts, equity, inventory = equity_and_inventory(
            dataclasses.replace(audited, mids={symbol: series})
        )
        position_usd = inventory * series.asof(ts)
        positions.append((ts, position_usd))
        peak_position = float(np.abs(position_usd).max())
        fills = audited.symbol == symbol
        if symbol not in book.symbols:
            raise AuditError(
                "E_INVESTOR_CONFIG_MISMATCH",
                f"a run quotes {symbol}, which the config does not ({', '.join(book.symbols)}); "
                "pass the config the runs were made with",
            )
        spec = book.instrument(symbol)
        uses += [
            LimitUse("max_position_usd", symbol, spec.max_position_usd, peak_position, "USD"),
            LimitUse("max_skew_usd", symbol, spec.max_skew_usd, peak_position, "USD"),
            LimitUse("intraday_max_loss_usd", symbol, risk.intraday_max_loss_usd,
                     _peak_day_loss(ts, equity), "USD"),
            LimitUse("intraday_max_notional_usd", symbol, risk.intraday_max_notional_usd,
                     _peak_day_sum(audited.fills.ts_ns[fills], audited.parts.notional[fills]),
                     "USD"),
            LimitUse("intraday_max_orders", symbol, float(risk.intraday_max_orders),
                     _peak_day_count(_orders_ts(data, symbol)), ORDERS),
        ]  # fmt: skip
    return uses, positions


def _book_uses(
    cfg: MmConfig, data: RunData, audited: AuditedFills, positions: Positions
) -> list[LimitUse]:
    """Return the book caps' peaks of one run (none without a portfolio section)."""
    if cfg.portfolio is None:
        return []
    caps = cfg.portfolio.risk
    _, gross = merged_steps([(ts, np.abs(usd)) for ts, usd in positions])
    _, net = merged_steps(positions)
    ts, equity, _ = equity_and_inventory(audited)
    return [
        LimitUse("max_gross_notional_usd", BOOK, caps.max_gross_notional_usd,
                 float(gross.max()), "USD"),
        LimitUse("max_net_delta_usd", BOOK, caps.max_net_delta_usd, float(np.abs(net).max()),
                 "USD"),
        LimitUse("intraday_max_loss_usd", BOOK, caps.intraday_max_loss_usd,
                 _peak_day_loss(ts, equity), "USD"),
        LimitUse("intraday_max_orders", BOOK, float(caps.intraday_max_orders),
                 _peak_day_count(_orders_ts(data, None)), ORDERS),
    ]  # fmt: skip


def limit_uses(
    cfg: MmConfig, runs: Sequence[RunData], audited: Sequence[AuditedFills]
) -> list[LimitUse]:
    """Return every cap of cfg with the highest peak any run reached: by symbol (sorted),
    then the book's."""
    peaks: dict[tuple[str, str], LimitUse] = {}
    for data, one in zip(runs, audited, strict=True):
        symbol_uses, positions = _symbol_uses(cfg, data, one)
        for use in [*symbol_uses, *_book_uses(cfg, data, one, positions)]:
            best = peaks.get((use.name, use.scope))
            if best is None or use.peak > best.peak:
                peaks[use.name, use.scope] = use
    return sorted(peaks.values(), key=lambda use: (use.scope == BOOK, use.scope))
