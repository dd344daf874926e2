"""Streaming replay: the simulator over events that arrive in chunks, in bounded memory.

The compiled loop reads its events from the state's six columns by two cursors (the venue's,
R_EXCH_CURSOR, and the strategy's, R_LOCAL_CURSOR). Over an EventStream the state holds only
a window of the stream: when a cursor reaches the last loaded event while more are to come,
`advance` returns ST_NEED_EVENTS and `refill` drops the prefix nobody indexes any more (every
event before the lower cursor and before every pinned index, e.g. the trade cursor of the
engine's market view) and appends the next chunk. Books, queues, orders, requests, reports
and the fill log are not touched, so a streamed run is the in-memory run, step for step.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from mmbot.data.batch import EventBatch
from mmbot.data.schema import COLUMNS, KIND_DEPTH, KIND_SNAPSHOT
from mmbot.sim import layout as lo
from mmbot.sim.state import I64, EventArrays, SimState


class EventStream:
    """Events in file order, handed over in chunks (an iterator of EventArrays is read
    lazily: one chunk at a time, when the simulator needs it)."""

    def __init__(self, chunks: Iterable[EventArrays]) -> None:
        self._chunks = iter(chunks)
        self.exhausted = False

    def next_chunk(self) -> EventBatch | None:
        """Return the next chunk as a batch of writable arrays; None once the stream ends."""
        chunk = next(self._chunks, None)
        if chunk is None:
            self.exhausted = True
            return None
        # Owned, writable arrays: the compiled entry points are bound to writable arrays.
        return EventBatch(*(np.array(getattr(chunk, name), dtype=np.int64) for name in COLUMNS))

    def opening(self) -> EventBatch:
        """Return the first chunks, up to and including the first that holds a book level:
        both books' price window is centred on the data's first level (state.new_state)."""
        parts: list[EventBatch] = []
        while (chunk := self.next_chunk()) is not None:
            parts.append(chunk)
            if np.isin(chunk.kind, (KIND_DEPTH, KIND_SNAPSHOT)).any():
                break
        return EventBatch.concat(parts)


@dataclass(slots=True)
class Pins:
    """Event indices held outside the state (an array and a slot each): kept when the
    consumed prefix is dropped, and shifted with it."""

    cells: list[tuple[I64, int]] = field(default_factory=list)

    def add(self, array: I64, slot: int) -> None:
        """Keep the event at index array[slot] (and after) loaded; shift it on refills."""
        self.cells.append((array, slot))

    def lowest(self, start: int) -> int:
        """Return the lowest pinned index, or start when lower."""
        return min([start, *(int(array[slot]) for array, slot in self.cells)])

    def shift(self, dropped: int) -> None:
        """Move every pinned index back by the dropped events."""
        for array, slot in self.cells:
            array[slot] -= dropped


def refill(state: SimState, stream: EventStream, pins: Pins) -> SimState:
    """Return state with the consumed prefix dropped and the stream's next chunk appended;
    at the end of the stream, state with R_MORE_EVENTS cleared (nothing else changes)."""
    regs = state.regs
    chunk = stream.next_chunk()
    if chunk is None:
        regs[lo.R_MORE_EVENTS] = 0
        return state
    keep_from = pins.lowest(int(min(regs[lo.R_EXCH_CURSOR], regs[lo.R_LOCAL_CURSOR])))
    columns = {
        name: np.concatenate((getattr(state, name)[keep_from:], getattr(chunk, name)))
        for name in COLUMNS
    }
    regs[lo.R_EXCH_CURSOR] -= keep_from
    regs[lo.R_LOCAL_CURSOR] -= keep_from
    pins.shift(keep_from)
    return state._replace(**columns)
