"""Edge decomposition: every fill's PnL split into gross, fees, adverse, slippage, inventory.

Theory of operation. A fill with side s (+1 buy, -1 sell), price P, base quantity Q and fee F
(USD; paid is positive, a rebate negative - the sign of fills.csv, the config's fee tiers and the
venues) contributes, when the run is marked at the final mid m_T,

    pnl = s*Q*(m_T - P) - F

We split the price term at the mid at fill m_0 and the mid one markout horizon later m_tau
(as-of lookups; m_tau is clipped to m_T past the end of the data):

    s*Q*(m_0 - P)       spread capture vs the mid at fill: `gross` for a maker fill,
                        `slippage` for a taker fill (the mid at fill is its arrival price)
    s*Q*(m_tau - m_0)   `adverse`: how far the mid moved against (or with) us right after
    s*Q*(m_T - m_tau)   `inventory`: the rest of the mark-to-mid of the position
    F                   `fees`, the one cost term: paid is positive, enters net as -F

    net = gross + slippage + adverse + inventory - fees

identically, per fill and in total, so the decomposition sums to net PnL exactly (to float
rounding, checked at 1e-8); NET_SIGN says how each component enters net. A run that starts flat
has total net PnL = cash + position * m_T, which is what the ledger reports.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

COMPONENTS: Final = ("gross", "fees", "adverse", "slippage", "inventory")
DRAGS: Final = ("fees", "adverse", "slippage", "inventory")
# Fees keep the sign a fee has everywhere (paid positive), so they enter net PnL negated.
NET_SIGN: Final = {"gross": 1.0, "fees": -1.0, "adverse": 1.0, "slippage": 1.0, "inventory": 1.0}

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class FillArrays:
    """Fills of one symbol as columns (floats: prices in quote currency, qty in base units)."""

    ts_ns: IntArray
    side: IntArray
    price: FloatArray
    qty: FloatArray
    is_maker: npt.NDArray[np.bool_]
    fee_usd: FloatArray
    mid_at_fill: FloatArray


@dataclass(frozen=True, slots=True)
class MidSeries:
    """Mid prices of one symbol, ts_ns strictly increasing."""

    ts_ns: IntArray
    mid: FloatArray

    def asof(self, ts_ns: IntArray) -> FloatArray:
        """Return the last mid at or before each ts (the first mid before the series starts)."""
        index = np.searchsorted(self.ts_ns, ts_ns, side="right") - 1
        return self.mid[np.clip(index, 0, len(self.mid) - 1)]

    @property
    def final_mid(self) -> float:
        """Return the last mid (the mark of the run)."""
        return float(self.mid[-1])


@dataclass(frozen=True, slots=True)
class Decomposition:
    """Per-fill components in USD, aligned with the fills (fees: paid positive)."""

    gross: FloatArray
    fees: FloatArray
    adverse: FloatArray
    slippage: FloatArray
    inventory: FloatArray
    notional: FloatArray

    def net(self) -> FloatArray:
        """Return per-fill net PnL: the components summed with their NET_SIGN."""
        return self.gross - self.fees + self.adverse + self.slippage + self.inventory

    def component(self, name: str) -> FloatArray:
        """Return the named component array."""
        array: FloatArray = getattr(self, name)
        return array


def decompose(fills: FillArrays, mids: MidSeries, horizon_ns: int) -> Decomposition:
    """Split each fill's PnL into the five components (USD)."""
    side = fills.side.astype(np.float64)
    signed_qty = side * fills.qty
    mid_later = mids.asof(fills.ts_ns + horizon_ns)
    final = mids.final_mid
    capture = signed_qty * (fills.mid_at_fill - fills.price)
    zeros = np.zeros_like(capture)
    return Decomposition(
        gross=np.where(fills.is_maker, capture, zeros),
        fees=fills.fee_usd,
        adverse=signed_qty * (mid_later - fills.mid_at_fill),
        slippage=np.where(fills.is_maker, zeros, capture),
        inventory=signed_qty * (final - mid_later),
        notional=fills.price * fills.qty,
    )


def direct_pnl(fills: FillArrays, final_mid: float) -> FloatArray:
    """Return per-fill PnL marked at final_mid, computed without the decomposition."""
    return fills.side * fills.qty * (final_mid - fills.price) - fills.fee_usd


@dataclass(frozen=True, slots=True)
class Totals:
    """Summed components in USD and bps of traded notional."""

    usd: dict[str, float]
    bps: dict[str, float]
    net_usd: float
    net_bps: float
    notional_usd: float
    fills: int


def to_bps(usd: float, notional_usd: float) -> float:
    """Return 1e4 * usd / notional (0 when nothing traded)."""
    return 1e4 * usd / notional_usd if notional_usd > 0 else 0.0


def totals(parts: Decomposition, mask: npt.NDArray[np.bool_] | None = None) -> Totals:
    """Return exact (fsum) totals of the components over the fills selected by mask."""
    select = np.ones(len(parts.notional), dtype=bool) if mask is None else mask
    notional = math.fsum(parts.notional[select])
    usd = {name: math.fsum(parts.component(name)[select]) for name in COMPONENTS}
    net = math.fsum(parts.net()[select])
    return Totals(
        usd=usd,
        bps={name: to_bps(value, notional) for name, value in usd.items()},
        net_usd=net,
        net_bps=to_bps(net, notional),
        notional_usd=notional,
        fills=int(select.sum()),
    )


def bottleneck(total: Totals) -> tuple[str, float, float]:
    """Return the largest drag and what it does to net PnL, in bps and USD (negative).

    The drag is the most negative effect on net of fees/adverse/slippage/inventory (fees
    counted as -fees); ("none", 0.0, 0.0) when no component is a drag.
    """
    effect = {name: NET_SIGN[name] * total.usd[name] for name in DRAGS}
    worst = min(DRAGS, key=lambda name: (effect[name], DRAGS.index(name)))
    if effect[worst] >= 0.0:
        return "none", 0.0, 0.0
    return worst, NET_SIGN[worst] * total.bps[worst], effect[worst]


def markout_bps(fills: FillArrays, mids: MidSeries, horizon_ns: int) -> float:
    """Return the notional-weighted markout s*(m_{t+tau} - P)/P in bps over all fills."""
    if len(fills.price) == 0:
        return 0.0
    later = mids.asof(fills.ts_ns + horizon_ns)
    per_fill = fills.side * (later - fills.price) / fills.price
    weights = fills.price * fills.qty
    return 1e4 * math.fsum(per_fill * weights) / math.fsum(weights)
