"""Idempotent order entry: a deterministic client id per intent, and outcome tracking.

Theory of operation. The client id is a function of the intent (strategy, sequence, side,
price, size, post-only), so resubmitting the same intent - a retry after a timeout - names
the same order: `<strategy>-<seq in base 36>-<8 hex of the intent's sha256>`. The sequence
is unique across the sessions of a run directory (the engine numbers a session's orders
from its epoch's block, engine/orders.py), so a restart never names an order of an earlier
session. Base 36 keeps any sequence up to MAX_CLIENT_SEQ within the venues' 36 characters
beside a 16-character strategy tag (and reads as decimal below 10). Each client id has one
entry that moves through:

    NOT_SENT --post--> IN_FLIGHT --ack--> ACKED
                          |--reject--> REJECTED
                          |--429 (not processed)--> NOT_SENT        (may post again, same id)
                          |--timeout / 5xx / lost ack--> UNKNOWN
    UNKNOWN --query by client id: found--> ACKED
            --query: venue has no such order (then fenced by a cancel)--> NOT_PLACED

An UNKNOWN order is resolved by asking the venue about that client id; it is never posted
again, and never under another id. `begin` on a known client id is an idempotency hit
(`order_idem_hits_total`): the caller gets the entry, not a new order.

A replace or a cancel is a request on an order, not a new order: the store keeps each client
id's newest one (`RequestKey`: what it asked for) and when it was answered. The same request
again while it is in flight, or within `window_ns` of its answer with nothing else sent on
that order since, is a hit too (`repeat_of`): the caller shares the first answer, the venue
sees the request once. After the window the request goes out again (the order may have
moved since, e.g. by the venue's own hand).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from mmbot.core.ids import MAX_CLIENT_ID_LEN, MAX_CLIENT_SEQ
from mmbot.engine.orders import SEQS_PER_SESSION
from mmbot.venues.base import OrderIntent, Rejected, VenueOrder


class Outcome(Enum):
    """What we know about an order we meant to send."""

    NOT_SENT = "not_sent"
    IN_FLIGHT = "in_flight"
    ACKED = "acked"
    REJECTED = "rejected"
    UNKNOWN = "unknown"
    NOT_PLACED = "not_placed"


def client_id_for(intent: OrderIntent) -> str:
    """Return the deterministic client order id of an intent (<= 36 chars, [A-Za-z0-9-])."""
    if not 0 <= intent.seq <= MAX_CLIENT_SEQ:
        raise ValueError(f"client seq {intent.seq} expected 0..{MAX_CLIENT_SEQ}")
    payload = (
        f"{intent.strategy_id}|{intent.seq}|{intent.side}|{intent.price_ticks}|"
        f"{intent.qty_lots}|{int(intent.post_only)}"
    )
    digest = hashlib.sha256(payload.encode("ascii")).hexdigest()[:8]
    client_id = f"{intent.strategy_id}-{np.base_repr(intent.seq, 36).lower()}-{digest}"
    fits = len(client_id) <= MAX_CLIENT_ID_LEN and client_id.isascii()
    if not (fits and client_id.replace("-", "").isalnum()):
        raise ValueError(
            f"client id {client_id!r} expected <= {MAX_CLIENT_ID_LEN} chars of [A-Za-z0-9-]; "
            "shorten strategy_id"
        )
    return client_id


def epoch_of(client_id: str, tag: str) -> int | None:
    """Return the epoch (session, or HA fencing token) of a client id client_id_for drew
    under strategy tag; None for any other id (another strategy's, or not an engine's)."""
    prefix, _, rest = client_id.partition("-")
    seq_text, _, digest = rest.partition("-")
    if prefix != tag or len(digest) != 8 or not seq_text.isalnum():
        return None
    try:
        return int(seq_text, 36) // SEQS_PER_SESSION
    except ValueError:
        return None


@dataclass(slots=True)
class Entry:
    """One client id's intent and what we know of its outcome."""

    intent: OrderIntent
    outcome: Outcome = Outcome.NOT_SENT
    order: VenueOrder | None = None
    rejected: Rejected | None = None
    posts: int = 0


RequestKey = tuple[str, int, int]  # ("modify", price ticks, qty lots) or ("cancel", 0, 0)


@dataclass(slots=True)
class Request:
    """A client id's newest replace or cancel: what it asked, when it was answered (None:
    still in flight)."""

    key: RequestKey
    answered_ns: int | None = None


