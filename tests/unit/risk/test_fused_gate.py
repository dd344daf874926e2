"""The risk gate's compiled twin (risk/fused.py) against RiskGate, the reference.

Sequences of decisions (a new day's reset_intraday, after_step, shape_quote, check, in the
engine's order) go through both; after every decision the records handed out, the shaped
quote, the actions allowed, the denial counts (in first-denied order) and the gate
materialized from the twin must equal the Python gate's, floats by their bits.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mmbot.core.types import BUY, SELL, Action, CancelOrder, PlaceOrder, Quote, ReplaceOrder
from mmbot.risk import OpenOrder, RiskContext, RiskGate, RiskParams, RiskRecord, fused

MS = 1_000_000
T0 = 1_700_000_000 * 1_000_000_000
DAY_NS = 86_400 * 1_000_000_000
# Per-batch scratch that check() rewrites before it reads it, and the context cache:
# materialize() leaves them cleared (see its docstring).
SCRATCH_SLOTS = frozenset({"_settled_ctx", "_exposure", "_replaced_in_batch"})


def _client_id(ref: int) -> str:
    return f"q-{ref}"


class Twin:
    """The compiled twin driven with the Python gate's values, converted to its rows."""

    def __init__(self, params: RiskParams) -> None:
        self.arrays = fused.pack(RiskGate(params))
        self.params = params
        self.out = np.zeros(4, dtype=np.int64)

    def reset_intraday(self) -> None:
        fused.reset_intraday(self.arrays.gate_i)

    def after_step(self, ctx: RiskContext) -> int:
        self.arrays = fused.grow(self.arrays, fused.RECORDS_PER_CALL_MAX)
        return int(fused.after_step(*self.arrays[:6], *_numbers(ctx)))

    def shape_quote(self, quote: Quote | None, ctx: RiskContext) -> Quote | None:
        self.arrays = fused.grow(self.arrays, fused.RECORDS_PER_CALL_MAX)
        given_quote = quote or Quote(0, 0, 0, 0)
        shaped = fused.shape_quote(
            *self.arrays[:6], *_numbers(ctx), quote is not None, *given_quote, self.out
        )
        return Quote(*(int(x) for x in self.out)) if shaped else None

    def check(self, actions: Sequence[Action], ctx: RiskContext) -> list[Action]:
        self.arrays = fused.grow(self.arrays, fused.RECORDS_PER_CALL_MAX)
        rows = np.array([_action_row(action) for action in actions], dtype=np.int64)
        opens = np.array(
            [(_ref(cid), *order) for cid, order in ctx.open_orders.items()], dtype=np.int64
        )
        allowed = np.full(len(actions), -1, dtype=np.int64)
        n_allowed = fused.check(
            *self.arrays, *_numbers(ctx),
            rows.reshape(len(actions), fused.A_COLUMNS), len(actions),
            opens.reshape(len(ctx.open_orders), fused.O_COLUMNS), len(ctx.open_orders),
            allowed,
        )  # fmt: skip
        passed = [action for action, ok in zip(actions, allowed, strict=True) if ok == 1]
        assert n_allowed == len(passed)
        assert set(allowed.tolist()) <= {0, 1}
        return passed

    def materialized(self) -> RiskGate:
        gate = RiskGate(self.params)
        fused.materialize(self.arrays, gate)
        return gate


def _numbers(ctx: RiskContext) -> tuple[int, int, float, float, float, int]:
    return (ctx.ts_ns, ctx.position_lots, ctx.mid_price_usd, ctx.pnl_usd_day,
            ctx.traded_notional_usd_day, ctx.order_count_day)  # fmt: skip


def _ref(client_id: str) -> int:
    return int(client_id.rsplit("-", 1)[1])


def _action_row(action: Action) -> tuple[int, int, int, int, int]:
    if isinstance(action, CancelOrder):
        return fused.ACTION_CANCEL, _ref(action.client_id), 0, 0, 0
    kind = fused.ACTION_REPLACE if isinstance(action, ReplaceOrder) else fused.ACTION_PLACE
    return kind, _ref(action.client_id), action.side, action.price_ticks, action.qty_lots


