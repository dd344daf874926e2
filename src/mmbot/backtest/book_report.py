"""What a book's backtest report adds: figures per symbol, strategy and leg, and the mux chart.

Each group's figures are the edge audit's totals over the fills of that group (the same
decomposition, fsum'd per group), so every group's components add up to its net, and the
groups of one kind add up to the TOTAL row that ends each list.
"""

from __future__ import annotations

from typing import Final

import numpy as np

from mmbot.audit import totals
from mmbot.backtest.edge_audit import AuditedFills, group_totals, totals_payload
from mmbot.config.schema import REGIMES
from mmbot.engine.loop import Engine

GROUP_TITLES: Final = ("symbol", "strategy", "leg")
_NS_PER_HOUR: Final = 3_600_000_000_000


def group_breakdown(audited: AuditedFills) -> dict[str, object]:
    """Return `by_symbol`, `by_strategy` and `by_leg` (strategy@symbol): each group's totals
    sorted by key, then the TOTAL of all fills."""
    legs = np.char.add(np.char.add(audited.strategy, "@"), audited.symbol)
    total = {"key": "TOTAL", **totals_payload(totals(audited.parts))}
    keys_of = {"symbol": audited.symbol, "strategy": audited.strategy, "leg": legs}
    breakdown: dict[str, object] = {}
    for title in GROUP_TITLES:
        groups = group_totals(audited, keys_of[title])
        breakdown[f"by_{title}"] = [
            *({"key": key, **totals_payload(group)} for key, group in groups),
            total,
        ]
    return breakdown


def mux_chart_svg(engine: Engine) -> bytes:
    """Return the chart of each symbol's active regime and its strategies' weights over time
    (a symbol quoted by one strategy has no mux: weight 1 throughout, not drawn)."""
    from mmbot.backtest.charts import RegimePanel, regime_weights_svg  # matplotlib: on use

    trace = engine.mux_trace
    start_ns = trace[0].ts_ns if trace else 0
    panels = []
    for book in engine.books:
        rows = [row for row in trace if row.symbol == book.symbol]
        if not rows:
            continue
        weights = {
            leg.strategy_id: [row.weights[index] for row in rows]
            for index, leg in enumerate(book.legs)
        }
        panels.append(
            RegimePanel(
                book.symbol,
                [(row.ts_ns - start_ns) / _NS_PER_HOUR for row in rows],
                [REGIMES.index(row.active_regime) for row in rows],
                weights,
            )
        )
    return regime_weights_svg("Mux: active regime and strategy weights", panels, REGIMES)


def group_lines(report: dict[str, object]) -> list[str]:
    """Return one `symbol=<key> ...` line per symbol, then one `strategy=<key> ...` line per
    strategy, each kind ending with TOTAL (nothing for a one-symbol, one-strategy report)."""
    lines: list[str] = []
    for title in ("symbol", "strategy"):
        groups = report.get(f"by_{title}", [])
        assert isinstance(groups, list)
        lines.extend(
            f"{title}={group['key']} net_bps={float(group['net_bps']):.6f} "
            f"net_usd={float(group['net_usd']):.6f} fills={group['fills']}"
            for group in groups
        )
    return lines
