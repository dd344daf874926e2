"""The numba decorator of the fused replay: one cached unit over every module it compiles in.

The fused loop carries the machine code of the simulator, the strategy's, the risk gate's and
the order manager's compiled twins (numba links callees into their caller), so its cache is
keyed by all of their sources (mmbot.data.jit_cache explains): an edit to any of them means
one fresh compile of the loop.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Final, TypeVar

from mmbot.data import schema
from mmbot.data.jit_cache import cached_njit

F = TypeVar("F", bound=Callable[..., object])

_SRC: Final = Path(__file__).parents[2]  # src/mmbot
_SOURCES: Final = (
    *sorted(Path(__file__).parent.glob("*.py")),  # first: the unit is named "fused"
    *(path for package in ("sim", "strategy", "risk", "engine")
      for path in sorted((_SRC / package).glob("*.py"))),
    Path(schema.__file__),
    _SRC / "core" / "events.py",  # the order event kinds, frozen into the loop
    _SRC / "core" / "types.py",  # BUY / SELL
)  # fmt: skip
_COMPILED = cached_njit(_SOURCES)


def compiled(func: F) -> F:
    """Return func compiled by numba into the fused unit (no fast-math)."""
    return _COMPILED(func)