def _bits(value: Any) -> Any:
    """Return value with every float replaced by its hex form (so 0.0 != -0.0, nan == nan)."""
    if isinstance(value, float):
        return value.hex()
    if isinstance(value, tuple | list):
        return type(value)(_bits(item) for item in value)
    return value


def _state_of(gate: RiskGate) -> dict[str, Any]:
    """Return every slot of gate but the scratch, buckets by their slots, floats by bits."""
    state = {
        slot: _bits(getattr(gate, slot))
        for slot in RiskGate.__slots__
        if slot not in SCRATCH_SLOTS and slot not in ("_order_bucket", "_cancel_bucket")
    }
    for name in ("_order_bucket", "_cancel_bucket"):
        bucket = getattr(gate, name)
        state[name] = _bits([getattr(bucket, slot) for slot in type(bucket).__slots__])
    return state


@dataclass
class Differential:
    """One RiskGate and one twin driven through the same decisions, compared at each."""

    gate: RiskGate
    twin: Twin
    records: list[RiskRecord]
    denials: dict[str, int]

    @classmethod
    def of(cls, params: RiskParams) -> Differential:
        return cls(RiskGate(params), Twin(params), [], {})

    def reset_intraday(self) -> None:
        self.gate.reset_intraday()
        self.twin.reset_intraday()

    def decide(
        self, ctx: RiskContext, quote: Quote | None, plan: Callable[[Quote | None], list[Action]]
    ) -> list[Action]:
        """Run one decision (after_step, shape_quote, check of plan(shaped quote)) through
        both and compare; return the actions allowed."""
        self.after_step(ctx)
        return self.shape_and_check(ctx, quote, plan)

    def after_step(self, ctx: RiskContext) -> None:
        handed_out = self.gate.after_step(ctx)
        self.records.extend(handed_out)
        assert self.twin.after_step(ctx) == len(handed_out)
        assert fused.records_of(self.twin.arrays) == self.records

    def shape_and_check(
        self, ctx: RiskContext, quote: Quote | None, plan: Callable[[Quote | None], list[Action]]
    ) -> list[Action]:
        shaped = self.gate.shape_quote(quote, ctx)
        assert self.twin.shape_quote(quote, ctx) == shaped
        actions = plan(shaped)
        allowed, denied = self.gate.check(actions, ctx)
        for denial in denied:
            self.denials[denial.code] = self.denials.get(denial.code, 0) + 1
        assert self.twin.check(actions, ctx) == allowed
        assert list(fused.denials_of(self.twin.arrays).items()) == list(self.denials.items())
        self.assert_same_gate()
        return allowed

    def assert_same_gate(self) -> None:
        materialized = self.twin.materialized()
        assert _state_of(materialized) == _state_of(self.gate)
        assert materialized.counters() == self.gate.counters()
        assert materialized._settled_ctx is None and materialized._exposure is None
        assert not materialized._replaced_in_batch


# ---- hypothesis: tight limits, so the rules trip often ----------------------------------

PARAMS = st.builds(
    RiskParams,
    tick_size=st.sampled_from([0.5, 0.1]),
    lot_size=st.sampled_from([1.0, 0.3]),
    max_position_usd=st.sampled_from([300.0, 1_000.0]),
    max_skew_usd=st.sampled_from([150.0, 500.0]),
    intraday_max_loss_usd=st.sampled_from([5.0, 20.0]),
    intraday_max_notional_usd=st.sampled_from([300.0, 2_000.0]),
    intraday_max_orders=st.integers(2, 30),
    orders_per_s=st.sampled_from([2.0, 50.0, 0.3]),
    orders_burst=st.integers(1, 3),
    cancels_per_s=st.sampled_from([2.0, 50.0]),
    cancels_burst=st.integers(1, 2),
    min_replace_ticks=st.integers(0, 3),
    min_order_age_ns=st.sampled_from([0, 20 * MS]),
    min_qty_lots=st.integers(1, 2),
    min_notional_usd=st.sampled_from([0.0, 40.0, 150.0]),
    max_position_lots=st.sampled_from([None, 0, 3, 6]),
)
SIDES = st.sampled_from([BUY, SELL])
PRICES = st.integers(150, 260)
LOTS = st.integers(0, 6)
REFS = st.integers(1, 6)


