"""Replay events into a full-depth book and report the best bid and ask after every event.

Theory of operation: each side is a hash map price_ticks -> qty_lots plus a binary heap of
prices (bids stored negated, so both heaps are min-heaps) for the best price. Deleting a
level removes it from the map only; a heap entry whose price is no longer in the map is
stale and is popped when it reaches the top. A price re-added while a stale copy is still
deep in the heap gets a second entry, so the heap is rebuilt from the map when it grows
past twice the map. Every operation is O(log levels); the state survives between calls,
so a file replays chunk by chunk.
"""

from __future__ import annotations

import heapq
from typing import Any, Final

import numpy as np
from numba import njit, types
from numba.typed import Dict, List

from mmbot.data.batch import I64, EventBatch
from mmbot.data.schema import KIND_CLEAR, KIND_DEPTH, KIND_SNAPSHOT, SIDE_BID

NO_BID: Final = int(np.iinfo(np.int64).min)  # best bid of an empty bid side
NO_ASK: Final = int(np.iinfo(np.int64).max)  # best ask of an empty ask side
_REBUILD_SLACK: Final = 1024


@njit(cache=True)
def _set_level(levels: Any, heap: Any, sign: int, price: int, qty: int) -> None:
    if qty == 0:
        if price in levels:
            del levels[price]
        return
    if price not in levels:
        heapq.heappush(heap, sign * price)
    levels[price] = qty
    if len(heap) > 2 * len(levels) + _REBUILD_SLACK:
        heap.clear()
        for level_price in levels:
            heap.append(sign * level_price)
        heapq.heapify(heap)


@njit(cache=True)
def _best(levels: Any, heap: Any, sign: int, empty: int) -> int:
    while len(heap) > 0:
        price = sign * heap[0]
        if price in levels:
            return int(price)
        heapq.heappop(heap)
    return empty


@njit(cache=True)
def _replay(
    kind: I64,
    side: I64,
    price: I64,
    qty: I64,
    bids: Any,
    asks: Any,
    bid_heap: Any,
    ask_heap: Any,
    best_bid: I64,
    best_ask: I64,
) -> None:
    for i in range(len(kind)):
        event_kind = kind[i]
        if event_kind == KIND_CLEAR:
            bids.clear()
            asks.clear()
            bid_heap.clear()
            ask_heap.clear()
        elif event_kind in (KIND_DEPTH, KIND_SNAPSHOT):
            if side[i] == SIDE_BID:
                _set_level(bids, bid_heap, -1, price[i], qty[i])
            else:
                _set_level(asks, ask_heap, 1, price[i], qty[i])
        best_bid[i] = _best(bids, bid_heap, -1, NO_BID)
        best_ask[i] = _best(asks, ask_heap, 1, NO_ASK)


class BookReplay:
    """A full-depth book fed batch by batch; trades do not touch it (their depth rows do)."""

    def __init__(self) -> None:
        self._bids = Dict.empty(types.int64, types.int64)
        self._asks = Dict.empty(types.int64, types.int64)
        self._bid_heap = List.empty_list(types.int64)
        self._ask_heap = List.empty_list(types.int64)

    def tops(self, batch: EventBatch) -> tuple[I64, I64]:
        """Apply batch; return best bid and ask ticks after each event (NO_BID/NO_ASK: empty)."""
        best_bid = np.empty(len(batch), dtype=np.int64)
        best_ask = np.empty(len(batch), dtype=np.int64)
        _replay(
            batch.kind,
            batch.side,
            batch.price_ticks,
            batch.qty_lots,
            self._bids,
            self._asks,
            self._bid_heap,
            self._ask_heap,
            best_bid,
            best_ask,
        )
        return best_bid, best_ask
