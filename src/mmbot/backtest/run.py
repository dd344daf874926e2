"""`mmbot backtest run`: the engine in backtest mode over a data set, then its reports.

The events are streamed (mmbot.sim.EventStream): the simulator reads STREAM_CHUNK_ROWS at a
time, file after file of the data set (mmbot.data.dataset), so memory does not grow with the
data; the result is the in-memory run's, byte for byte.

A run leaves a run directory (fills.csv, orders.csv, mids.csv, run.json; see
docs/RUN_DIRECTORY.md) and the backtest report (backtest.json, BACKTEST.md) built from that
directory - the same inputs the edge audit reads, so the two always agree. The directory is
built aside and replaces --out whole when complete (engine/rundir_commit.py).
"""

from __future__ import annotations

import hashlib
import platform
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numba
import numpy as np

from mmbot import __version__
from mmbot.artifacts import fmt6, fmt_exact, markdown_table, utc_iso, write_json, write_text
from mmbot.artifacts.atomic import atomic_write_bytes
from mmbot.audit import COMPONENTS
from mmbot.backtest.book_report import GROUP_TITLES, group_breakdown, mux_chart_svg
from mmbot.backtest.edge_audit import AuditedFills, build_report, group_table, too_few_fills
from mmbot.backtest.metrics import Figures, order_figures, trade_figures
from mmbot.backtest.wiring import (
    BookEngineFactory,
    BookFile,
    EngineFactory,
    check_book_instrument,
    check_instrument,
)
from mmbot.config import EffectiveConfig
from mmbot.core.errors import ConfigError, DataError
from mmbot.data import EventBatch, InstrumentMeta
from mmbot.data.dataset import DataSet, resolve_dataset
from mmbot.data.progress import RowsDone, reporting
from mmbot.engine.loop import Engine
from mmbot.engine.metrics import NO_EXTRAS, BookExtras, engine_samples
from mmbot.engine.records import (
    book_tables,
    fill_records,
    mid_record,
    mid_records,
    order_records,
    risk_log,
)
from mmbot.engine.rundir import InstrumentRecord, MidSeriesRecord, RunInfo, write_run_dir
from mmbot.engine.rundir_commit import building_run_dir, file_sha256
from mmbot.engine.rundir_read import read_run_dir
from mmbot.obs.exporter import exposition
from mmbot.sim import EventStream

REPORT_JSON: Final = "backtest.json"
REPORT_MD: Final = "BACKTEST.md"
REPORT_FILES: Final = (REPORT_JSON, REPORT_MD)
MUX_CHART: Final = "mux.svg"  # a book's regime and weights over time
MARKOUT_HORIZON_MS: Final = 1000
STREAM_CHUNK_ROWS: Final = 1_000_000  # events the simulator holds loaded, about 48 MB
_NS_PER_S: Final = 1_000_000_000


@dataclass(frozen=True, slots=True)
class DataSpan:
    """The stretch of market an event file holds: exchange times of its first and last event."""

    first_ts_ns: int
    last_ts_ns: int
    events: int

    @classmethod
    def of(cls, batch: EventBatch) -> DataSpan:
        """Return the span of a non-empty batch (file order, as `mmbot data info` reports it)."""
        return cls(int(batch.ts_exch_ns[0]), int(batch.ts_exch_ns[-1]), len(batch))

    @classmethod
    def over(cls, batches: Sequence[EventBatch]) -> DataSpan:
        """Return the span of several symbols' batches: first to last event of any."""
        return cls.merge([cls.of(batch) for batch in batches])

    @classmethod
    def merge(cls, spans: Sequence[DataSpan]) -> DataSpan:
        """Return the span of several symbols' spans: first to last event of any."""
        return cls(
            min(span.first_ts_ns for span in spans),
            max(span.last_ts_ns for span in spans),
            sum(span.events for span in spans),
        )

    @classmethod
    def tally(cls, chunks: Iterable[EventBatch]) -> tuple[Iterator[EventBatch], list[DataSpan]]:
        """Return chunks passed through, and a list that holds their span once they are all
        read (a stream's span, known only at its end)."""
        found: list[DataSpan] = []

        def passing() -> Iterator[EventBatch]:
            first = last = events = 0
            for chunk in chunks:
                if len(chunk):
                    first = first if events else int(chunk.ts_exch_ns[0])
                    last = int(chunk.ts_exch_ns[-1])
                    events += len(chunk)
                yield chunk
            found.append(cls(first, last, events))

        return passing(), found

    def payload(self) -> dict[str, object]:
        """Return the report's `data` section."""
        return {
            "events": self.events,
            "first_utc": utc_iso(self.first_ts_ns),
            "last_utc": utc_iso(self.last_ts_ns),
            "span_s": (self.last_ts_ns - self.first_ts_ns) / _NS_PER_S,
        }


