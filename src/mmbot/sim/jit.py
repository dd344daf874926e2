"""The numba decorators of the simulator.

Every function compiled here caches its machine code on disk (a second process skips
compilation) under a directory named by a sha256 of every module of this package plus
data/schema.py, whose constants the compiled code freezes: the compiled loop links functions
of several modules together, and numba alone would only notice edits to a function's own
file (mmbot.data.jit_cache explains). Editing any of them means one fresh compile, which
bound_entry announces on stderr.

Only numba's public options are used. numba reference-counts arrays, which is why the
per-event code passes arrays rather than the SimState tuple (docs/SIM.md, implementation notes).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, TypeVar, cast

from numba.core.event import Event, Listener, install_listener

from mmbot.data import schema
from mmbot.data.jit_cache import cached_njit

F = TypeVar("F", bound=Callable[..., object])

COMPILING_NOTICE: Final = "compiling the simulator (first run, ~1 min; cached after)"

_SOURCES: Final = (*sorted(Path(__file__).parent.glob("*.py")), Path(schema.__file__))
_COMPILED = cached_njit(_SOURCES)
_COMPILED_INLINE = cached_njit(_SOURCES, inline="always")


def compiled(func: F) -> F:
    """Compile a simulator function (called, not inlined)."""
    return _COMPILED(func)


def compiled_inline(func: F) -> F:
    """Compile a small hot-path function that numba inlines into its callers."""
    return _COMPILED_INLINE(func)


class _CompileNotice(Listener):
    """Print COMPILING_NOTICE on stderr as numba starts compiling, once per process."""

    announced = False  # class-wide: one notice per process, however many entries compile

    def on_start(self, event: Event) -> None:
        if not _CompileNotice.announced:
            _CompileNotice.announced = True
            print(COMPILING_NOTICE, file=sys.stderr, flush=True)

    def on_end(self, event: Event) -> None:
        """Nothing to say when it ends."""


def bound_entry(dispatcher: Any, *example_args: object) -> Callable[..., Any]:
    """Return the compiled entry point for the argument types of example_args.

    Calling a numba dispatcher re-derives the type of every argument on every call; for the
    simulator's state tuple of ~20 arrays that costs ~2 us, more than a decision step's work.
    The entry point of one fixed signature skips that lookup (~0.4 us per call). Loading it
    from the disk cache is silent; compiling it (a cache miss) first prints COMPILING_NOTICE.
    """
    signature = tuple(dispatcher.typeof_pyval(arg) for arg in example_args)
    with install_listener("numba:compile", _CompileNotice()):
        dispatcher.compile(signature)
    return cast(Callable[..., Any], dispatcher.overloads[signature].entry_point)
