"""Order events: what a venue tells the engine about our orders, in one venue-neutral form.

Every venue port (the simulator's, the loopback and ccxt bridges, the shadow and canary
wrappers) translates its own reports into OrderEvent; the engine reads nothing else. Kinds:

    ACCEPTED          a new order rests at the venue
    REJECTED          a new order was refused (reason: the venue's code; -1: refused locally)
    PARTIALLY_FILLED  a fill that leaves part of the order resting (leaves_lots > 0)
    FILLED            the fill that ends the order (leaves_lots == 0)
    CANCELED          the order left the book unfilled or partly filled (canceled, expired)
    REPLACE_ACCEPTED  a replace took effect: price_ticks / leaves_lots are the order's new ones
    REPLACE_REJECTED  a replace or cancel was refused; the order rests as before
    UNKNOWN_OUTCOME   a place was sent but its outcome is not known yet (a timeout): the order
                      holds its side until a later event settles it; it is never sent again
                      under a new id
    POSITION_ADOPTED  not about an order: at start, the venue held qty_lots * side of position
                      that this session takes over (live and canary with --adopt)

Fill events carry the fill's price, size, fee (paid positive, a rebate negative) and
mid_ticks_x2, best bid + best ask of the venue's book at the fill (0: not known).
"""

from __future__ import annotations

from enum import IntEnum
from typing import NamedTuple


class OrderEventKind(IntEnum):
    """What happened to an order (see the module docstring)."""

    ACCEPTED = 1
    REJECTED = 2
    PARTIALLY_FILLED = 3
    FILLED = 4
    CANCELED = 5
    REPLACE_ACCEPTED = 6
    REPLACE_REJECTED = 7
    UNKNOWN_OUTCOME = 8
    POSITION_ADOPTED = 9


FILL_KINDS = frozenset({OrderEventKind.PARTIALLY_FILLED, OrderEventKind.FILLED})
LOCAL_REJECT_REASON = -1  # reason of a reject a port made up itself (a refused request)


class OrderEvent(NamedTuple):
    """One event about one of our orders, as plain values (a NamedTuple: the hot path).

    order_id is the venue's id of the order, client_seq the number in its client id
    (`<strategy>-<seq>`); side is +1 buy / -1 sell; ts_exch_ns the venue's time of the event,
    ts_local_ns when it reached us.
    """

    ts_local_ns: int
    ts_exch_ns: int
    kind: int
    order_id: int
    client_seq: int
    side: int
    price_ticks: int
    qty_lots: int
    leaves_lots: int
    reason: int
    is_maker: int
    fee_usd: float
    mid_ticks_x2: int = 0


def fill_kind(leaves_lots: int) -> OrderEventKind:
    """Return FILLED for a fill that ends its order, PARTIALLY_FILLED otherwise."""
    return OrderEventKind.FILLED if leaves_lots == 0 else OrderEventKind.PARTIALLY_FILLED


def local_event(ts_ns: int, kind: int, order_id: int, client_seq: int, side: int,
                price_ticks: int, qty_lots: int, reason: int = 0) -> OrderEvent:  # fmt: skip
    """Return an event a port makes up itself (shadow answers, canary refusals)."""
    leaves = 0 if kind == OrderEventKind.CANCELED else qty_lots
    return OrderEvent(ts_ns, ts_ns, kind, order_id, client_seq, side, price_ticks, qty_lots,
                      leaves, reason, 0, 0.0)  # fmt: skip
