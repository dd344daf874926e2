"""Walk-forward building blocks: the grid, the windows, and the task every executor runs.

A task is one config evaluated over one window of a symbol's event files. It carries the
file paths and the window bounds, not events: a worker reads only the row groups the window
needs (data.windows), so its memory follows the window, not the data set. A window that
starts mid-data opens with a snapshot of the book as it stood just before the window;
without it the simulated book would start empty and fill only as levels happen to update.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final, Literal, NoReturn, get_origin

import numpy as np
import yaml
from pydantic import BaseModel

from mmbot.audit import to_bps
from mmbot.backtest.wiring import EngineFactory
from mmbot.config import MmConfig, validate_document
from mmbot.core.errors import MmError, UsageError
from mmbot.data import EventBatch
from mmbot.data.windows import WindowReader

NS_PER_S: Final = 1_000_000_000
Figures = dict[str, float | int]
GridValue = bool | int | float | str | None

# Every objective is a figure of `evaluate`, maximised; ties go to the lower grid index.
OBJECTIVES: Final[dict[str, str]] = {
    "net_bps": "net_usd per traded notional in bps (0 without fills)",
    "net_usd": "cash plus the position marked at the window's last mid, USD",
    "net_usd_per_inventory_lot": "net_usd / max(1, max_abs_inventory_lots)",
}


@dataclass(frozen=True, slots=True)
class GridPoint:
    """One point of the parameter grid: its overrides (in --grid order) and the config."""

    index: int
    overrides: tuple[tuple[str, GridValue], ...]
    config: MmConfig

    def label(self) -> str:
        """Return the overrides as `key=value` pairs, space separated (`base` when none)."""
        return " ".join(f"{key}={show_grid_value(v)}" for key, v in self.overrides) or "base"


@dataclass(frozen=True, slots=True)
class Fold:
    """Train on [train_start_ns, test_start_ns), test on [test_start_ns, test_end_ns)."""

    index: int
    train_start_ns: int
    test_start_ns: int
    test_end_ns: int


@dataclass(frozen=True, slots=True)
class Task:
    """One config over one exchange-time window of a symbol's event files (in time order),
    run by make_engine's engine (a module-level function: it pickles by reference to a
    worker)."""

    config: MmConfig
    data_paths: tuple[str, ...]
    data_sha256: str
    start_ns: int
    stop_ns: int
    make_engine: EngineFactory


@dataclass(frozen=True, slots=True)
class Failure:
    """An MmError raised in a worker, as a value: MmError itself does not survive pickling."""

    error_type: type[MmError]
    code: str
    detail: str

    def reraise(self) -> NoReturn:
        """Raise the worker's error in this process."""
        raise self.error_type(self.code, self.detail)


def show_grid_value(value: GridValue) -> str:
    """Return a grid value as it would be typed on the command line."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else str(value)


def _field_annotation(dotted: str) -> object:
    """Return the schema annotation of a dotted key, or None when the schema has no such key."""
    model: type[BaseModel] = MmConfig
    parts = dotted.split(".")
    for depth, part in enumerate(parts):
        field = model.model_fields.get(part)
        if field is None:
            return None
        annotation = field.annotation
        if depth == len(parts) - 1:
            return annotation
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return None
        model = annotation
    return None


def _parse_value(annotation: object, text: str) -> GridValue:
    """Return text as the field's type; anything else is read as YAML would read it."""
    if annotation is float or annotation is int:
        try:
            number = float(text) if annotation is float else int(text)
        except ValueError:
            number = None
        if number is not None and math.isfinite(number):
            return number
    elif annotation is str or get_origin(annotation) is Literal:
        return text
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    return loaded if isinstance(loaded, bool | int | float | str) or loaded is None else text


def parse_grid(specs: Sequence[str]) -> list[tuple[str, list[GridValue]]]:
    """Return the axes of `--grid key=v1,v2` options: (dotted key, values) in option order."""
    axes: list[tuple[str, list[GridValue]]] = []
    for spec in specs:
        key, sep, raw = spec.partition("=")
        key = key.strip()
        texts = [text.strip() for text in raw.split(",")]
        if not sep or not all(key.split(".")) or not all(texts):
            raise UsageError(
                "E_WF_GRID", f"grid={spec!r} expected=section.key=value[,value...] (no empties)"
            )
        if key in (axis_key for axis_key, _ in axes):
            raise UsageError("E_WF_GRID", f"grid key={key} given twice; list its values once")
        annotation = _field_annotation(key)
        values = [_parse_value(annotation, text) for text in texts]
        shown = [show_grid_value(v) for v in values]
        if len(set(shown)) != len(shown):
            raise UsageError("E_WF_GRID", f"grid key={key} values={raw} repeat a value")
        axes.append((key, values))
    return axes