# Mid 100 USD, lot 1: position limit 10 lots, skew 5.
TIGHT = RiskParams(
    tick_size=0.5, lot_size=1.0, max_position_usd=1_000.0, max_skew_usd=500.0,
    intraday_max_loss_usd=5.0, intraday_max_notional_usd=1e6, intraday_max_orders=10,
    orders_per_s=1.0, orders_burst=5, cancels_per_s=1.0, cancels_burst=1,
    min_replace_ticks=1, min_order_age_ns=0,
)  # fmt: skip


@st.composite
def open_orders(draw: st.DrawFn, ts_ns: int) -> dict[str, OpenOrder]:
    refs = draw(st.lists(REFS, max_size=4, unique=True))
    return {
        _client_id(ref): OpenOrder(
            draw(SIDES), draw(PRICES), draw(st.integers(1, 6)),
            ts_ns - draw(st.sampled_from([0, 5 * MS, 20 * MS, 50 * MS])),
        )
        for ref in refs
    }  # fmt: skip


@st.composite
def actions(draw: st.DrawFn, resting: Mapping[str, OpenOrder]) -> list[Action]:
    """Places, replaces (of resting orders with small moves and size cuts, of unknown ones,
    twice) and cancels."""
    known = sorted(_ref(cid) for cid in resting) or [7]
    batch: list[Action] = []
    for kind in draw(st.lists(st.sampled_from("PRRC"), max_size=6)):
        ref = draw(st.one_of(st.sampled_from(known), REFS))
        if kind == "C":
            batch.append(CancelOrder(_client_id(ref)))
            continue
        old = resting.get(_client_id(ref))
        price = draw(
            PRICES if old is None else st.integers(old.price_ticks - 3, old.price_ticks + 3)
        )
        side = draw(SIDES if old is None else st.sampled_from([old.side, old.side, -old.side]))
        if kind == "P":
            batch.append(PlaceOrder(_client_id(ref + 10), side, price, draw(LOTS)))
        else:
            batch.append(
                ReplaceOrder(_client_id(ref), _client_id(ref + 20), side, price, draw(LOTS))
            )
    return batch


@st.composite
def quotes(draw: st.DrawFn) -> Quote | None:
    if draw(st.booleans()):
        return None
    bid = draw(st.integers(190, 205))
    return Quote(bid, bid + draw(st.integers(1, 4)), draw(LOTS), draw(LOTS))


@dataclass(frozen=True)
class Decision:
    new_day: bool
    reset_before_shape: bool  # reset_intraday between after_step and shape_quote
    ctx: RiskContext
    quote: Quote | None
    actions: list[Action]

    def plan(self, _shaped: Quote | None) -> list[Action]:
        """Return the generated batch whatever the shaped quote."""
        return self.actions


