"""Mid returns of several event files on one time grid, and their pairwise correlation.

The grid covers the files' common span (latest first event to earliest last event) in steps of
interval_ns; the mid at a grid time is the one after the last event at or before it (a
replayed full-depth book). A return is the log change of the mid over one step; steps where
a file has no two-sided book are left out for every file.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from mmbot.data.book import NO_ASK, NO_BID, BookReplay
from mmbot.data.store import iter_events, read_meta

NS_PER_S: Final = 1_000_000_000


@dataclass(frozen=True, slots=True)
class ReturnCorrelation:
    """Correlation of two symbols' mid log returns; None when it is undefined (fewer than
    two returns, or a mid that never moves)."""

    first_symbol: str
    second_symbol: str
    correlation: float | None
    returns: int  # returns the correlation was measured on


def _span(path: str | os.PathLike[str]) -> tuple[int, int]:
    first = last = None
    for batch in iter_events(path):
        first = int(batch.ts_exch_ns[0]) if first is None else first
        last = int(batch.ts_exch_ns[-1])
    assert first is not None and last is not None  # iter_events refuses an empty file
    return first, last


def _mids_on_grid(path: str | os.PathLike[str], grid_ns: NDArray[np.int64]) -> NDArray[np.float64]:
    """Return the mid (in half ticks) after the last event at or before each grid time; NaN
    before the first event and while a side of the book is empty."""
    mids = np.full(len(grid_ns), np.nan)
    book = BookReplay()
    last_mid = np.nan
    done = 0  # grid times before index `done` are set
    for batch in iter_events(path):
        best_bid, best_ask = book.tops(batch)
        two_sided = (best_bid != NO_BID) & (best_ask != NO_ASK)
        mid = np.where(two_sided, best_bid.astype(np.float64) + best_ask, np.nan)
        ts = batch.ts_exch_ns
        start = int(np.searchsorted(grid_ns, ts[0], side="left"))
        stop = int(np.searchsorted(grid_ns, ts[-1], side="right"))
        mids[done:start] = last_mid  # grid times between the previous batch and this one
        mids[start:stop] = mid[np.searchsorted(ts, grid_ns[start:stop], side="right") - 1]
        done = stop
        last_mid = mid[-1]
    mids[done:] = last_mid
    return mids


def mid_log_returns(
    paths: Sequence[str | os.PathLike[str]], interval_ns: int = NS_PER_S
) -> NDArray[np.float64]:
    """Return the mid log returns of every file (one row each) over the common grid; the
    columns where any file lacks a mid are dropped."""
    if interval_ns <= 0:
        raise ValueError(f"interval_ns must be > 0, got {interval_ns}")
    spans = [_span(path) for path in paths]
    start = max(first for first, _last in spans)
    stop = min(last for _first, last in spans)
    steps = max(0, (stop - start) // interval_ns + 1)
    grid_ns = start + interval_ns * np.arange(steps, dtype=np.int64)
    with np.errstate(invalid="ignore"):
        returns = np.diff(np.log(np.array([_mids_on_grid(path, grid_ns) for path in paths])))
    return returns[:, np.isfinite(returns).all(axis=0)]


def return_correlations(
    paths: Sequence[str | os.PathLike[str]], interval_ns: int = NS_PER_S
) -> list[ReturnCorrelation]:
    """Return the correlation of mid log returns over interval_ns of every pair of files,
    pairs in file order."""
    symbols = [read_meta(path).symbol for path in paths]
    returns = mid_log_returns(paths, interval_ns)
    pairs = []
    for i, j in itertools.combinations(range(len(paths)), 2):
        pairs.append(
            ReturnCorrelation(
                symbols[i], symbols[j], _pearson(returns[i], returns[j]), returns.shape[1]
            )
        )
    return pairs


def _pearson(x: NDArray[np.float64], y: NDArray[np.float64]) -> float | None:
    if len(x) < 2 or x.std() == 0 or y.std() == 0:
        return None
    return float(np.corrcoef(x, y)[0, 1])
