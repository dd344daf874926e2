"""The fill journal: every fill path (WS stream, REST catch-up) goes through one dedup point.

Theory of operation. A fill is identified by the venue's trade id and nothing else: the same
execution can arrive on the private stream, again after a reconnect replay, and again from the
REST trade history fetched by reconciliation, in any order. `apply` accepts a trade id once
and counts every later copy as a duplicate (a copy whose fields differ from the first is also
counted as a conflict: a venue bug worth an alert, never applied twice). Position is the sum
of accepted fills, so it is independent of delivery order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mmbot.venues.base import VenueFill


@dataclass(slots=True)
class FillJournal:
    """Apply each venue trade id exactly once; keep the net position it implies."""

    position_lots: int = 0
    applied_total: int = 0
    duplicates_total: int = 0
    conflicts_total: int = 0
    by_source: dict[str, int] = field(default_factory=dict)
    _fills: dict[str, VenueFill] = field(default_factory=dict)
    _filled_by_order: dict[str, int] = field(default_factory=dict)

    def apply(self, fill: VenueFill, source: str) -> bool:
        """Apply fill once (True); a known trade id is counted as a duplicate (False)."""
        first = self._fills.get(fill.trade_id)
        if first is not None:
            self.duplicates_total += 1
            if (first.qty_lots, first.price_ticks, first.side) != (
                fill.qty_lots, fill.price_ticks, fill.side,
            ):  # fmt: skip
                self.conflicts_total += 1
            return False
        self._fills[fill.trade_id] = fill
        self.position_lots += fill.side * fill.qty_lots
        self.applied_total += 1
        self.by_source[source] = self.by_source.get(source, 0) + 1
        order_id = fill.venue_order_id
        self._filled_by_order[order_id] = self._filled_by_order.get(order_id, 0) + fill.qty_lots
        return True

    def filled_lots(self, venue_order_id: str) -> int:
        """Return the lots filled on an order, summed over its distinct trades."""
        return self._filled_by_order.get(venue_order_id, 0)

    def trade_ids(self) -> frozenset[str]:
        """Return every applied trade id."""
        return frozenset(self._fills)

    def rebase(self, position_lots: int) -> None:
        """Adopt position_lots as the position (startup adoption of the venue's state)."""
        self.position_lots = position_lots
