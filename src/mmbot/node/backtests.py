"""The backtest commands over node's engines: `backtest run`, `backtest wf`, `demo`.

Backtest code builds no engine; each entry here hands it the composition root's backtest
stack (stack.build_engine) as its engine factory.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from mmbot.backtest import demo, run, wf
from mmbot.backtest.wf_exec import Ticker
from mmbot.config import EffectiveConfig, MmConfig
from mmbot.config.book import book_of
from mmbot.core.clock import Clock
from mmbot.core.errors import DataError, UsageError
from mmbot.data import EventBatch, InstrumentMeta, book_files_in
from mmbot.data.book_files import EVENT_FILE_SUFFIX, files_by_symbol
from mmbot.data.dataset import DEFAULT_MAX_GAP_NS, DataSet, resolve_dataset
from mmbot.data.progress import RowsDone
from mmbot.node.stack import build_book_engine, build_engine

Say = Callable[[str], None]


def run_backtest(
    effective: EffectiveConfig,
    data_path: Path | None,
    out: Path,
    say: Say,
    events: tuple[EventBatch, InstrumentMeta] | None = None,
    *,
    lenient: bool = False,
    max_gap_ns: int = DEFAULT_MAX_GAP_NS,
    progress: Ticker | None = None,
) -> run.BacktestOutcome:
    """Backtest data_path (events: its contents, already loaded); commit the run directory
    and its report at out whole (`mmbot backtest run`). progress: told the events to replay,
    then the events of each chunk once replayed.

    A one-symbol config streams the data set data_path names (a file, a folder of daily
    files or a glob; mmbot.data.dataset): a break in continuity is an E_DATA_* error, or with
    lenient is counted (`data_breaks=N`, one line each) and replayed as it is.

    A portfolio config (its `portfolio` or `strategies` section) backtests its book: data_path
    is a directory of `<symbol>.parquet` files, one event file when the book has one symbol,
    or None to take each instrument's `data` file.
    """
    config = effective.config
    if book_of(config).is_portfolio:
        dataset = book_dataset(config, data_path, lenient=lenient, max_gap_ns=max_gap_ns)
        say_breaks(dataset, say)
        return run.run_book_backtest(effective, dataset, out, say, make_engine=build_book_engine,
                                     on_rows=_rows_done(dataset, progress))  # fmt: skip
    if data_path is None:
        raise UsageError(
            "E_CLI_USAGE", "give --data FILE: a one-symbol config names no data file of its own"
        )
    streamed = None
    if events is None:
        streamed = resolve_dataset(data_path, lenient=lenient, max_gap_ns=max_gap_ns)
        say_breaks(streamed, say)
    on_rows = None if streamed is None else _rows_done(streamed, progress)
    return run.run_backtest(effective, data_path, out, say, make_engine=build_engine,
                            events=events, dataset=streamed, on_rows=on_rows)  # fmt: skip


def _rows_done(dataset: DataSet, progress: Ticker | None) -> RowsDone | None:
    """Announce the data set's events to progress; return its rows-done callback."""
    if progress is None:
        return None
    progress.start(sum(one.rows for files in dataset.files.values() for one in files))
    return progress.advance


def say_breaks(dataset: DataSet, say: Say) -> None:
    """Report the continuity breaks a lenient data set let by: a count, then one line each."""
    if dataset.breaks:
        say(f"data_breaks={len(dataset.breaks)}")
        for found in dataset.breaks:
            say(found.line())


def book_dataset(
    cfg: MmConfig, data_path: Path | None, *, lenient: bool, max_gap_ns: int
) -> DataSet:
    """Return the data set of cfg's book: book_data_paths's one file per symbol, or the data
    set data_path names (a folder of daily files or a glob) when it is not a folder holding
    <symbol>.parquet for every symbol; E_DATA_FILE_MISSING names a symbol without data."""
    symbols = book_of(cfg).symbols
    if data_path is None or _one_file_per_symbol(data_path, symbols):
        paths = list(files_by_symbol(book_data_paths(cfg, data_path)).values())
        return resolve_dataset(paths, lenient=lenient, max_gap_ns=max_gap_ns)
    dataset = resolve_dataset(data_path, lenient=lenient, max_gap_ns=max_gap_ns)
    missing = [symbol for symbol in symbols if symbol not in dataset.files]
    if missing:
        raise DataError(
            "E_DATA_FILE_MISSING",
            f"symbol={missing[0]} data={data_path} holds no file of it (symbols found: "
            f"{list(dataset.symbols)}); add that symbol's files to the data set",
        )
    return dataset


