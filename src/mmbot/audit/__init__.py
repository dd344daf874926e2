"""Edge audit: markouts and the PnL decomposition that names the bottleneck. Pure: no I/O."""

from mmbot.audit.decompose import (
    COMPONENTS,
    DRAGS,
    NET_SIGN,
    Decomposition,
    FillArrays,
    MidSeries,
    Totals,
    bottleneck,
    decompose,
    direct_pnl,
    markout_bps,
    to_bps,
    totals,
)

__all__ = [
    "COMPONENTS",
    "DRAGS",
    "NET_SIGN",
    "Decomposition",
    "FillArrays",
    "MidSeries",
    "Totals",
    "bottleneck",
    "decompose",
    "direct_pnl",
    "markout_bps",
    "to_bps",
    "totals",
]
