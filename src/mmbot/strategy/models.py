"""Quote models: pure functions returning (half_spread_ticks, skew_ticks_per_qty).

Units: prices in ticks, time in seconds, inventory q in units of the order size (so the
GLFT Delta is 1), sigma in ticks per sqrt(second), A per second, k per tick, gamma per
(tick * order size). The caller quotes bid = fair - (half + skew*q), ask = fair + (half - skew*q),
i.e. the reservation price is fair - skew*q. Formulas and sources: docs/STRATEGY.md.

Each is a plain Python function that numba can also compile into the decision's compiled part
(strategy/quoting.py): `register_jitable` leaves the Python function as it is.
"""

from __future__ import annotations

import math

from numba.extending import register_jitable


@register_jitable
def avellaneda_stoikov(
    gamma: float, sigma_ticks_per_sqrt_s: float, k_per_tick: float, horizon_s: float
) -> tuple[float, float]:
    """Return Avellaneda-Stoikov (2008) half spread and skew for a rolling horizon.

    With tau = T - t held at horizon_s (24/7 markets have no close):
    reservation = s - q * gamma * sigma^2 * tau, total spread = gamma * sigma^2 * tau
    + (2 / gamma) * ln(1 + gamma / k).
    """
    skew_ticks_per_qty = gamma * sigma_ticks_per_sqrt_s * sigma_ticks_per_sqrt_s * horizon_s
    half_spread_ticks = 0.5 * skew_ticks_per_qty + math.log1p(gamma / k_per_tick) / gamma
    return half_spread_ticks, skew_ticks_per_qty


@register_jitable
def glft(
    gamma: float,
    sigma_ticks_per_sqrt_s: float,
    a_per_s: float,
    k_per_tick: float,
    xi: float | None = None,
    delta_qty: float = 1.0,
) -> tuple[float, float]:
    """Return the GLFT infinite-horizon half spread and skew (Gueant 2016, eqs 4.6-4.7).

    c1 = ln(1 + xi*D/k) / (xi*D), c2 = sqrt(gamma / (2*A*D*k) * (1 + xi*D/k)^(k/(xi*D) + 1)),
    half = c1 + D/2 * sigma * c2, skew = sigma * c2. xi defaults to gamma (the utility case).
    """
    xi_delta = (gamma if xi is None else xi) * delta_qty
    ratio = xi_delta / k_per_tick
    c1 = math.log1p(ratio) / xi_delta
    c2 = math.sqrt(
        gamma / (2.0 * a_per_s * delta_qty * k_per_tick) * (1.0 + ratio) ** (1.0 / ratio + 1.0)
    )
    return c1 + 0.5 * delta_qty * sigma_ticks_per_sqrt_s * c2, sigma_ticks_per_sqrt_s * c2


@register_jitable
def fixed_spread(half_spread_ticks: float, skew_ticks_per_qty: float) -> tuple[float, float]:
    """Return a constant half spread and a linear inventory skew, independent of the market."""
    return float(half_spread_ticks), float(skew_ticks_per_qty)
