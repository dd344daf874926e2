"""merge_by_ts: time order, ties to the earlier stream, whatever the chunking."""

from __future__ import annotations

import numpy as np
from tests.unit.data.datakit import batch

from mmbot.data import KIND_DEPTH, KIND_TRADE, EventBatch, merge_by_ts


def _stream(kind: int, stamps: list[int], chunk: int) -> list[EventBatch]:
    rows = [(ts, ts, kind, 1, i, 1) for i, ts in enumerate(stamps)]
    return [batch(*rows[i : i + chunk]) for i in range(0, len(rows), chunk)]


def test_merge_ties_go_to_earlier_stream_across_chunks() -> None:
    trades = _stream(KIND_TRADE, [1, 3, 3, 3, 7, 9], chunk=2)
    book = _stream(KIND_DEPTH, [0, 3, 3, 5, 9, 9, 12], chunk=3)

    merged = EventBatch.concat(merge_by_ts([trades, book]))

    assert merged.ts_exch_ns.tolist() == [0, 1, 3, 3, 3, 3, 3, 5, 7, 9, 9, 9, 12]
    kinds = merged.kind.tolist()
    assert kinds[2:7] == [KIND_TRADE] * 3 + [KIND_DEPTH] * 2
    assert kinds[9:12] == [KIND_TRADE, KIND_DEPTH, KIND_DEPTH]
    # each stream keeps its own order
    assert merged.price_ticks[merged.kind == KIND_DEPTH].tolist() == list(range(7))


def test_merge_one_empty_stream_passes_other_through() -> None:
    book = _stream(KIND_DEPTH, [1, 2, 2, 4], chunk=1)

    merged = EventBatch.concat(merge_by_ts([[], book]))

    assert np.array_equal(merged.ts_exch_ns, [1, 2, 2, 4])
