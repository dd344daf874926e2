"""Where numba caches mmbot's compiled code: a directory named by the sources it was built from.

numba keys a cached function on the timestamp of its own source file only. But a compiled
function carries the machine code of the compiled functions it calls in other modules (numba
inlines or links them in) and the module-level constants it reads, frozen at compile time
(the event kinds of data/schema.py). Editing sim/matching.py would leave sim/engine.py's
cached entry point running the old matching code until the cache was deleted.

So each compiled unit (the simulator, the synthetic market) names all its source files, and
its functions cache under `numba-<unit>-<sha256 of those files>` (unit: the folder of its
first source, e.g. `sim`): an edit to any of them is a new directory, hence a fresh compile.
numba reads its public setting `numba.config.CACHE_DIR` (the NUMBA_CACHE_DIR variable) once,
when a function is decorated; it points at that directory only while the unit's functions are
decorated, so other numba code in the process keeps its own cache. The directory sits in the
unit's `__pycache__`, or under NUMBA_CACHE_DIR when that is set. The directories of the unit's
older sources are deleted when its functions are decorated (a checkout edited many times would
otherwise keep one per edit); a process still running older code then only loses the chance
to cache, never its loaded code.
"""

from __future__ import annotations

import functools
import hashlib
import re
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar, cast

import numba
from numba import njit

F = TypeVar("F", bound=Callable[..., object])

# numba.config sets CACHE_DIR from the environment at import; no type stub declares it.
_NUMBA_CONFIG: Any = numba.config

# 16 hex digits (64 bits) tell apart every version of the sources a checkout will see.
_DIGEST_CHARS = 16


def sources_digest(sources: Sequence[Path]) -> str:
    """Return the sha256 (hex) of the files' names and bytes, in sorted order."""
    digest = hashlib.sha256()
    for path in sorted(sources):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def cache_dir_for(sources: Sequence[Path]) -> Path:
    """Return the cache directory of a unit built from sources (the first one places it)."""
    user_dir = _NUMBA_CONFIG.CACHE_DIR
    base = Path(user_dir) if user_dir else sources[0].parent / "__pycache__"
    unit = sources[0].parent.name
    return base / f"numba-{unit}-{sources_digest(sources)[:_DIGEST_CHARS]}"


def prune_stale_caches(cache_dir: Path) -> list[Path]:
    """Delete the directories of the same unit's other sources beside cache_dir (and those of
    the unit-less naming of earlier versions); return what was deleted."""
    unit = cache_dir.name.rsplit("-", 1)[0]  # numba-<unit>
    stale_name = re.compile(rf"({re.escape(unit)}|numba)-[0-9a-f]{{{_DIGEST_CHARS}}}")
    if not cache_dir.parent.is_dir():
        return []
    stale = [
        path for path in cache_dir.parent.iterdir()
        if path != cache_dir and path.is_dir() and stale_name.fullmatch(path.name)
    ]  # fmt: skip
    for path in stale:
        shutil.rmtree(path, ignore_errors=True)
    return stale


@functools.cache
def _prepared_cache_dir(sources: tuple[Path, ...]) -> str:
    """Return the unit's cache directory, its older ones pruned: once per unit and process,
    however many decorators (plain, inlined) the unit makes."""
    cache_path = cache_dir_for(sources)
    prune_stale_caches(cache_path)
    return str(cache_path)


def cached_njit(sources: Sequence[Path], **options: Any) -> Callable[[F], F]:
    """Return a decorator: numba's njit(cache=True, **options), cached in cache_dir_for(sources).

    sources must list every file whose code or constants the unit's compiled functions use.
    """
    cache_dir = _prepared_cache_dir(tuple(sources))
    compile_cached = njit(cache=True, **options)

    def decorate(func: F) -> F:
        user_cache_dir = _NUMBA_CONFIG.CACHE_DIR
        _NUMBA_CONFIG.CACHE_DIR = cache_dir
        try:
            return cast(F, compile_cached(func))
        finally:
            _NUMBA_CONFIG.CACHE_DIR = user_cache_dir

    return decorate
