"""The order manager under random venue behaviour, driven through the real Engine.

Theory of operation. `ScriptedVenue` is an engine port whose answers the machine's rules
choose. A `decide` rule moves the mid and runs one engine step, so the engine's own strategy,
risk gate and order manager (the embedded default config, fixed_spread so it quotes at once)
produce the places, replaces and cancels; the venue records each request. The other rules
answer any request or resting order, in any order: accept, post-only reject or time out a
place (an UNKNOWN_OUTCOME, settled later by an accept or a reject), accept it but send the
ack late (fills may overtake it, as with the live bridge), fill part or all of a resting
order (also while a cancel or a replace of it is in flight), confirm a cancel, accept a
replace, refuse a replace or cancel, repeat a late event about an order that ended, report
an order the engine never sent. The venue queues its events; the engine hears them at its
next step, and the venue keeps what it has told the engine (`Told`) beside what it holds.

Checked at every request: a client seq is never placed twice; nothing is placed on a side
while an order of unknown outcome holds it; a replace or cancel only ever targets an order
the engine was told rests, that has not ended and has no other request in flight.
Checked after every rule: no orphan order on either side; which orders ended, which were
acked and each working order's price and leaves are exactly what the engine was told (and,
with nothing queued, PENDING_CANCEL/PENDING_REPLACE exactly the requests in flight); the
position is the sum of the fills told, by the ledger and by the orders; at most one working
order per side (queue_aware); bad_transitions_total stays 0; every event about an order
never sent is counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from mmbot.config import load_config
from mmbot.core.clock import SimClock
from mmbot.core.events import FILL_KINDS, OrderEvent, OrderEventKind, fill_kind
from mmbot.core.types import BUY, SELL, MarketView
from mmbot.engine.orders import TERMINAL, ExecutionPolicy, OrderState, make_client_id
from mmbot.node import engine_over

K = OrderEventKind
STRATEGY_ID = "mm"
T0_NS = 1_700_000_000 * 1_000_000_000
START_MID_TICKS = 100_000
BOOK_LOTS = 5
FIRST_FOREIGN_ORDER_ID = 900_000_000  # far above the ids this venue gives our orders
POST_ONLY_REASON = 1
ORDER_GONE_REASON = 2  # a replace or cancel of an order that filled meanwhile
# Events that settle a place whose outcome was unknown.
SETTLING = frozenset({K.ACCEPTED, K.REJECTED, K.PARTIALLY_FILLED, K.FILLED})
ENDING = frozenset({K.REJECTED, K.FILLED, K.CANCELED})
PENDING_REQUESTS = {OrderState.PENDING_CANCEL: "cancel", OrderState.PENDING_REPLACE: "replace"}

_default = load_config(None, {}).config
# fixed_spread quotes from the first decision (the volatility models wait to warm up).
CONFIG = _default.model_copy(
    update={"strategy": _default.strategy.model_copy(update={"model": "fixed_spread"})}
)

PICK = st.integers(0, 63)  # which candidate order (modulo how many there are)
MID_MOVE_TICKS = st.integers(-3, 3)
FILL_LOTS = st.integers(1, 10)  # cut to the order's leaves: small orders often fill in full
LATE_KINDS = st.sampled_from((K.ACCEPTED, K.REJECTED, K.CANCELED, K.REPLACE_REJECTED))
FOREIGN_KINDS = st.sampled_from([k for k in K if k != K.POSITION_ADOPTED])  # about an order


def client_id(seq: int) -> str:
    """Return the client id the engine gives its seq-th order."""
    return make_client_id(STRATEGY_ID, seq)


@dataclass(slots=True)
class VenueOrder:
    """One of our orders as the venue holds it."""

    order_id: int
    seq: int
    side: int
    price_ticks: int
    leaves_lots: int
    accepted: bool = False
    ack_due: bool = False  # accepted, but the ack is not sent yet: fills may overtake it
    ended: bool = False  # filled, canceled or rejected at the venue
    timed_out: bool = False  # an UNKNOWN_OUTCOME went out for its place
    request: tuple[str, int, int] | None = None  # ("replace", price, lots) or ("cancel", 0, 0)


@dataclass(slots=True)
class Told:
    """What the venue's delivered events told the engine."""

    acked: set[int] = field(default_factory=set)
    ended: set[int] = field(default_factory=set)
    unsettled: set[int] = field(default_factory=set)  # unknown outcome, not settled yet
    filled_lots: dict[int, int] = field(default_factory=dict)
    # seq -> (price_ticks, leaves_lots): as the engine placed it, then as fills and replaces
    # told it (an ack changes neither)
    resting: dict[int, tuple[int, int]] = field(default_factory=dict)
    position_lots: int = 0
    foreign_position_lots: int = 0
    foreign_events: int = 0
    unknown_outcomes: int = 0

    def hear(self, event: OrderEvent) -> None:
        """Book one delivered event."""
        seq, kind = event.client_seq, event.kind
        signed_lots = event.side * event.qty_lots if kind in FILL_KINDS else 0
        self.position_lots += signed_lots
        if seq == 0:
            self.foreign_events += 1
            self.foreign_position_lots += signed_lots
            return
        if kind == K.UNKNOWN_OUTCOME:
            self.unknown_outcomes += 1
            self.unsettled.add(seq)
            return
        if kind in SETTLING:
            self.unsettled.discard(seq)
        if kind == K.ACCEPTED:
            self.acked.add(seq)
        if kind in ENDING:
            self.ended.add(seq)
        if kind in FILL_KINDS:
            self.filled_lots[seq] = self.filled_lots.get(seq, 0) + event.qty_lots
            self.resting[seq] = (self.resting[seq][0], event.leaves_lots)
        elif kind == K.REPLACE_ACCEPTED:
            self.resting[seq] = (event.price_ticks, event.leaves_lots)


