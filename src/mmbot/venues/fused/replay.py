"""The fused replay of a one-leg backtest: eligibility, the run, and the engine left behind.

`fused_replay(engine)` is what the composition root hands Engine.run (node/stack.py
build_engine). It serves an engine of one symbol and one strategy on SimVenuePort with the
built-in strategy, no mux and no book caps, under the queue-aware execution policy, its risk
gate with the kill switch off and no book state or limits set, not run before: it packs the
engine's parts into arrays (each package's compiled twin: strategy/, risk/, engine/), runs
loop.run_points until the data is used up - growing buffers and loading stream chunks when
the loop asks - and writes every part's end state back into the engine's Python objects, so
that the run directory, engine.values() and every report read exactly what the engine's own
loop would have left (tests/unit/venues/test_fused_replay.py compares whole runs). Anything
else returns False: the engine runs its own loop.
"""

from __future__ import annotations

from array import array

import numpy as np
from numpy.typing import NDArray

from mmbot.core.clock import SimClock
from mmbot.core.types import MarketView, Quote
from mmbot.engine.book import DayBook, Leg, SymbolBook
from mmbot.engine.loop import Engine
from mmbot.sim.jit import bound_entry
from mmbot.sim.layout import ST_NEED_EVENTS, ST_NEED_SPACE
from mmbot.sim.view import V_BEST_BID_TICKS, V_SELL_TRADE_DEPTH_TICKS
from mmbot.strategy import decide, decide_python
from mmbot.venues.fused import parts
from mmbot.venues.fused.layout import (
    E_BUDGET_LOTS,
    E_DAY,
    E_DECISIONS,
    E_EPISODES,
    E_N_INVENTORY,
    E_N_MIDS,
    E_N_QUOTES,
    E_N_TIMED,
    E_N_TRACES,
    E_NEXT_ALLOC_NS,
    E_ORDERS_START,
    E_TIMED,
    E_TS_NS,
    E_VIEW_TS_NS,
    F_ALLOC_AVAILABLE_USD,
    F_ALLOC_HWM_USD,
    F_ALLOC_PREV_USD,
    F_BAD_EQUITY_USD,
    F_COST_FILLRATE_EWMA,
    F_EQUITY_START_USD,
    F_MID_USD,
    F_NOTIONAL_START_USD,
    ST_BAD_EQUITY,
    ST_BAD_QUOTE,
    ST_DONE,
    ST_NEED_ROOM,
)
from mmbot.venues.fused.loop import run_points
from mmbot.venues.fused.setup import FusedRun, fused_run
from mmbot.venues.sim.port import SimVenuePort

_BUILT_IN = (decide, decide_python)


def fused_replay(engine: Engine) -> bool:
    """Run engine's whole backtest in the fused loop and return True; False when the fused
    loop does not serve this engine (the module docstring says which it serves)."""
    if not served(engine):
        return False
    run = fused_run(engine)
    _run(run)
    _leave(engine, run)
    return True


def timed_fused_replay(engine: Engine) -> NDArray[np.int64]:
    """fused_replay, timing every decision point: return one row per point, the whole point
    and its decision in ns (layout T_* columns; a point that decided nothing has -1)."""
    if not served(engine):
        raise ValueError("the fused replay does not serve this engine (fused.replay.served)")
    run = fused_run(engine)
    run.engine_i[E_TIMED] = 1
    run.records = run.records._replace(timing_ns=np.zeros((1 << 16, 2), dtype=np.int64))
    _run(run)
    _leave(engine, run)
    return run.records.timing_ns[: int(run.engine_i[E_N_TIMED])].copy()


def served(engine: Engine) -> bool:
    """Return whether the fused loop serves engine (the module docstring says which)."""
    if len(engine.books) != 1 or len(engine.legs) != 1:
        return False
    book, leg = engine.books[0], engine.legs[0]
    return (
        type(book.venue) is SimVenuePort
        and book.mux is None
        and engine.book_risk is None
        and leg.decide in _BUILT_IN
        and engine.params.execution == "queue_aware"
        and not engine.params.keep_book_trace
        and book.risk.kill_switch_active == 0
        and not book.risk.book_bound
        and book.record.decisions == 0
        and not leg.orders.orders
        and leg.ledger.fills == 0
    )


