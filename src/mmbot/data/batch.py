"""EventBatch: a run of events as six parallel int64 arrays (the columns of schema.COLUMNS)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
from numpy.typing import NDArray

from mmbot.data.schema import COLUMNS

I64: TypeAlias = NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class EventBatch:
    """Events in file order; every field is a 1-D C-contiguous int64 array of one length."""

    ts_exch_ns: I64
    ts_local_ns: I64
    kind: I64
    side: I64
    price_ticks: I64
    qty_lots: I64

    def __post_init__(self) -> None:
        length = len(self.ts_exch_ns)
        for name in COLUMNS:
            array = getattr(self, name)
            if not isinstance(array, np.ndarray) or array.dtype != np.int64 or array.ndim != 1:
                raise TypeError(f"EventBatch.{name} must be a 1-D int64 ndarray")
            if not array.flags.c_contiguous:
                raise ValueError(f"EventBatch.{name} must be C-contiguous")
            if len(array) != length:
                raise ValueError(f"EventBatch.{name} has {len(array)} rows, expected {length}")

    def __len__(self) -> int:
        return len(self.ts_exch_ns)

    def columns(self) -> tuple[I64, ...]:
        """Return the arrays in schema.COLUMNS order."""
        return tuple(getattr(self, name) for name in COLUMNS)

    def slice(self, start: int, stop: int) -> EventBatch:
        """Return rows [start, stop) as views (no copy)."""
        return EventBatch(*(array[start:stop] for array in self.columns()))

    def take(self, index: NDArray[np.intp] | NDArray[np.bool_]) -> EventBatch:
        """Return the rows selected by an index array or a boolean mask (a copy)."""
        return EventBatch(*(np.ascontiguousarray(array[index]) for array in self.columns()))

    @classmethod
    def concat(cls, batches: Iterable[EventBatch]) -> EventBatch:
        """Return the batches joined end to end (a copy)."""
        parts = list(batches)
        if not parts:
            return cls.empty()
        return cls(*(np.concatenate([getattr(b, name) for b in parts]) for name in COLUMNS))

    @classmethod
    def empty(cls) -> EventBatch:
        """Return a batch of zero rows."""
        return cls(*(np.empty(0, dtype=np.int64) for _ in COLUMNS))
