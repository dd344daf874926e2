"""Compare the two simulators' fills, so a difference in counts comes with its cause.

A fill is keyed by (ts_exch_ns, side, price_ticks): the venue time of the market event that
filled it. Fills only one side has are split by whether any public trade at that instant could
have reached the order. A peer fill with no such trade was made by the book alone: the
opposite best price moved onto or through the resting order (hftbacktest's exchange fills
those; a simulator that fills only from the tape does not).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mmbot.data import KIND_TRADE, EventBatch


@dataclass(frozen=True, slots=True)
class FillComparison:
    """How two fill logs overlap."""

    matched: int
    only_mmbot: int
    only_peer: int
    only_peer_without_trade: int


def _trade_prices_by_instant(batch: EventBatch) -> dict[tuple[int, int], list[int]]:
    """Return {(ts_exch_ns, aggressor side): [trade price_ticks]} for the file's trades."""
    trades = np.flatnonzero(batch.kind == KIND_TRADE)
    prices: dict[tuple[int, int], list[int]] = {}
    rows = zip(
        batch.ts_exch_ns[trades].tolist(),
        batch.side[trades].tolist(),
        batch.price_ticks[trades].tolist(),
        strict=True,
    )
    for ts_exch_ns, aggressor, price_ticks in rows:
        prices.setdefault((ts_exch_ns, aggressor), []).append(price_ticks)
    return prices


def _reached_by_trade(
    key: tuple[int, int, int], trade_prices: dict[tuple[int, int], list[int]]
) -> bool:
    """Return True when a trade at the fill's instant was at or through the order's price."""
    ts_exch_ns, side, price_ticks = key
    # Our buy is reached by a seller (aggressor -1) printing at or below our price.
    candidates = trade_prices.get((ts_exch_ns, -side), [])
    return any(side * (trade_ticks - price_ticks) <= 0 for trade_ticks in candidates)


def compare_fills(
    mmbot_keys: np.ndarray, peer_keys: np.ndarray, batch: EventBatch
) -> FillComparison:
    """Return the overlap of two (ts_exch_ns, side, price_ticks) fill logs over `batch`."""
    mmbot_set = set(map(tuple, mmbot_keys.tolist()))
    peer_set = set(map(tuple, peer_keys.tolist()))
    trade_prices = _trade_prices_by_instant(batch)
    only_peer = peer_set - mmbot_set
    return FillComparison(
        matched=len(mmbot_set & peer_set),
        only_mmbot=len(mmbot_set - peer_set),
        only_peer=len(only_peer),
        only_peer_without_trade=sum(not _reached_by_trade(key, trade_prices) for key in only_peer),
    )
