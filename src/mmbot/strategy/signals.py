"""Micro signals folded into a fair-value adjustment, and the per-decision impact cap.

All signals are read from a MarketView: book imbalance over the visible depth, the
(weighted-mid) microprice from the top of book, and a trade-flow imbalance kept as two EWMAs
of traded volume. Their weighted sum is the target adjustment in ticks; the applied
adjustment follows the target but moves at most cap_frac * half_spread_ticks per decision.
"""

from __future__ import annotations

from numba.extending import register_jitable

from mmbot.core.types import MarketView

_NS_TO_S = 1e-9


@register_jitable
def book_imbalance(bid_lots: int, ask_lots: int) -> float:
    """Return (bid - ask) / (bid + ask) in [-1, 1]; 0 when both are empty."""
    total = bid_lots + ask_lots
    if total <= 0:
        return 0.0
    return (bid_lots - ask_lots) / total


@register_jitable
def microprice_ticks(bid_ticks: int, bid_lots: int, ask_ticks: int, ask_lots: int) -> float:
    """Return the size-weighted mid (bid*ask_lots + ask*bid_lots) / (bid_lots + ask_lots).

    Equal to mid + imbalance * spread / 2: the price leans toward the thinner side, which
    is the side more likely to be consumed next. Falls back to the mid on an empty top.
    """
    total = bid_lots + ask_lots
    if total <= 0:
        return 0.5 * (bid_ticks + ask_ticks)
    return (bid_ticks * ask_lots + ask_ticks * bid_lots) / total


class TradeFlow:
    """EWMAs of buy and sell volume; imbalance = (buy - sell) / (buy + sell) in [-1, 1]."""

    __slots__ = ("_buy_lots", "_half_life_s", "_has_prev", "_prev_ts_ns", "_sell_lots", "imbalance")

    def __init__(self, half_life_s: float) -> None:
        if not half_life_s > 0:
            raise ValueError(f"half_life_s={half_life_s} expected=>0")
        self._half_life_s = half_life_s
        self._has_prev = False
        self._prev_ts_ns = 0
        self._buy_lots = 0.0
        self._sell_lots = 0.0
        self.imbalance = 0.0

    def update(self, ts_ns: int, buy_volume_lots: int, sell_volume_lots: int) -> None:
        """Add the volume traded since the previous update (decay by the elapsed event time)."""
        if self._has_prev:
            dt_s = (ts_ns - self._prev_ts_ns) * _NS_TO_S
            decay = 2.0 ** (-dt_s / self._half_life_s) if dt_s > 0.0 else 1.0
            self._buy_lots *= decay
            self._sell_lots *= decay
        self._has_prev = True
        self._prev_ts_ns = ts_ns
        self._buy_lots += buy_volume_lots
        self._sell_lots += sell_volume_lots
        total = self._buy_lots + self._sell_lots
        self.imbalance = (self._buy_lots - self._sell_lots) / total if total > 0.0 else 0.0


def signal_target_ticks(
    view: MarketView,
    flow_imbalance: float,
    microprice_weight: float,
    book_imbalance_weight: float,
    trade_flow_weight: float,
) -> float:
    """Return the fair-value adjustment the signals ask for, in ticks from the mid.

    target = w_mp * (microprice - mid) + (spread / 2) * (w_book * I_book + w_flow * I_flow):
    the imbalances are scaled by the market half spread so every term is in ticks.
    """
    return book_signal_target_ticks(
        view.best_bid_ticks, view.best_bid_lots, view.best_ask_ticks, view.best_ask_lots,
        view.bid_depth_lots, view.ask_depth_lots, flow_imbalance, microprice_weight,
        book_imbalance_weight, trade_flow_weight,
    )  # fmt: skip


@register_jitable
def book_signal_target_ticks(
    bid_ticks: int,
    bid_lots: int,
    ask_ticks: int,
    ask_lots: int,
    bid_depth_lots: int,
    ask_depth_lots: int,
    flow_imbalance: float,
    microprice_weight: float,
    book_imbalance_weight: float,
    trade_flow_weight: float,
) -> float:
    """Return signal_target_ticks of a view's top of book and depth given as numbers."""
    micro_offset_ticks = microprice_ticks(bid_ticks, bid_lots, ask_ticks, ask_lots) - 0.5 * (
        bid_ticks + ask_ticks
    )
    imbalance_mix = (
        book_imbalance_weight * book_imbalance(bid_depth_lots, ask_depth_lots)
        + trade_flow_weight * flow_imbalance
    )
    return microprice_weight * micro_offset_ticks + 0.5 * (ask_ticks - bid_ticks) * imbalance_mix


@register_jitable
def cap_adjustment(
    prev_adj_ticks: float, target_ticks: float, half_spread_ticks: float, cap_frac: float
) -> float:
    """Return prev + clip(target - prev, -c*h, +c*h): the impact cap on the signal's move."""
    max_step_ticks = cap_frac * half_spread_ticks
    step_ticks = target_ticks - prev_adj_ticks
    if step_ticks > max_step_ticks:
        step_ticks = max_step_ticks
    elif step_ticks < -max_step_ticks:
        step_ticks = -max_step_ticks
    return prev_adj_ticks + step_ticks
