"""Whole-run fingerprints of an engine: everything a run leaves, to compare two runs exactly.

The fused replay must leave the engine exactly as the engine's own loop does; a fingerprint
walks every object the run touched (records, ledger, orders, risk gate, strategy state,
allocator, port, clock) down to plain values, floats by their exact repr.
"""

from __future__ import annotations

import enum
from array import array
from typing import Any

import numpy as np

from mmbot.engine.loop import Engine

# Scratch of the last risk check and caches (rebuilt on the next read, to the same values):
# they hold nothing a later step reads unchanged.
_GATE_SCRATCH = frozenset({"_exposure", "_orders_left", "_replaced_in_batch", "_settled_ctx",
                           "_settled_limit_lots", "_params"})  # fmt: skip
_ORDER_CACHES = frozenset({"_open", "_resting_lots"})


def plain(value: Any, depth: int = 0) -> Any:
    """Return value as nested tuples of plain values (floats by repr: NaN equals NaN)."""
    if depth > 12:
        raise RecursionError("object graph too deep for a fingerprint")
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, (float, enum.Enum, np.ndarray, array, np.generic)):
        return _leaf(value)
    if isinstance(value, dict):
        return ("d", tuple((plain(k, depth + 1), plain(v, depth + 1)) for k, v in value.items()))
    if isinstance(value, (set, frozenset)):
        return ("s", tuple(sorted(repr(plain(v, depth + 1)) for v in value)))
    if isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):
        return (type(value).__name__, tuple(plain(v, depth + 1) for v in value))
    return (type(value).__name__, tuple((name, plain(v, depth + 1)) for name, v in fields(value)))


def _leaf(value: float | enum.Enum | np.ndarray | array[Any] | np.generic) -> Any:
    if isinstance(value, enum.Enum):
        return (type(value).__name__, value.name)
    if isinstance(value, float):
        return ("f", repr(value))
    if isinstance(value, np.generic):
        return plain(value.item())
    arr = np.asarray(value)
    return ("a", str(arr.dtype), arr.shape, arr.tobytes())


def fields(obj: Any) -> list[tuple[str, Any]]:
    """Return an object's attributes by name (slots of every class, __dict__, NamedTuple)."""
    if hasattr(obj, "_fields"):
        return [(name, getattr(obj, name)) for name in obj._fields]
    names: list[str] = []
    for cls in type(obj).__mro__:
        names.extend(getattr(cls, "__slots__", ()))
    names.extend(getattr(obj, "__dict__", {}))
    return [(name, getattr(obj, name)) for name in sorted(set(names)) if hasattr(obj, name)]


def fingerprint(engine: Engine) -> dict[str, Any]:
    """Return everything a finished one-leg run left in the engine, part by part."""
    book, leg = engine.books[0], engine.legs[0]
    port = book.venue
    gate = [(name, v) for name, v in fields(book.risk) if name not in _GATE_SCRATCH]
    orders = [(name, v) for name, v in fields(leg.orders) if name not in _ORDER_CACHES]
    return {
        "record": plain(book.record),
        "ledger": plain(leg.ledger),
        "ledger_fills": plain(leg.ledger.fill_log()),
        "orders": plain(orders),
        "open_orders": plain((leg.orders.open_orders(), leg.orders.resting_lots())),
        "gate": plain(gate),
        "strategy": plain(leg.state),
        "allocator": plain(engine.allocator),
        "values": plain(engine.values()),
        "engine": plain([(name, getattr(engine, name)) for name in (
            "cost_fillrate_ewma", "_episodes_closed", "_next_alloc_ns", "_day", "_budget_usd")]),
        "book": plain((book.mid_usd, book.view, book.day, leg.budget_lots, leg.weight)),
        "port": plain([(name, getattr(port, name)) for name in (
            "_ref_mid_x2", "_exch_mid_x2", "_fills_reported", "_placing", "_filled")]),
        "venue_fills": plain(port.venue.fill_log()),
        "clock": engine.clock.now_ns(),
    }  # fmt: skip


def differing_parts(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """Return the names of the parts two fingerprints disagree on."""
    return [name for name in a if a[name] != b[name]]
