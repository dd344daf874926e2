"""`mmbot data synth|info|import tardis|import binance|import binance-stream`."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Protocol

import typer

from mmbot import data
from mmbot.artifacts import fmt6, write_json
from mmbot.cli.examples import examples
from mmbot.cli.progress import QuietOption, progress_bar
from mmbot.core.errors import UsageError
from mmbot.data.book_files import EVENT_FILE_SUFFIX
from mmbot.data.dataset import DEFAULT_MAX_GAP_NS, resolve_dataset, write_days
from mmbot.data.info import DataSetSummary
from mmbot.data.progress import reporting
from mmbot.data.synth_params import PRESETS
from mmbot.data.synth_params import preset as synth_preset

app = typer.Typer(
    help="Market data: synthesize, import and inspect event files.", no_args_is_help=True
)
import_app = typer.Typer(
    help="Import venue files (CSV, stream recordings) into an event file.", no_args_is_help=True
)
app.add_typer(import_app, name="import")


class BinanceFile(StrEnum):
    """Binance public-data file kinds."""

    trades = "trades"
    aggTrades = "aggTrades"  # noqa: N815 - the name Binance uses
    bookTicker = "bookTicker"  # noqa: N815 - the name Binance uses


OutOption = Annotated[Path, typer.Option("--out", help="Event file (Parquet) to write.")]
JsonOption = Annotated[
    Path | None, typer.Option("--json", help="Also write the result as JSON to this file.")
]
VenueOption = Annotated[str, typer.Option("--venue", help="Venue name stored in the file.")]
SymbolOption = Annotated[str, typer.Option("--symbol", help="Symbol stored in the file.")]
TickOption = Annotated[float, typer.Option("--tick-size", help="Price tick, quote currency.")]
LotOption = Annotated[float, typer.Option("--lot-size", help="Size lot, base currency.")]
LenientOption = Annotated[
    bool,
    typer.Option("--lenient", help="Drop bad rows and count them (default: fail on the first)."),
]


def _meta(venue: str, symbol: str, tick_size: float, lot_size: float) -> data.InstrumentMeta:
    try:
        return data.InstrumentMeta(venue, symbol, tick_size, lot_size)
    except ValueError as exc:
        raise UsageError("E_CLI_USAGE", f"bad instrument: {exc}") from None


class _Report(Protocol):
    """What `_print_report` prints: key=value lines, and the same as a JSON mapping."""

    def lines(self) -> list[str]: ...
    def as_dict(self) -> Mapping[str, object]: ...


def _print_report(report: _Report, json_out: Path | None) -> None:
    for line in report.lines():
        typer.echo(line)
    if json_out is not None:
        write_json(json_out, report.as_dict())
    typer.echo("RESULT=OK")


@app.command(
    epilog=examples(
        "mmbot data synth --seed 7 --events 1000000 --out out/data/synth.parquet",
        "mmbot data synth --preset fixture_alt --seed 7 --events 300000 --out out/data/alt.parquet",
        "mmbot data synth --seed 7 --events 400000 --symbols BTCUSDT,ETHUSDT --correlation 0.7 "
        "--out out/data/pair",
        "mmbot data synth --seed 7 --events 3000000 --days 3 --out out/data/days",
    )
)
def synth(
    seed: Annotated[int, typer.Option("--seed", min=0, help="RNG seed.")],
    events: Annotated[int, typer.Option("--events", min=0, help="Number of events.")],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Event file to write (default out/data/synth_s<seed>_n<events>)."
        ),
    ] = None,
    preset: Annotated[
        str,
        typer.Option(
            "--preset",
            help="Named market: " + ", ".join(sorted(PRESETS)) + " (docs/FIXTURES.md).",
        ),
    ] = "default",
    symbols: Annotated[
        str | None,
        typer.Option(
            "--symbols",
            help="Comma-separated symbols: one event file each, <out>/<symbol>.parquet "
            "(--out is then a folder; default out/data/synth_<symbols>_s<seed>_n<events>).",
        ),
    ] = None,
    correlation: Annotated[
        float | None,
        typer.Option(
            "--correlation",
            help="With --symbols: target correlation of 1 s mid returns, -1..1 (default 0).",
        ),
    ] = None,
    quiet: QuietOption = False,
    days: Annotated[
        int | None,
        typer.Option(
            "--days",
            min=1,
            help="Write the events as this many continuous files named as consecutive days, "
            "<out>/<symbol>/<YYYY-MM-DD>.parquet, of equal size (--out is then a folder): "
            "a day is a share of the events, not 24 h (data info shows the utc_days spanned).",
        ),
    ] = None,
) -> None:
    """Write a seeded synthetic market (docs/SYNTH_MODEL.md) as an event file, one file
    per symbol of a correlated market (--symbols), or a set of daily files (--days)."""
    if days is not None:
        _synth_days(seed, events, out, preset, days, symbols, quiet)
        return
    if symbols is not None:
        _synth_market(seed, events, out, preset, symbols, correlation, quiet)
        return
    if correlation is not None:
        raise UsageError("E_CLI_USAGE", "--correlation needs --symbols (a market of 2+ symbols)")
    try:
        params, meta = synth_preset(preset)
    except ValueError as exc:
        raise UsageError("E_CLI_USAGE", str(exc)) from None
    stem = (
        f"synth_s{seed}_n{events}" if preset == "default" else f"synth_{preset}_s{seed}_n{events}"
    )
    path = out or Path("out/data") / f"{stem}.parquet"
    with progress_bar("synth", "events", quiet, total=events) as bar:
        data.write_events(
            path, reporting(data.synthesize(seed, events, meta, params), bar.advance), meta
        )
    typer.echo(f"out={path}")
    typer.echo(f"seed={seed}")
    typer.echo(f"events={data.count_events(path)}")
    if preset != "default":
        typer.echo(f"preset={preset} symbol={meta.symbol} tick_size={meta.tick_size:g}")
    typer.echo("RESULT=OK")


def _synth_days(
    seed: int,
    events: int,
    out: Path | None,
    preset: str,
    days: int,
    symbols: str | None,
    quiet: bool,
) -> None:
    if symbols is not None:
        raise UsageError("E_CLI_USAGE", "--days writes one symbol's daily files; drop --symbols")
    if days > events:
        raise UsageError("E_CLI_USAGE", f"--days {days} needs at least as many --events")
    try:
        params, meta = synth_preset(preset)
    except ValueError as exc:
        raise UsageError("E_CLI_USAGE", str(exc)) from None
    folder = out or Path("out/data") / f"synth_days{days}_s{seed}_n{events}"
    with progress_bar("synth", "events", quiet, total=events) as bar:
        stream = reporting(data.synthesize(seed, events, meta, params), bar.advance)
        paths = write_days(stream, meta, folder, days=days, events=events)
    for path in paths:
        typer.echo(f"out={path}")
    typer.echo(f"seed={seed}")
    typer.echo(f"events={events}")
    typer.echo(f"days={days}")
    typer.echo("RESULT=OK")


def _synth_market(
    seed: int,
    events: int,
    out: Path | None,
    preset: str,
    symbols: str,
    correlation: float | None,
    quiet: bool,
) -> None:
    if preset != "default":
        raise UsageError(
            "E_CLI_USAGE", f"--preset {preset} is a one-symbol market; drop it with --symbols"
        )
    try:
        spec = data.MarketSpec(seed, events, tuple(symbols.split(",")), correlation or 0.0)
    except ValueError as exc:
        raise UsageError("E_CLI_USAGE", f"--symbols {symbols}: {exc}") from None
    folder = out or Path("out/data") / f"synth_{'_'.join(spec.symbols)}_s{seed}_n{events}"
    if folder.suffix == ".parquet" or (folder.exists() and not folder.is_dir()):
        raise UsageError(
            "E_CLI_USAGE", f"--out {folder} is a file; with --symbols it names a folder"
        )
    with progress_bar("synth", "events", quiet, total=events * len(spec.symbols)) as bar:
        paths = data.write_market(spec, folder, bar.advance)
    for path in paths:
        typer.echo(f"out={path}")
    typer.echo(f"seed={seed}")
    typer.echo(f"events={events}")
    typer.echo(f"symbols={','.join(spec.symbols)}")
    typer.echo(f"correlation={spec.correlation:g}")
    for pair in data.return_correlations(paths):
        measured = "none" if pair.correlation is None else fmt6(pair.correlation)
        pair_names = f"{pair.first_symbol},{pair.second_symbol}"
        typer.echo(f"corr_1s={measured} pair={pair_names} returns={pair.returns}")
    typer.echo("RESULT=OK")


@app.command(
    epilog=examples(
        "mmbot data info out/data/synth_s7_n1000000.parquet",
        "mmbot data info out/data/pair --json out/data/pair_info.json",
        "mmbot data info out/data/days",
    )
)
def info(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Event files (Parquet) or folders (every *.parquet, by name); one folder of "
            "daily files (<symbol>/<day>.parquet) or one glob: a data set summary."
        ),
    ],
    json_out: JsonOption = None,
    max_gap_s: Annotated[
        float,
        typer.Option(
            "--max-gap-s",
            min=0.0,
            help="Data set: longest pause between consecutive files that is not a gap "
            f"(default {DEFAULT_MAX_GAP_NS // 1_000_000_000}).",
        ),
    ] = DEFAULT_MAX_GAP_NS / 1e9,
) -> None:
    """Print what event files hold, one key=value a line, then RESULT=OK; for 2+ files
    each file's lines, then a summary of the set (symbols, rows, common time span). A file
    an import recorded (binance-stream) adds import_* lines: clock offset, gaps, checks.
    A data set of daily files prints its symbols, files, UTC days, rows and the gaps and overlaps
    between consecutive files (docs/DATA.md, data sets)."""
    if len(files) == 1 and _is_dataset(files[0]):
        dataset = resolve_dataset(files[0], lenient=True, max_gap_ns=round(max_gap_s * 1e9))
        _print_report(DataSetSummary(dataset), json_out)
        return
    paths = [
        path
        for given in files
        for path in (data.event_files_in(given) if given.is_dir() else [given])
    ]
    _print_report(data.describe(paths), json_out)


def _is_dataset(given: Path) -> bool:
    """A folder with event files in subfolders, or a pattern that is no path: a data set."""
    if given.is_dir():
        return any(given.glob(f"*/*{EVENT_FILE_SUFFIX}"))
    return not given.exists() and any(char in str(given) for char in "*?[")


@import_app.command("tardis")
def import_tardis(
    out: OutOption,
    venue: VenueOption,
    symbol: SymbolOption,
    tick_size: TickOption,
    lot_size: LotOption,
    l2: Annotated[
        Path | None, typer.Option("--l2", help="incremental_book_L2 CSV (.csv or .csv.gz).")
    ] = None,
    trades: Annotated[Path | None, typer.Option("--trades", help="trades CSV.")] = None,
    lenient: LenientOption = False,
    json_out: JsonOption = None,
    quiet: QuietOption = False,
) -> None:
    """Import Tardis.dev incremental_book_L2 and/or trades CSV into one event file."""
    if l2 is None and trades is None:
        raise UsageError("E_CLI_USAGE", "give --l2 FILE, --trades FILE or both")
    meta = _meta(venue, symbol, tick_size, lot_size)
    with progress_bar("import", "events", quiet) as bar:
        report = data.import_tardis(l2, trades, meta, out, strict=not lenient, on_rows=bar.advance)
    _print_report(report, json_out)


@import_app.command("binance")
def import_binance(
    file: Annotated[Path, typer.Argument(help="Binance public-data CSV (.csv or .csv.gz).")],
    kind: Annotated[BinanceFile, typer.Option("--kind", help="What the file holds.")],
    out: OutOption,
    venue: VenueOption,
    symbol: SymbolOption,
    tick_size: TickOption,
    lot_size: LotOption,
    lenient: LenientOption = False,
    json_out: JsonOption = None,
    quiet: QuietOption = False,
) -> None:
    """Import one Binance trades, aggTrades or bookTicker CSV into an event file."""
    meta = _meta(venue, symbol, tick_size, lot_size)
    with progress_bar("import", "events", quiet) as bar:
        report = data.import_binance(
            file, kind.value, meta, out, strict=not lenient, on_rows=bar.advance
        )
    _print_report(report, json_out)


@import_app.command(
    "binance-stream",
    epilog=examples(
        "mmbot data import binance-stream btcusdt_20240718.gz btcusdt_20240719.gz "
        "--out out/data/real/BTCUSDT.parquet",
        "mmbot data import binance-stream solusdt_*.gz --symbol SOLUSDT --tick-size 0.001 "
        "--lot-size 1 --out out/data/sol.parquet --lenient",
    ),
)
def import_binance_stream(
    files: Annotated[
        list[Path],
        typer.Argument(help="Day files of one symbol's recording (.gz or text), in order."),
    ],
    out: OutOption,
    symbol: Annotated[
        str | None, typer.Option("--symbol", help="Symbol (default: the recording's).")
    ] = None,
    tick_size: Annotated[
        float | None, typer.Option("--tick-size", help="Price tick (default: the venue's).")
    ] = None,
    lot_size: Annotated[
        float | None, typer.Option("--lot-size", help="Size lot (default: the venue's).")
    ] = None,
    lenient: Annotated[
        bool,
        typer.Option(
            "--lenient",
            help="Drop and count bad lines, resync from the next snapshot after a gap "
            "(default: fail on the first problem).",
        ),
    ] = False,
    json_out: JsonOption = None,
    quiet: QuietOption = False,
) -> None:
    """Import a Binance USD-M stream recording (hftbacktest's collector format: depth diffs,
    snapshot, trades, bookTicker) into an event file; check the book; estimate the clock offset
    (docs/DATA.md, "Stream recordings")."""
    name = symbol or data.recorded_symbol(files)
    try:
        meta = data.usdm_instrument(name, tick_size, lot_size)
    except ValueError as exc:
        raise UsageError("E_CLI_USAGE", str(exc)) from None
    with progress_bar("import", "events", quiet) as bar:
        report = data.import_binance_stream(
            files, meta, out, strict=not lenient, on_rows=bar.advance
        )
    _print_report(report, json_out)
