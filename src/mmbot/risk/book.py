"""The book's caps: gross notional, net USD delta, the day's loss and order count over symbols.

Theory of operation
-------------------
Each symbol has its own RiskGate (its position and skew caps, its day caps, its throttle).
BookRisk sits above them: at every decision point the engine gives it each symbol's position
in USD (marked at the symbol's mid), the book's PnL since the start of the UTC day and the
orders sent today, and it tells each symbol's gate what the book asks of it
(RiskGate.set_book_state):

* the day's orders over every symbol reach `intraday_max_orders`: HALTED everywhere (latched);
* the day's loss over every symbol reaches `intraday_max_loss_usd`: REDUCING everywhere,
  reduce-only down to flat (latched);
* gross notional (sum of |position USD|) over `max_gross_notional_usd`: REDUCING everywhere
  until back within (not latched);
* net delta (sum of position USD) beyond +-`max_net_delta_usd`: REDUCING on the symbols whose
  position has the sign of the net delta (they add to it), until back within (not latched).

The latches clear at the next UTC day (reset_intraday). The caps act on the state after a
step: the per-symbol gates' worst-case position rule bounds how far one step can overshoot.
Entering each condition records one `E_RISK_BOOK_*` line (an episode, not a step count).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from mmbot.config.schema import PortfolioRiskConfig
from mmbot.risk.gate import ACTIVE, HALTED, REDUCING
from mmbot.risk.values import RiskRecord

_CONDITIONS: Final = ("orders", "loss", "gross", "net_delta")


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
        gross = sum(abs(usd) for usd in positions_usd)
        net = sum(positions_usd)
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
        return [self._state_of(usd, net, causes) for usd in positions_usd], records

    @staticmethod
    def _state_of(position_usd: float, net_usd: float, causes: dict[str, str]) -> tuple[int, str]:
        if "orders" in causes:
            return HALTED, causes["orders"]
        for name in ("loss", "gross"):
            if name in causes:
                return REDUCING, causes[name]
        if "net_delta" in causes and position_usd * net_usd > 0.0:
            return REDUCING, causes["net_delta"]
        return ACTIVE, ""

    def reset_intraday(self) -> None:
        """Clear the day-cap latches (a new UTC day)."""
        self._latched.clear()

    def counters(self) -> dict[str, int]:
        """Return the book's risk counters for export."""
        return {
            "book_caps_breached": 1 if self._active else 0,
            "book_risk_breaches_total": self._breaches_total,
        }
