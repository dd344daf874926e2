"""The request-weight budget: stay under a fraction of the venue's limit; honour Retry-After.

Theory of operation. Venues count request weight per fixed window (Binance: per minute, per
IP). The budget keeps a sliding log of (send time, weight) and admits a request only if the
weight sent in the last window plus this request stays within `fraction * limit`; a sliding
window bounds every fixed window too, whatever its alignment. A 429/418 with Retry-After
closes the budget until that instant. The venue's own count (a used-weight header) is folded
in: weight the venue saw but we did not log (ccxt's own listenKey/markets calls, another
process on the same IP) is added to the log. Pure: the caller passes now_ns and sleeps the delay.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

_NS_PER_S = 1_000_000_000


@dataclass(slots=True)
class WeightBudget:
    """Admit request weight under fraction * limit per window; return how long to wait."""

    limit: int
    window_ns: int
    fraction: float = 0.7
    blocked_until_ns: int = 0
    retry_after_total: int = 0
    max_window_weight: int = 0
    _log: deque[tuple[int, int]] = field(default_factory=deque)
    _in_window: int = 0

    @property
    def cap(self) -> int:
        """Return the most weight admitted per window."""
        return max(1, int(self.limit * self.fraction))

    def _expire(self, now_ns: int) -> None:
        log = self._log
        while log and log[0][0] <= now_ns - self.window_ns:
            self._in_window -= log.popleft()[1]

    def delay_ns(self, weight: int, now_ns: int) -> int:
        """Return 0 and record the request if it may go now, else the ns to wait first."""
        if now_ns < self.blocked_until_ns:
            return self.blocked_until_ns - now_ns
        self._expire(now_ns)
        if self._in_window + weight > self.cap:
            need = self._in_window + weight - self.cap
            for ts_ns, logged in self._log:
                need -= logged
                if need <= 0:
                    return max(1, ts_ns + self.window_ns - now_ns)
            return self.window_ns
        self._log.append((now_ns, weight))
        self._in_window += weight
        self.max_window_weight = max(self.max_window_weight, self._in_window)
        return 0

    def on_retry_after(self, retry_after_s: float, now_ns: int) -> None:
        """Close the budget for retry_after_s (a 429/418 answer)."""
        self.retry_after_total += 1
        until = now_ns + int(max(retry_after_s, 0.0) * _NS_PER_S)
        self.blocked_until_ns = max(self.blocked_until_ns, until)

    def observe_used(self, used_weight: int, now_ns: int) -> None:
        """Fold in the venue's count for its current window (calls we did not send count too)."""
        self._expire(now_ns)
        extra = used_weight - self._in_window
        if extra > 0:
            self._log.append((now_ns, extra))
            self._in_window += extra
            self.max_window_weight = max(self.max_window_weight, self._in_window)
