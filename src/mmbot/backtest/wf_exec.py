"""Executors for walk-forward tasks: a local process pool (default) or Ray, one task function.

Both run `wf_tasks.run_task` and return results in task order, never completion order, so
a report does not depend on the executor, the worker count or scheduling.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from typing import Any, Literal, Protocol

from mmbot.backtest.wf_tasks import Failure, Figures, Task, run_task
from mmbot.core.errors import MmError

ExecutorName = Literal["local", "ray"]


class Ticker(Protocol):
    """Progress sink: told the total once (tasks, events), then of each unit done."""

    def start(self, total: int) -> None:
        """Announce the total."""

    def advance(self, count: int = 1) -> None:
        """Count count more units done."""


class SilentTicker:
    """A Ticker that shows nothing."""

    def start(self, total: int) -> None:
        """Ignore the task count."""

    def advance(self, count: int = 1) -> None:
        """Ignore units done."""


class TaskRunner(Protocol):
    """Run a batch of tasks; return their figures in task order."""

    def run(self, tasks: Sequence[Task], on_done: Callable[[], None]) -> list[Figures]:
        """Return the figures of every task, in task order; call on_done as each finishes."""
        ...


def _in_order(results: list[Figures | Failure | None]) -> list[Figures]:
    out: list[Figures] = []
    for result in results:
        if isinstance(result, Failure):
            result.reraise()
        assert result is not None
        out.append(result)
    return out


class _PoolRunner:
    def __init__(self, pool: ProcessPoolExecutor) -> None:
        self._pool = pool

    def run(self, tasks: Sequence[Task], on_done: Callable[[], None]) -> list[Figures]:
        futures = {self._pool.submit(run_task, task): index for index, task in enumerate(tasks)}
        results: list[Figures | Failure | None] = [None] * len(tasks)
        for future in as_completed(futures):
            results[futures[future]] = future.result()
            on_done()
        return _in_order(results)


class _RayRunner:
    def __init__(self, ray: Any) -> None:
        self._ray = ray
        self._remote = ray.remote(run_task)

    def run(self, tasks: Sequence[Task], on_done: Callable[[], None]) -> list[Figures]:
        refs = [self._remote.remote(task) for task in tasks]
        index_of = {ref: index for index, ref in enumerate(refs)}
        results: list[Figures | Failure | None] = [None] * len(tasks)
        pending = list(refs)
        try:
            while pending:
                ready, pending = self._ray.wait(pending, num_returns=1)
                for ref in ready:
                    results[index_of[ref]] = self._ray.get(ref)
                    on_done()
        except self._ray.exceptions.RayError as exc:
            raise MmError("E_WF_RAY", f"a task failed: {_first_line(exc)}") from exc
        return _in_order(results)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@contextmanager
def _ray_runner(workers: int, address: str | None) -> Iterator[TaskRunner]:
    import ray

    started = not ray.is_initialized()
    if started:
        try:
            if address:
                ray.init(address=address, logging_level=logging.ERROR, log_to_driver=False)
            else:
                # "local": a new instance of our own size, even when a cluster started with
                # `ray start` runs on this host (ray.init() alone would join that one).
                ray.init(
                    address="local", num_cpus=workers, include_dashboard=False,
                    logging_level=logging.ERROR, log_to_driver=False,
                )  # fmt: skip
        except Exception as exc:
            # Ray raises a wide range of types at startup (RuntimeError, ConnectionError, ...).
            raise MmError("E_WF_RAY", f"ray.init failed: {_first_line(exc)}") from exc
    try:
        yield _RayRunner(ray)
    finally:
        if started:
            ray.shutdown()


@contextmanager
def open_runner(
    executor: ExecutorName, workers: int, ray_address: str | None = None
) -> Iterator[TaskRunner]:
    """Open a task runner: a spawn-context process pool, or Ray started here unless running.

    Without ray_address a local Ray instance with `workers` CPUs is started and shut down on
    exit; with it, the cluster at that address is joined and left running.
    """
    if executor == "ray":
        with _ray_runner(workers, ray_address) as runner:
            yield runner
        return
    # spawn, not fork: the parent may hold numba and progress-bar threads.
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    try:
        yield _PoolRunner(pool)
    finally:
        # On an error, queued tasks are dropped rather than run to completion first.
        pool.shutdown(cancel_futures=True)