@dataclass(slots=True)
class IdempotencyStore:
    """Client id -> entry; counts hits, posts, unknown outcomes and how they resolved."""

    order_idem_hits_total: int = 0
    posts_total: int = 0
    unknown_total: int = 0
    resolved_found_total: int = 0
    resolved_absent_total: int = 0
    _entries: dict[str, Entry] = field(default_factory=dict)
    _requests: dict[str, Request] = field(default_factory=dict)

    def begin(self, intent: OrderIntent) -> tuple[str, Entry, bool]:
        """Return (client_id, entry, hit): hit is True when the intent was seen before."""
        client_id = client_id_for(intent)
        entry = self._entries.get(client_id)
        if entry is not None:
            self.order_idem_hits_total += 1
            return client_id, entry, True
        entry = Entry(intent)
        self._entries[client_id] = entry
        return client_id, entry, False

    def repeat_of(self, client_id: str, key: RequestKey, now_ns: int, window_ns: int) -> bool:
        """Return whether key repeats client_id's newest request, in flight or answered within
        window_ns (a hit, counted); otherwise record key as the newest, in flight."""
        last = self._requests.get(client_id)
        fresh = last is not None and (last.answered_ns is None
                                      or now_ns - last.answered_ns <= window_ns)  # fmt: skip
        if fresh and last is not None and last.key == key:
            self.order_idem_hits_total += 1
            return True
        self._requests[client_id] = Request(key)
        return False

    def on_answered(self, client_id: str, key: RequestKey, now_ns: int) -> None:
        """Record that the venue answered client_id's request key at now_ns."""
        last = self._requests.get(client_id)
        if last is not None and last.key == key:
            last.answered_ns = now_ns

    def on_request_failed(self, client_id: str, key: RequestKey) -> None:
        """Forget a request that got no answer (it may be sent again at once)."""
        last = self._requests.get(client_id)
        if last is not None and last.key == key:
            del self._requests[client_id]

    def get(self, client_id: str) -> Entry | None:
        """Return the entry of a client id, if we created it."""
        return self._entries.get(client_id)

    def may_post(self, client_id: str) -> bool:
        """Return True only when the venue certainly has not seen this client id."""
        return self._entries[client_id].outcome is Outcome.NOT_SENT

    def on_post(self, client_id: str) -> None:
        """Record that a create request is leaving for the venue."""
        entry = self._entries[client_id]
        if entry.outcome is not Outcome.NOT_SENT:
            raise RuntimeError(f"post of {client_id} in outcome {entry.outcome.value}")
        entry.outcome = Outcome.IN_FLIGHT
        entry.posts += 1
        self.posts_total += 1

    def on_not_processed(self, client_id: str) -> None:
        """Record a refusal that certainly did not reach matching (429): may post again."""
        self._entries[client_id].outcome = Outcome.NOT_SENT

    def on_ack(self, client_id: str, order: VenueOrder) -> None:
        """Record the venue's answer (or a query) showing the order exists."""
        entry = self._entries[client_id]
        if entry.outcome is Outcome.UNKNOWN:
            self.resolved_found_total += 1
        entry.outcome = Outcome.ACKED
        entry.order = order

    def on_reject(self, client_id: str, rejected: Rejected) -> None:
        """Record a rejection."""
        entry = self._entries[client_id]
        entry.outcome = Outcome.REJECTED
        entry.rejected = rejected

    def on_unknown(self, client_id: str) -> None:
        """Record that the request may or may not have reached the venue."""
        self._entries[client_id].outcome = Outcome.UNKNOWN
        self.unknown_total += 1

    def on_absent(self, client_id: str) -> None:
        """Record that a query found no such order at the venue (and a cancel fenced it)."""
        entry = self._entries[client_id]
        if entry.outcome is Outcome.UNKNOWN:
            self.resolved_absent_total += 1
        entry.outcome = Outcome.NOT_PLACED

    def unknown_client_ids(self) -> list[str]:
        """Return the client ids whose outcome is still unknown."""
        return [cid for cid, e in self._entries.items() if e.outcome is Outcome.UNKNOWN]

    def max_posts_per_client_id(self) -> int:
        """Return the most create requests sent for one client id."""
        return max((e.posts for e in self._entries.values()), default=0)
