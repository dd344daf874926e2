"""Rows-done callbacks for long data jobs (synth, import): how a shell draws progress.

The data layer knows nothing of terminals; a caller hands in a `RowsDone` and is told of the
rows of each batch as it goes by.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from mmbot.data.batch import EventBatch

RowsDone = Callable[[int], None]


def reporting(batches: Iterable[EventBatch], on_rows: RowsDone | None) -> Iterator[EventBatch]:
    """Yield batches unchanged, telling on_rows (when given) the rows of each one."""
    for batch in batches:
        yield batch
        if on_rows is not None:
            on_rows(len(batch))