def _run(run: FusedRun) -> None:
    """Call the loop until the data is used up, doing for it what only Python can."""
    venue = run.port.venue
    state = venue.state
    # Grown arrays keep their types: one entry point serves every call (compiling it, on a
    # cache miss, says so on stderr).
    entry = bound_entry(run_points, state, run.view, run.engine_i, run.engine_f, run.placing,
                        run.records, run.strategy, run.gate, run.orders, run.scratch)  # fmt: skip
    while True:
        status = entry(state, run.view, run.engine_i, run.engine_f, run.placing, run.records,
                       run.strategy, run.gate, run.orders, run.scratch)  # fmt: skip
        if status == ST_DONE:
            return
        if status in (ST_NEED_SPACE, ST_NEED_EVENTS):
            state = venue.resume(status)
        elif status == ST_NEED_ROOM:
            run.grow(state)
        elif status == ST_BAD_EQUITY:
            # Allocator.update's refusal, word for word (the engine's own loop raises it).
            raise ValueError(f"equity_usd={float(run.engine_f[F_BAD_EQUITY_USD])} unknown keys=[]")
        elif status == ST_BAD_QUOTE:
            numbers = run.scratch.decision_i[: parts.N_QUOTE_NUMBERS].tolist()
            Quote(*numbers)  # raises the ValueError decide raises on these numbers
            raise AssertionError(f"Quote{tuple(numbers)} holds: the loop's rule is not Quote's")
        else:
            raise RuntimeError(f"fused loop stopped with status {status}")


def _leave(engine: Engine, run: FusedRun) -> None:
    """Write the run's end state into the engine's objects, as its own loop leaves them."""
    book, leg = engine.books[0], engine.legs[0]
    engine_i, engine_f = run.engine_i, run.engine_f
    last_ts_ns = int(engine_i[E_TS_NS])
    clock = engine.clock
    assert isinstance(clock, SimClock)
    clock.advance_to(last_ts_ns)
    parts.leave_strategy(run.strategy, leg)
    parts.leave_orders(run.orders, leg)
    parts.leave_gate(run.gate, book)
    _leave_records(book, leg, run, last_ts_ns)
    _leave_allocation(engine, book, leg, run)
    engine.cost_fillrate_ewma = float(engine_f[F_COST_FILLRATE_EWMA])
    engine._episodes_closed = int(engine_i[E_EPISODES])
    run.leave_port()


def _leave_records(book: SymbolBook, leg: Leg, run: FusedRun, last_ts_ns: int) -> None:
    engine_i, engine_f, rec = run.engine_i, run.engine_f, run.records
    record = book.record
    record.decisions = int(engine_i[E_DECISIONS])
    n_mids = int(engine_i[E_N_MIDS])
    record.mid_ts_ns = array("q", rec.mid_ts_ns[:n_mids].tobytes())
    record.mid_ticks_x2 = array("q", rec.mid_ticks_x2[:n_mids].tobytes())
    record.inventory_lots = array("q", rec.inventory_lots[: int(engine_i[E_N_INVENTORY])].tobytes())
    record.traces = parts.traces_of(rec, int(engine_i[E_N_TRACES]), leg)
    record.quotes = parts.quotes_of(rec, int(engine_i[E_N_QUOTES]))
    book.mid_usd = float(engine_f[F_MID_USD])
    book.view = None
    if int(engine_i[E_VIEW_TS_NS]) == last_ts_ns:  # the last point's view was two-sided
        values = run.view[V_BEST_BID_TICKS : V_SELL_TRADE_DEPTH_TICKS + 1].tolist()
        book.view = MarketView(last_ts_ns, *values)
    if int(engine_i[E_DAY]) >= 0:
        book.day = DayBook(
            int(engine_i[E_DAY]), float(engine_f[F_EQUITY_START_USD]),
            float(engine_f[F_NOTIONAL_START_USD]), int(engine_i[E_ORDERS_START]),
        )  # fmt: skip


def _leave_allocation(engine: Engine, book: SymbolBook, leg: Leg, run: FusedRun) -> None:
    engine_i, engine_f = run.engine_i, run.engine_f
    leg.budget_lots = int(engine_i[E_BUDGET_LOTS])
    engine._next_alloc_ns = int(engine_i[E_NEXT_ALLOC_NS])
    engine._day = book.day  # one symbol: the book's day is the symbol's
    allocator = engine.allocator
    allocator._hwm_equity_usd = float(engine_f[F_ALLOC_HWM_USD])
    allocator._budgets_usd = [float(engine_f[F_ALLOC_PREV_USD])]
    allocator._available_usd = float(engine_f[F_ALLOC_AVAILABLE_USD])