class ScriptedVenue:
    """An engine port that records requests and answers only when a rule tells it to."""

    def __init__(self) -> None:
        self.mid_ticks = START_MID_TICKS
        self.orders: dict[int, VenueOrder] = {}  # venue order id -> order
        self.queued: list[OrderEvent] = []
        self.told = Told()
        self._now_ns = T0_NS
        self._next_foreign_id = FIRST_FOREIGN_ORDER_ID

    # ---- the EngineVenue port ----------------------------------------------------------------
    def run_until(self, ts_ns: int) -> bool:
        self._now_ns = ts_ns
        return True

    def first_ts_ns(self) -> int:
        return T0_NS

    def market_view(self, ts_ns: int) -> MarketView:
        return MarketView(ts_ns, self.mid_ticks - 1, BOOK_LOTS, self.mid_ticks + 1, BOOK_LOTS,
                          BOOK_LOTS, BOOK_LOTS, 0, 0, -1, -1)  # fmt: skip

    def reports(self) -> list[OrderEvent]:
        events, self.queued = self.queued, []
        for event in events:
            self.told.hear(event)
        return [event._replace(ts_local_ns=self._now_ns) for event in events]

    def place(self, side: int, price_ticks: int, qty_lots: int, client_seq: int) -> int:
        assert all(o.seq != client_seq for o in self.orders.values()), (
            f"client seq {client_seq} placed twice"
        )
        unsettled = self.told.unsettled
        held = [o.seq for o in self.orders.values() if o.side == side and o.seq in unsettled]
        assert not held, f"a place on side {side} while order(s) {held} of unknown outcome hold it"
        order_id = len(self.orders) + 1
        self.orders[order_id] = VenueOrder(order_id, client_seq, side, price_ticks, qty_lots)
        self.told.resting[client_seq] = (price_ticks, qty_lots)
        return order_id

    def replace(self, order_id: int, price_ticks: int, qty_lots: int) -> None:
        self._request(order_id, ("replace", price_ticks, qty_lots))

    def cancel(self, order_id: int) -> None:
        self._request(order_id, ("cancel", 0, 0))

    @property
    def exch_mid_ticks_x2(self) -> int:
        return 2 * self.mid_ticks

    @property
    def effective_fee_bps(self) -> float:
        return 0.0

    @property
    def fee_tier_distance_usd(self) -> float:
        return 0.0

    # ---- what the rules make the venue do ----------------------------------------------------
    def _request(self, order_id: int, request: tuple[str, int, int]) -> None:
        # The engine heard every event before it decided, so it knows exactly what rests.
        order = self.orders.get(order_id)
        assert order is not None, f"{request[0]} of order id {order_id} never placed"
        assert order.seq in self.told.acked, f"{request[0]} of {order.seq} before its ack"
        assert not order.ended, f"{request[0]} of {order.seq} after it ended"
        assert order.request is None, f"{request[0]} of {order.seq} while {order.request} is due"
        order.request = request

    def emit(self, kind: int, order: VenueOrder, qty_lots: int, leaves_lots: int,
             reason: int = 0) -> None:  # fmt: skip
        """Queue an event about order; the engine hears it at its next step."""
        is_maker = int(kind in FILL_KINDS)
        self.queued.append(OrderEvent(self._now_ns, self._now_ns, kind, order.order_id, order.seq,
                                      order.side, order.price_ticks, qty_lots, leaves_lots, reason,
                                      is_maker, 0.0, 2 * self.mid_ticks))  # fmt: skip

    def emit_foreign(self, kind: int, side: int, qty_lots: int) -> None:
        """Queue an event about an order id the engine never sent (client seq 0)."""
        self._next_foreign_id += 1
        stranger = VenueOrder(self._next_foreign_id, 0, side, self.mid_ticks, qty_lots)
        self.emit(kind, stranger, qty_lots, 0)

    def live(self) -> list[VenueOrder]:
        """Return the orders the venue holds unended (placed or resting)."""
        return [o for o in self.orders.values() if not o.ended]

    def unanswered(self) -> list[VenueOrder]:
        return [o for o in self.live() if not o.accepted]

    def awaiting_answer(self) -> list[VenueOrder]:
        """Return the orders whose place the venue has not answered yet (nor timed out)."""
        return [o for o in self.live() if (not o.accepted or o.ack_due) and not o.timed_out]

    def acks_due(self) -> list[VenueOrder]:
        return [o for o in self.orders.values() if o.ack_due]

    def resting(self) -> list[VenueOrder]:
        return [o for o in self.live() if o.accepted]

    def requested(self, kinds: tuple[str, ...]) -> list[VenueOrder]:
        return [o for o in self.orders.values() if o.request and o.request[0] in kinds]


