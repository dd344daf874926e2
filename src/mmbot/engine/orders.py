"""The order manager: turns the quote the strategy wants into place/replace/cancel actions,
and follows each order through the venue's reports.

Theory of operation. Each order has one entry keyed by its deterministic client id
(`<strategy>-<seq>`) and moves through an explicit state machine:

    PENDING_NEW --ack--> LIVE --fill(leaves 0)--> FILLED
         |                 |--cancel sent--> PENDING_CANCEL --canceled--> CANCELED
         |                 |--replace sent--> PENDING_REPLACE --modified--> LIVE
         |--reject--> REJECTED     (a fill may arrive in any non-terminal state: it can race a
                                     cancel or a replace; leaves 0 makes the order FILLED)

At most one order per side is managed. An order in a PENDING_* state is left alone until the
venue answers, so a slow ack never leads to a second order on the same side. Reports for
orders we do not know are counted (`unknown_reports_total`), never ignored silently.

Execution policy. `queue_aware` (the default) keeps a live order while the wanted price and
size are unchanged, so it keeps its place in the venue's queue, and moves it with a venue
modify otherwise (the risk gate's replace policy may hold the move back). `naive_repost` is
the baseline the latency e2e compares against (docs/LATENCY.md): at every decision each live
order is canceled and a fresh one placed in the same batch, even at an unchanged price, so
every order goes to the back of its queue. The superseded order waits for its cancel outside
the one-working-order-per-side slot (`_leaving`); it still counts as resting for the risk
gate (it can fill before the cancel lands) and is canceled again if its cancel was denied.

Quote episodes (cost_fillrate_ewma). An episode is an order at one price: it opens when the
order is placed or a replace moves its price, and closes when the price moves again or the
order ends. Its fill ratio is the lots filled in it over the lots offered in it (the largest
size it showed at that price); `fill_ratio_ewma` folds each closed episode's ratio with weight
FILL_RATIO_ALPHA, seeded by the first episode's. Quotes that stop filling drive it toward 0;
quotes filled in full toward 1.
"""

from __future__ import annotations

from enum import Enum
from typing import Final, Literal

from mmbot.core.ids import MAX_CLIENT_SEQ
from mmbot.core.types import BUY, SELL, Action, CancelOrder, PlaceOrder, Quote, ReplaceOrder
from mmbot.risk import OpenOrder

ExecutionPolicy = Literal["queue_aware", "naive_repost"]
EXECUTION_POLICIES: Final[tuple[ExecutionPolicy, ...]] = ("queue_aware", "naive_repost")


class OrderState(Enum):
    """Where an order is in its life."""

    PENDING_NEW = "pending_new"
    LIVE = "live"
    PENDING_CANCEL = "pending_cancel"
    PENDING_REPLACE = "pending_replace"
    FILLED = "filled"
    CANCELED = "canceled"
    REJECTED = "rejected"

    # Members are singletons compared by identity; Enum's own __hash__ hashes the member's
    # name in Python, ~3 times per order report (TERMINAL, _ALLOWED): hash by identity in C.
    __hash__ = object.__hash__


# Order numbers of session epoch E are E * SEQS_PER_SESSION + 1, + 2, ...: a live session
# restarted into the same run directory claims the next epoch (engine/journal.py), so its
# client ids never repeat an earlier session's, while a backtest (and a fresh run directory)
# is session 0 and keeps the ids 1, 2, ... A billion orders outlast any session (at 20
# places a second, 1.5 years); the last epoch is the last whose ids still fit the venues'
# 36 characters (venues/idempotency.py).
SEQS_PER_SESSION: Final = 1_000_000_000
MAX_SESSION: Final = (MAX_CLIENT_SEQ + 1) // SEQS_PER_SESSION - 1


def make_client_id(strategy_id: str, seq: int) -> str:
    """Return the deterministic client id of a strategy's seq-th order: `<strategy>-<seq>`."""
    return f"{strategy_id}-{seq}"


def client_seq_of(client_id: str) -> int:
    """Return the seq of a client id made by make_client_id."""
    return int(client_id.rsplit("-", 1)[1])


# The weight of the newest quote episode in fill_ratio_ewma (cost_fillrate_ewma).
FILL_RATIO_ALPHA: Final = 0.05


def fold_fill_ratio(ewma: float, ratio: float, episodes_before: int) -> float:
    """Return the fill-ratio EWMA after one more episode; the first episode seeds it (an EWMA
    started at 0 would read "nothing fills" until ~1/alpha episodes had closed)."""
    if episodes_before == 0:
        return ratio
    return ewma + FILL_RATIO_ALPHA * (ratio - ewma)


