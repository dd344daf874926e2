"""The numba decorator of the engine's compiled parts (fused_orders.py: the order manager's and
the ledger's compiled twin).

One unit for the whole package, like the simulator's (sim/jit.py): its machine code caches on
disk under a hash of every module of this package and of core/events.py and core/types.py,
whose event kinds and sides the compiled code freezes (mmbot.data.jit_cache explains why a
hash of all of them), so an edit to any of them means one fresh compile.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Final, TypeVar

from mmbot.core import events, types
from mmbot.data.jit_cache import cached_njit

F = TypeVar("F", bound=Callable[..., object])

_SOURCES: Final = (
    *sorted(Path(__file__).parent.glob("*.py")),
    Path(events.__file__),
    Path(types.__file__),
)
_COMPILED = cached_njit(_SOURCES)


def compiled(func: F) -> F:
    """Return func compiled by numba (no fast-math: the same bits as the Python function)."""
    return _COMPILED(func)
