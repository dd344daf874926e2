"""The numba decorators of the simulator.

numba reference-counts every array it pulls out of the SimState tuple; on branchy code that
costs atomic operations worth ten times the work of a book update. The compiled simulator
never allocates: every array is owned by the Python-side SimState for the whole call. So
reference counting is switched off (numba's _nrt=False); an allocation inside would fail to
compile rather than leak. cache=True lets a second process skip compilation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from numba import njit

F = TypeVar("F", bound=Callable[..., object])

# _nrt is a keyword numba accepts but does not declare in its type stubs.
_NO_REFCOUNT: dict[str, Any] = {"_nrt": False}
_COMPILED = njit(cache=True, **_NO_REFCOUNT)
_COMPILED_INLINE = njit(cache=True, inline="always", **_NO_REFCOUNT)


def compiled(func: F) -> F:
    """Compile a simulator function (called, not inlined)."""
    return cast(F, _COMPILED(func))


def compiled_inline(func: F) -> F:
    """Compile a small hot-path function that numba inlines into its callers."""
    return cast(F, _COMPILED_INLINE(func))


def bound_entry(dispatcher: Any, *example_args: object) -> Callable[..., Any]:
    """Return the compiled entry point for the argument types of example_args.

    Calling a numba dispatcher re-derives the type of every argument on every call; for the
    simulator's state tuple of ~20 arrays that costs ~2 us, more than a decision step's work.
    The entry point of one fixed signature skips that lookup (~0.4 us per call).
    """
    signature = tuple(dispatcher.typeof_pyval(arg) for arg in example_args)
    dispatcher.compile(signature)
    return cast(Callable[..., Any], dispatcher.overloads[signature].entry_point)