@dataclass(frozen=True, slots=True)
class BacktestOutcome:
    """What a backtest run produced: the report payload and the engine's metric values.

    audit/audited: the edge audit of the run directory at MARKOUT_HORIZON_MS the report was
    built from (build_report's pair; write_edge_audit writes it).
    """

    report: dict[str, object]
    values: dict[str, float | int]
    audit: dict[str, object]
    audited: AuditedFills


def _versions() -> dict[str, str]:
    return {
        "mmbot": __version__,
        "numba": numba.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


def _number(figures: Figures, name: str) -> float:
    value = figures[name]
    assert value is not None, f"figure {name} is n/a"
    return float(value)


def verdict(figures: Figures, effective: EffectiveConfig) -> dict[str, object]:
    """Return PASS/FAIL against the configured thresholds, naming every failing figure.

    INSUFFICIENT instead when the run has fewer than `min_fills` fills: too few to judge
    either way (`failing` still lists what missed).
    """
    limits = effective.config.backtest.thresholds
    checks = [
        ("net_bps", ">=", limits.min_net_bps),
        ("taker_share_pct", "<=", limits.max_taker_share_pct),
        ("order_age_p95_ms", "<=", limits.max_order_age_p95_ms),
    ]
    measured = {name: _number(figures, name) for name, _, _ in checks}
    failing = [
        f"{name}={fmt6(measured[name])} {op} {fmt6(limit)} fails"
        for name, op, limit in checks
        if not (measured[name] >= limit if op == ">=" else measured[name] <= limit)
    ]
    insufficient = too_few_fills(int(_number(figures, "fills")), limits.min_fills)
    return {
        "failing": failing,
        "min_fills": limits.min_fills,
        "thresholds": {name: {"limit": limit, "op": op} for name, op, limit in checks},
        "verdict": "INSUFFICIENT" if insufficient else "FAIL" if failing else "PASS",
    }


def verdict_line(report: dict[str, object]) -> str:
    """Return `VERDICT=<v>`, plus why when the run has too few fills to judge."""
    figures = report["figures"]
    assert isinstance(figures, dict)
    note = too_few_fills(int(figures["fills"]), int(str(report["min_fills"])))
    return f"VERDICT={report['verdict']} {note}" if note else f"VERDICT={report['verdict']}"


def write_run(
    engine: Engine,
    out: Path,
    effective: EffectiveConfig,
    meta: InstrumentMeta,
    data_path: Path,
    mode: str = "backtest",
    extras: BookExtras = NO_EXTRAS,
    data_sha256: str | None = None,
) -> None:
    """Write the run directory of a finished one-symbol engine run over data_path (mode as
    recorded in run.json; extras: the metric values the engine does not own; data_sha256: of
    the data set, default the file's); E_DATA_TOO_SHORT when no decision point saw a
    two-sided book."""
    mids = mid_record(engine, meta.symbol)
    _refuse_no_mids(engine, [mids], effective, {meta.symbol: data_path})
    sha = file_sha256(data_path) if data_sha256 is None else data_sha256
    info = _run_info(effective, mode, sha, [meta])
    write_run_dir(
        out, info, fill_records(engine, meta.symbol), order_records(engine, meta.symbol), [mids],
        risk_log(engine), metrics=exposition(engine_samples(engine, extras)),
    )  # fmt: skip


def write_book_run(
    engine: Engine,
    out: Path,
    effective: EffectiveConfig,
    files: Sequence[BookFile],
    mode: str = "backtest",
    extras: BookExtras = NO_EXTRAS,
) -> None:
    """Write the run directory of a finished book run: every symbol's fills, orders and mids,
    the mux trace and the allocations (mux.csv, allocations.csv; docs/RUN_DIRECTORY.md)."""
    paths = {meta.symbol: path for _, meta, path in files}
    metas = [meta for _, meta, _ in files]
    _write_book_run_dir(engine, out, effective, metas, paths, book_data_sha256(files), mode, extras)


def _write_book_run_dir(
    engine: Engine,
    out: Path,
    effective: EffectiveConfig,
    metas: Sequence[InstrumentMeta],
    paths: Mapping[str, Path],
    data_sha256: str,
    mode: str = "backtest",
    extras: BookExtras = NO_EXTRAS,
) -> None:
    """write_book_run over each symbol's instrument and data path (named in errors)."""
    mids = mid_records(engine)
    _refuse_no_mids(engine, mids, effective, paths)
    info = _run_info(effective, mode, data_sha256, metas)
    write_run_dir(
        out, info, fill_records(engine), order_records(engine), mids, risk_log(engine),
        book_tables(engine), exposition(engine_samples(engine, extras)),
    )  # fmt: skip


def dataset_sha256(dataset: DataSet, *, book: bool = False) -> str:
    """Return the sha256 of a data set: its file's for one file (not a book), else of the
    `<symbol> <file sha256>` lines in symbol then replay order (book_data_sha256 for one file
    a symbol)."""
    if len(dataset.paths) == 1 and not book:
        return file_sha256(dataset.paths[0])
    lines = [
        f"{symbol} {file_sha256(one.path)}\n"
        for symbol in dataset.symbols
        for one in dataset.files[symbol]
    ]
    return hashlib.sha256("".join(lines).encode("ascii")).hexdigest()


def book_data_sha256(files: Sequence[BookFile]) -> str:
    """Return the sha256 of a book's data: of the `<symbol> <file sha256>` lines, by symbol."""
    lines = sorted(f"{meta.symbol} {file_sha256(path)}\n" for _, meta, path in files)
    return hashlib.sha256("".join(lines).encode("ascii")).hexdigest()


def _run_info(
    effective: EffectiveConfig, mode: str, data_sha256: str, metas: Sequence[InstrumentMeta]
) -> RunInfo:
    return RunInfo(
        mode=mode,
        seed=effective.config.backtest.seed,
        config_sha256=effective.describe().sha256,
        data_sha256=data_sha256,
        instruments={
            meta.symbol: InstrumentRecord(meta.venue, meta.tick_size, meta.lot_size)
            for meta in metas
        },
        versions=_versions(),
    )


def _refuse_no_mids(
    engine: Engine,
    mids: Sequence[MidSeriesRecord],
    effective: EffectiveConfig,
    paths: Mapping[str, Path],
) -> None:
    """E_DATA_TOO_SHORT when some symbol's decision points never saw a two-sided book."""
    for series in mids:
        if len(series.ts_ns):
            continue
        data_path = paths[series.symbol]
        decisions = engine.books[0].record.decisions
        interval_ms = effective.config.strategy.decision_interval_ms
        where = f"file={data_path}" + (f" symbol={series.symbol}" if len(mids) > 1 else "")
        raise DataError(
            "E_DATA_TOO_SHORT",
            f"{where} decisions={decisions}: no decision point "
            f"(every strategy.decision_interval_ms={interval_ms}) saw a two-sided book, so "
            "there is no mid to mark fills against; give a longer event file",
        )


def build_backtest_report(
    out: Path,
    effective: EffectiveConfig,
    values: dict[str, float | int],
    span: DataSpan | None = None,
) -> dict[str, object]:
    """Return the backtest report of the run directory at out (span: of the replayed data)."""
    return audited_report(out, effective, values, span)[0]


def audited_report(
    out: Path,
    effective: EffectiveConfig,
    values: dict[str, float | int],
    span: DataSpan | None,
    by_group: bool = False,
) -> tuple[dict[str, object], dict[str, object], AuditedFills]:
    """Return the backtest report of the run directory at out, and the edge audit behind it.

    by_group: a book's report, which adds the figures per symbol, per strategy and per leg
    (strategy@symbol), each list ending with the TOTAL row.
    """
    data = read_run_dir(out)
    audit, audited = build_report(
        data, MARKOUT_HORIZON_MS, effective.config.backtest.thresholds.min_fills
    )
    totals = audit["totals"]
    assert isinstance(totals, dict)
    figures: Figures = {
        "net_bps": float(totals["net_bps"]),
        "net_usd": float(totals["net_usd"]),
        "notional_usd": float(totals["notional_usd"]),
        **{f"{c}_bps": float(totals["bps"][c]) for c in COMPONENTS},
        **{f"{c}_usd": float(totals["usd"][c]) for c in COMPONENTS},
        **order_figures(data),
        **trade_figures(audited, effective.config.alloc.budget_usd),
    }
    report = {
        "bottleneck": audit["bottleneck"],
        **({} if span is None else {"data": span.payload()}),
        "figures": figures,
        "instruments": data.info["instruments"],
        "markouts_bps": audit["markouts_bps"],
        "run": audit["run"],
        "values": values,
        **verdict(figures, effective),
        **(group_breakdown(audited) if by_group else {}),
    }
    return report, audit, audited


def render_backtest_md(report: dict[str, object]) -> str:
    """Return BACKTEST.md: the verdict first, then every figure."""
    figures, markouts = report["figures"], report["markouts_bps"]
    bottleneck, run = report["bottleneck"], report["run"]
    assert isinstance(figures, dict) and isinstance(markouts, dict)
    assert isinstance(bottleneck, dict) and isinstance(run, dict)
    failing = report["failing"]
    assert isinstance(failing, list)
    lines = [
        f"# Backtest: {verdict_line(report)}",
        "",
        f"Bottleneck: {bottleneck['component']} {fmt6(float(bottleneck['bps']))} bps.",
        "",
        *_provenance_lines(report),
        "",
        *(f"- FAIL: {item}" for item in failing),
        "",
        "## Figures\n\n" + markdown_table(
            ["figure", "value"],
            [[name, "n/a" if figures[name] is None else figures[name]] for name in sorted(figures)],
        ),
        "## Markouts\n\n" + markdown_table(
            ["horizon", "markout_bps"],
            [[k, float(v)] for k, v in sorted(markouts.items(), key=lambda kv: int(kv[0][:-2]))],
        ),
    ]  # fmt: skip
    for title in GROUP_TITLES:
        groups = report.get(f"by_{title}")
        if isinstance(groups, list):
            lines.append(group_table(title, groups[:-1], groups[-1]))
    return "\n".join(lines)


def _provenance_lines(report: dict[str, object]) -> list[str]:
    """Return what was traded, on which data, under which config (BACKTEST.md bullets)."""
    instruments, run = report["instruments"], report["run"]
    assert isinstance(instruments, dict) and isinstance(run, dict)
    lines = [
        f"- Instrument: {symbol} on {meta['venue']}, tick_size {fmt_exact(meta['tick_size'])}, "
        f"lot_size {fmt_exact(meta['lot_size'])}"
        for symbol, meta in sorted(instruments.items())
    ]
    data = report.get("data")
    if isinstance(data, dict):
        lines.append(
            f"- Data: {data['events']} events from {data['first_utc']} to {data['last_utc']} "
            f"({fmt6(float(data['span_s']))} s), sha256 `{run['data_sha256']}`"
        )
    else:
        lines.append(f"- Data: sha256 `{run['data_sha256']}`")
    lines.append(f"- Config: sha256 `{run['config_sha256']}` (as `mmbot config describe` prints)")
    return lines


def run_backtest(
    effective: EffectiveConfig,
    data_path: Path,
    out: Path,
    say: Callable[[str], None],
    *,
    make_engine: EngineFactory,
    events: tuple[EventBatch, InstrumentMeta] | None = None,
    dataset: DataSet | None = None,
    on_rows: RowsDone | None = None,
) -> BacktestOutcome:
    """Run make_engine's engine over data_path; commit the run directory and its report at
    out whole. on_rows is told the events of each streamed chunk once it is replayed."""
    with building_run_dir(out) as stage:
        outcome = backtest_into(
            effective, data_path, stage, make_engine=make_engine, events=events,
            dataset=dataset, on_rows=on_rows,
        )  # fmt: skip
    for name in REPORT_FILES:
        say(f"wrote {out / name}")
    return outcome


def backtest_into(
    effective: EffectiveConfig,
    data_path: Path,
    folder: Path,
    *,
    make_engine: EngineFactory,
    events: tuple[EventBatch, InstrumentMeta] | None = None,
    dataset: DataSet | None = None,
    chunk_rows: int = STREAM_CHUNK_ROWS,
    on_rows: RowsDone | None = None,
) -> BacktestOutcome:
    """Run make_engine's engine over data_path and write the run directory and the report
    into folder (a building_run_dir stage or a scratch folder: nothing is committed here).

    events: data_path's contents, already loaded (replayed from memory); otherwise the data
    set data_path names (dataset: already resolved; one symbol) is streamed chunk_rows
    events at a time.
    """
    if events is not None:
        batch, meta = events
        check_instrument(effective.config, meta, data_path)
        engine = make_engine(effective.config, batch)
        engine.run()
        return _finish(engine, effective, meta, data_path, folder, DataSpan.of(batch), None)
    dataset = resolve_dataset(data_path) if dataset is None else dataset
    symbol = _one_symbol(dataset, data_path)
    meta = dataset.meta(symbol)
    check_instrument(effective.config, meta, data_path)
    chunks, spans = DataSpan.tally(reporting(dataset.stream(symbol, chunk_rows), on_rows))
    engine = make_engine(effective.config, EventStream(chunks))
    engine.run()
    return _finish(engine, effective, meta, data_path, folder, spans[0], dataset_sha256(dataset))


def _one_symbol(dataset: DataSet, data_path: Path) -> str:
    if len(dataset.symbols) != 1:
        raise ConfigError(
            "E_CFG_DATA_MISMATCH",
            f"data={data_path} holds symbols {list(dataset.symbols)}; a one-symbol config "
            "replays one: narrow --data to that symbol's files, or backtest a portfolio config",
        )
    return dataset.symbols[0]


def _finish(
    engine: Engine,
    effective: EffectiveConfig,
    meta: InstrumentMeta,
    data_path: Path,
    folder: Path,
    span: DataSpan,
    data_sha256: str | None,
) -> BacktestOutcome:
    """Write the run directory and the report of a finished one-symbol run into folder."""
    values = engine.values()
    write_run(engine, folder, effective, meta, data_path, data_sha256=data_sha256)
    report, audit, audited = audited_report(folder, effective, values, span)
    write_json(folder / REPORT_JSON, report)
    write_text(folder / REPORT_MD, render_backtest_md(report))
    return BacktestOutcome(report=report, values=values, audit=audit, audited=audited)


def run_book_backtest(
    effective: EffectiveConfig,
    dataset: DataSet,
    out: Path,
    say: Callable[[str], None],
    *,
    make_engine: BookEngineFactory,
    on_rows: RowsDone | None = None,
) -> BacktestOutcome:
    """Run the config's book over a data set (its symbols' streams); commit the run directory
    and its report at out whole. on_rows: as run_backtest's, over every symbol."""
    with building_run_dir(out) as stage:
        outcome = book_backtest_into(
            effective, dataset, stage, make_engine=make_engine, on_rows=on_rows
        )
    for name in (*REPORT_FILES, MUX_CHART):
        say(f"wrote {out / name}")
    return outcome


def book_backtest_into(
    effective: EffectiveConfig,
    dataset: DataSet,
    folder: Path,
    *,
    make_engine: BookEngineFactory,
    chunk_rows: int = STREAM_CHUNK_ROWS,
    on_rows: RowsDone | None = None,
) -> BacktestOutcome:
    """Run the config's book over the data set, each symbol streamed chunk_rows events at a
    time, and write the run directory, the report with its per-symbol/strategy/leg figures
    and the mux chart into folder."""
    config = effective.config
    first_paths = {symbol: dataset.files[symbol][0].path for symbol in dataset.symbols}
    for symbol in dataset.symbols:
        check_book_instrument(config, dataset.meta(symbol), first_paths[symbol])
    tallies = {
        s: DataSpan.tally(reporting(dataset.stream(s, chunk_rows), on_rows))
        for s in dataset.symbols
    }
    engine = make_engine(config, {s: EventStream(chunks) for s, (chunks, _) in tallies.items()})
    engine.run()
    values = engine.values()
    metas = [dataset.meta(symbol) for symbol in dataset.symbols]
    sha = dataset_sha256(dataset, book=True)
    _write_book_run_dir(engine, folder, effective, metas, first_paths, sha)
    span = DataSpan.merge([spans[0] for _, spans in tallies.values()])
    report, audit, audited = audited_report(folder, effective, values, span, by_group=True)
    write_json(folder / REPORT_JSON, report)
    write_text(folder / REPORT_MD, render_backtest_md(report))
    atomic_write_bytes(folder / MUX_CHART, mux_chart_svg(engine))
    return BacktestOutcome(report=report, values=values, audit=audit, audited=audited)
