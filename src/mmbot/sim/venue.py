"""SimVenue: the compiled simulator driven step by step from a Python strategy."""

from __future__ import annotations

from typing import Any

import numpy as np

from mmbot.core.fills import FillLog
from mmbot.data.schema import SIDE_BUY, SIDE_SELL
from mmbot.sim import layout as lo
from mmbot.sim.engine import NO_ROOM, advance, submit
from mmbot.sim.fees import effective_fee_bps, fee_tier_distance_usd
from mmbot.sim.jit import bound_entry
from mmbot.sim.params import SimParams
from mmbot.sim.reports import fill_log_of, take_reports
from mmbot.sim.state import I64, EventArrays, SimState, grow, new_state
from mmbot.sim.stream import EventStream, Pins, refill


def check_order(side: int, qty_lots: int) -> None:
    """Raise ValueError for a side or qty no order can have."""
    # Malformed arguments are bugs in the caller, not venue rejections.
    if side not in (SIDE_BUY, SIDE_SELL):
        raise ValueError(f"side={side} expected=+1 (buy) or -1 (sell)")
    if qty_lots <= 0:
        raise ValueError(f"qty_lots={qty_lots} expected=>0")


def check_modify(qty_lots: int) -> None:
    """Raise ValueError for a modify to no qty (a cancel)."""
    if qty_lots <= 0:
        raise ValueError(f"qty_lots={qty_lots} expected=>0 (use cancel to remove an order)")


