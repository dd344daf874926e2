"""Portfolio allocator: a USD budget split across strategy/symbol keys by their demand.

Theory of operation
-------------------
Each update() folds one equity observation into the state (high-water mark, previous
allocation) and returns the new Allocation:

1. hwm = max(hwm, equity); drawdown_frac = (hwm - equity) / hwm.
2. available = budget_usd * max(0, 1 - drawdown_scale * drawdown_frac).
3. target per key = demand * min(1, available / total demand): proportional to demand, never
   more than a key asked for, never more than available in total.
4. new = prev + clip((1 - smoothing) * (target - prev), +-max_step_pct% of budget_usd).
5. If smoothing left the total above available (a drawdown cut faster than the smoother
   follows), every key is scaled down so the total is exactly available: smoothing may slow
   a cut of a key's share, never the portfolio's cut for drawdown.

The first allocation starts from zero for every key, so a fresh allocator ramps in.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import NamedTuple

from mmbot.config.schema import MmConfig


@dataclass(frozen=True, slots=True)
class AllocParams:
    """Budget, drawdown scaling and smoothing of the allocator."""

    budget_usd: float
    drawdown_scale: float
    smoothing: float
    max_step_usd: float

    @classmethod
    def from_config(cls, cfg: MmConfig) -> AllocParams:
        """Return the parameters of cfg.alloc (max_step_pct becomes USD of the budget)."""
        alloc = cfg.alloc
        return cls(
            budget_usd=alloc.budget_usd,
            drawdown_scale=alloc.drawdown_scale,
            smoothing=alloc.smoothing,
            max_step_usd=alloc.budget_usd * alloc.max_step_pct / 100.0,
        )


class Allocation(NamedTuple):
    """The budget of each key after one update, and the portfolio values behind it.

    A NamedTuple (immutable, a third of a frozen dataclass's construction cost): the engine
    gets one every allocation interval, where it sits in the decision's latency tail.
    """

    ts_ns: int
    budget_usd: Mapping[str, float]
    hwm_equity_usd: float
    drawdown_pct: float
    budget_available_usd: float


class Allocator:
    """Split the drawdown-scaled portfolio budget across keys, smoothing the changes."""

    __slots__ = (
        "_available_usd",
        "_budgets_usd",
        "_hwm_equity_usd",
        "_key_set",
        "_keys",
        "_params",
    )

    def __init__(self, params: AllocParams, keys: Sequence[str]) -> None:
        if not keys or len(set(keys)) != len(keys):
            raise ValueError(f"keys={list(keys)} expected unique and non-empty")
        self._params = params
        self._keys = tuple(keys)
        self._key_set = frozenset(keys)
        self._budgets_usd = [0.0] * len(keys)
        self._hwm_equity_usd = 0.0
        self._available_usd = params.budget_usd

    def update(self, ts_ns: int, equity_usd: float, demand_usd: Mapping[str, float]) -> Allocation:
        """Fold one equity observation and the keys' demand into the next allocation."""
        if not (demand_usd.keys() <= self._key_set and math.isfinite(equity_usd)):
            unknown = sorted(set(demand_usd).difference(self._keys))
            raise ValueError(f"equity_usd={equity_usd} unknown keys={unknown}")
        params = self._params
        self._hwm_equity_usd = max(self._hwm_equity_usd, equity_usd)
        hwm = self._hwm_equity_usd
        drawdown_frac = (hwm - equity_usd) / hwm if hwm > 0.0 else 1.0
        available = params.budget_usd * max(0.0, 1.0 - params.drawdown_scale * drawdown_frac)
        demands = [max(0.0, demand_usd.get(key, 0.0)) for key in self._keys]
        total_demand = sum(demands)
        fill = min(1.0, available / total_demand) if total_demand > 0.0 else 0.0
        gain = 1.0 - params.smoothing
        step = params.max_step_usd
        budgets = [
            prev + min(step, max(-step, gain * (demand * fill - prev)))
            for prev, demand in zip(self._budgets_usd, demands, strict=True)
        ]
        total = sum(budgets)
        if total > available:
            budgets = [budget * available / total for budget in budgets]
        self._budgets_usd = budgets
        self._available_usd = available
        return Allocation(
            ts_ns, MappingProxyType(dict(zip(self._keys, budgets, strict=True))), hwm,
            100.0 * drawdown_frac, available,
        )  # fmt: skip

    def values(self) -> dict[str, float]:
        """Return the allocator's metric values, ready for export."""
        return {
            "allocator_hwm_equity_usd": self._hwm_equity_usd,
            "portfolio_budget_available_usd": self._available_usd,
        }
