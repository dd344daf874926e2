"""Multi-strategy mux: detect the market regime, switch with hysteresis, weight the strategies.

Theory of operation
-------------------
Each update(ts_ns, mid_price) appends one log return of the mid to a rolling time window
(`vol_window_s`) and measures two things over it:

* realized vol, `vol_bps = 1e4 * sqrt(sum r^2 / span_s)` in bps per sqrt(second), where
  span_s is the time the window's returns cover - so it does not depend on the sampling rate;
* trend z-score, `z = sum r / sqrt(sum r^2)`: the window return in units of its own
  realized vol, about N(0, 1) for a driftless walk whatever the vol.

The detected regime is `volatile` when vol_bps >= volatile_min_vol_bps, else `trend` when
|z| >= trend_min_abs_z, else `calm` (volatile first: it is the regime that asks for most care).

The active regime starts `calm` and moves by hysteresis: a detected regime different from the
active one becomes a candidate with the time it was first seen; it becomes active once it has
been detected continuously for hysteresis_s (ts - since >= hysteresis). Any other detection
drops or replaces the candidate, so a spike shorter than the hysteresis never switches.

Weights are fixed per regime and computed once: the configured raw weights, normalised, then
water-filled under the per-strategy caps (a weight over its cap is pinned to the cap and the
excess goes to the uncapped strategies in proportion to their raw weights, repeated until no
cap is exceeded). With sum(caps) >= 1 the result sums to 1 and holds every cap.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from mmbot.config.schema import REGIMES, MmConfig

_NS_PER_S: Final = 1_000_000_000


@dataclass(frozen=True, slots=True)
class MuxParams:
    """Regime thresholds, hysteresis, and raw weights and caps per strategy id."""

    hysteresis_ns: int
    vol_window_ns: int
    volatile_min_vol_bps: float
    trend_min_abs_z: float
    weights: Mapping[str, Mapping[str, float]]
    caps: Mapping[str, float]

    @classmethod
    def from_config(cls, cfg: MmConfig) -> MuxParams:
        """Return the parameters of cfg.mux (seconds become ns)."""
        mux = cfg.mux
        return cls(
            hysteresis_ns=round(mux.hysteresis_s * _NS_PER_S),
            vol_window_ns=round(mux.vol_window_s * _NS_PER_S),
            volatile_min_vol_bps=mux.volatile_min_vol_bps,
            trend_min_abs_z=mux.trend_min_abs_z,
            weights={regime: dict(getattr(mux.weights, regime)) for regime in REGIMES},
            caps=dict(mux.caps),
        )


@dataclass(frozen=True, slots=True)
class MuxDecision:
    """The mux output at one step; weights align with the mux's strategy_ids."""

    ts_ns: int
    realized_vol_bps: float
    trend_z: float
    detected_regime: str
    active_regime: str
    weights: tuple[float, ...]


def capped_weights(raw: Sequence[float], caps: Sequence[float]) -> tuple[float, ...]:
    """Return raw normalised to sum 1 with weight i <= caps[i] (water-filling).

    Mass that the capped strategies cannot take goes to the others in proportion to their
    raw weights, or to their caps when none of them has a raw weight left.
    """
    if len(raw) != len(caps) or math.fsum(caps) < 1.0 or min(raw, default=-1.0) < 0.0:
        raise ValueError(f"raw={list(raw)} caps={list(caps)}: expected >=0 weights, sum(caps)>=1")
    weights = [0.0] * len(raw)
    free = set(range(len(raw)))
    while free:
        mass = 1.0 - math.fsum(caps[i] for i in range(len(raw)) if i not in free)
        shares = {i: raw[i] for i in free}
        if math.fsum(shares.values()) <= 0.0:
            shares = {i: caps[i] for i in free}
        total = math.fsum(shares.values())
        over = []
        for i in sorted(free):
            weights[i] = mass * shares[i] / total
            if weights[i] > caps[i]:
                over.append(i)
        if not over:
            break
        for i in over:
            weights[i] = caps[i]
            free.discard(i)
    return tuple(weights)


