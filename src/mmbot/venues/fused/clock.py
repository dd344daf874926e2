"""A monotonic clock compiled code can read, for benchmarks/bench_decide.py's per-point times.

The fused loop reads it only when asked to time its points (E_TIMED); no decision ever reads
it. numba calls libc's clock_gettime as an external symbol resolved when the code is linked
(a ctypes pointer would keep the loop out of numba's disk cache), filling a 2-slot buffer
(seconds, nanoseconds) whose address is passed as an integer (a pointer on every 64-bit ABI
numba runs on); ~25 ns a read.
"""

from __future__ import annotations

from typing import Any, Final

from numba import types

from mmbot.sim.state import I64
from mmbot.venues.fused.jit import compiled

_CLOCK_MONOTONIC: Final = 1  # Linux's clock id
_clock_gettime: Any = types.ExternalFunction("clock_gettime", types.int32(types.int32, types.intp))


@compiled
def monotonic_ns(timespec: I64) -> int:
    """Return the monotonic clock in ns (timespec: a 2-slot scratch the call fills)."""
    _clock_gettime(_CLOCK_MONOTONIC, timespec.ctypes.data)
    return int(timespec[0] * 1_000_000_000 + timespec[1])
