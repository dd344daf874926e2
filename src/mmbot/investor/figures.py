"""The figures of an investor package, computed from run directories (docs/INVESTOR.md).

Theory of operation. Every run is audited as `mmbot edge-audit` audits it (each fill split
into gross, fees, adverse, slippage and inventory, marked to its own run's last mid), and its
equity - cash of its fills plus its positions at the mid - is taken on its mids timeline
(backtest.edge_audit). Runs are separate ledgers, each starting flat; the book's equity at a
time is the sum of every run's equity then (0 before a run starts, its final value after it
ends), so the final equity is the sum of the runs' net PnL, which is the edge decomposition's
net. Period PnL (a day, a month) is the change of that equity over the period; returns are
that PnL over the config's capital (alloc.budget_usd). Drawdown is equity below its running
high-water mark, which starts at 0 (the capital).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from mmbot.artifacts import utc_iso
from mmbot.audit import COMPONENTS, Decomposition, Totals, totals
from mmbot.backtest.edge_audit import AuditedFills, audit_fills, equity_and_inventory
from mmbot.core.errors import AuditError
from mmbot.engine.rundir_read import RunData

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
_NS_PER_MS: Final = 1_000_000


def day_key(ts_ns: int) -> str:
    """Return the UTC day of ts_ns, `YYYY-MM-DD`."""
    return utc_iso(ts_ns)[:10]


def month_key(ts_ns: int) -> str:
    """Return the UTC month of ts_ns, `YYYY-MM`."""
    return utc_iso(ts_ns)[:7]


@dataclass(frozen=True, slots=True)
class Book:
    """Every fill of the runs with its components, and the book's equity over time."""

    runs: list[AuditedFills]
    parts: Decomposition
    ts_ns: IntArray
    symbol: npt.NDArray[np.str_]
    strategy: npt.NDArray[np.str_]
    timeline: IntArray
    equity: FloatArray

    @property
    def drawdown(self) -> FloatArray:
        """Return equity minus its running high-water mark (which starts at 0), <= 0."""
        high_water = np.maximum.accumulate(np.concatenate([[0.0], self.equity]))[1:]
        drawdown: FloatArray = self.equity - high_water
        return drawdown

    def total(self, mask: npt.NDArray[np.bool_] | None = None) -> Totals:
        """Return the decomposition's totals over the fills selected by mask (all: None)."""
        return totals(self.parts, mask)


def merged_steps(curves: Sequence[tuple[IntArray, FloatArray]]) -> tuple[IntArray, FloatArray]:
    """Return the sum of step curves on the union of their times (0 before a curve starts)."""
    timeline = np.unique(np.concatenate([ts for ts, _ in curves]))
    equity = np.zeros(len(timeline))
    for ts, values in curves:
        index = np.searchsorted(ts, timeline, side="right") - 1
        equity += np.where(index >= 0, values[np.clip(index, 0, None)], 0.0)
    return timeline, equity


def _concat(audited: Sequence[AuditedFills]) -> Decomposition:
    names = (*COMPONENTS, "notional")
    return Decomposition(
        **{n: np.concatenate([a.parts.component(n) for a in audited]) for n in names}
    )


def audit_book(runs: Sequence[RunData], horizon_ms: int) -> Book:
    """Return the book of runs, each fill decomposed at the markout horizon_ms."""
    audited = [audit_fills(data, horizon_ms * _NS_PER_MS) for data in runs]
    curves = [equity_and_inventory(one)[:2] for one in audited if one.mids]
    if not curves:
        raise AuditError("E_AUDIT_MISSING_MIDS", "no run of --runs has mids: nothing to mark")
    timeline, equity = merged_steps(curves)
    return Book(
        runs=audited,
        parts=_concat(audited),
        ts_ns=np.concatenate([a.fills.ts_ns for a in audited]),
        symbol=np.concatenate([a.symbol for a in audited]),
        strategy=np.concatenate([a.strategy for a in audited]),
        timeline=timeline,
        equity=equity,
    )


@dataclass(frozen=True, slots=True)
class Period:
    """One period's (a day's, a month's) PnL, costs and activity."""

    key: str
    pnl_usd: float
    fees_usd: float
    notional_usd: float
    fills: int


def periods(book: Book, key_of: Callable[[int], str]) -> list[Period]:
    """Return a Period per key_of key (day_key, month_key) the timeline or a fill falls in,
    in time order; pnl is the change of equity from the end of the period before."""
    timeline_keys = np.array([key_of(int(ts)) for ts in book.timeline])
    fill_keys = np.array([key_of(int(ts)) for ts in book.ts_ns], dtype=np.str_)
    out: list[Period] = []
    equity_before = 0.0
    for key in sorted(set(timeline_keys.tolist()) | set(fill_keys.tolist())):
        inside = np.flatnonzero(timeline_keys == key)
        equity_end = float(book.equity[inside[-1]]) if len(inside) else equity_before
        fills = fill_keys == key
        out.append(
            Period(
                key=key,
                pnl_usd=equity_end - equity_before,
                fees_usd=math.fsum(book.parts.fees[fills]),
                notional_usd=math.fsum(book.parts.notional[fills]),
                fills=int(fills.sum()),
            )
        )
        equity_before = equity_end
    return out


def groups(book: Book, keys: npt.NDArray[np.str_]) -> list[tuple[str, Totals]]:
    """Return (key, totals) of the fills of each key (a symbol, a strategy), sorted by key."""
    return [(str(key), book.total(keys == key)) for key in sorted(set(keys.tolist()))]


def headline(book: Book, capital_usd: float) -> dict[str, float | int | str]:
    """Return the deck's headline figures (USD; pct of capital_usd)."""
    total = book.total()
    max_drawdown = -float(book.drawdown.min())
    return {
        "capital_usd": capital_usd,
        "days": len({day_key(int(ts)) for ts in book.timeline}),
        "fees_usd": total.usd["fees"],
        "fills": total.fills,
        "first_utc": utc_iso(int(book.timeline[0])),
        "last_utc": utc_iso(int(book.timeline[-1])),
        "max_drawdown_pct": 100.0 * max_drawdown / capital_usd,
        "max_drawdown_usd": max_drawdown,
        "net_bps": total.net_bps,
        "net_pnl_usd": total.net_usd,
        "notional_usd": total.notional_usd,
        "return_pct": 100.0 * total.net_usd / capital_usd,
    }
