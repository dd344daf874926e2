"""The one progress bar of long commands (backtest, walk-forward, synth, import), on stderr.

Library code never sees rich: it is handed `bar.start` / `bar.advance` (the wf_exec.Ticker
protocol, or a `Callable[[int], None]` told of rows done). The bar shows the count, the
rate in its unit per second and, when the total is known, the time left. It draws only when
stderr is a terminal and --quiet is off; otherwise every call is a no-op.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

QuietOption = Annotated[bool, typer.Option("--quiet", help="No progress bar.")]


class _RateColumn(ProgressColumn):
    """`12,345 events/s`: the bar's speed in its unit."""

    def __init__(self, unit: str) -> None:
        super().__init__()
        self._unit = unit

    def render(self, task: Task) -> Text:
        # rich's speed needs two samples; a run done in one chunk shows its average instead.
        speed = task.finished_speed or task.speed
        if speed is None and task.completed and task.elapsed:
            speed = task.completed / task.elapsed
        shown = "-" if speed is None else f"{speed:,.0f}"
        return Text(f"{shown} {self._unit}/s")


class ProgressBar:
    """One bar: told the total once it is known, then of each unit done."""

    def __init__(self, progress: Progress, description: str) -> None:
        self._progress = progress
        self._task = progress.add_task(description, total=None)

    def start(self, total: int) -> None:
        """Set the total (ETA appears once it is known)."""
        self._progress.update(self._task, total=total)

    def advance(self, count: int = 1) -> None:
        """Count count more units done."""
        self._progress.advance(self._task, count)


@contextmanager
def progress_bar(
    description: str, unit: str, quiet: bool, total: int | None = None
) -> Iterator[ProgressBar]:
    """Yield a bar on stderr, drawn only on a terminal and without quiet."""
    console = Console(stderr=True)
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _RateColumn(unit),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        disable=quiet or not console.is_terminal,
    ) as progress:
        bar = ProgressBar(progress, description)
        if total is not None:
            bar.start(total)
        yield bar