class Mux:
    """Fold mid prices into a regime (with hysteresis) and that regime's strategy weights."""

    __slots__ = (
        "_active",
        "_candidate",
        "_candidate_since_ns",
        "_last_mid",
        "_last_ts_ns",
        "_params",
        "_returns",
        "_strategy_ids",
        "_sum_r",
        "_sum_r2",
        "_weights",
    )

    def __init__(self, params: MuxParams, strategy_ids: Sequence[str]) -> None:
        unknown = [sid for sid in strategy_ids if sid not in params.caps]
        if unknown or not strategy_ids or len(set(strategy_ids)) != len(strategy_ids):
            raise ValueError(f"strategy_ids={list(strategy_ids)}: expected unique ids with caps")
        caps = [params.caps[sid] for sid in strategy_ids]
        self._weights = {
            regime: capped_weights([params.weights[regime][sid] for sid in strategy_ids], caps)
            for regime in REGIMES
        }
        self._params = params
        self._strategy_ids = tuple(strategy_ids)
        self._active = "calm"
        self._candidate: str | None = None
        self._candidate_since_ns = 0
        self._last_ts_ns: int | None = None
        self._last_mid = 0.0
        # (end_ts_ns, start_ts_ns, log return) of the returns in the window, oldest first.
        self._returns: deque[tuple[int, int, float]] = deque()
        self._sum_r = 0.0
        self._sum_r2 = 0.0

    @property
    def strategy_ids(self) -> tuple[str, ...]:
        """Return the strategy ids the weights align with."""
        return self._strategy_ids

    def update(self, ts_ns: int, mid_price: float) -> MuxDecision:
        """Fold one mid (any price unit; only log returns are used) into the next decision."""
        if not 0.0 < mid_price < math.inf:
            raise ValueError(f"mid_price={mid_price} expected >0 and finite")
        last_ts_ns = self._last_ts_ns
        if last_ts_ns is not None:
            if ts_ns < last_ts_ns:
                raise ValueError(f"ts_ns={ts_ns} went back from {last_ts_ns}")
            r = math.log(mid_price / self._last_mid)
            self._returns.append((ts_ns, last_ts_ns, r))
            self._sum_r += r
            self._sum_r2 += r * r
        self._last_ts_ns = ts_ns
        self._last_mid = mid_price
        vol_bps, trend_z = self._measure(ts_ns)
        detected = self._detect(vol_bps, trend_z)
        self._advance(ts_ns, detected)
        return MuxDecision(
            ts_ns=ts_ns,
            realized_vol_bps=vol_bps,
            trend_z=trend_z,
            detected_regime=detected,
            active_regime=self._active,
            weights=self._weights[self._active],
        )

    def _measure(self, ts_ns: int) -> tuple[float, float]:
        """Drop returns that ended before the window; return (vol_bps, trend_z)."""
        returns = self._returns
        horizon_ns = ts_ns - self._params.vol_window_ns
        while returns and returns[0][0] <= horizon_ns:
            _, _, r = returns.popleft()
            self._sum_r -= r
            self._sum_r2 -= r * r
        if not returns:
            # Restart the sums from exact zero so rounding left by removals cannot linger.
            self._sum_r = self._sum_r2 = 0.0
            return 0.0, 0.0
        sum_r2 = max(0.0, self._sum_r2)
        span_ns = ts_ns - returns[0][1]
        if sum_r2 <= 0.0 or span_ns <= 0:
            return 0.0, 0.0
        vol_bps = 1e4 * math.sqrt(sum_r2 * _NS_PER_S / span_ns)
        return vol_bps, self._sum_r / math.sqrt(sum_r2)

    def _detect(self, vol_bps: float, trend_z: float) -> str:
        params = self._params
        if vol_bps >= params.volatile_min_vol_bps:
            return "volatile"
        if abs(trend_z) >= params.trend_min_abs_z:
            return "trend"
        return "calm"

    def _advance(self, ts_ns: int, detected: str) -> None:
        """Move the hysteresis state machine by one detection."""
        if detected == self._active:
            self._candidate = None
            return
        if detected != self._candidate:
            self._candidate = detected
            self._candidate_since_ns = ts_ns
        if ts_ns - self._candidate_since_ns >= self._params.hysteresis_ns:
            self._active = detected
            self._candidate = None
