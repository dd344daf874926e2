"""The fused loop's disk cache is keyed by every module whose code it compiles in, and the
loop allocates nothing per decision point.

numba links the compiled functions a compiled function calls (and inlines the plain ones it
may call: register_jitable) into its machine code, and the fused loop calls into sim/,
strategy/, risk/ and engine/ (directly and through parts.py): an edit to any of those
modules must change the cache directory of the loop's unit (venues/fused/jit.py), or the
loop would keep running the old code (mmbot.data.jit_cache). This walks every function the
loop can reach and checks its module is a source, and that none calls an allocating
function (issue 20: no allocation per decision; buffers are grown from Python between calls).
"""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import numpy as np
from numba.core.dispatcher import Dispatcher

from mmbot.venues.fused import jit, loop


def _reachable(entry: Dispatcher) -> set[types.FunctionType]:
    """Return the Python functions behind everything entry's compiled code calls."""
    seen: set[types.FunctionType] = set()
    todo = [entry.py_func]
    while todo:
        func = todo.pop()
        if func in seen:
            continue
        seen.add(func)
        todo.extend(_callees(func))
    return seen


def _callees(func: types.FunctionType) -> list[types.FunctionType]:
    """Return the functions of mmbot that func's code names: a compiled function can only
    call compiled ones and the plain ones numba compiles in."""
    names = set(_names(func.__code__))
    scope = func.__globals__
    candidates: list[Any] = [scope[name] for name in names if name in scope]
    for module in [value for value in scope.values() if isinstance(value, types.ModuleType)]:
        candidates.extend(getattr(module, name) for name in names if hasattr(module, name))
    found = []
    for candidate in candidates:
        target = candidate.py_func if isinstance(candidate, Dispatcher) else candidate
        if isinstance(target, types.FunctionType) and target.__module__.startswith("mmbot."):
            found.append(target)
    return found


def _names(code: types.CodeType) -> list[str]:
    names = list(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names.extend(_names(const))
    return names


def test_every_module_the_loop_compiles_in_is_a_source_of_its_cache() -> None:
    reached = _reachable(loop.run_points)
    modules = {Path(sys.modules[func.__module__].__file__ or "") for func in reached}
    assert len(reached) > 100  # the walk reaches the twins and the simulator, not one level
    assert Path(sys.modules["mmbot.strategy.intensity"].__file__ or "") in modules  # jitable
    assert {path.parent.name for path in modules} >= {"sim", "strategy", "risk", "engine"}
    assert modules <= set(jit._SOURCES), sorted(str(p) for p in modules - set(jit._SOURCES))


# What allocates on the heap in compiled code (numpy constructors, containers, copies).
_ALLOCATING = frozenset({
    "zeros", "empty", "ones", "full", "array", "arange", "zeros_like", "empty_like", "copy",
    "concatenate", "tolist", "list", "dict", "set", "sorted", "append", "extend", "List", "Dict",
})  # fmt: skip


def _allocating(func: types.FunctionType) -> set[str]:
    return set(_names(func.__code__)) & _ALLOCATING


def test_nothing_the_loop_runs_allocates() -> None:
    offenders = {func.__qualname__: _allocating(func) for func in _reachable(loop.run_points)}
    assert {name: calls for name, calls in offenders.items() if calls} == {}


def test_the_allocation_check_sees_an_allocation() -> None:
    def grows(rows: Any) -> Any:
        return np.zeros(2 * len(rows))

    assert _allocating(grows) == {"zeros"}