def _one_file_per_symbol(data_path: Path, symbols: Sequence[str]) -> bool:
    """Whether data_path gives a book's data the one-file-per-symbol way: one file, or a
    folder of <symbol>.parquet files (or of no event file at all, which book_data_paths
    reports naming the first symbol). Else it names a data set."""
    if data_path.is_file():
        return True
    if not data_path.is_dir():
        return False  # a glob
    by_name = all((data_path / f"{symbol}{EVENT_FILE_SUFFIX}").is_file() for symbol in symbols)
    return by_name or not any(data_path.rglob(f"*{EVENT_FILE_SUFFIX}"))


def book_data_paths(cfg: MmConfig, data_path: Path | None) -> list[Path]:
    """Return the event file of each symbol of cfg's book (see run_backtest for data_path)."""
    book = book_of(cfg)
    if data_path is not None and data_path.is_dir():
        return book_files_in(data_path, book.symbols)
    if data_path is not None:
        if len(book.symbols) != 1:
            raise UsageError(
                "E_CLI_USAGE",
                f"--data {data_path} is one file but the book has {len(book.symbols)} symbols "
                f"{list(book.symbols)}; give a directory with <symbol>.parquet for each",
            )
        return [data_path]
    missing = [i.symbol for i in book.instruments if i.data is None]
    if missing:
        raise UsageError(
            "E_CLI_USAGE",
            f"no --data and no portfolio.instruments data file for {missing}; give --data DIR "
            "(with <symbol>.parquet for each) or set each instrument's data",
        )
    return [Path(str(i.data)) for i in book.instruments]


def walk_forward(effective: EffectiveConfig, data: Sequence[Path], out: Path,
                 spec: wf.WfSpec, say: Say, ticker: Ticker | None = None, *,
                 lenient: bool = False,
                 max_gap_ns: int = DEFAULT_MAX_GAP_NS) -> dict[str, object]:  # fmt: skip
    """Walk forward over one symbol's data set (files, folders or globs of daily files,
    replayed in time order and checked for continuity as `backtest run` does); write wf.json
    and WF.md into out (`mmbot backtest wf`)."""
    refuse_book(effective.config, "backtest wf")
    dataset = resolve_dataset(data, lenient=lenient, max_gap_ns=max_gap_ns)
    if len(dataset.symbols) != 1:
        raise UsageError(
            "E_CLI_USAGE",
            f"--data names {len(dataset.symbols)} symbols ({','.join(dataset.symbols)}); "
            "walk-forward runs one symbol: give that symbol's files",
        )
    say_breaks(dataset, say)
    return wf.walk_forward(effective, list(dataset.paths), out, spec, say, ticker,
                           make_engine=build_engine)  # fmt: skip


def run_demo(effective: EffectiveConfig, out: Path, clock: Clock, say: Say) -> demo.DemoOutcome:
    """Synthesize, backtest and audit under out (`mmbot demo`)."""
    refuse_book(effective.config, "demo")
    return demo.run_demo(effective, out, clock, say, make_engine=build_engine)


def refuse_book(cfg: MmConfig, command: str) -> None:
    """E_CLI_USAGE when cfg is a book (`portfolio` or `strategies`): command runs one-symbol,
    one-strategy configs only."""
    if book_of(cfg).is_portfolio:
        raise UsageError(
            "E_CLI_USAGE",
            f"{command} runs a one-symbol, one-strategy config; this config is a book "
            "(portfolio/strategies sections): backtest it with `mmbot backtest run`",
        )