@st.composite
def decisions(draw: st.DrawFn) -> list[Decision]:
    ts_ns = T0
    out = []
    for _ in range(draw(st.integers(1, 25))):
        ts_ns += draw(st.sampled_from([0, MS, 10 * MS, 100 * MS, 1_000 * MS, -5 * MS]))
        resting = draw(open_orders(ts_ns))
        ctx = RiskContext(
            ts_ns=ts_ns,
            position_lots=draw(st.integers(-12, 12)),
            mid_price_usd=draw(
                st.sampled_from([100.0, 100.0, 99.75, 250.0, 33.3, 0.0, math.inf, math.nan])
            ),
            open_orders=resting,
            pnl_usd_day=draw(st.one_of(st.sampled_from([-20.0, -5.0, 0.0]), st.floats(-25, 5))),
            traded_notional_usd_day=draw(
                st.one_of(st.sampled_from([300.0, 2_000.0]), st.floats(0, 2_500))
            ),
            order_count_day=draw(st.integers(0, 32)),
        )
        new_day = draw(st.sampled_from([False] * 4 + [True]))
        reset_before_shape = draw(st.sampled_from([False] * 9 + [True]))
        out.append(
            Decision(new_day, reset_before_shape, ctx, draw(quotes()), draw(actions(resting)))
        )
    return out


@settings(max_examples=150, deadline=None)
@given(params=PARAMS, sequence=decisions())
def test_twin_matches_gate_on_generated_decisions(
    params: RiskParams, sequence: list[Decision]
) -> None:
    diff = Differential.of(params)
    for decision in sequence:
        if decision.new_day:
            diff.reset_intraday()
        ctx, plan = decision.ctx, decision.plan
        if decision.reset_before_shape:
            diff.after_step(ctx)
            diff.reset_intraday()  # forgets the context: shape_quote works it out again
            diff.shape_and_check(ctx, decision.quote, plan)
        else:
            diff.decide(ctx, decision.quote, plan)
    assert fused.records_of(diff.twin.arrays) == diff.records


def test_twin_books_a_replace_that_flips_side_like_the_gate() -> None:
    """A replace that flips side frees its old side, one on its side books only the change:
    the place after each is allowed or denied by exactly that (limit 10 lots)."""
    diff = Differential.of(TIGHT)
    resting = {"q-1": OpenOrder(BUY, 198, 5, T0), "q-2": OpenOrder(SELL, 204, 5, T0)}
    batch: list[Action] = [
        ReplaceOrder("q-1", "q-3", SELL, 203, 5),  # long 5 -> 0, short 5 -> 10
        PlaceOrder("q-4", BUY, 197, 10),  # long 10: allowed
        ReplaceOrder("q-2", "q-5", SELL, 206, 5),  # short stays 10
        PlaceOrder("q-6", SELL, 207, 1),  # short 11: denied
    ]
    ctx = RiskContext(T0 + 100 * MS, 0, 100.0, resting, 0.0, 0.0, 0)
    allowed = diff.decide(ctx, None, lambda _: batch)
    assert allowed == batch[:3]
    assert diff.denials == {"E_RISK_POSITION": 1}