def pick(candidates: list[VenueOrder], index: int) -> VenueOrder:
    """Return the index-th candidate, wrapping around."""
    return candidates[index % len(candidates)]


class OrderManagerMachine(RuleBasedStateMachine):
    """An engine over a ScriptedVenue; the rules choose the market and every venue answer."""

    EXECUTION: ClassVar[ExecutionPolicy] = "queue_aware"

    def __init__(self) -> None:
        super().__init__()
        self.venue = ScriptedVenue()
        self.clock = SimClock(T0_NS)
        self.engine = engine_over(CONFIG, self.venue, STRATEGY_ID, clock=self.clock,
                                  execution=self.EXECUTION)  # fmt: skip
        self.manager = self.engine.orders

    # ---- the engine decides ------------------------------------------------------------------
    @rule(mid_move_ticks=MID_MOVE_TICKS)
    def decide(self, mid_move_ticks: int) -> None:
        self.venue.mid_ticks += mid_move_ticks
        self.clock.advance_to(self.clock.now_ns() + self.engine.params.decision_interval_ns)
        self.engine.step()

    @rule(tripped=st.booleans())
    def kill_switch(self, tripped: bool) -> None:
        # HALTED rests nothing: the next decision cancels both sides.
        if tripped:
            self.engine.risk.trip_kill_switch("property test")
        else:
            self.engine.risk.reset_kill_switch()

    # ---- the venue answers a place -----------------------------------------------------------
    @precondition(lambda self: self.venue.unanswered())
    @rule(index=PICK, ack_later=st.booleans())
    def accept_place(self, index: int, ack_later: bool) -> None:
        order = pick(self.venue.unanswered(), index)
        order.accepted, order.ack_due = True, ack_later
        if not ack_later:
            self.venue.emit(K.ACCEPTED, order, order.leaves_lots, order.leaves_lots)

    @precondition(lambda self: self.venue.acks_due())
    @rule(index=PICK)
    def send_overtaken_ack(self, index: int) -> None:
        # As the live bridge does: the ack's leaves are what the fills sent so far left.
        order = pick(self.venue.acks_due(), index)
        order.ack_due = False
        self.venue.emit(K.ACCEPTED, order, order.leaves_lots, order.leaves_lots)

    @precondition(lambda self: self.venue.unanswered())
    @rule(index=PICK)
    def reject_place(self, index: int) -> None:
        order = pick(self.venue.unanswered(), index)
        order.ended = True
        self.venue.emit(K.REJECTED, order, order.leaves_lots, 0, POST_ONLY_REASON)

    @precondition(lambda self: self.venue.awaiting_answer())
    @rule(index=PICK)
    def time_out_place(self, index: int) -> None:
        order = pick(self.venue.awaiting_answer(), index)
        order.timed_out = True
        self.venue.emit(K.UNKNOWN_OUTCOME, order, order.leaves_lots, order.leaves_lots)

    # ---- the venue fills, confirms or refuses ------------------------------------------------
    @precondition(lambda self: self.venue.resting())
    @rule(index=PICK, fill_lots=FILL_LOTS)
    def fill(self, index: int, fill_lots: int) -> None:
        # A resting order may fill while its replace or cancel is in flight (the race).
        order = pick(self.venue.resting(), index)
        qty_lots = min(fill_lots, order.leaves_lots)
        order.leaves_lots -= qty_lots
        order.ended = order.leaves_lots == 0
        self.venue.emit(fill_kind(order.leaves_lots), order, qty_lots, order.leaves_lots)

    @precondition(lambda self: any(not o.ended for o in self.venue.requested(("cancel",))))
    @rule(index=PICK)
    def confirm_cancel(self, index: int) -> None:
        order = pick([o for o in self.venue.requested(("cancel",)) if not o.ended], index)
        order.request, order.ended = None, True
        self.venue.emit(K.CANCELED, order, order.leaves_lots, 0)

    @precondition(lambda self: any(not o.ended for o in self.venue.requested(("replace",))))
    @rule(index=PICK)
    def accept_replace(self, index: int) -> None:
        order = pick([o for o in self.venue.requested(("replace",)) if not o.ended], index)
        assert order.request is not None
        _, order.price_ticks, order.leaves_lots = order.request
        order.request = None
        self.venue.emit(K.REPLACE_ACCEPTED, order, order.leaves_lots, order.leaves_lots)

    @precondition(lambda self: self.venue.requested(("replace", "cancel")))
    @rule(index=PICK)
    def refuse_request(self, index: int) -> None:
        order = pick(self.venue.requested(("replace", "cancel")), index)
        order.request = None
        reason = ORDER_GONE_REASON if order.ended else POST_ONLY_REASON
        self.venue.emit(K.REPLACE_REJECTED, order, 0, order.leaves_lots, reason)

    # ---- events the engine must shrug off ----------------------------------------------------
    @precondition(lambda self: any(o.ended for o in self.venue.orders.values()))
    @rule(index=PICK, kind=LATE_KINDS)
    def late_event_of_ended_order(self, index: int, kind: int) -> None:
        order = pick([o for o in self.venue.orders.values() if o.ended], index)
        self.venue.emit(kind, order, 0, 0, ORDER_GONE_REASON)

    @precondition(lambda self: any(not o.ack_due for o in self.venue.resting()))
    @rule(index=PICK)
    def repeated_ack(self, index: int) -> None:
        order = pick([o for o in self.venue.resting() if not o.ack_due], index)
        self.venue.emit(K.ACCEPTED, order, order.leaves_lots, order.leaves_lots)

    @rule(kind=FOREIGN_KINDS, side=st.sampled_from((BUY, SELL)), qty_lots=FILL_LOTS)
    def event_of_order_never_sent(self, kind: int, side: int, qty_lots: int) -> None:
        self.venue.emit_foreign(kind, side, qty_lots)

    # ---- invariants --------------------------------------------------------------------------
    @invariant()
    def no_orphan_order(self) -> None:
        venue, working = self.venue, set(self.manager.open_orders())
        held = {client_id(o.seq) for o in venue.live()}
        assert held <= working, f"resting at the venue, unmanaged: {sorted(held - working)}"
        ending = {client_id(o.seq) for o in venue.orders.values()
                  if o.ended and o.seq not in venue.told.ended}  # fmt: skip
        stale = working - held - ending
        assert not stale, f"managed, but the venue said they ended: {sorted(stale)}"

    @invariant()
    def order_states_follow_what_the_venue_told(self) -> None:
        told = self.venue.told
        ended = {o.seq for o in self.manager.orders if o.state in TERMINAL}
        assert ended == told.ended, f"ended {sorted(ended)} but told {sorted(told.ended)}"
        working = self.manager.open_orders()
        for order in self.manager.orders:
            if order.state in TERMINAL:
                continue
            assert order.client_id in working, f"{order.client_id} is {order.state.name}, unworked"
            assert (order.state is OrderState.PENDING_NEW) == (order.seq not in told.acked)
            told_price, told_lots = told.resting[order.seq]
            if order.state is OrderState.PENDING_REPLACE:  # either size may fill: the larger
                told_lots = max(told_lots, order.pending_qty_lots)
            resting = working[order.client_id]  # what the risk gate sees
            assert (resting.price_ticks, resting.leaves_lots) == (told_price, told_lots), (
                f"{order.client_id} rests as {resting} but the venue told {(told_price, told_lots)}"
            )

    @precondition(lambda self: not self.venue.queued)  # else the manager cannot know yet
    @invariant()
    def pending_states_match_the_requests_in_flight(self) -> None:
        by_seq = {o.seq: o for o in self.venue.orders.values()}
        for order in self.manager.orders:
            if order.state in TERMINAL:  # a fill ended it: its request waits for a refusal
                continue
            request = by_seq[order.seq].request
            expected = PENDING_REQUESTS.get(order.state)
            assert (request[0] if request else None) == expected, (
                f"{order.client_id} is {order.state.name} but the venue has {request} in flight"
            )

    @invariant()
    def position_is_the_sum_of_the_fills_told(self) -> None:
        told, position_lots = self.venue.told, self.engine.ledger.position_lots
        assert position_lots == told.position_lots
        by_orders = sum(o.side * o.filled_lots for o in self.manager.orders)
        assert by_orders + told.foreign_position_lots == position_lots
        for order in self.manager.orders:
            assert order.filled_lots == told.filled_lots.get(order.seq, 0), order.client_id

    @invariant()
    def counters_match_the_events(self) -> None:
        manager, told = self.manager, self.venue.told
        assert manager.bad_transitions_total == 0, "a legal sequence flagged as a bad transition"
        assert manager.unknown_reports_total == told.foreign_events, "unknown reports miscounted"
        assert manager.unknown_outcomes_total == told.unknown_outcomes, "unknown outcomes missed"

    @precondition(lambda self: self.EXECUTION == "queue_aware")
    @invariant()
    def one_working_order_per_side(self) -> None:
        working = self.manager.open_orders().values()
        for side in (BUY, SELL):
            assert sum(1 for o in working if o.side == side) <= 1, f"side {side} managed twice"
            assert sum(1 for o in self.venue.live() if o.side == side) <= 1, f"side {side} held"


class NaiveRepostMachine(OrderManagerMachine):
    """The same rules under naive_repost: superseded orders wait for their cancel aside."""

    EXECUTION: ClassVar[ExecutionPolicy] = "naive_repost"


SETTINGS = settings(
    max_examples=200,
    stateful_step_count=50,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
OrderManagerMachine.TestCase.settings = SETTINGS
NaiveRepostMachine.TestCase.settings = SETTINGS
TestOrderManagerMachine = OrderManagerMachine.TestCase
TestNaiveRepostMachine = NaiveRepostMachine.TestCase
