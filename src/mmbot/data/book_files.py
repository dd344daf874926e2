"""Data sets of several symbols: one event file per symbol, found by name in a folder.

A portfolio replays several event files together, one simulated venue per symbol; these
helpers find and load such a set and refuse one that names a symbol twice.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from mmbot.core.errors import DataError
from mmbot.data.batch import EventBatch
from mmbot.data.schema import InstrumentMeta
from mmbot.data.screen import data_error
from mmbot.data.store import load_events, read_meta

EVENT_FILE_SUFFIX = ".parquet"


def event_files_in(directory: str | os.PathLike[str]) -> list[Path]:
    """Return every *.parquet file in directory, sorted by name (E_DATA_FILE_MISSING: none)."""
    folder = Path(directory)
    if not folder.is_dir():
        raise data_error("E_DATA_FILE_MISSING", os.fspath(folder), 0, "no such folder")
    files = sorted(
        path for path in folder.iterdir() if path.suffix == EVENT_FILE_SUFFIX and path.is_file()
    )
    if not files:
        raise data_error(
            "E_DATA_FILE_MISSING", os.fspath(folder), 0,
            f"no *{EVENT_FILE_SUFFIX} event files in the folder; write some with "
            "`mmbot data synth --symbols ...` or `mmbot data import ...`",
        )  # fmt: skip
    return files


def book_files_in(directory: str | os.PathLike[str], symbols: Sequence[str]) -> list[Path]:
    """Return directory/<symbol>.parquet for each symbol, in order (E_DATA_FILE_MISSING
    naming the first symbol whose file is absent)."""
    paths = [Path(directory) / f"{symbol}{EVENT_FILE_SUFFIX}" for symbol in symbols]
    for symbol, path in zip(symbols, paths, strict=True):
        if not path.is_file():
            raise DataError(
                "E_DATA_FILE_MISSING",
                f"symbol={symbol} file={path} not found; write the data set with "
                f"`mmbot data synth --symbols {','.join(symbols)} --out {directory} ...` or "
                f"import {symbol} into that file",
            )
    return paths


def files_by_symbol(paths: Sequence[str | os.PathLike[str]]) -> dict[str, Path]:
    """Return each file by the symbol its metadata names, reading no events; two files of one
    symbol are E_DATA_DUPLICATE_SYMBOL."""
    seen: dict[str, Path] = {}
    for path in map(Path, paths):
        symbol = read_meta(path).symbol
        if symbol in seen:
            raise DataError(
                "E_DATA_DUPLICATE_SYMBOL",
                f"symbol={symbol} files={seen[symbol]},{path}; a portfolio replays one file "
                "per symbol: drop one of them",
            )
        seen[symbol] = path
    return seen


def load_book_files(
    paths: Sequence[str | os.PathLike[str]],
) -> list[tuple[EventBatch, InstrumentMeta, Path]]:
    """Load every event file (one symbol each); return (events, instrument, path) sorted by
    symbol. Two files of one symbol are E_DATA_DUPLICATE_SYMBOL, before any data is read."""
    seen = files_by_symbol(paths)
    loaded = []
    for symbol in sorted(seen):
        events, meta = load_events(seen[symbol])
        loaded.append((events, meta, seen[symbol]))
    return loaded
