"""The ledger: every fill the engine was told of, and the position, cash and fees they make.

One ledger for every mode: the engine applies each fill event (core.events) to it, whatever
venue sent it, and decides from its position and cash; the run's fills come from it. Money is
computed once here: a fill of qty_lots at price_ticks is worth
price_ticks * tick_size * qty_lots * lot_size USD (the simulator's notional, bit for bit), and
moves cash by -side * notional - fee. A position adopted at start (POSITION_ADOPTED) is
booked without cash: the ledger's PnL counts it at the mid from then on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mmbot.core.events import OrderEvent
from mmbot.core.fills import FillLog


@dataclass(slots=True)
class _FillColumns:
    ts_ns: list[int] = field(default_factory=list)
    ts_local_ns: list[int] = field(default_factory=list)
    order_id: list[int] = field(default_factory=list)
    client_seq: list[int] = field(default_factory=list)
    side: list[int] = field(default_factory=list)
    price_ticks: list[int] = field(default_factory=list)
    qty_lots: list[int] = field(default_factory=list)
    is_maker: list[int] = field(default_factory=list)
    fee_usd: list[float] = field(default_factory=list)
    mid_ticks_x2: list[int] = field(default_factory=list)


class Ledger:
    """Position, cash, traded notional and fees, and the fills they come from."""

    __slots__ = ("_fills", "_lot_size", "_tick_size", "cash_usd", "fees_paid_usd", "fees_usd",
                 "filled_lots", "notional_usd", "position_lots", "rebates_usd")  # fmt: skip

    def __init__(self, tick_size: float, lot_size: float) -> None:
        self._tick_size = tick_size
        self._lot_size = lot_size
        self._fills = _FillColumns()
        self.position_lots = 0
        self.cash_usd = 0.0
        self.notional_usd = 0.0
        self.fees_usd = 0.0  # paid minus rebated
        self.fees_paid_usd = 0.0
        self.rebates_usd = 0.0  # rebates received, positive
        self.filled_lots = 0

    def adopt(self, position_lots: int) -> None:
        """Take over a position the venue held at start (no cash moves)."""
        self.position_lots += position_lots

    def on_fill(self, event: OrderEvent) -> None:
        """Book one fill event."""
        notional = float(event.price_ticks * self._tick_size * event.qty_lots * self._lot_size)
        self.position_lots += event.side * event.qty_lots
        self.cash_usd -= event.side * notional + event.fee_usd
        self.notional_usd += notional
        self.fees_usd += event.fee_usd
        if event.fee_usd >= 0.0:
            self.fees_paid_usd += event.fee_usd
        else:
            self.rebates_usd -= event.fee_usd
        self.filled_lots += event.qty_lots
        c = self._fills
        c.ts_ns.append(event.ts_exch_ns)
        c.ts_local_ns.append(event.ts_local_ns)
        c.order_id.append(event.order_id)
        c.client_seq.append(event.client_seq)
        c.side.append(event.side)
        c.price_ticks.append(event.price_ticks)
        c.qty_lots.append(event.qty_lots)
        c.is_maker.append(event.is_maker)
        c.fee_usd.append(event.fee_usd)
        c.mid_ticks_x2.append(event.mid_ticks_x2)

    @property
    def fills(self) -> int:
        """Return how many fills were booked."""
        return len(self._fills.ts_ns)

    def recent_fees(self, fills: int) -> tuple[float, float]:
        """Return (fees USD, notional USD) of the last `fills` fills (a recent fee rate)."""
        c = self._fills
        start = max(0, len(c.ts_ns) - fills)
        tick, lot = self._tick_size, self._lot_size
        notional = sum(
            price * tick * qty * lot
            for price, qty in zip(c.price_ticks[start:], c.qty_lots[start:], strict=True)
        )
        return sum(c.fee_usd[start:]), notional

    @property
    def effective_fee_bps(self) -> float:
        """Return fees paid per notional traded in bps (negative when rebates dominate)."""
        return 1e4 * self.fees_usd / self.notional_usd if self.notional_usd > 0 else 0.0

    def pnl_usd(self, mid_usd: float) -> float:
        """Return cash plus the position marked at mid_usd."""
        return self.cash_usd + self.position_lots * self._lot_size * mid_usd

    def fill_log(self) -> FillLog:
        """Return every fill booked so far."""
        c = self._fills
        i64 = np.int64
        return FillLog(
            np.asarray(c.ts_ns, dtype=i64), np.asarray(c.ts_local_ns, dtype=i64),
            np.asarray(c.order_id, dtype=i64), np.asarray(c.client_seq, dtype=i64),
            np.asarray(c.side, dtype=i64), np.asarray(c.price_ticks, dtype=i64),
            np.asarray(c.qty_lots, dtype=i64), np.asarray(c.is_maker, dtype=i64),
            np.asarray(c.fee_usd, dtype=np.float64), np.asarray(c.mid_ticks_x2, dtype=i64),
        )  # fmt: skip
