"""Put the messages of a recording into exchange order, in bounded memory.

A recording is in arrival order, and the venue's streams arrive at different delays: depth
diffs are pushed at the end of their ~50 ms batch, bookTicker and trades at once. The event
file is in exchange order, and the book must be rebuilt in update-id order (a ticker belongs
between the diffs whose ids surround its own), so messages wait in a heap for `window_ns` of
local time and leave it by key:

    (ts_ns, 0, trade id, ...)                 trades, first among messages of one ts
    (ts_ns, 1, update id, kind rank, ...)     book messages: snapshot, diff, ticker

Binance stamps book messages with the transaction time of their update id, so this key puts
them in update-id order (the importer's checks would fail if it did not). A message whose
key is below one already released arrived more than the window late: `push` refuses it.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from typing import Final

from mmbot.data.stream_messages import MessageKind, StreamMessage

WINDOW_NS: Final = 1_000_000_000
_Key = tuple[int, int, int, int, int]


def _key(message: StreamMessage, sequence: int) -> _Key:
    is_book = int(message.kind != MessageKind.TRADE)
    return (message.ts_ns, is_book, message.update_id, int(message.kind), sequence)


class ExchangeOrder:
    """A heap of messages released in exchange order once window_ns of local time passed."""

    def __init__(self, window_ns: int = WINDOW_NS) -> None:
        self.window_ns = window_ns
        self._heap: list[tuple[_Key, StreamMessage]] = []
        self._sequence = 0
        self._released: _Key | None = None
        self._newest_local_ns: int | None = None

    def push(self, message: StreamMessage) -> bool:
        """Queue a message; return False (and drop it) when it is too late to be in order."""
        key = _key(message, self._sequence)
        self._sequence += 1
        if self._released is not None and key < self._released:
            return False
        heapq.heappush(self._heap, (key, message))
        if self._newest_local_ns is None or message.local_ns > self._newest_local_ns:
            self._newest_local_ns = message.local_ns
        return True

    def ready(self) -> Iterator[StreamMessage]:
        """Yield, in key order, the messages that arrived window_ns before the newest one."""
        if self._newest_local_ns is None:
            return
        horizon_ns = self._newest_local_ns - self.window_ns
        while self._heap and self._heap[0][1].local_ns <= horizon_ns:
            yield self._pop()

    def drain(self) -> Iterator[StreamMessage]:
        """Yield every queued message in key order (the recording has ended)."""
        while self._heap:
            yield self._pop()

    def _pop(self) -> StreamMessage:
        key, message = heapq.heappop(self._heap)
        self._released = key
        return message
