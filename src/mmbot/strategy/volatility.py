"""EWMA volatility of the mid price, in ticks per sqrt(second).

Theory of operation: every valid mid after the first gives one observation of the variance
rate, x = (mid - prev_mid)^2 / dt_s, where dt_s comes from the views' ts_ns (never a clock).
Observations are folded into an exponentially weighted mean whose weight halves every
`half_life_s` seconds of event time, so uneven decision spacing is weighted correctly. Returns
are taken as zero-mean (RiskMetrics): at a 100 ms cadence the drift is noise next to the
variance. The running weight `1 - 2^(-elapsed/half_life)` also bias-corrects the early
estimate, and the estimator is warm once it holds at least one half-life of data.
"""

from __future__ import annotations

import math

_NS_TO_S = 1e-9


class EwmaVolatility:
    """Fold (ts_ns, mid_ticks) into sigma_ticks_per_sqrt_s in O(1) per update."""

    __slots__ = (
        "_half_life_s",
        "_has_prev",
        "_prev_mid_ticks",
        "_prev_ts_ns",
        "_var_sum",
        "_weight",
        "sigma_ticks_per_sqrt_s",
        "warm",
    )

    def __init__(self, half_life_s: float) -> None:
        if not half_life_s > 0:
            raise ValueError(f"half_life_s={half_life_s} expected=>0")
        self._half_life_s = half_life_s
        self._has_prev = False
        self._prev_ts_ns = 0
        self._prev_mid_ticks = 0.0
        self._var_sum = 0.0
        self._weight = 0.0
        self.sigma_ticks_per_sqrt_s = 0.0
        self.warm = False

    def update(self, ts_ns: int, mid_ticks: float) -> None:
        """Add the mid observed at ts_ns; a repeated or older ts_ns is ignored."""
        if not self._has_prev:
            self._has_prev = True
            self._prev_ts_ns = ts_ns
            self._prev_mid_ticks = mid_ticks
            return
        dt_s = (ts_ns - self._prev_ts_ns) * _NS_TO_S
        if dt_s <= 0.0:
            return
        move_ticks = mid_ticks - self._prev_mid_ticks
        decay = 2.0 ** (-dt_s / self._half_life_s)
        self._var_sum = decay * self._var_sum + (1.0 - decay) * (move_ticks * move_ticks / dt_s)
        self._weight = decay * self._weight + (1.0 - decay)
        self._prev_ts_ns = ts_ns
        self._prev_mid_ticks = mid_ticks
        self.sigma_ticks_per_sqrt_s = math.sqrt(self._var_sum / self._weight)
        self.warm = self._weight >= 0.5