TERMINAL: Final = frozenset({OrderState.FILLED, OrderState.CANCELED, OrderState.REJECTED})
# Which transitions a report may cause; anything else is a protocol error worth counting.
_ALLOWED: Final = {
    (OrderState.PENDING_NEW, OrderState.LIVE),
    (OrderState.PENDING_NEW, OrderState.REJECTED),
    (OrderState.LIVE, OrderState.PENDING_CANCEL),
    (OrderState.LIVE, OrderState.PENDING_REPLACE),
    (OrderState.PENDING_CANCEL, OrderState.CANCELED),
    (OrderState.PENDING_REPLACE, OrderState.LIVE),
    (OrderState.PENDING_REPLACE, OrderState.PENDING_CANCEL),
}


class ManagedOrder:
    """One order we sent; mutable because it lives through many reports.

    price_ticks, leaves_lots and priced_ts_ns change only through rest(), which keeps
    open_order (the risk gate's view of the order) in step with them.
    """

    __slots__ = (
        "client_id", "ended_ts_ns", "episode_filled_lots", "episode_quoted_lots", "filled_lots",
        "leaves_lots", "open_order", "pending_price_ticks", "pending_qty_lots", "placed_ts_ns",
        "price_ticks", "priced_ts_ns", "qty_lots", "seq", "side", "state", "venue_order_id",
    )  # fmt: skip

    def __init__(self, seq: int, client_id: str, side: int, price_ticks: int, qty_lots: int,
                 ts_ns: int) -> None:  # fmt: skip
        self.seq = seq
        self.client_id = client_id
        self.side = side
        self.price_ticks = price_ticks
        self.qty_lots = qty_lots
        self.leaves_lots = qty_lots
        self.filled_lots = 0
        self.placed_ts_ns = ts_ns
        self.priced_ts_ns = ts_ns  # when the current price was set: the age the risk gate uses
        self.ended_ts_ns = -1
        self.state = OrderState.PENDING_NEW
        self.venue_order_id = -1
        self.pending_price_ticks = price_ticks  # the price a replace in flight asks for
        self.pending_qty_lots = 0  # the size a replace in flight asks for (0: none in flight)
        # The quote episode at the current price (cost_fillrate_ewma): lots offered, filled.
        self.episode_quoted_lots = qty_lots
        self.episode_filled_lots = 0
        # Rebuilt only when it changes (rest()), not by open_orders(), which runs at every
        # decision.
        self.open_order = OpenOrder(side, price_ticks, qty_lots, ts_ns)

    def rest(self, price_ticks: int, leaves_lots: int, priced_ts_ns: int) -> None:
        """Set what rests at the venue after a fill or a replace, and the risk gate's view:
        while a replace is in flight the larger of the two sizes, either of which may fill."""
        self.price_ticks = price_ticks
        self.leaves_lots = leaves_lots
        self.priced_ts_ns = priced_ts_ns
        worst_lots = max(leaves_lots, self.pending_qty_lots)
        self.open_order = OpenOrder(self.side, price_ticks, worst_lots, priced_ts_ns)


class ClientSeqs:
    """The order numbers of one venue connection, shared by every strategy that sends on it,
    so a report's client sequence names one order whoever sent it.

    named: also keep the client id each number was drawn for (client_id_of), for a port that
    journals its orders by client id but is handed only the number.
    """

    __slots__ = ("_client_ids", "_numbered", "_seq", "_seq_end")

    def __init__(self, named: bool = False) -> None:
        self._seq = 0
        self._seq_end = SEQS_PER_SESSION  # the first seq past this session's block
        self._numbered = False
        self._client_ids: dict[int, str] | None = {} if named else None

    def start_session(self, session: int) -> None:
        """Number the orders from session's block on (call before the first order)."""
        if self._numbered:
            raise RuntimeError("start_session after an order was numbered")
        if not 0 <= session <= MAX_SESSION:
            raise ValueError(f"session={session} expected 0..{MAX_SESSION}")
        self._seq = session * SEQS_PER_SESSION
        self._seq_end = self._seq + SEQS_PER_SESSION

    def claim_epoch(self, epoch: int) -> None:
        """Number the next orders from epoch's block on: an HA leader's fencing token (ha/),
        claimed at each election, so its client ids carry it; never back into a used block."""
        if not 0 <= epoch <= MAX_SESSION:
            raise ValueError(f"epoch={epoch} expected 0..{MAX_SESSION}")
        first = epoch * SEQS_PER_SESSION
        if first < self._seq:
            raise RuntimeError(f"E_HA_EPOCH: epoch={epoch} expected a block past seq={self._seq}")
        self._seq, self._seq_end = first, first + SEQS_PER_SESSION

    def next(self) -> int:
        """Return the next order number."""
        if self._seq + 1 >= self._seq_end:
            raise RuntimeError(f"session used all {SEQS_PER_SESSION - 1} order numbers")
        self._numbered = True
        self._seq += 1
        return self._seq

    def note(self, seq: int, client_id: str) -> None:
        """Keep the client id seq was drawn for (only when named)."""
        if self._client_ids is not None:
            self._client_ids[seq] = client_id

    def client_id_of(self, seq: int) -> str | None:
        """Return the client id seq was drawn for (None: not drawn here, or not named)."""
        return None if self._client_ids is None else self._client_ids.get(seq)


