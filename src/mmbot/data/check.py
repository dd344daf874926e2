"""Validate event batches against the schema's rules, in file order across batches.

Rules: kind is a KIND_* code; side is SIDE_NONE for CLEAR and +-1 otherwise; qty_lots is
>= 0 (and > 0 for trades); ts_exch_ns never goes backwards (the file order is exchange
time; ts_local_ns is an attribute, free to differ).
"""

from __future__ import annotations

import numpy as np

from mmbot.data.batch import EventBatch
from mmbot.data.schema import KIND_CLEAR, KIND_TRADE, KINDS, SIDE_NONE
from mmbot.data.screen import RowScreen

_KIND_CODES = np.array(sorted(KINDS), dtype=np.int64)


class EventChecker:
    """Check consecutive batches of one file; raise the first bad row as E_DATA_*."""

    def __init__(self, where: str) -> None:
        self._screen = RowScreen(where, strict=True)
        self._rows_seen = 0

    def check(self, batch: EventBatch) -> None:
        """Raise DataError on the first row of batch that breaks a schema rule."""
        count = len(batch)
        screen = self._screen
        screen.begin(np.arange(self._rows_seen + 1, self._rows_seen + count + 1, dtype=np.int64))
        kind, side, qty = batch.kind, batch.side, batch.qty_lots
        screen.reject(
            "E_DATA_UNKNOWN_KIND",
            ~np.isin(kind, _KIND_CODES),
            lambda i: f"kind={kind[i]} expected one of {','.join(map(str, sorted(KINDS)))}",
        )
        is_clear = kind == KIND_CLEAR
        side_ok = np.where(is_clear, side == SIDE_NONE, np.abs(side) == 1)
        screen.reject(
            "E_DATA_UNKNOWN_KIND",
            ~side_ok,
            lambda i: f"side={side[i]} for kind={kind[i]} expected 0 for clear, +-1 otherwise",
        )
        screen.reject("E_DATA_NEGATIVE_SIZE", qty < 0, lambda i: f"qty_lots={qty[i]} must be >= 0")
        screen.reject(
            "E_DATA_BAD_VALUE",
            (kind == KIND_TRADE) & (qty == 0),
            lambda i: "trade with qty_lots=0; trades must be > 0",
        )
        # The screen is strict and this is its last check: up to the first row rejected above,
        # every row is kept, so skipping rejected rows changes neither the earliest bad row
        # raised nor, for a batch that passes, the newest timestamp carried to the next one.
        ts = batch.ts_exch_ns
        screen.reject_backwards(
            ts,
            lambda i, newest: (
                f"ts_exch_ns={ts[i]} is older than {newest}; events must be in ts_exch_ns order"
            ),
        )
        screen.end()
        self._rows_seen += count
