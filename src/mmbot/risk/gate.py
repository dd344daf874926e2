"""The risk gate: every batch of actions passes check(); every step ends with after_step().

Theory of operation
-------------------
The gate is a small state machine: a trading state, two latches, two breach edge detectors,
two token buckets and plain counters. Time is only ever `ctx.ts_ns`; the gate does no I/O.

* Trading state (NautilusTrader's TradingState), worked out from the latches and the context
  at every check(), shape_quote() and after_step(); each change is one E_RISK_TRADING_STATE
  record:
    HALTED    the kill switch is tripped, the day's order cap is reached, or the book's caps
              halt every symbol (set_book_state; risk/book.py). Every place and
              replace is denied with the halt's code and shape_quote() rests nothing, so the
              engine cancels every resting order. Cancels still pass (throttle permitting).
    REDUCING  the day's loss or traded-notional cap is reached (reduce-only down to flat), or
              |position| is over the position limit (reduce-only down to the limit), or the
              book's caps ask this symbol to reduce (reduce-only down to flat). Orders
              on the side that adds to |position| are denied E_RISK_REDUCE_ONLY; orders on
              the reducing side pass while the reducing side's resting orders plus the new
              one stay within the allowed reduction (|position| for a day cap, the lots over
              the limit for the position limit), so no batch can flip the position.
              shape_quote() takes the adding side off the quote and cuts the reducing side to
              the allowed reduction.
    ACTIVE    otherwise: the worst-case position rule below.
* Latches. The kill switch is set by `trip_kill_switch()` (the engine watches the flag file
  and calls it) and cleared by `reset_kill_switch()`. The day-cap latch is set the first time
  the day's loss, traded notional or order count reaches its cap - seen by check(),
  shape_quote() or after_step(), whichever comes first - and cleared only by
  `reset_intraday()` when the engine starts a new UTC day. The position limit is not
  latched: back within it, the gate is ACTIVE again.
* Breach edge detectors. after_step() compares the step's net position with the position
  limit and with the skew limit. Entering a breach counts one `pos_skew_breach_total` and
  emits one record; staying in it emits nothing more (a breach is an episode, not a step
  count, so the counter does not depend on the decision rate); leaving it re-arms.
* Token buckets refill from ts_ns once per check(). Only an action that passed every other
  rule spends a token, so denied actions never cost throughput.

A place or replace meets the rules in this order; the first that fails names the Denied:
HALTED -> (replace: order is resting, old enough, price moved enough) -> day's order cap ->
position (ACTIVE: worst case; REDUCING: reduce-only) -> venue minimums -> throttle. Worst-case
position on a side is the net position plus every resting order on that side plus the new
quantity (minus the quantity a replace takes off the book), i.e. as if every bid - or every
ask - filled. Cancels in the same batch are not subtracted: a resting order can still fill
before its cancel lands.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final

from mmbot.core.types import (
    BUY,
    Action,
    CancelOrder,
    Denied,
    PlaceOrder,
    Quote,
    ReplaceOrder,
    Side,
)
from mmbot.risk.rules import (
    ORDERS_CAP,
    WITHIN_LIMITS,
    Reason,
    breach_detail,
    bucket_reason,
    cap_breach,
    minimum_rejection,
    position_cause,
    position_limit_lots,
    state_change_detail,
)
from mmbot.risk.throttle import TokenBucket
from mmbot.risk.values import RiskContext, RiskParams, RiskRecord

_NS_PER_MS = 1_000_000

NO_BOOK_LIMIT: Final = 1 << 62  # lots: a gate outside a book has no book limit
ACTIVE: Final = 0
REDUCING: Final = 1
HALTED: Final = 2
TRADING_STATES: Final = ("ACTIVE", "REDUCING", "HALTED")  # indexed by the state's value


class _Exposure:
    """One check() batch's worst-case position, booked as orders pass: the position limit, and
    the net position if every bid filled (long_lots) or every ask filled (short_lots, counted
    positive when short)."""

    __slots__ = ("limit_lots", "long_lots", "short_lots")

    def __init__(self, limit_lots: int, long_lots: int, short_lots: int) -> None:
        self.limit_lots = limit_lots
        self.long_lots = long_lots
        self.short_lots = short_lots

    def lots(self, side: int) -> int:
        """Return the worst-case lots if every order on side (BUY or SELL) filled."""
        return self.long_lots if side == BUY else self.short_lots

    def add_lots(self, side: int, lots: int) -> None:
        """Book lots more resting on side (negative: taken off the book)."""
        if side == BUY:
            self.long_lots += lots
        else:
            self.short_lots += lots


class RiskGate:
    """Deny actions that would break a risk invariant; report invariants broken after a step."""

    __slots__ = (
        "_allowance_lots",
        "_book_cause",
        "_book_long_lots",
        "_book_short_lots",
        "_book_state",
        "_cancel_bucket",
        "_cap_latch",
        "_exposure",
        "_in_position_breach",
        "_in_skew_breach",
        "_kill_reason",
        "_kill_record_due",
        "_order_bucket",
        "_orders_left",
        "_params",
        "_pending",
        "_pos_skew_breach_total",
        "_replace_allowed",
        "_replace_attempts",
        "_replaced_in_batch",
        "_risk_denials_total",
        "_settled_ctx",
        "_settled_limit_lots",
        "_state",
        "_state_cause",
        "_throttled_cancels_total",
        "_throttled_orders_total",
    )

    def __init__(self, params: RiskParams) -> None:
        self._params = params
        self._order_bucket = TokenBucket(params.orders_per_s, params.orders_burst)
        self._cancel_bucket = TokenBucket(params.cancels_per_s, params.cancels_burst)
        self._kill_reason: str | None = None
        self._kill_record_due = False
        self._cap_latch: Reason | None = None
        self._state = ACTIVE
        self._state_cause = ""
        self._allowance_lots = 0  # REDUCING: lots the reducing side may carry in all
        # What the book's caps ask of this symbol (set_book_state): ACTIVE unless in a book.
        self._book_state = ACTIVE
        self._book_cause = ""
        # The longest and shortest position the book's gross and net caps leave this symbol
        # (set_book_limits), in lots; no book: no limit.
        self._book_long_lots = NO_BOOK_LIMIT
        self._book_short_lots = NO_BOOK_LIMIT
        self._pending: list[RiskRecord] = []
        self._in_position_breach = False
        self._in_skew_breach = False
        self._pos_skew_breach_total = 0
        self._replace_attempts = 0
        self._replace_allowed = 0
        self._throttled_orders_total = 0
        self._throttled_cancels_total = 0
        self._risk_denials_total = 0
        # Per-check() scratch: orders the day still allows, and worst-case lots built on the
        # first order of the batch (see _exposure_of) then booked as orders pass.
        self._orders_left = 0
        self._replaced_in_batch: set[str] = set()
        self._exposure: _Exposure | None = None
        # The context the trading state was last worked out from; the engine hands the same
        # context to after_step, shape_quote and check, so only the first works it out. Every
        # setter of a latch or of the book's state or limits forgets it.
        self._settled_ctx: RiskContext | None = None
        self._settled_limit_lots = 0  # the position limit in lots at that context's mid

    def check(
        self, actions: Sequence[Action], ctx: RiskContext
    ) -> tuple[list[Action], list[Denied]]:
        """Split actions into those allowed (in order) and Denied values, one per rejection."""
        self._order_bucket.refill(ctx.ts_ns)
        self._cancel_bucket.refill(ctx.ts_ns)
        self._refresh_state(ctx)
        if not actions:  # nearly half the decisions: the resting orders are as wanted
            return [], []
        halt = self._halt_reason() if self._state == HALTED else None
        self._orders_left = self._params.intraday_max_orders - ctx.order_count_day
        self._exposure = None
        if self._replaced_in_batch:
            self._replaced_in_batch.clear()
        allowed: list[Action] = []
        denied: list[Denied] = []
        for action in actions:
            if isinstance(action, CancelOrder):
                rejection = None if self._cancel_bucket.take() else self._cancel_throttled()
            elif isinstance(action, ReplaceOrder):
                rejection = self._replace_rejection(action, ctx, halt)
            else:
                rejection = halt or self._book_order(action, ctx, 0, 0)
            if rejection is None:
                allowed.append(action)
            else:
                denied.append(Denied(rejection[0], rejection[1], action))
        self._risk_denials_total += len(denied)
        return allowed, denied

    def shape_quote(self, quote: Quote | None, ctx: RiskContext) -> Quote | None:
        """Return the part of quote the trading state lets rest (None: rest nothing).

        ACTIVE: quote as it is, each side cut to what the book's limits leave it (so a resting
        order the others' fills made too big shrinks). REDUCING: the adding side at 0 lots and
        the reducing side cut to the allowed reduction (nothing when flat). HALTED: None, so
        every order is canceled.
        """
        self._refresh_state(ctx)
        if quote is None:
            return quote
        if self._state == ACTIVE:
            return quote if self._book_long_lots == NO_BOOK_LIMIT else self._fit_book(quote, ctx)
        position_lots = ctx.position_lots
        if self._state == HALTED or position_lots == 0:
            return None
        allowance = self._allowance_lots
        if position_lots > 0:
            return Quote(quote.bid_ticks, quote.ask_ticks, 0, min(quote.ask_lots, allowance))
        return Quote(quote.bid_ticks, quote.ask_ticks, min(quote.bid_lots, allowance), 0)

    def _fit_book(self, quote: Quote, ctx: RiskContext) -> Quote:
        """Return quote with each side cut to what the book's limits leave it."""
        bid_room = max(0, self._book_long_lots - ctx.position_lots)
        ask_room = max(0, self._book_short_lots + ctx.position_lots)
        if quote.bid_lots <= bid_room and quote.ask_lots <= ask_room:
            return quote
        return Quote(quote.bid_ticks, quote.ask_ticks, min(quote.bid_lots, bid_room),
                     min(quote.ask_lots, ask_room))  # fmt: skip

    def after_step(self, ctx: RiskContext) -> list[RiskRecord]:
        """Check the invariants on the step's end state; return the new records, in order."""
        params = self._params
        position_lots = abs(ctx.position_lots)
        # lots_worth for both limits, inlined: after_step runs at every decision point.
        mid_price_usd = ctx.mid_price_usd
        if 0.0 < mid_price_usd < math.inf:
            lot_usd = mid_price_usd * params.lot_size
            limit_lots = int(params.max_position_usd / lot_usd)
            skew_lots = int(params.max_skew_usd / lot_usd)
        else:
            limit_lots = skew_lots = 0
        if params.max_position_lots is not None:
            limit_lots = min(limit_lots, params.max_position_lots)
        in_position_breach = position_lots > limit_lots
        if in_position_breach and not self._in_position_breach:
            self._breach(ctx, "E_RISK_POSITION", "max_position", position_lots, limit_lots)
        in_skew_breach = position_lots > skew_lots
        if in_skew_breach and not self._in_skew_breach:
            self._breach(ctx, "E_RISK_SKEW", "max_skew", position_lots, skew_lots)
        self._in_position_breach = in_position_breach
        self._in_skew_breach = in_skew_breach
        self._update_state(ctx, limit_lots)
        if self._kill_record_due:
            self._kill_record_due = False
            self._pending.append(RiskRecord(ctx.ts_ns, *self._kill_halt()))
        if not self._pending:
            return []
        records, self._pending = self._pending, []
        return records

    def trip_kill_switch(self, reason: str) -> None:
        """HALT until reset (cancel everything, deny orders); the next after_step() records why."""
        self._settled_ctx = None
        if self._kill_reason is None:
            self._kill_reason = reason
            self._kill_record_due = True

    def reset_kill_switch(self) -> None:
        """Let orders through again (the other invariants still apply)."""
        self._settled_ctx = None
        self._kill_reason = None
        self._kill_record_due = False

    def set_book_state(self, state: int, cause: str) -> None:
        """Apply what the book's caps ask of this symbol from the next check on: HALTED (rest
        nothing), REDUCING (reduce-only down to flat) or ACTIVE (this symbol's rules alone)."""
        self._settled_ctx = None
        self._book_state = state
        self._book_cause = cause

    def set_book_limits(self, long_lots: int, short_lots: int) -> None:
        """Cap the position the book's gross and net caps leave this symbol: at most long_lots
        long and short_lots short, worst case (every resting order on a side filled), from
        the next check on; over either, REDUCING down to it."""
        self._settled_ctx = None
        self._book_long_lots = long_lots
        self._book_short_lots = short_lots

    def reset_intraday(self) -> None:
        """Clear the day-cap latch; call when the engine's day counters restart."""
        self._settled_ctx = None
        self._cap_latch = None

    @property
    def book_bound(self) -> bool:
        """True once a book's caps set this gate's state or limits (a gate of a book)."""
        return (
            self._book_state != ACTIVE
            or self._book_long_lots != NO_BOOK_LIMIT
            or self._book_short_lots != NO_BOOK_LIMIT
        )

    @property
    def kill_switch_active(self) -> int:
        """1 while the kill switch is tripped, else 0 (the exported flag's value)."""
        return 0 if self._kill_reason is None else 1

    @property
    def trading_state(self) -> int:
        """ACTIVE (0), REDUCING (1) or HALTED (2) as of the last check/shape/after_step."""
        return self._state

    def counters(self) -> dict[str, int | float]:
        """Return the gate's counters and flags as plain values ready for export."""
        return {
            "intraday_caps_breached": 0 if self._cap_latch is None else 1,
            "kill_switch_active": self.kill_switch_active,
            "pos_skew_breach_total": self._pos_skew_breach_total,
            "replace_allowed": self._replace_allowed,
            "replace_attempts": self._replace_attempts,
            "risk_denials_total": self._risk_denials_total,
            "throttled_cancels_total": self._throttled_cancels_total,
            "throttled_orders_total": self._throttled_orders_total,
            "trading_state": self._state,
        }

    def _refresh_state(self, ctx: RiskContext) -> None:
        if ctx is not self._settled_ctx:
            self._update_state(ctx, position_limit_lots(self._params, ctx.mid_price_usd))

    def _update_state(self, ctx: RiskContext, limit_lots: int) -> None:
        """Latch a newly reached day cap, then work out the trading state (recording a change)."""
        if self._cap_latch is None:
            self._cap_latch = cap_breach(self._params, ctx)
            if self._cap_latch is not None:
                self._pending.append(RiskRecord(ctx.ts_ns, *self._cap_latch))
        position_lots = abs(ctx.position_lots)
        cap = self._cap_latch
        if self._kill_reason is not None:
            state, cause = HALTED, self._kill_halt()[1]
        elif cap is not None and cap[0] == "E_RISK_INTRADAY_ORDERS":
            state, cause = HALTED, ORDERS_CAP
        elif self._book_state == HALTED:
            state, cause = HALTED, self._book_cause
        elif cap is not None:
            state, self._allowance_lots = REDUCING, position_lots
            cause = cap[1].split(":", 1)[0]
        elif self._book_state == REDUCING:
            state, self._allowance_lots, cause = REDUCING, position_lots, self._book_cause
        elif position_lots > limit_lots:
            state, self._allowance_lots = REDUCING, position_lots - limit_lots
            cause = position_cause(position_lots, limit_lots)
        elif self._book_long_lots != NO_BOOK_LIMIT and position_lots > (
            book_lots := self._book_room_lots(ctx.position_lots)
        ):
            # Reduce-only reaches flat at most: a limit below 0 stops the adding, no more.
            state, self._allowance_lots = REDUCING, position_lots - book_lots
            cause = f"book limit: |position| {position_lots} lots > {book_lots}"
        else:
            state, cause = ACTIVE, WITHIN_LIMITS
        if state != self._state:
            self._pending.append(RiskRecord(ctx.ts_ns, "E_RISK_TRADING_STATE", state_change_detail(
                TRADING_STATES[self._state], TRADING_STATES[state], cause
            )))  # fmt: skip
            self._state = state
        self._state_cause = cause
        self._settled_ctx = ctx
        self._settled_limit_lots = limit_lots

    def _book_room_lots(self, position_lots: int) -> int:
        """Return how far the book's limits let the position go on its own side (>= 0)."""
        limit = self._book_long_lots if position_lots > 0 else self._book_short_lots
        return max(0, limit)

    def _halt_reason(self) -> Reason:
        """Return why trading is HALTED: the kill switch first, else the day's order cap."""
        if self._kill_reason is not None:
            return self._kill_halt()
        if self._cap_latch is not None and self._cap_latch[0] == "E_RISK_INTRADAY_ORDERS":
            return self._cap_latch
        return "E_RISK_BOOK_HALT", f"book: {self._book_cause}"

    def _kill_halt(self) -> Reason:
        """Return the kill switch's denial/record code and message."""
        return "E_RISK_KILL_SWITCH", f"kill_switch: {self._kill_reason}"

    def _replace_rejection(
        self, action: ReplaceOrder, ctx: RiskContext, halt: Reason | None
    ) -> Reason | None:
        """Apply the replace policy, then book the replace like a place (see _book_order)."""
        self._replace_attempts += 1
        if halt is not None:
            return halt
        resting = ctx.open_orders.get(action.client_id)
        if resting is None:
            return "E_RISK_UNKNOWN_ORDER", f"replace: {action.client_id} is not resting"
        if action.client_id in self._replaced_in_batch:
            # Each replace is booked against the resting size, so a second one in the batch
            # would be too: both amends landing could rest more than either was checked for.
            return "E_RISK_REPLACE_TWICE", (
                f"replace: {action.client_id} is already replaced in this batch"
            )
        params = self._params
        age_ns = ctx.ts_ns - resting.priced_ts_ns
        if age_ns < params.min_order_age_ns:
            return "E_RISK_REPLACE_AGE", (
                f"min_order_age_ms: order age {age_ns / _NS_PER_MS:.3f} ms < "
                f"{params.min_order_age_ns // _NS_PER_MS}"
            )
        moved_ticks = abs(action.price_ticks - resting.price_ticks)
        # A same-price size cut only takes risk off and keeps queue priority: not churn.
        size_cut = moved_ticks == 0 and action.qty_lots < resting.leaves_lots
        if moved_ticks < params.min_replace_ticks and not size_cut:
            return "E_RISK_REPLACE_TICKS", (
                f"min_replace_ticks: moved {moved_ticks} ticks "
                f"({moved_ticks * params.tick_size:.8g} USD) < {params.min_replace_ticks}"
            )
        rejection = self._book_order(action, ctx, resting.side, resting.leaves_lots)
        if rejection is None:
            self._replace_allowed += 1
            self._replaced_in_batch.add(action.client_id)
        return rejection

    def _book_order(
        self,
        action: PlaceOrder | ReplaceOrder,
        ctx: RiskContext,
        replaced_side: int,
        replaced_lots: int,
    ) -> Reason | None:
        """Apply the order cap, position rule, venue minimums and throttle; book what passes."""
        params = self._params
        if self._orders_left <= 0:
            return "E_RISK_INTRADAY_ORDERS", (
                f"intraday_max_orders: {ctx.order_count_day + 1} orders would be > "
                f"{params.intraday_max_orders}"
            )
        exposure = self._exposure
        if exposure is None:
            exposure = self._exposure = self._exposure_of(ctx)
        side = action.side
        added_lots = action.qty_lots - (replaced_lots if replaced_side == side else 0)
        worst_lots = exposure.lots(side) + added_lots
        book_lots = self._book_long_lots if side == BUY else self._book_short_lots
        if self._state == REDUCING:
            rejection = self._reduce_only_rejection(action, ctx.position_lots, worst_lots)
            if rejection is not None:
                return rejection
        elif worst_lots > exposure.limit_lots or worst_lots > book_lots:
            return _over_limit(worst_lots, exposure.limit_lots, book_lots)
        # An order that, with the reducing orders resting, closes the whole position goes as
        # reduce-only, which venues accept below their minimums.
        if worst_lots != 0 or side * ctx.position_lots >= 0:
            rejection = minimum_rejection(self._params, action)
            if rejection is not None:
                return rejection
        if not self._order_bucket.take():
            self._throttled_orders_total += 1
            return "E_RISK_THROTTLE_ORDERS", bucket_reason(
                "orders_per_s", params.orders_per_s, params.orders_burst
            )
        exposure.add_lots(side, added_lots)
        if replaced_side and replaced_side != side:
            # A replace that flips side takes its old quantity off the other side.
            exposure.add_lots(replaced_side, -replaced_lots)
        self._orders_left -= 1
        return None

    def _reduce_only_rejection(
        self, action: PlaceOrder | ReplaceOrder, position_lots: int, worst_lots: int
    ) -> Reason | None:
        """Deny an order that adds to |position| or reduces by more than the allowance.

        On the reducing side worst_lots is (reducing lots resting + this order) - |position|.
        """
        head = f"reduce_only: trading_state REDUCING ({self._state_cause})"
        if action.side * position_lots >= 0:
            side_name = Side(action.side).name.lower()
            return "E_RISK_REDUCE_ONLY", (
                f"{head}; a {side_name} of {action.qty_lots} lots would add to position "
                f"{position_lots} lots"
            )
        reducing_lots = worst_lots + abs(position_lots)
        if reducing_lots > self._allowance_lots:
            return "E_RISK_REDUCE_ONLY", (
                f"{head}; {reducing_lots} lots reducing would be > {self._allowance_lots} allowed"
            )
        return None

    def _cancel_throttled(self) -> Reason:
        params = self._params
        self._throttled_cancels_total += 1
        return "E_RISK_THROTTLE_CANCELS", bucket_reason(
            "cancels_per_s", params.cancels_per_s, params.cancels_burst
        )

    def _exposure_of(self, ctx: RiskContext) -> _Exposure:
        """Return the worst-case position of ctx's resting orders, before the batch."""
        position_lots = ctx.position_lots
        long_lots = short_lots = 0
        for order in ctx.open_orders.values():
            if order.side == BUY:
                long_lots += order.leaves_lots
            else:
                short_lots += order.leaves_lots
        # check() settled the state on ctx first: its position limit is at hand.
        limit_lots = self._settled_limit_lots
        return _Exposure(limit_lots, position_lots + long_lots, short_lots - position_lots)

    def _breach(self, ctx: RiskContext, code: str, limit: str, lots: int, limit_lots: int) -> None:
        self._pos_skew_breach_total += 1
        position_usd = lots * self._params.lot_size * ctx.mid_price_usd
        self._pending.append(
            RiskRecord(ctx.ts_ns, code, breach_detail(limit, lots, position_usd, limit_lots))
        )


def _over_limit(worst_lots: int, limit_lots: int, book_lots: int) -> Reason:
    """Return why an order whose worst case is over the symbol's limit or the book's is
    denied (the symbol's own limit named first)."""
    if worst_lots > limit_lots:
        return "E_RISK_POSITION", f"max_position: {worst_lots} lots would be > {limit_lots}"
    return "E_RISK_BOOK_LIMIT", (
        f"book limit: {worst_lots} lots would be > {book_lots} (what the book's gross and net "
        "caps leave this symbol)"
    )
