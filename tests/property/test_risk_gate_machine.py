"""The risk gate under random sequences: a modelled venue and position around a RiskGate.

The machine keeps its own book of resting orders, a position, a mid and the day's counters.
Batches of place/replace/cancel go through `check()`; only what it allows reaches the
modelled book. Fills, mid moves, losses, the kill switch and day rolls change the context
between batches. After every batch and every `shape_quote()` the machine asserts what
docs/RISK.md promises, whatever came before:

1. ACTIVE: a side's worst case (net position plus every resting order on that side, cancels
   of the batch not subtracted) ends within the position limit once the batch placed on that
   side, and never grows when it did not. REDUCING: nothing is placed on the side that adds
   to |position|; the reducing side's resting lots end within the allowed reduction once the
   batch placed on it, so if every one of them filled |position| would stop at the floor
   (flat for a day cap, the limit for the position limit) and never flip.
2. HALTED: only cancels pass.
3. shape_quote(): HALTED rests nothing; REDUCING rests no lot on the adding side and at most
   the allowed reduction on the other (nothing when flat); ACTIVE passes the quote through.

The trading state itself is modelled from the documented rules (latches, order of
precedence) and compared with the gate's at every call, so a wrong state cannot hide a
breach behind a check meant for another state.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from mmbot.core.types import BUY, SELL, Action, CancelOrder, PlaceOrder, Quote, ReplaceOrder
from mmbot.risk import ACTIVE, HALTED, REDUCING, OpenOrder, RiskContext, RiskGate, RiskParams

MS = 1_000_000
T0 = 1_700_000_000 * 1_000_000_000
TICK_USD = 0.5

# Mid 100 USD, lot 1: the position limit is 10 lots; the other mids make it 20, 12, 8 and 5.
PARAMS = RiskParams(
    tick_size=TICK_USD,
    lot_size=1.0,
    max_position_usd=1_000.0,
    max_skew_usd=500.0,
    intraday_max_loss_usd=50.0,
    intraday_max_notional_usd=4_000.0,
    intraday_max_orders=12,
    orders_per_s=20.0,
    orders_burst=6,
    cancels_per_s=20.0,
    cancels_burst=6,
    min_replace_ticks=2,
    min_order_age_ns=50 * MS,
    min_notional_usd=150.0,  # 1 lot near the mid is below it: exercises the closing exemption
)
MID_TICKS = (100, 160, 200, 250, 400)

SIDES = st.sampled_from((BUY, SELL))
OFFSET_TICKS = st.integers(1, 4)
QTY_LOTS = st.integers(1, 8)
PICK = st.integers(0, 7)  # which resting order (modulo how many rest)
PLACE = st.tuples(st.just("place"), SIDES, OFFSET_TICKS, QTY_LOTS)
REPLACE = st.tuples(st.just("replace"), PICK, SIDES, OFFSET_TICKS, QTY_LOTS)
CANCEL = st.tuples(st.just("cancel"), PICK)
ACTION_SPECS = st.one_of(PLACE, REPLACE, REPLACE, CANCEL)  # replaces have the most rules

SETTINGS = settings(
    max_examples=500,
    stateful_step_count=50,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@dataclass(frozen=True)
class Expected:
    """The trading state the documented rules give, and what REDUCING lets come off."""

    state: int
    allowance_lots: int = 0  # REDUCING: lots the reducing side may carry in all
    floor_lots: int = 0  # REDUCING: |position| the reduction stops at (0 or the limit)


def limit_lots(mid_ticks: int, max_position_lots: int | None) -> int:
    """Return the position limit in lots at a mid, written out from docs/RISK.md."""
    usd_lots = int(PARAMS.max_position_usd / (mid_ticks * TICK_USD * PARAMS.lot_size))
    return usd_lots if max_position_lots is None else min(usd_lots, max_position_lots)


def resting_lots(orders: dict[str, OpenOrder], side: int) -> int:
    return sum(o.leaves_lots for o in orders.values() if o.side == side)


def worst_case_lots(position_lots: int, orders: dict[str, OpenOrder]) -> dict[int, int]:
    """Return side -> lots long (BUY) or short (SELL) if every order on that side filled."""
    long_lots = resting_lots(orders, BUY)
    return {BUY: position_lots + long_lots, SELL: resting_lots(orders, SELL) - position_lots}


def assert_partition(actions: list[Action], allowed: list[Action], denied: list[Action]) -> None:
    """Every action comes back exactly once, allowed or denied, each list in batch order."""
    allowed_left, denied_left = list(allowed), list(denied)
    for action in actions:
        if allowed_left and allowed_left[0] is action:
            allowed_left.pop(0)
        else:
            assert denied_left and denied_left.pop(0) is action, (action, allowed, denied)
    assert allowed_left == denied_left == []


class RiskGateMachine(RuleBasedStateMachine):
    """A venue, a position and a day around one RiskGate; see the module docstring."""

    def __init__(self) -> None:
        super().__init__()
        self.max_position_lots: int | None = None
        self.gate = RiskGate(PARAMS)
        self.ts_ns = T0
        self.position_lots = 0
        self.mid_ticks = 200
        self.orders: dict[str, OpenOrder] = {}
        self.pnl_usd_day = 0.0
        self.notional_usd_day = 0.0
        self.order_count_day = 0
        self.killed = False
        self.cap_latch: str | None = None  # the day cap seen first: loss, notional or orders
        self.next_seq = 0

    @initialize(
        max_position_lots=st.one_of(st.none(), st.integers(0, 12)),
        position_lots=st.one_of(st.integers(-4, 4), st.integers(-25, 25)),
    )
    def start(self, max_position_lots: int | None, position_lots: int) -> None:
        # An adopted position may start beyond the limit (docs/RISK.md: works back inside it).
        self.max_position_lots = max_position_lots
        self.gate = RiskGate(replace(PARAMS, max_position_lots=max_position_lots))
        self.position_lots = position_lots

    # --- the model ---------------------------------------------------------------------------

    def ctx(self) -> RiskContext:
        return RiskContext(
            ts_ns=self.ts_ns,
            position_lots=self.position_lots,
            mid_price_usd=self.mid_ticks * TICK_USD,
            open_orders=dict(self.orders),
            pnl_usd_day=self.pnl_usd_day,
            traded_notional_usd_day=self.notional_usd_day,
            order_count_day=self.order_count_day,
        )

    def limit(self) -> int:
        return limit_lots(self.mid_ticks, self.max_position_lots)

    def expected(self) -> Expected:
        """Latch a day cap seen now (loss, notional, orders: the first wins), then the state."""
        # One latch, as gate.py's docstring has it: a loss cap latched first keeps the gate
        # REDUCING when the order cap is reached later (check() still denies every order).
        if self.cap_latch is None:
            if self.pnl_usd_day <= -PARAMS.intraday_max_loss_usd:
                self.cap_latch = "loss"
            elif self.notional_usd_day >= PARAMS.intraday_max_notional_usd:
                self.cap_latch = "notional"
            elif self.order_count_day >= PARAMS.intraday_max_orders:
                self.cap_latch = "orders"
        position = abs(self.position_lots)
        if self.killed or self.cap_latch == "orders":
            return Expected(HALTED)
        if self.cap_latch is not None:
            return Expected(REDUCING, allowance_lots=position, floor_lots=0)
        if position > self.limit():
            return Expected(
                REDUCING, allowance_lots=position - self.limit(), floor_lots=self.limit()
            )
        return Expected(ACTIVE)

    def seq(self) -> str:
        self.next_seq += 1
        return f"o-{self.next_seq}"

    def actions_of(self, specs: list[tuple[Any, ...]]) -> list[Action]:
        """Turn specs into actions on the modelled book; each resting order named at most once
        a batch, as the order manager plans (one action per side's working order)."""
        actions: list[Action] = []
        named: set[str] = set()
        ids = sorted(self.orders)
        for spec in specs:
            if spec[0] == "place":
                _, side, offset, qty = spec
                actions.append(PlaceOrder(self.seq(), side, self.mid_ticks - side * offset, qty))
                continue
            if not ids or ids[spec[1] % len(ids)] in named:
                continue
            client_id = ids[spec[1] % len(ids)]
            named.add(client_id)
            if spec[0] == "cancel":
                actions.append(CancelOrder(client_id))
            else:
                _, _, side, offset, qty = spec
                price = self.mid_ticks - side * offset
                actions.append(ReplaceOrder(client_id, client_id, side, price, qty))
        return actions

    # --- rules -------------------------------------------------------------------------------

    @rule(elapsed_ms=st.integers(0, 200), specs=st.lists(ACTION_SPECS, min_size=1, max_size=3))
    def submit_batch(self, elapsed_ms: int, specs: list[tuple[Any, ...]]) -> None:
        """A decision elapsed_ms after the last event sends a batch through the gate."""
        self.ts_ns += elapsed_ms * MS
        actions = self.actions_of(specs)
        expected = self.expected()
        orders_left = PARAMS.intraday_max_orders - self.order_count_day
        allowed, denied = self.gate.check(actions, self.ctx())
        assert self.gate.trading_state == expected.state
        assert_partition(actions, allowed, [d.action for d in denied])
        orders = [a for a in allowed if not isinstance(a, CancelOrder)]
        assert len(orders) <= max(orders_left, 0)
        if expected.state == HALTED:
            assert orders == [], f"HALTED let orders through: {orders}"
        else:
            self.assert_exposure_kept(expected, orders)
        self.apply(allowed)

    def assert_exposure_kept(
        self, expected: Expected, orders: list[PlaceOrder | ReplaceOrder]
    ) -> None:
        """Invariant 1 on the book as if no cancel of the batch landed (it may fill first)."""
        after = dict(self.orders)
        for action in orders:
            after[action.client_id] = OpenOrder(action.side, action.price_ticks, action.qty_lots, 0)
        sides_placed = {action.side for action in orders}
        if expected.state == ACTIVE:
            before_lots = worst_case_lots(self.position_lots, self.orders)
            after_lots = worst_case_lots(self.position_lots, after)
            for side in (BUY, SELL):
                bound = self.limit() if side in sides_placed else before_lots[side]
                assert after_lots[side] <= bound, (side, after_lots, before_lots, self.limit())
            return
        adding = BUY if self.position_lots > 0 else SELL
        reducing = -adding
        assert self.position_lots != 0 or not orders, f"flat REDUCING let {orders} through"
        assert adding not in sides_placed, f"REDUCING added to position: {orders}"
        assert resting_lots(after, adding) <= resting_lots(self.orders, adding)
        if reducing in sides_placed:
            reducing_lots = resting_lots(after, reducing)
            assert reducing_lots <= expected.allowance_lots, (reducing_lots, expected)
            # Every reducing order filled: |position| stops at the floor, never past flat.
            assert abs(self.position_lots) - reducing_lots >= expected.floor_lots
        else:
            assert resting_lots(after, reducing) <= resting_lots(self.orders, reducing)

    def apply(self, allowed: list[Action]) -> None:
        """The venue takes what the gate let through; a replace amends in place."""
        for action in allowed:
            if isinstance(action, CancelOrder):
                self.orders.pop(action.client_id, None)
            else:
                self.order_count_day += 1
                self.orders[action.client_id] = OpenOrder(
                    action.side, action.price_ticks, action.qty_lots, self.ts_ns
                )

    @rule(bid_lots=st.integers(0, 30), ask_lots=st.integers(0, 30), half_spread=OFFSET_TICKS)
    def shape_quote(self, bid_lots: int, ask_lots: int, half_spread: int) -> None:
        quote = Quote(
            self.mid_ticks - half_spread, self.mid_ticks + half_spread, bid_lots, ask_lots
        )
        expected = self.expected()
        shaped = self.gate.shape_quote(quote, self.ctx())
        assert self.gate.trading_state == expected.state
        if expected.state == ACTIVE:
            assert shaped == quote
            return
        if expected.state == HALTED or self.position_lots == 0:
            assert shaped is None, f"{shaped} rests in state {expected.state} at position 0"
            return
        assert shaped is not None
        adding_lots = shaped.bid_lots if self.position_lots > 0 else shaped.ask_lots
        reducing_lots = shaped.ask_lots if self.position_lots > 0 else shaped.bid_lots
        wanted_lots = ask_lots if self.position_lots > 0 else bid_lots
        assert adding_lots == 0, f"REDUCING quote adds to position {self.position_lots}: {shaped}"
        assert reducing_lots == min(wanted_lots, expected.allowance_lots), (shaped, expected)
        assert abs(self.position_lots) - reducing_lots >= expected.floor_lots
        assert (shaped.bid_ticks, shaped.ask_ticks) == (quote.bid_ticks, quote.ask_ticks)

    @rule(pick=PICK, fraction=st.floats(0.0, 1.0))
    def fill(self, pick: int, fraction: float) -> None:
        """A resting order fills in full or in part at its price."""
        if not self.orders:
            return
        client_id = sorted(self.orders)[pick % len(self.orders)]
        side, price_ticks, qty_lots, placed_ts_ns = self.orders[client_id]
        fill_lots = max(1, round(qty_lots * fraction))
        self.position_lots += side * fill_lots
        self.notional_usd_day += fill_lots * price_ticks * TICK_USD * PARAMS.lot_size
        if fill_lots == qty_lots:
            del self.orders[client_id]
        else:
            self.orders[client_id] = OpenOrder(
                side, price_ticks, qty_lots - fill_lots, placed_ts_ns
            )

    @rule(
        elapsed_ms=st.integers(0, 1_000),
        mid_ticks=st.one_of(st.none(), st.sampled_from(MID_TICKS)),
        pnl_usd=st.one_of(st.just(0), st.integers(-30, 15)),
    )
    def market(self, elapsed_ms: int, mid_ticks: int | None, pnl_usd: int) -> None:
        """Time passes; the mid may move (so does the limit); the day's PnL is marked."""
        self.ts_ns += elapsed_ms * MS
        if mid_ticks is not None:
            self.mid_ticks = mid_ticks
        self.pnl_usd_day += pnl_usd

    @rule(act=st.sampled_from(("trip_kill_switch", "reset_kill_switch", "roll_day")))
    def operate(self, act: str) -> None:
        """What the operator and the engine's clock do: kill switch, reset, a new UTC day."""
        if act == "trip_kill_switch":
            self.gate.trip_kill_switch("flag file present")
            self.killed = True
        elif act == "reset_kill_switch":
            self.gate.reset_kill_switch()
            self.killed = False
        else:
            self.gate.reset_intraday()
            self.cap_latch = None
            self.pnl_usd_day = self.notional_usd_day = 0.0
            self.order_count_day = 0

    @rule()
    def after_step(self) -> None:
        expected = self.expected()
        self.gate.after_step(self.ctx())
        assert self.gate.trading_state == expected.state

    @invariant()
    def counters_agree(self) -> None:
        counters = self.gate.counters()
        assert counters["kill_switch_active"] == int(self.killed)
        assert counters["replace_allowed"] <= counters["replace_attempts"]


RiskGateMachine.TestCase.settings = SETTINGS
TestRiskGateMachine = RiskGateMachine.TestCase