def test_twin_matches_gate_on_a_quoting_day_and_the_next() -> None:
    """A quoter around a random-walk mid, its orders resting, replaced, canceled and filled,
    over a day boundary: the notional cap, the skew limit, the worst-case position, the
    replace policy, the venue minimum and the throttle all bind."""
    params = RiskParams(
        tick_size=0.5, lot_size=1.0, max_position_usd=800.0, max_skew_usd=400.0,
        intraday_max_loss_usd=40.0, intraday_max_notional_usd=6_000.0,
        intraday_max_orders=400, orders_per_s=5.0, orders_burst=4, cancels_per_s=5.0,
        cancels_burst=4, min_replace_ticks=2, min_order_age_ns=30 * MS, min_qty_lots=2,
        min_notional_usd=150.0,
    )  # fmt: skip
    rng = np.random.default_rng(7)
    diff = Differential.of(params)
    resting: dict[str, OpenOrder] = {}
    position, cash, notional, placed, seq = 0, 0.0, 0.0, 0, 0
    mid_ticks = 200
    ts_ns = T0 - T0 % DAY_NS + DAY_NS - 150_000 * MS  # 150 s before midnight
    day = ts_ns // DAY_NS
    start_equity, start_notional, start_placed = 0.0, 0.0, 0
    for _ in range(3_000):
        ts_ns += 100 * MS
        mid_ticks += int(rng.integers(-1, 2))
        mid_usd = mid_ticks * params.tick_size
        for cid, order in list(resting.items()):  # a resting order crossed by the mid fills
            if order.side * (order.price_ticks - mid_ticks) >= 0 and rng.random() < 0.5:
                position += order.side * order.leaves_lots
                cash -= order.side * order.leaves_lots * order.price_ticks * params.tick_size
                notional += order.leaves_lots * order.price_ticks * params.tick_size
                del resting[cid]
        equity = cash + position * mid_usd
        if ts_ns // DAY_NS != day:
            day = ts_ns // DAY_NS
            diff.reset_intraday()
            start_equity, start_notional, start_placed = equity, notional, placed
        ctx = RiskContext(ts_ns, position, mid_usd, dict(resting), equity - start_equity,
                          notional - start_notional, placed - start_placed)  # fmt: skip
        half = int(rng.integers(1, 4))
        quote = Quote(mid_ticks - half, mid_ticks + half, int(rng.integers(1, 5)),
                      int(rng.integers(1, 5)))  # fmt: skip

        def plan(shaped: Quote | None) -> list[Action]:
            nonlocal seq
            batch: list[Action] = []
            for side, price, lots in _sides(shaped):
                mine = [cid for cid, o in resting.items() if o.side == side]
                if lots == 0:
                    batch += [CancelOrder(cid) for cid in mine]
                elif not mine:
                    seq += 1
                    batch.append(PlaceOrder(_client_id(seq), side, price, lots))
                elif resting[mine[0]].price_ticks != price or resting[mine[0]].leaves_lots != lots:
                    seq += 1
                    batch.append(ReplaceOrder(mine[0], _client_id(seq), side, price, lots))
            return batch

        for action in diff.decide(ctx, quote, plan):
            if isinstance(action, CancelOrder):
                del resting[action.client_id]
            elif isinstance(action, ReplaceOrder):
                del resting[action.client_id]
                resting[action.new_client_id] = OpenOrder(action.side, action.price_ticks,
                                                          action.qty_lots, ts_ns)  # fmt: skip
            else:
                placed += 1
                resting[action.client_id] = OpenOrder(action.side, action.price_ticks,
                                                      action.qty_lots, ts_ns)  # fmt: skip
    counters = diff.gate.counters()
    assert counters["pos_skew_breach_total"] > 0 and counters["throttled_orders_total"] > 0
    assert counters["replace_allowed"] > 0 and diff.records
    assert {"E_RISK_SKEW", "E_RISK_INTRADAY_NOTIONAL", "E_RISK_TRADING_STATE"} <= {
        record.code for record in diff.records
    }
    assert {"E_RISK_REPLACE_TICKS", "E_RISK_MIN_QTY", "E_RISK_POSITION"} <= set(diff.denials)


def _sides(quote: Quote | None) -> list[tuple[int, int, int]]:
    if quote is None:
        return [(BUY, 0, 0), (SELL, 0, 0)]
    return [(BUY, quote.bid_ticks, quote.bid_lots), (SELL, quote.ask_ticks, quote.ask_lots)]


def test_grow_keeps_the_log_and_makes_room() -> None:
    twin = Twin(replace(TIGHT, max_position_usd=100.0, max_skew_usd=100.0))
    capacity = len(twin.arrays.records_i)
    for step in range(capacity):  # in breach and REDUCING every other step: 2 records a step
        twin.after_step(RiskContext(T0 + step, 5 * (step % 2), 100.0, {}, 0.0, 0.0, 0))
    records = fused.records_of(twin.arrays)
    assert len(records) > capacity
    assert len(twin.arrays.records_i) > capacity
    assert records[0] == RiskRecord(
        T0 + 1, "E_RISK_POSITION", "max_position: |position| 5 lots (500.00 USD) > 1"
    )
    grown = fused.grow(twin.arrays, 10 * capacity)
    assert fused.records_of(grown) == records
    assert fused.grow(grown, 1) is grown
