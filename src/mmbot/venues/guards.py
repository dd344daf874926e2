"""Guards that block quoting: venue clock skew and a stale book. Pure: time is passed in.

The clock guard estimates the venue clock offset from one round trip (send, venue time,
receive) as venue - midpoint; with round trips of a few ms the error is below half the RTT,
far inside the 500 ms limit. The book guard blocks when no update arrived recently or when
the newest update's venue time (corrected by the offset) is old: a stream can stay connected
and still replay a frozen book.
"""

from __future__ import annotations

from dataclasses import dataclass

from mmbot.venues.base import BookTop

_NS_PER_MS = 1_000_000


@dataclass(slots=True)
class ClockGuard:
    """Block quoting while |local clock - venue clock| exceeds max_skew_ms."""

    max_skew_ms: float = 500.0
    offset_ms: float | None = None
    rtt_ms: float = 0.0
    samples_total: int = 0

    def observe(self, sent_ns: int, venue_ms: int, received_ns: int) -> None:
        """Record one time round trip (local send/receive in ns, venue time in ms)."""
        mid_ms = (sent_ns + received_ns) / 2 / _NS_PER_MS
        self.offset_ms = venue_ms - mid_ms
        self.rtt_ms = (received_ns - sent_ns) / _NS_PER_MS
        self.samples_total += 1

    def block(self) -> str | None:
        """Return the E_VENUE_CLOCK_SKEW line when quoting must stop, else None."""
        if self.offset_ms is None:
            return "E_VENUE_CLOCK_SKEW: no venue time sample yet; expected one before quoting"
        if abs(self.offset_ms) > self.max_skew_ms:
            return (
                f"E_VENUE_CLOCK_SKEW: venue-local offset_ms={self.offset_ms:.1f} "
                f"expected |offset_ms|<={self.max_skew_ms:.0f}"
            )
        return None


@dataclass(slots=True)
class BookGuard:
    """Block quoting while the book is older than max_age_ms (by arrival or venue time)."""

    max_age_ms: float = 2000.0
    last: BookTop | None = None
    last_arrival_ns: int = -1
    updates_total: int = 0

    def observe(self, book: BookTop, arrival_ns: int) -> None:
        """Record a book update and when it arrived (local ns)."""
        self.last = book
        self.last_arrival_ns = arrival_ns
        self.updates_total += 1

    def block(self, now_ns: int, offset_ms: float | None) -> str | None:
        """Return the E_VENUE_STALE_BOOK line when quoting must stop, else None."""
        if self.last is None:
            return "E_VENUE_STALE_BOOK: no book update yet; expected one before quoting"
        arrival_age_ms = (now_ns - self.last_arrival_ns) / _NS_PER_MS
        venue_age_ms = now_ns / _NS_PER_MS + (offset_ms or 0.0) - self.last.ts_ms
        age_ms = max(arrival_age_ms, venue_age_ms)
        if age_ms > self.max_age_ms:
            return (
                f"E_VENUE_STALE_BOOK: symbol={self.last.symbol} age_ms={age_ms:.0f} "
                f"expected <= {self.max_age_ms:.0f}"
            )
        return None
