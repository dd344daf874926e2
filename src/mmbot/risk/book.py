"""The book's caps: gross notional, net USD delta, the day's loss and order count over symbols.

Theory of operation
-------------------
Each symbol has its own RiskGate (its position and skew caps, its day caps, its throttle).
BookRisk sits above them and acts on each gate in two ways.

Before a symbol decides, `position_limits` works out how long and how short the symbol may
go, worst case, within the book's gross and net caps given every other symbol's worst case
(its position plus every resting order on a side filled, the orders symbols deciding before
it in this step just sent included), and the engine hands that to the symbol's gate
(RiskGate.set_book_limits): an order whose worst case goes beyond it is denied
`E_RISK_BOOK_LIMIT`, and a position beyond it (the mids moved) makes the gate REDUCING down
to it. Because each order is checked against the others' worst cases as they stand, the
book's worst-case gross and net stay within the caps, as a symbol's position does within its
own cap.

After the symbols' venues caught up, `evaluate` gives it each symbol's position in USD
(marked at the symbol's mid), the book's PnL since the start of the UTC day and the orders
sent today, and it tells each gate what the book's day caps ask of it
(RiskGate.set_book_state):

* the day's orders over every symbol reach `intraday_max_orders`: HALTED everywhere;
* the day's loss over every symbol reaches `intraday_max_loss_usd`: REDUCING everywhere,
  reduce-only down to flat.

Both latch until the next UTC day (reset_intraday), like a symbol's day caps. Entering any
book condition (those two, or the gross or net delta of the positions over its cap) records
one `E_RISK_BOOK_*` line: an episode, not a step count.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, NamedTuple

from mmbot.config.schema import PortfolioRiskConfig
from mmbot.risk.gate import ACTIVE, HALTED, REDUCING
from mmbot.risk.values import RiskRecord

_CONDITIONS: Final = ("orders", "loss", "gross", "net_delta")


class Exposure(NamedTuple):
    """One symbol's position in USD now and if every resting bid (long_usd) or every resting
    ask (short_usd) filled; signed, long positive."""

    position_usd: float
    long_usd: float
    short_usd: float


@dataclass(frozen=True, slots=True)
class BookLimits:
    """The book's caps (USD, orders a day)."""

    max_gross_notional_usd: float
    max_net_delta_usd: float
    intraday_max_loss_usd: float
    intraday_max_orders: int

    @classmethod
    def from_config(cls, risk: PortfolioRiskConfig) -> BookLimits:
        """Return the caps of a config's portfolio.risk section."""
        return cls(
            risk.max_gross_notional_usd,
            risk.max_net_delta_usd,
            risk.intraday_max_loss_usd,
            risk.intraday_max_orders,
        )


class BookRisk:
    """Work out, each step, which trading state the book's caps ask of each symbol."""

    __slots__ = ("_active", "_breaches_total", "_latched", "_limits")

    def __init__(self, limits: BookLimits) -> None:
        self._limits = limits
        self._latched: dict[str, str] = {}  # "orders"/"loss" -> cause, until reset_intraday
        self._active: set[str] = set()  # conditions in force at the last step
        self._breaches_total = 0

    def evaluate(
        self,
        ts_ns: int,
        positions_usd: Sequence[float],
        pnl_usd_day: float,
        orders_day: int,
    ) -> tuple[list[tuple[int, str]], list[RiskRecord]]:
        """Return (state, cause) per symbol (positions_usd's order) and the new records."""
        limits = self._limits
        gross = math.fsum(abs(usd) for usd in positions_usd)
        net = math.fsum(positions_usd)
        causes: dict[str, str] = {}
        if orders_day >= limits.intraday_max_orders:
            causes["orders"] = f"intraday_max_orders: {orders_day} >= {limits.intraday_max_orders}"
        if -pnl_usd_day >= limits.intraday_max_loss_usd:
            causes["loss"] = (
                f"intraday_max_loss_usd: loss {-pnl_usd_day:.2f} >= {limits.intraday_max_loss_usd}"
            )
        for name in ("orders", "loss"):  # day caps latch until the next UTC day
            if name in causes:
                self._latched.setdefault(name, causes[name])
            elif name in self._latched:
                causes[name] = self._latched[name]
        if gross > limits.max_gross_notional_usd:
            causes["gross"] = (
                f"max_gross_notional_usd: {gross:.2f} > {limits.max_gross_notional_usd}"
            )
        if abs(net) > limits.max_net_delta_usd:
            causes["net_delta"] = f"max_net_delta_usd: |{net:.2f}| > {limits.max_net_delta_usd}"
        records = [
            RiskRecord(ts_ns, f"E_RISK_BOOK_{name.upper()}", f"book {causes[name]}")
            for name in _CONDITIONS
            if name in causes and name not in self._active
        ]
        self._breaches_total += len(records)
        self._active = set(causes)
        if "orders" in causes:
            state = (HALTED, causes["orders"])
        elif "loss" in causes:
            state = (REDUCING, causes["loss"])
        else:
            state = (ACTIVE, "")
        return [state] * len(positions_usd), records

    def position_limits(
        self, index: int, exposures: Sequence[Exposure], lot_usd: float
    ) -> tuple[int, int]:
        """Return (long lots, short lots) the gross and net caps leave the symbol at index,
        given every other symbol's worst case (negative: the symbol must stay on the other
        side by that much); lot_usd: one lot of it at its mid (> 0)."""
        limits = self._limits
        others = [exposure for j, exposure in enumerate(exposures) if j != index]
        # Gross bounds |position|: no room left means flat at most, on either side.
        gross_room = max(
            0.0,
            limits.max_gross_notional_usd
            - math.fsum(max(abs(e.long_usd), abs(e.short_usd)) for e in others),
        )
        long_usd = min(gross_room, limits.max_net_delta_usd - math.fsum(e.long_usd for e in others))
        short_usd = min(
            gross_room, limits.max_net_delta_usd + math.fsum(e.short_usd for e in others)
        )
        # Not clamped at 0: a long limit of -2 means "stay at least 2 short, worst case", the
        # room another symbol's worst case already took.
        return math.floor(long_usd / lot_usd), math.floor(short_usd / lot_usd)

    def reset_intraday(self) -> None:
        """Clear the day-cap latches (a new UTC day)."""
        self._latched.clear()

    def counters(self) -> dict[str, int]:
        """Return the book's risk counters for export."""
        return {
            "book_caps_breached": 1 if self._active else 0,
            "book_risk_breaches_total": self._breaches_total,
        }
