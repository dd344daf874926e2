"""What the live bridge's parts share: the venue they drive and the counters they keep."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from mmbot.core.errors import MmError
from mmbot.venues.base import Venue, VenueOrder
from mmbot.venues.fills import FillJournal
from mmbot.venues.recon import LocalState, ReconReport


class BridgeableVenue(Venue, Protocol):
    """A live Venue with the lifecycle and the state the bridge reads (CcxtVenue)."""

    journal: FillJournal

    @property
    def order_idem_hits_total(self) -> int:
        """Return how many places, replaces and cancels were answered from the idempotency
        store (repeats)."""
        ...

    async def start(self, local: LocalState | None = None, adopt: bool = False) -> ReconReport:
        """Connect, reconcile with local state, start the streams."""
        ...

    async def close(self) -> None:
        """Stop the streams and close the sessions."""
        ...

    def local_open_orders(self) -> dict[str, VenueOrder]:
        """Return our orders that are open as far as the adapter knows."""
        ...


@runtime_checkable
class SharedVenue(BridgeableVenue, Protocol):
    """A venue an HA instance shares with the other instances of its fleet (CcxtVenue)."""

    async def start_standby(self) -> ReconReport:
        """Connect as a standby: take the venue's position, leave its orders alone."""
        ...

    async def take_over(self, epoch: int, tag: str) -> int:
        """Elected: cancel tag's open orders of older epochs, reconcile, arm the dead-man
        switch; return how many orders were canceled."""
        ...

    def stand_by(self) -> None:
        """Stepped down: leave the dead-man switch and the others' orders to the leader."""
        ...


@dataclass(slots=True)
class BridgeStats:
    """Counters a report or a metrics exporter reads."""

    places: int = 0
    replaces: int = 0
    cancels: int = 0
    rejects: int = 0
    ended_unfilled: int = 0  # orders that ended (our cancel, the venue's) not fully filled
    unknown_fills: int = 0  # fills on orders this run did not place
    blocked_decisions: int = 0
    close_cancels: int = 0  # orders still open at close, canceled by the safety net
    adopt_cancels: int = 0  # orders an earlier session left, canceled at an adopting start
    takeover_cancels: int = 0  # orders of older epochs an HA election canceled (ha/)
    last_block: str = ""


def one_line(exc: BaseException) -> str:
    """Return an exception as one short ASCII line (an MmError's own line, else its type)."""
    if isinstance(exc, MmError):
        return exc.line()
    return type(exc).__name__