def _set_dotted(document: dict[str, object], key: str, value: GridValue) -> None:
    node = document
    *sections, leaf = key.split(".")
    for part in sections:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise UsageError("E_WF_GRID", f"grid key={key}: {part} holds a value, not a section")
        node = child
    node[leaf] = value


def grid_points(base: MmConfig, specs: Sequence[str], source: str) -> list[GridPoint]:
    """Return the cartesian product of the --grid axes, each re-validated by the schema.

    The first axis varies slowest. A bad key or value raises the same E_CFG_* line a
    config file with that value would.
    """
    axes = parse_grid(specs)
    keys = [key for key, _ in axes]
    points = []
    for index, values in enumerate(itertools.product(*(vals for _, vals in axes))):
        document = base.model_dump()
        overrides = tuple(zip(keys, values, strict=True))
        for key, value in overrides:
            _set_dotted(document, key, value)
        label = " ".join(f"{k}={show_grid_value(v)}" for k, v in overrides)
        config = validate_document(document, f"{source} + --grid {label}")
        points.append(GridPoint(index, overrides, config))
    return points


def split_windows(
    first_ts_ns: int, last_ts_ns: int, train_ns: int, test_ns: int, step_ns: int
) -> list[Fold]:
    """Return the folds whose train and test windows both lie inside [first, last] event."""
    for name, value_ns in (("train_s", train_ns), ("test_s", test_ns), ("step_s", step_ns)):
        if value_ns <= 0:
            raise UsageError("E_WF_WINDOW", f"{name}={value_ns / NS_PER_S:g} expected=>0")
    folds: list[Fold] = []
    while True:
        train_start_ns = first_ts_ns + len(folds) * step_ns
        test_end_ns = train_start_ns + train_ns + test_ns
        if test_end_ns > last_ts_ns + 1:
            break
        folds.append(Fold(len(folds), train_start_ns, train_start_ns + train_ns, test_end_ns))
    if not folds:
        span_s = (last_ts_ns - first_ts_ns) / NS_PER_S
        raise UsageError(
            "E_WF_WINDOW",
            f"train_s+test_s={(train_ns + test_ns) / NS_PER_S:g} expected=<={span_s:.6f} "
            "(the data's span by exchange time)",
        )
    return folds


def evaluate(cfg: MmConfig, events: EventBatch, make_engine: EngineFactory) -> Figures:
    """Run make_engine's engine over events; return its fills, notional, net (USD and bps),
    inventory."""
    figures: Figures = {
        "events": len(events),
        "fills": 0,
        "max_abs_inventory_lots": 0,
        "net_bps": 0.0,
        "net_usd": 0.0,
        "net_usd_per_inventory_lot": 0.0,
        "notional_usd": 0.0,
    }
    if len(events) == 0:
        return figures
    engine = make_engine(cfg, events)
    engine.run()
    ledger, mids_x2 = engine.ledger, engine.record.mid_ticks_x2
    final_mid_usd = 0.5 * mids_x2[-1] * cfg.instrument.tick_size if mids_x2 else 0.0
    net_usd = ledger.pnl_usd(final_mid_usd)
    notional_usd = ledger.notional_usd
    fills = ledger.fill_log()
    inventory_lots = np.cumsum(fills.side * fills.qty_lots)
    max_abs_inventory_lots = int(np.abs(inventory_lots).max()) if len(fills) else 0
    figures.update(
        fills=len(fills),
        max_abs_inventory_lots=max_abs_inventory_lots,
        net_bps=to_bps(net_usd, notional_usd),
        net_usd=net_usd,
        net_usd_per_inventory_lot=net_usd / max(1, max_abs_inventory_lots),
        notional_usd=notional_usd,
    )
    return figures


@lru_cache(maxsize=1)
def _reader(data_paths: tuple[str, ...], data_sha256: str) -> WindowReader:
    # data_sha256 is part of the key so a long-lived (Ray) worker rereads files that changed.
    return WindowReader([Path(path) for path in data_paths])


@lru_cache(maxsize=1)
def _window(
    data_paths: tuple[str, ...], data_sha256: str, start_ns: int, stop_ns: int
) -> EventBatch:
    # Tasks go out window by window, grid point by grid point: a worker's next task most
    # often runs another point over the window it just read.
    return _reader(data_paths, data_sha256).window(start_ns, stop_ns)


def run_task(task: Task) -> Figures | Failure:
    """Evaluate one task in a worker; an MmError comes back as a Failure value."""
    try:
        window = _window(task.data_paths, task.data_sha256, task.start_ns, task.stop_ns)
        return evaluate(task.config, window, task.make_engine)
    except MmError as exc:
        return Failure(type(exc), exc.code, exc.detail)
