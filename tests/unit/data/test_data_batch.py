"""EventBatch: shape rules, slicing, concatenation."""

from __future__ import annotations

import numpy as np
import pytest
from tests.unit.data.datakit import batch

from mmbot.data import COLUMNS, KIND_DEPTH, KIND_TRADE, EventBatch


def test_batch_concat_and_slice_keep_rows_in_order() -> None:
    first = batch((1, 2, KIND_DEPTH, 1, 100, 5), (2, 3, KIND_TRADE, -1, 100, 1))
    second = batch((3, 4, KIND_DEPTH, -1, 101, 0))

    joined = EventBatch.concat([first, EventBatch.empty(), second])

    assert len(joined) == 3
    assert joined.ts_exch_ns.tolist() == [1, 2, 3]
    assert joined.slice(1, 3).price_ticks.tolist() == [100, 101]
    assert len(EventBatch.concat([])) == 0


def test_batch_unequal_lengths_rejected() -> None:
    arrays = [np.zeros(3, dtype=np.int64) for _ in COLUMNS]
    arrays[-1] = np.zeros(2, dtype=np.int64)

    with pytest.raises(ValueError, match="qty_lots has 2 rows, expected 3"):
        EventBatch(*arrays)


def test_batch_wrong_dtype_rejected() -> None:
    arrays = [np.zeros(3, dtype=np.int64) for _ in COLUMNS]
    arrays[0] = np.zeros(3, dtype=np.float64)

    with pytest.raises(TypeError, match="ts_exch_ns must be a 1-D int64"):
        EventBatch(*arrays)


def test_batch_non_contiguous_rejected() -> None:
    arrays = [np.zeros(6, dtype=np.int64)[::2] for _ in COLUMNS]

    with pytest.raises(ValueError, match="C-contiguous"):
        EventBatch(*arrays)