class OrderManager:
    """Reconcile wanted quotes with resting orders; apply venue reports to order states.

    seqs: the order numbers of the venue connection (shared with the other strategies on it);
    None: numbers of its own.
    """

    def __init__(
        self,
        strategy_id: str,
        execution: ExecutionPolicy = "queue_aware",
        seqs: ClientSeqs | None = None,
    ) -> None:
        if execution not in EXECUTION_POLICIES:
            raise ValueError(f"execution={execution!r} expected one of {EXECUTION_POLICIES}")
        self._strategy_id = strategy_id
        self._naive = execution == "naive_repost"
        self.seqs = seqs or ClientSeqs()
        self._by_client: dict[str, ManagedOrder] = {}
        self._by_seq: dict[int, ManagedOrder] = {}
        self._by_venue: dict[int, ManagedOrder] = {}
        self._working: dict[int, ManagedOrder] = {}  # side -> the non-terminal order
        self._leaving: dict[str, ManagedOrder] = {}  # naive_repost: superseded, being canceled
        # open_orders() as last built; None once an order rests, moves or ends. Read at every
        # decision (a book's exposures read every leg's several times), changed far less.
        self._open: dict[str, OpenOrder] | None = None
        self._resting_lots: tuple[int, int] | None = None  # resting_lots(), likewise
        self.orders: list[ManagedOrder] = []
        self.unknown_reports_total = 0
        self.unknown_outcomes_total = 0
        self.late_reports_total = 0  # replace confirmations for orders that had ended
        # EWMA over quote episodes of filled / quoted lots (see close_episode)
        self.fill_ratio_ewma = 0.0
        self.episodes_closed = 0
        self.ack_latencies_ns: list[int] = []  # place to acknowledgement, per acked order
        self.replaces_sent_total = 0
        self.canceled_total = 0  # orders that ended canceled
        self.rejected_total = 0  # places, replaces and cancels the venue refused
        self.bad_transitions_total = 0
        self.quotes_placed_total = 0
        self.order_ages_ns: list[int] = []

    def start_session(self, session: int) -> None:
        """Number the orders from session's block on (call before the first order)."""
        self.seqs.start_session(session)

    def next_client_id(self) -> str:
        """Return the next deterministic client id."""
        seq = self.seqs.next()
        client_id = make_client_id(self._strategy_id, seq)
        self.seqs.note(seq, client_id)
        return client_id

    def working_prices(self) -> list[tuple[int, int]]:
        """Return (side, price_ticks) of every price an order of ours may rest at now: a
        non-terminal order's price, and the new price of a replace in flight (either may be
        the one the venue holds)."""
        prices = []
        for order in (*self._working.values(), *self._leaving.values()):
            prices.append((order.side, order.price_ticks))
            if order.state is OrderState.PENDING_REPLACE:
                prices.append((order.side, order.pending_price_ticks))
        return prices

    def plan(self, quote: Quote | None) -> list[Action]:
        """Return the actions that move the resting orders toward quote (None: rest nothing)."""
        actions: list[Action] = []
        if self._leaving:
            for order in self._leaving.values():
                if order.state is OrderState.LIVE:  # its cancel was denied: ask again
                    actions.append(CancelOrder(order.client_id))
        if quote is None:
            self._plan_side(BUY, 0, 0, actions)
            self._plan_side(SELL, 0, 0, actions)
        else:
            self._plan_side(BUY, quote.bid_ticks, quote.bid_lots, actions)
            self._plan_side(SELL, quote.ask_ticks, quote.ask_lots, actions)
        return actions

    def _plan_side(self, side: int, price_ticks: int, qty_lots: int, actions: list[Action]) -> None:
        """Append the action (if any) that moves side's order to price_ticks x qty_lots."""
        order = self._working.get(side)
        if order is None:
            if qty_lots > 0:
                actions.append(PlaceOrder(self.next_client_id(), side, price_ticks, qty_lots))
        elif order.state is OrderState.LIVE:
            if qty_lots <= 0:
                actions.append(CancelOrder(order.client_id))
            elif self._naive:
                actions.append(CancelOrder(order.client_id))
                actions.append(PlaceOrder(self.next_client_id(), side, price_ticks, qty_lots))
            elif price_ticks != order.price_ticks or qty_lots != order.leaves_lots:
                actions.append(
                    ReplaceOrder(order.client_id, order.client_id, side, price_ticks, qty_lots)
                )

    def open_orders(self) -> dict[str, OpenOrder]:
        """Return client_id -> OpenOrder of every resting order (the risk gate's view).

        The same dict while nothing changed: read it, never change it."""
        resting = self._open
        if resting is None:
            resting = {o.client_id: o.open_order for o in self._working.values()}
            for o in self._leaving.values():
                resting[o.client_id] = o.open_order
            self._open = resting
            self._resting_lots = None
        return resting

    def resting_lots(self) -> tuple[int, int]:
        """Return the lots resting on the bid and on the ask (open_orders' leaves, by side)."""
        resting = self.open_orders()  # built anew (and these lots forgotten) after a change
        lots = self._resting_lots
        if lots is None:
            bids = asks = 0
            for order in resting.values():
                if order.side == BUY:
                    bids += order.leaves_lots
                else:
                    asks += order.leaves_lots
            lots = self._resting_lots = bids, asks
        return lots

    def _rest(self, order: ManagedOrder, price_ticks: int, leaves_lots: int,
              priced_ts_ns: int) -> None:  # fmt: skip
        """ManagedOrder.rest, and forget the open orders built before it."""
        order.rest(price_ticks, leaves_lots, priced_ts_ns)
        self._open = None

    def _move(self, order: ManagedOrder, state: OrderState, ts_ns: int) -> None:
        if (order.state, state) not in _ALLOWED and state is not OrderState.FILLED:
            self.bad_transitions_total += 1
        order.state = state
        if state in TERMINAL:
            self._open = None
            order.ended_ts_ns = ts_ns
            if state is not OrderState.REJECTED:  # a rejected order never rested
                self.order_ages_ns.append(ts_ns - order.priced_ts_ns)
            if self._working.get(order.side) is order:
                del self._working[order.side]
            elif self._leaving:
                self._leaving.pop(order.client_id, None)

    def on_sent_place(self, action: PlaceOrder, seq_id: int, venue_order_id: int,
                      ts_ns: int) -> None:  # fmt: skip
        """Record a place request handed to the venue."""
        order = ManagedOrder(seq_id, action.client_id, action.side, action.price_ticks,
                             action.qty_lots, ts_ns)  # fmt: skip
        order.venue_order_id = venue_order_id
        self._by_client[order.client_id] = order
        self._by_seq[seq_id] = order
        if venue_order_id >= 0:
            self._by_venue[venue_order_id] = order
        superseded = self._working.get(order.side)
        if superseded is not None:  # naive_repost: its cancel went out in the same batch
            self._leaving[superseded.client_id] = superseded
        self._working[order.side] = order
        self._open = None
        self.orders.append(order)
        self.quotes_placed_total += 1

    def on_sent_replace(self, action: ReplaceOrder) -> None:
        """Record a replace request handed to the venue."""
        order = self._by_client[action.client_id]
        self.replaces_sent_total += 1
        order.pending_price_ticks = action.price_ticks
        order.pending_qty_lots = action.qty_lots
        if action.qty_lots > order.leaves_lots:  # the risk gate's view: the larger size
            self._rest(order, order.price_ticks, order.leaves_lots, order.priced_ts_ns)
        self._move(order, OrderState.PENDING_REPLACE, 0)

    def on_sent_cancel(self, action: CancelOrder) -> None:
        """Record a cancel request handed to the venue."""
        self._move(self._by_client[action.client_id], OrderState.PENDING_CANCEL, 0)

    def venue_id_of(self, client_id: str) -> int:
        """Return the venue order id of a client id."""
        return self._by_client[client_id].venue_order_id

    def sent(self, venue_order_id: int, seq_id: int) -> bool:
        """Return whether this manager sent the order a report names (by sequence or id)."""
        return seq_id in self._by_seq or venue_order_id in self._by_venue

    def lookup(self, venue_order_id: int, seq_id: int) -> ManagedOrder | None:
        """Return the order a report is about (by venue id, else by client sequence)."""
        order = self._by_venue.get(venue_order_id) or self._by_seq.get(seq_id)
        if order is None:
            self.unknown_reports_total += 1
        elif order.venue_order_id < 0:
            order.venue_order_id = venue_order_id
            self._by_venue[venue_order_id] = order
        return order

    def on_unknown_outcome(self, order: ManagedOrder) -> None:
        """Note that a place's outcome is not known yet; the order keeps its side's slot, so
        nothing is placed in its stead until a later event settles it."""
        self.unknown_outcomes_total += 1

    def on_ack(self, order: ManagedOrder, ts_ns: int = -1) -> None:
        """Apply an ack: the order rests at the venue (ts_ns: when we learned it; -1 unknown)."""
        if order.state is OrderState.PENDING_NEW:
            self._move(order, OrderState.LIVE, 0)
            if ts_ns >= 0:
                self.ack_latencies_ns.append(ts_ns - order.placed_ts_ns)

    def on_reject(self, order: ManagedOrder, ts_ns: int) -> None:
        """Apply a reject: of a new order it ends it; of a cancel/replace the order stays live."""
        if order.state is OrderState.PENDING_NEW:
            self.rejected_total += 1
            self._move(order, OrderState.REJECTED, ts_ns)
        elif order.state in (OrderState.PENDING_CANCEL, OrderState.PENDING_REPLACE):
            self.rejected_total += 1
            order.state = OrderState.LIVE
            if order.pending_qty_lots:  # the replace was refused: the old size rests
                order.pending_qty_lots = 0
                self._rest(order, order.price_ticks, order.leaves_lots, order.priced_ts_ns)

    def on_fill(
        self, order: ManagedOrder, qty_lots: int, leaves_lots: int, ts_ns: int
    ) -> float | None:
        """Apply a (partial) fill; return the fill ratio of the quote episode it closed."""
        order.filled_lots += qty_lots
        order.episode_filled_lots += qty_lots
        self._rest(order, order.price_ticks, leaves_lots, order.priced_ts_ns)
        if leaves_lots == 0:
            self._move(order, OrderState.FILLED, ts_ns)
            return self._close_episode(order)
        return None

    def _close_episode(self, order: ManagedOrder) -> float | None:
        """End the order's quote episode (its time at one price): fold filled / quoted lots
        into fill_ratio_ewma and return the ratio (None: nothing was offered)."""
        quoted = order.episode_quoted_lots
        if quoted <= 0:
            return None
        ratio = min(1.0, order.episode_filled_lots / quoted)
        self.fill_ratio_ewma = fold_fill_ratio(self.fill_ratio_ewma, ratio, self.episodes_closed)
        self.episodes_closed += 1
        order.episode_quoted_lots = order.episode_filled_lots = 0
        return ratio

    def on_canceled(self, order: ManagedOrder, ts_ns: int) -> float | None:
        """Apply a cancel confirmation (or an IOC expiry); return the closed episode's ratio."""
        if order.state in TERMINAL:
            return None
        self.canceled_total += 1
        self._move(order, OrderState.CANCELED, ts_ns)
        return self._close_episode(order)

    def on_modified(self, order: ManagedOrder, price_ticks: int, leaves_lots: int,
                    ts_ns: int) -> float | None:  # fmt: skip
        """Apply a replace confirmation: new price/size; a new price restarts the order's age.

        A confirmation that arrives after the order ended (filled or canceled first) changes
        nothing: the order's record keeps how it ended. A new price closes the quote episode
        (returns its ratio) and starts the next."""
        if order.state in TERMINAL:
            self.late_reports_total += 1
            return None
        closed = None
        if price_ticks != order.price_ticks:  # a new price: a new quote episode
            closed = self._close_episode(order)
            order.episode_quoted_lots = leaves_lots
            priced_ts_ns = ts_ns
        else:
            quoted = order.episode_filled_lots + leaves_lots
            order.episode_quoted_lots = max(order.episode_quoted_lots, quoted)
            priced_ts_ns = order.priced_ts_ns
        order.pending_qty_lots = 0
        self._rest(order, price_ticks, leaves_lots, priced_ts_ns)
        order.qty_lots = order.filled_lots + leaves_lots
        if order.state is OrderState.PENDING_REPLACE:
            self._move(order, OrderState.LIVE, ts_ns)
        return closed
