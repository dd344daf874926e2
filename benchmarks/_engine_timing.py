"""Timing probes for a real Engine: per-call nanoseconds without editing the engine.

A probe replaces one callable the engine reaches through an attribute (an instance method, a
collaborator's method, a leg's strategy) with a wrapper that appends the call's
perf_counter_ns duration to a list. Each probe costs ~0.1 us per call on top of what it
measures, so the component breakdown is taken in its own pass, not in the headline one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from mmbot.engine.loop import Engine

_NS_PER_US = 1e3


def timed(func: Callable[..., Any], sink: list[int]) -> Callable[..., Any]:
    """Return func wrapped to append each call's duration (ns) to sink."""
    clock = time.perf_counter_ns
    append = sink.append

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started_ns = clock()
        result = func(*args, **kwargs)
        append(clock() - started_ns)
        return result

    return wrapper


class _Probed:
    """Stand-in for a __slots__ collaborator: timed methods set here, the rest forwarded."""

    def __init__(self, target: object) -> None:
        self._target = target

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target, name)


def probe_components(engine: Engine) -> dict[str, list[int]]:
    """Wrap the engine's per-step collaborators; return component name -> durations (ns).

    Every symbol's venue and risk gate and every leg's order manager and strategy are probed;
    a component's durations pool the calls of all of them.
    """
    sinks: dict[str, list[int]] = {}

    def sink(name: str) -> list[int]:
        return sinks.setdefault(name, [])

    def probe(target: object, names: tuple[str, ...]) -> None:
        for name in names:
            setattr(target, name, timed(getattr(target, name), sink(name)))

    for book in engine.books:
        probe(book.venue, ("run_until", "reports", "market_view"))
        for leg in book.legs:
            probe(leg.orders, ("open_orders", "plan"))
            leg.decide = timed(leg.decide, sink("decide"))
        risk = _Probed(book.risk)
        probe(risk, ("after_step", "check"))
        book.risk = risk  # type: ignore[assignment]
    allocator = _Probed(engine.allocator)
    allocator.update = timed(engine.allocator.update, sink("allocator"))  # type: ignore[attr-defined]
    engine.allocator = allocator  # type: ignore[assignment]
    for name in ("_apply", "_send"):
        setattr(engine, name, timed(getattr(engine, name), sink(name.lstrip("_"))))
    return sinks


def quantiles_us(durations_ns: list[int] | npt.NDArray[np.int64]) -> dict[str, float]:
    """Return mean, p50, p99 and p999 of durations in microseconds."""
    values = np.asarray(durations_ns, dtype=np.float64) / _NS_PER_US
    if len(values) == 0:
        return {"mean": 0.0, "p50": 0.0, "p99": 0.0, "p999": 0.0}
    p50, p99, p999 = np.percentile(values, (50, 99, 99.9))
    return {"mean": float(values.mean()), "p50": float(p50), "p99": float(p99), "p999": float(p999)}
