"""Canary constraints between the engine and a real venue: hard size caps and the gate.

Theory of operation. CanaryVenue is a port wrapper. A place or replace passes only while the
gate is open and the order is within the caps (its size, and the position it would leave if
it filled in full); otherwise it is refused - a value, not an exception: the refusal is
counted by reason, journaled, and answered with a made-up reject report at the next decision,
so the order manager sees a refused place as REJECTED and a refused replace as still LIVE at
its old price and size. Cancels always pass: they only take risk off. Live mode is the same
wrapper without caps (the gate still applies).

Over the position cap (an adopted position, or one the cap shrank under) the canary is
reduce-only, like the risk gate's REDUCING state: an order that adds is refused, and an order
on the reducing side passes while it and the reducing orders already resting here add up to
no more than the lots over the cap, so the position comes down to the cap and never through
it. The resting quantity and the position are followed from the venue's order events
(accepted, fills, replace accepted, canceled, rejected; an adopted position at start).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final, Protocol

from mmbot.core.events import (
    FILL_KINDS,
    LOCAL_REJECT_REASON,
    OrderEvent,
    OrderEventKind,
    local_event,
)
from mmbot.engine.journal import Journal, JournalEntry
from mmbot.engine.live_ports import LiveVenue, OrderNames, PassThroughVenue

REFUSAL_REASONS: Final = ("gate_closed", "max_order_lots", "max_position_lots")
# Events after which an order no longer rests.
_GONE: Final = frozenset({OrderEventKind.CANCELED, OrderEventKind.REJECTED})


@dataclass(frozen=True, slots=True)
class CanaryLimits:
    """Hard caps of canary mode, in lots (the instrument's size unit)."""

    max_order_lots: int
    max_position_lots: int

    def __post_init__(self) -> None:
        if self.max_order_lots <= 0 or self.max_position_lots <= 0:
            raise ValueError(
                f"canary caps must be > 0: max_order_lots={self.max_order_lots} "
                f"max_position_lots={self.max_position_lots}"
            )


class CanaryGate(Protocol):
    """Whether the canary may send orders now (the ops canary gate plugs in here)."""

    def is_open(self) -> bool: ...


class FlagGate:
    """A gate opened and closed by a call (tests, an operator API)."""

    def __init__(self, is_open: bool = True) -> None:
        self._open = is_open

    def set_open(self, is_open: bool) -> None:
        """Open or close the gate."""
        self._open = is_open

    def is_open(self) -> bool:
        """Return whether the gate is open."""
        return self._open


class FileGate:
    """A gate that is open while a flag file exists (checked at every request)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def is_open(self) -> bool:
        """Return whether the flag file exists."""
        return self.path.exists()


class CanaryVenue(PassThroughVenue):
    """Pass requests within the caps while the gate is open; refuse the rest as values."""

    def __init__(self, inner: LiveVenue, gate: CanaryGate, limits: CanaryLimits | None,
                 journal: Journal, names: OrderNames) -> None:  # fmt: skip
        super().__init__(inner)
        self.gate = gate
        self.limits = limits
        self.refused: dict[str, int] = dict.fromkeys(REFUSAL_REASONS, 0)
        self._journal = journal
        self._names = names
        self._orders: dict[int, tuple[int, int, int, int]] = {}  # id -> seq, side, price, qty
        self._resting: dict[int, list[int]] = {}  # id -> [side, leaves_lots] at the venue
        self._pending: list[OrderEvent] = []
        self._position_lots = 0  # adopted at start plus every fill since

    def _refusal(self, side: int, qty_lots: int, replaced_id: int | None = None) -> str | None:
        """Return why an order of qty_lots on side may not go out now (None: it may)."""
        if not self.gate.is_open():
            return "gate_closed"
        limits = self.limits
        if limits is None:
            return None
        if qty_lots > limits.max_order_lots:
            return "max_order_lots"
        if self._beyond_position_cap(limits.max_position_lots, side, qty_lots, replaced_id):
            return "max_position_lots"
        return None

    def _beyond_position_cap(self, cap_lots: int, side: int, qty_lots: int,
                             replaced_id: int | None) -> bool:  # fmt: skip
        """Return whether the order would break the position cap (reduce-only when over it)."""
        position_lots = self._position_lots
        over_lots = abs(position_lots) - cap_lots
        if over_lots <= 0:
            return abs(position_lots + side * qty_lots) > cap_lots
        if side * position_lots > 0:
            return True  # it adds
        reducing_lots = qty_lots + sum(
            order[1] for order_id, order in self._resting.items()
            if order[0] == side and order_id != replaced_id
        )  # fmt: skip
        return reducing_lots > over_lots

    def _refuse(self, reason: str, kind: OrderEventKind, order_id: int, seq: int, side: int,
                price_ticks: int, qty_lots: int) -> None:  # fmt: skip
        self.refused[reason] += 1
        names = self._names
        self._journal.append(JournalEntry(self._now_ns, "refused", names.client_id(seq), side,
                                          price_ticks, qty_lots, detail=reason,
                                          symbol=names.symbol))  # fmt: skip
        self._pending.append(local_event(self._now_ns, kind, order_id, seq, side, price_ticks,
                                         qty_lots, LOCAL_REJECT_REASON))  # fmt: skip

    def place(self, side: int, price_ticks: int, qty_lots: int, client_seq: int) -> int:
        """Send a place within the caps; otherwise refuse it and return a local order id (<0)."""
        reason = self._refusal(side, qty_lots)
        if reason is not None:
            order_id = -1 - client_seq  # unique, never a venue id
            self._refuse(reason, OrderEventKind.REJECTED, order_id, client_seq, side, price_ticks,
                         qty_lots)  # fmt: skip
            return order_id
        order_id = self.inner.place(side, price_ticks, qty_lots, client_seq)
        self._orders[order_id] = (client_seq, side, price_ticks, qty_lots)
        self._resting[order_id] = [side, qty_lots]
        return order_id

    def replace(self, order_id: int, price_ticks: int, qty_lots: int) -> None:
        """Send a replace within the caps; otherwise refuse it (the order stays as it was)."""
        seq, side, _, _ = self._orders.get(order_id, (0, 0, 0, 0))
        reason = self._refusal(side, qty_lots, order_id)
        if reason is not None:
            self._refuse(reason, OrderEventKind.REPLACE_REJECTED, order_id, seq, side, price_ticks,
                         qty_lots)  # fmt: skip
            return
        self.inner.replace(order_id, price_ticks, qty_lots)
        resting = self._resting.get(order_id)
        if resting is not None:  # either size may rest until the venue answers
            resting[1] = max(resting[1], qty_lots)

    def cancel(self, order_id: int) -> None:
        """Send a cancel: always allowed."""
        self.inner.cancel(order_id)

    def reports(self) -> list[OrderEvent]:
        """Return the venue's events, then the rejects of requests refused here."""
        events = self.inner.reports()
        for event in events:
            self._follow(event)
        if self._pending:
            made_up, self._pending = self._pending, []
            events = events + [e._replace(ts_local_ns=self._now_ns) for e in made_up]
        return events

    def _follow(self, event: OrderEvent) -> None:
        """Update the position and the resting quantity of our orders from a venue event."""
        kind = event.kind
        if kind == OrderEventKind.POSITION_ADOPTED:
            self._position_lots += event.side * event.qty_lots
            return
        if kind in FILL_KINDS:
            self._position_lots += event.side * event.qty_lots
        resting = self._resting.get(event.order_id)
        if resting is None:
            return
        if kind in FILL_KINDS or kind == OrderEventKind.REPLACE_ACCEPTED:
            resting[1] = event.leaves_lots
        if kind in _GONE or resting[1] <= 0:
            del self._resting[event.order_id]
