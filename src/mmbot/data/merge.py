"""Merge event streams that are each in ts_exch_ns order into one, chunk by chunk.

Theory of operation: each stream keeps a buffer. The watermark is the smallest last
timestamp among the buffers of streams that are not exhausted; every buffered event
strictly older than it can be emitted, because no stream can still deliver anything
older. Events at the watermark wait, so ties are ordered across chunk boundaries too:
on equal timestamps, earlier streams come first. Then the streams that set the watermark
are pulled again. Memory is a few chunks, whatever the file sizes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from mmbot.data.batch import EventBatch


def _merge_sorted(parts: Sequence[EventBatch]) -> EventBatch:
    """Return parts (each sorted) as one batch sorted by ts; ties keep part order."""
    filled = [part for part in parts if len(part)]
    if len(filled) <= 1:
        return filled[0] if filled else EventBatch.empty()
    joined = EventBatch.concat(filled)
    return joined.take(np.argsort(joined.ts_exch_ns, kind="stable"))


def merge_by_ts(streams: Sequence[Iterable[EventBatch]]) -> Iterator[EventBatch]:
    """Yield the events of streams in ts_exch_ns order; on ties earlier streams go first."""
    sources = [iter(stream) for stream in streams]
    buffers = [EventBatch.empty() for _ in sources]
    live = [True for _ in sources]

    def pull(index: int) -> None:
        while live[index]:
            batch = next(sources[index], None)
            if batch is None:
                live[index] = False
            elif len(batch):
                buffers[index] = EventBatch.concat([buffers[index], batch])
                return

    for index in range(len(sources)):
        pull(index)
    while any(live):
        watermark = min(int(buffers[i].ts_exch_ns[-1]) for i in range(len(sources)) if live[i])
        ready = []
        for index, buffer in enumerate(buffers):
            cut = int(np.searchsorted(buffer.ts_exch_ns, watermark, side="left"))
            ready.append(buffer.slice(0, cut))
            buffers[index] = buffer.slice(cut, len(buffer))
        merged = _merge_sorted(ready)
        if len(merged):
            yield merged
        for index in range(len(sources)):
            if live[index] and int(buffers[index].ts_exch_ns[-1]) == watermark:
                pull(index)
    merged = _merge_sorted(buffers)
    if len(merged):
        yield merged
