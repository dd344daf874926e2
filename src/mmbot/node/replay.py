"""Event files loaded for a run, their instruments checked against the config's: one file of
one symbol (Replay), or one file per symbol of a book (ReplaySet)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mmbot.backtest.run import DataSpan
from mmbot.backtest.wiring import BookFile, check_book_instrument, check_instrument
from mmbot.config import MmConfig
from mmbot.data import EventBatch, InstrumentMeta, load_book_files, load_events
from mmbot.node.backtests import book_data_paths


@dataclass(frozen=True, slots=True)
class Replay:
    """The events of the file at path and the instrument they trade."""

    path: Path
    events: EventBatch
    meta: InstrumentMeta


@dataclass(frozen=True, slots=True)
class ReplaySet:
    """The event file of each symbol of a book: (events, instrument, path), by symbol."""

    files: tuple[BookFile, ...]

    @property
    def events(self) -> dict[str, EventBatch]:
        """Return each symbol's events."""
        return {meta.symbol: batch for batch, meta, _ in self.files}

    @property
    def span(self) -> DataSpan:
        """Return the stretch of market the files hold together."""
        return DataSpan.over([batch for batch, _, _ in self.files])


def load_replay(cfg: MmConfig, path: Path) -> Replay:
    """Return the events of path; E_CFG_DATA_MISMATCH when cfg trades another instrument."""
    events, meta = load_events(path)
    check_instrument(cfg, meta, path)
    return Replay(path, events, meta)


def load_replay_set(cfg: MmConfig, data_path: Path | None) -> ReplaySet:
    """Return the event files of cfg's book: data_path is a directory of <symbol>.parquet
    files, one file for a book of one symbol, or None for the instruments' `data` files
    (node/backtests.py book_data_paths); E_CFG_DATA_MISMATCH for a file that does not fit."""
    files = load_book_files(book_data_paths(cfg, data_path))
    for _, meta, path in files:
        check_book_instrument(cfg, meta, path)
    return ReplaySet(tuple(files))
