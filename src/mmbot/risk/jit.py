"""The numba decorator of the risk gate's compiled twin (fused.py), for the fused replay.

One unit for the whole package, like the strategy's (strategy/jit.py): its machine code caches
on disk under a hash of every module of this package (mmbot.data.jit_cache explains why a hash
of all of them), so an edit anywhere here means one fresh compile.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Final, TypeVar

from mmbot.data.jit_cache import cached_njit

F = TypeVar("F", bound=Callable[..., object])

_SOURCES: Final = tuple(sorted(Path(__file__).parent.glob("*.py")))
_COMPILED = cached_njit(_SOURCES)
_COMPILED_INLINE = cached_njit(_SOURCES, inline="always")


def compiled(func: F) -> F:
    """Return func compiled by numba (no fast-math: the same bits as the Python gate)."""
    return _COMPILED(func)


def compiled_inline(func: F) -> F:
    """Return func compiled like compiled(), inlined into its callers by numba: a helper of
    the hot path, which then passes its arrays without reference counting each call."""
    return _COMPILED_INLINE(func)
