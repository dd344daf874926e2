"""Token bucket refilled from event timestamps (never the wall clock)."""

from __future__ import annotations

_NS_PER_S = 1e9


class TokenBucket:
    """Hold up to `burst` tokens, refilled at `rate_per_s`; one token per message sent."""

    __slots__ = ("_burst", "_last_ts_ns", "_rate_per_ns", "tokens")

    def __init__(self, rate_per_s: float, burst: int) -> None:
        if not (rate_per_s > 0 and burst >= 1):
            raise ValueError(f"rate_per_s={rate_per_s} burst={burst} expected >0 and >=1")
        self._rate_per_ns = rate_per_s / _NS_PER_S
        self._burst = float(burst)
        self._last_ts_ns: int | None = None
        self.tokens = float(burst)

    def refill(self, ts_ns: int) -> None:
        """Add the tokens earned since the last refill; a timestamp going back earns none."""
        last = self._last_ts_ns
        if last is None:
            self._last_ts_ns = ts_ns
        elif ts_ns > last:
            self.tokens = min(self._burst, self.tokens + (ts_ns - last) * self._rate_per_ns)
            self._last_ts_ns = ts_ns

    def take(self) -> bool:
        """Spend one token; return False (and spend nothing) when fewer than one is left."""
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False
