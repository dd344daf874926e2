"""The values the risk gate takes and gives: its parameters, a step's context, a record."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from mmbot.config.schema import MmConfig, RiskConfig
from mmbot.core.text import ascii_single_line

_NS_PER_MS = 1_000_000


class OpenOrder(NamedTuple):
    """One resting order as the risk gate sees it.

    side is BUY (1) or SELL (-1); leaves_lots what is still resting; priced_ts_ns when its
    current price was set (the age the replace policy checks). A NamedTuple: it is read at
    every decision, and stays the plain tuple (side, price_ticks, leaves_lots, priced_ts_ns)
    for code that unpacks it.
    """

    side: int
    price_ticks: int
    leaves_lots: int
    priced_ts_ns: int


@dataclass(frozen=True, slots=True)
class RiskParams:
    """Limits of the risk gate in the units it checks them in (USD, lots, ticks, ns)."""

    tick_size: float
    lot_size: float
    max_position_usd: float
    max_skew_usd: float
    intraday_max_loss_usd: float
    intraday_max_notional_usd: float
    intraday_max_orders: int
    orders_per_s: float
    orders_burst: int
    cancels_per_s: float
    cancels_burst: int
    min_replace_ticks: int
    min_order_age_ns: int
    min_qty_lots: int = 1  # the venue's smallest order, in lots
    min_notional_usd: float = 0.0  # the venue's smallest order value at its price
    # A hard position cap in lots beside the USD one (canary's --max-position-lots), so the
    # gate itself sizes reductions to it; None: the USD cap alone.
    max_position_lots: int | None = None

    def __post_init__(self) -> None:
        if not (self.tick_size > 0 and self.lot_size > 0):
            raise ValueError(f"tick_size={self.tick_size} lot_size={self.lot_size} expected >0")
        if not (self.min_qty_lots >= 1 and 0.0 <= self.min_notional_usd < float("inf")):
            raise ValueError(
                f"min_qty_lots={self.min_qty_lots} min_notional_usd={self.min_notional_usd} "
                "expected >=1 and a finite >=0"
            )
        if self.max_position_lots is not None and self.max_position_lots < 0:
            raise ValueError(f"max_position_lots={self.max_position_lots} expected >=0 or None")

    @classmethod
    def from_config(cls, cfg: MmConfig, tick_size: float, lot_size: float) -> RiskParams:
        """Return the parameters of cfg.risk (and the venue minimums of cfg.instrument) for an
        instrument of tick_size and lot_size."""
        instrument = cfg.instrument
        return cls.of(
            cfg.risk, tick_size, lot_size, instrument.min_qty_lots, instrument.min_notional_usd,
            cfg.risk.max_position_usd, cfg.risk.max_skew_usd,
        )  # fmt: skip

    @classmethod
    def of(
        cls,
        risk: RiskConfig,
        tick_size: float,
        lot_size: float,
        min_qty_lots: int,
        min_notional_usd: float,
        max_position_usd: float,
        max_skew_usd: float,
    ) -> RiskParams:
        """Return the gate's parameters for one symbol of the book: the risk section's limits,
        the symbol's own position and skew caps, the venue's grid and minimums."""
        return cls(
            tick_size=tick_size,
            lot_size=lot_size,
            max_position_usd=max_position_usd,
            max_skew_usd=max_skew_usd,
            intraday_max_loss_usd=risk.intraday_max_loss_usd,
            intraday_max_notional_usd=risk.intraday_max_notional_usd,
            intraday_max_orders=risk.intraday_max_orders,
            orders_per_s=risk.orders_per_s,
            orders_burst=risk.orders_burst,
            cancels_per_s=risk.cancels_per_s,
            cancels_burst=risk.cancels_burst,
            min_replace_ticks=risk.min_replace_ticks,
            min_order_age_ns=risk.min_order_age_ms * _NS_PER_MS,
            min_qty_lots=min_qty_lots,
            min_notional_usd=min_notional_usd,
        )


class RiskContext(NamedTuple):
    """What the engine knows at one step: time, inventory, resting orders and the day so far.

    `pnl_usd_day` is realized plus unrealized PnL since the start of the UTC day;
    `open_orders` maps client_id to its OpenOrder.
    """

    # A NamedTuple, not a frozen dataclass: it is built once per decision and costs ~0.25 us
    # to construct instead of ~0.75 us (frozen dataclasses set each field via object.__setattr__).

    ts_ns: int
    position_lots: int
    mid_price_usd: float
    open_orders: Mapping[str, OpenOrder]
    pnl_usd_day: float
    traded_notional_usd_day: float
    order_count_day: int


@dataclass(frozen=True, slots=True)
class RiskRecord:
    """One invariant violation or risk event, rendered as a single `E_RISK_*` line."""

    ts_ns: int
    code: str
    detail: str

    def line(self) -> str:
        """Return `E_RISK_<WHAT>: ts_ns=<ts> <detail>` as one ASCII line."""
        return ascii_single_line(f"{self.code}: ts_ns={self.ts_ns} {self.detail}")
