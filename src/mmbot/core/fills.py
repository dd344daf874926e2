"""FillLog: every fill of a run, column-wise; the one fill record of every mode."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

FILL_LOG_COLUMNS: Final = (
    "ts_ns",
    "ts_local_ns",
    "order_id",
    "client_id",
    "side",
    "price_ticks",
    "qty_lots",
    "is_maker",
    "fee_usd",
    "mid_ticks_x2",
)


@dataclass(frozen=True, slots=True)
class FillLog:
    """Every fill in venue order. ts_ns is the venue (exchange) time of the fill,
    ts_local_ns when its report reached the strategy; mid_ticks_x2 is best_bid + best_ask of
    the venue book at the fill (0 if a side was empty); side is +1 buy / -1 sell; fee_usd is
    paid positive, a rebate negative.
    """

    ts_ns: NDArray[np.int64]
    ts_local_ns: NDArray[np.int64]
    order_id: NDArray[np.int64]
    client_id: NDArray[np.int64]
    side: NDArray[np.int64]
    price_ticks: NDArray[np.int64]
    qty_lots: NDArray[np.int64]
    is_maker: NDArray[np.int64]
    fee_usd: NDArray[np.float64]
    mid_ticks_x2: NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.ts_ns)

    def rows(self) -> list[tuple[int | float, ...]]:
        """Return the fills as tuples in FILL_LOG_COLUMNS order (Python values)."""
        columns = [getattr(self, name).tolist() for name in FILL_LOG_COLUMNS]
        return list(zip(*columns, strict=True))
