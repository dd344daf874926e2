"""Arrival intensity lambda(delta) = A * exp(-k * delta) fitted over a rolling window.

Theory of operation (after hftbacktest's GLFT market-making tutorial): each decision interval
contributes one number, the farthest distance from the mid (in ticks) that any trade reached
in it, or -1 when nothing traded. A quote resting at distance delta_j = j + 0.5 ticks would
have been filled in every interval whose depth d > j, so over a window of T seconds
lambda_j = #{intervals with d > j} / T. A least-squares line through (delta_j, ln lambda_j)
gives slope -k and intercept ln A. Depths live in a ring buffer and a histogram by depth, so
an update is O(1); the fit is O(max_depth_ticks) and runs every `refit_intervals` decisions
once the window is full. Until then (or when a fit is degenerate) the configured defaults
stand. The estimator fits its histogram with fit_intensity compiled by numba (an array copy
and the fit ~2 us instead of 3-9 us in Python, which put every refit decision in the latency
tail); fit_intensity itself stays a plain Python function, bit for bit the same.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt
from numba.extending import register_jitable

from mmbot.strategy.jit import compiled

# A line through fewer points says nothing about the decay (the tutorial needs > 2 too).
_MIN_FIT_POINTS = 3


@register_jitable
def fit_intensity(
    depth_hist: Sequence[int] | npt.NDArray[np.int64], window_s: float
) -> tuple[float, float] | None:
    """Return (A_per_s, k_per_tick) from a histogram of per-interval max depths, or None.

    depth_hist[d] counts the intervals whose farthest trade reached d ticks from the mid.
    None when fewer than three distances were reached or the fitted decay is not positive.
    """
    # Suffix sums: count_j = #{d > j}, non-increasing in j, so the usable points are a prefix.
    beyond = sum(depth_hist) - depth_hist[0]
    n_points = 0
    sum_x = sum_y = sum_xx = sum_xy = 0.0
    for j in range(len(depth_hist) - 1):
        if beyond <= 0:
            break
        x = j + 0.5
        y = math.log(beyond / window_s)
        n_points += 1
        sum_x += x
        sum_y += y
        sum_xx += x * x
        sum_xy += x * y
        beyond -= depth_hist[j + 1]
    if n_points < _MIN_FIT_POINTS:
        return None
    slope = (n_points * sum_xy - sum_x * sum_y) / (n_points * sum_xx - sum_x * sum_x)
    intercept = (sum_y - slope * sum_x) / n_points
    k_per_tick = -slope
    if not (k_per_tick > 0.0 and math.isfinite(k_per_tick)):
        return None
    return math.exp(intercept), k_per_tick


_compiled_fit_intensity: Final = compiled(fit_intensity)


class IntensityEstimator:
    """Keep A_per_s and k_per_tick fitted over the last `window_intervals` decisions."""

    __slots__ = (
        "_depths",
        "_filled",
        "_hist",
        "_max_depth_ticks",
        "_next",
        "_refit_intervals",
        "_until_fit",
        "_window_s",
        "a_per_s",
        "k_per_tick",
        "warm",
    )

    def __init__(
        self,
        *,
        window_intervals: int,
        interval_s: float,
        refit_intervals: int,
        max_depth_ticks: int,
        default_a_per_s: float,
        default_k_per_tick: float,
    ) -> None:
        if window_intervals < 1 or refit_intervals < 1 or max_depth_ticks < _MIN_FIT_POINTS:
            raise ValueError(
                f"window_intervals={window_intervals} refit_intervals={refit_intervals}"
                f" max_depth_ticks={max_depth_ticks} expected=>=1,>=1,>={_MIN_FIT_POINTS}"
            )
        self._depths = [-1] * window_intervals
        self._hist = [0] * (max_depth_ticks + 1)
        self._max_depth_ticks = max_depth_ticks
        self._window_s = window_intervals * interval_s
        self._refit_intervals = refit_intervals
        self._next = 0
        self._filled = 0
        self._until_fit = 0
        self.a_per_s = default_a_per_s
        self.k_per_tick = default_k_per_tick
        self.warm = False

    def update(self, depth_ticks: int) -> None:
        """Add one interval's farthest trade depth from the mid (-1: no trade)."""
        # A trade beyond the last bin also reached every bin, so clipping loses nothing.
        depth = depth_ticks if depth_ticks <= self._max_depth_ticks else self._max_depth_ticks
        slot = self._next
        dropped = self._depths[slot]
        if dropped >= 0:
            self._hist[dropped] -= 1
        self._depths[slot] = depth
        if depth >= 0:
            self._hist[depth] += 1
        slot += 1
        self._next = 0 if slot == len(self._depths) else slot
        if self._filled < len(self._depths):
            self._filled += 1
            if self._filled < len(self._depths):
                return
        if self._until_fit > 0:
            self._until_fit -= 1
            return
        self._until_fit = self._refit_intervals - 1
        # The histogram stays a list: its two updates per decision are cheaper than an array's.
        fitted = _compiled_fit_intensity(np.array(self._hist, dtype=np.int64), self._window_s)
        if fitted is not None:
            self.a_per_s, self.k_per_tick = fitted
            self.warm = True