class SimVenue:
    """A simulated venue over recorded events, advanced by the strategy's local clock.

    Requests are sent at `now_ns` and reach the venue after the entry latency; what the
    venue does comes back as reports after the response latency (`drain_reports`).
    Rejections are reports, never exceptions.

    events: all of them in memory, or an EventStream read chunk by chunk as the clock
    reaches it (sim/stream.py): the same run, in memory bounded by the chunk size.
    """

    def __init__(self, events: EventArrays | EventStream, params: SimParams) -> None:
        self._stream = events if isinstance(events, EventStream) else None
        loaded = events.opening() if isinstance(events, EventStream) else events
        self._state: SimState = new_state(loaded, params)
        if self._stream is not None and not self._stream.exhausted:
            self._state.regs[lo.R_MORE_EVENTS] = 1
        self._pins = Pins()
        self.first_ts_local_ns = int(loaded.ts_local_ns[0]) if len(loaded.ts_local_ns) else 0
        self._advance = bound_entry(advance, self._state, 0)
        self._submit = bound_entry(submit, self._state.regs, self._state.req, 0, 0, 0, 0, 0, 0, 0)

    def run_until(self, ts_ns: int) -> bool:
        """Process everything up to local time ts_ns; return False once the data is used up."""
        if ts_ns < self.now_ns:
            raise ValueError(f"ts_ns={ts_ns} is before now_ns={self.now_ns}; time only advances")
        while (status := self._advance(self._state, ts_ns)) != lo.ST_REACHED:
            self.resume(status)
        # A cursor at the last loaded event means the stream has ended (advance stops there).
        return bool(self._state.regs[lo.R_LOCAL_CURSOR] < len(self._state.ts_exch_ns))

    def resume(self, status: int) -> SimState:
        """Make advance's way after it stopped short (status ST_NEED_SPACE: grow the buffers;
        ST_NEED_EVENTS: load the next chunk); return the state to call it on again."""
        if status == lo.ST_NEED_SPACE:
            self._state = grow(self._state)
        else:
            assert self._stream is not None, "only a stream runs out of loaded events"
            self._state = refill(self._state, self._stream, self._pins)
        return self._state

    def pin(self, array: I64, slot: int) -> None:
        """Keep the events from index array[slot] on loaded while streaming, and shift that
        index as consumed events are dropped (a cursor into the events kept outside)."""
        self._pins.add(array, slot)

    def send(
        self,
        req_type: int,
        order_id: int,
        client_id: int,
        side: int,
        price_ticks: int,
        qty_lots: int,
        flags: int,
    ) -> int:
        """Send a request (layout REQ_*; unused fields 0) as is; return its order id."""
        state = self._state
        while (sent := self._submit(state.regs, state.req, req_type, order_id, client_id, side,
                                    price_ticks, qty_lots, flags)) == NO_ROOM:  # fmt: skip
            state = self._state = grow(state)
        return int(sent)

    def submit_limit(
        self,
        side: int,
        price_ticks: int,
        qty_lots: int,
        *,
        post_only: bool = True,
        ioc: bool = False,
        client_id: int = 0,
    ) -> int:
        """Send a limit order (GTC unless ioc; post-only is rejected if it would cross)."""
        check_order(side, qty_lots)
        flags = (lo.FLAG_POST_ONLY if post_only else 0) | (lo.FLAG_IOC if ioc else 0)
        return self.send(lo.REQ_NEW, 0, client_id, side, price_ticks, qty_lots, flags)

    def submit_market(self, side: int, qty_lots: int, *, client_id: int = 0) -> int:
        """Send a market order: IOC that walks the book; the unfilled rest expires."""
        check_order(side, qty_lots)
        limit = lo.MARKET_BUY_LIMIT_TICKS if side == SIDE_BUY else lo.MARKET_SELL_LIMIT_TICKS
        return self.send(lo.REQ_NEW, 0, client_id, side, limit, qty_lots, lo.FLAG_IOC)

    def cancel(self, order_id: int) -> None:
        """Ask the venue to cancel an order (rejected with UNKNOWN_ORDER if already gone)."""
        self.send(lo.REQ_CANCEL, order_id, 0, 0, 0, 0, 0)

    def modify(self, order_id: int, price_ticks: int, qty_lots: int) -> None:
        """Change price and open qty; only a same-price size reduction keeps queue priority."""
        check_modify(qty_lots)
        self.send(lo.REQ_MODIFY, order_id, 0, 0, price_ticks, qty_lots, 0)

    def drain_reports(self) -> np.recarray[Any, Any]:
        """Return the reports that reached the strategy since the last call (REPORT_DTYPE)."""
        return take_reports(self._state)

    def fill_log(self) -> FillLog:
        """Return every fill so far, including fills whose report is still travelling."""
        return fill_log_of(self._state)

    def _best(self, column: int, sentinel: int) -> int | None:
        price = int(self._state.book_regs[lo.BOOK_LOCAL, column])
        return None if price == sentinel else price

    @property
    def best_bid_ticks(self) -> int | None:
        """Best bid of the book as the strategy sees it (feed latency applied)."""
        return self._best(lo.B_BEST_BID_TICKS, lo.NO_BID_TICKS)

    @property
    def best_ask_ticks(self) -> int | None:
        """Best ask of the book as the strategy sees it (feed latency applied)."""
        return self._best(lo.B_BEST_ASK_TICKS, lo.NO_ASK_TICKS)

    @property
    def position_lots(self) -> int:
        """Position from the fills reported to the strategy so far."""
        return int(self._state.regs[lo.R_POSITION_LOCAL_LOTS])

    @property
    def cash_usd(self) -> float:
        """Cash from the fills reported so far (buys pay notional + fee)."""
        return float(self._state.xregs[lo.X_CASH_LOCAL_USD])

    @property
    def now_ns(self) -> int:
        """The strategy's local clock."""
        return int(self._state.regs[lo.R_NOW_NS])

    @property
    def fees_usd(self) -> float:
        """Fees charged at the venue so far (negative when rebates dominate)."""
        return float(self._state.xregs[lo.X_FEES_USD])

    @property
    def notional_usd(self) -> float:
        """Notional traded at the venue so far."""
        return float(self._state.xregs[lo.X_NOTIONAL_USD])

    @property
    def effective_fee_bps(self) -> float:
        """Fees paid per notional traded, in bps."""
        return effective_fee_bps(self.fees_usd, self.notional_usd)

    @property
    def fee_tier_distance_usd(self) -> float:
        """USD volume still to trade to reach the next fee tier (0 at the top tier)."""
        return fee_tier_distance_usd(self._state)

    @property
    def state(self) -> SimState:
        """The raw state arrays (read them; do not write)."""
        return self._state
