"""The fence around an HA instance's venue port, and the action log the failover tests read.

Two checks stand between a leader and the venue (docs/HA.md):

- ours: a place or replace goes out only while the lease is valid on this instance's own
  monotonic clock (LeaderLease.may_send), so a paused leader that wakes after its ttl sends
  nothing;
- the venue's: a request whose token (the epoch in its client seq, engine/orders.py) is older
  than the newest token the lease backend granted is refused. A real venue cannot do this
  check; the simulator cannot see the other instances either, so this wrapper does it for
  them against the backend (the loopback fakes read the epoch from the client id).

A refused request is answered with a local reject, as the canary wrapper does. Cancels always
pass: they can only take our own exposure away. Every request is one line of the action log.
While the lease does not let this instance send, its market view has no sizes: its engine
decides nothing, as under a venue's quote block, yet keeps stepping (reports, mids).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from mmbot.artifacts import AppendLog, canonical_json_bytes
from mmbot.core.events import LOCAL_REJECT_REASON, OrderEvent, OrderEventKind, local_event
from mmbot.core.types import MarketView
from mmbot.engine.live_ports import PassThroughVenue
from mmbot.engine.loop import EngineVenue
from mmbot.engine.orders import SEQS_PER_SESSION
from mmbot.ha.lease import BackendUnavailable, LeaderLease, LeaseBackend

ACTION_LOG_FILE: Final = "ha_actions.jsonl"
_NS_PER_MS: Final = 1_000_000


def token_of(client_seq: int) -> int:
    """Return the fencing token (epoch) a client seq was drawn under."""
    return client_seq // SEQS_PER_SESSION


class ActionLog:
    """One canonical JSON line per request and per leadership change, each written as it
    happens (kill -9 loses at most the line it interrupts); times on the host's monotonic
    clock, so the logs of the instances of one host merge into one timeline.

    clock_offset_ms: how far the lease's clock is set off the host's (the skew test seam,
    ha/setup.py); each line names it, and its time is the host's all the same."""

    def __init__(self, path: Path, lease: LeaderLease, clock_offset_ms: int = 0) -> None:
        self._lease = lease
        self._offset_ms = clock_offset_ms
        self._log = AppendLog(path)

    def write(self, action: str, token: int, accepted: bool = True, why: str = "") -> None:
        """Append one line: what this instance did, under which token, and its fate."""
        host_ns = self._lease.clock.now_ns() - self._offset_ms * _NS_PER_MS
        line = {"accepted": accepted, "action": action, "clock_offset_ms": self._offset_ms,
                "instance": self._lease.instance, "mono_ns": host_ns, "token": token,
                "why": why}  # fmt: skip
        self._log.append(canonical_json_bytes(line, str(self._log.path)))

    def close(self) -> None:
        """Sync and close the file."""
        self._log.close()


class FencedVenue(PassThroughVenue):
    """Let a place or replace through only under a valid lease and the newest token."""

    def __init__(self, inner: EngineVenue, lease: LeaderLease, registry: LeaseBackend,
                 log: ActionLog) -> None:  # fmt: skip
        super().__init__(inner)
        self.lease = lease
        self.registry = registry
        self.log = log
        self.refused_total = 0
        self._seq_of: dict[int, int] = {}  # venue order id -> client seq
        self._pending: list[OrderEvent] = []

    def market_view(self, ts_ns: int) -> MarketView:
        """Return the inner view; without sizes while the lease does not let us send, so a
        standby's engine decides nothing (as under a venue's quote block)."""
        view = self.inner.market_view(ts_ns)
        if self.lease.may_send():
            return view
        return view._replace(best_bid_lots=0, best_ask_lots=0, bid_depth_lots=0,
                             ask_depth_lots=0)  # fmt: skip

    def _refusal(self, token: int) -> str:
        """Return why a request under token may not go out now ("" : it may)."""
        if not self.lease.may_send():
            return "lease_not_held"
        try:
            newest = self.registry.current_token()
        except BackendUnavailable:
            return "registry_unreachable"
        return "stale_token" if token < newest else ""

    def _refuse(self, kind: OrderEventKind, order_id: int, seq: int, side: int,
                price_ticks: int, qty_lots: int) -> None:  # fmt: skip
        self.refused_total += 1
        self._pending.append(local_event(self._now_ns, kind, order_id, seq, side, price_ticks,
                                         qty_lots, LOCAL_REJECT_REASON))  # fmt: skip

    def place(self, side: int, price_ticks: int, qty_lots: int, client_seq: int) -> int:
        """Send a place under a valid lease and the newest token; else refuse it locally."""
        token = token_of(client_seq)
        why = self._refusal(token)
        self.log.write("place", token, not why, why)
        if why:
            order_id = -1 - client_seq  # unique, never a venue id
            self._refuse(OrderEventKind.REJECTED, order_id, client_seq, side, price_ticks,
                         qty_lots)  # fmt: skip
            return order_id
        order_id = self.inner.place(side, price_ticks, qty_lots, client_seq)
        self._seq_of[order_id] = client_seq
        return order_id

    def replace(self, order_id: int, price_ticks: int, qty_lots: int) -> None:
        """Send a replace under a valid lease and the newest token; else refuse it locally."""
        seq = self._seq_of.get(order_id, 0)
        token = token_of(seq)
        why = self._refusal(token)
        self.log.write("replace", token, not why, why)
        if why:
            self._refuse(OrderEventKind.REPLACE_REJECTED, order_id, seq, 0, price_ticks,
                         qty_lots)  # fmt: skip
            return
        self.inner.replace(order_id, price_ticks, qty_lots)

    def cancel(self, order_id: int) -> None:
        """Send a cancel: always allowed."""
        self.log.write("cancel", token_of(self._seq_of.get(order_id, 0)))
        self.inner.cancel(order_id)

    def reports(self) -> list[OrderEvent]:
        """Return the venue's events, then the rejects of requests refused here."""
        events = self.inner.reports()
        if self._pending:
            made_up, self._pending = self._pending, []
            events = events + [e._replace(ts_local_ns=self._now_ns) for e in made_up]
        return events
