"""The Python API for notebooks and scripts: `mmbot.api.backtest` (docs/API.md).

A backtest here is `mmbot backtest run`: the same engine, the same run directory and report
code. Without `out` the run directory is built in a scratch folder of the system's temporary
directory, read back into DataFrames and removed before the call returns; with `out` it is
committed there exactly as the command writes it.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from mmbot.audit import COMPONENTS
from mmbot.backtest.edge_audit import AuditedFills
from mmbot.backtest.run import BacktestOutcome, backtest_into
from mmbot.config import EffectiveConfig, MmConfig, load_config
from mmbot.data import EventBatch, InstrumentMeta, write_events
from mmbot.engine.rundir_read import read_run_dir
from mmbot.node.backtests import refuse_book, run_backtest
from mmbot.node.stack import build_engine

ConfigSource = str | os.PathLike[str] | MmConfig | None
DataSource = str | os.PathLike[str] | EventBatch
_SCRATCH_EVENTS = "events.parquet"


@dataclass(frozen=True, slots=True)
class EdgeAudit:
    """The run's edge audit at the report's markout horizon (docs/EDGE_AUDIT.md).

    fills: one row per fill in fill-log order - ts_ns, symbol, strategy, notional_usd, then
    each component in USD (gross, fees: paid positive, adverse, slippage, inventory) and
    net_usd = gross + slippage + adverse + inventory - fees. totals, bottleneck: as in
    edge_audit.json; payload: the whole edge_audit.json.
    """

    fills: pl.DataFrame
    totals: dict[str, object]
    bottleneck: dict[str, object]
    payload: dict[str, object]


@dataclass(frozen=True, slots=True)
class BacktestResult:
    """What a backtest produced.

    fills, orders, mids: the run directory's tables, columns as in fills.csv, orders.csv and
    mids.csv (docs/RUN_DIRECTORY.md); report: backtest.json (figures, verdict, markouts,
    bottleneck); values: the engine's metric values; out: where the files were written
    (None: nowhere).
    """

    fills: pl.DataFrame
    orders: pl.DataFrame
    mids: pl.DataFrame
    audit: EdgeAudit
    report: dict[str, object]
    values: dict[str, float | int]
    out: Path | None


def backtest(
    config: ConfigSource,
    data: DataSource,
    *,
    out: str | os.PathLike[str] | None = None,
    meta: InstrumentMeta | None = None,
) -> BacktestResult:
    """Backtest the config's strategy stack over data; return the run's tables and reports.

    config: a YAML path or None (the embedded defaults; MM_CONFIG_PATH, MM_PROFILE and MM_ENV
    apply as on the command line), or an MmConfig taken as it is (env dev, no profile).
    data: an event file, or an EventBatch; meta: the instrument a batch trades (default: the
    config's instrument; a file names its own).
    out: write the run directory and backtest.json/BACKTEST.md there, as `mmbot backtest run
    --out` does; None writes nothing that outlives the call.
    """
    effective = _effective(config)
    refuse_book(effective.config, "mmbot.api.backtest")
    with tempfile.TemporaryDirectory(prefix="mmbot-api-") as scratch:
        data_path, events = _data_file(data, meta, effective.config, Path(scratch))
        if out is None:
            folder = Path(scratch) / "run"
            folder.mkdir()
            outcome = backtest_into(effective, data_path, folder, make_engine=build_engine,
                                    events=events)  # fmt: skip
        else:
            folder = Path(out)
            outcome = run_backtest(effective, data_path, folder, _silent, events)
        return _result(outcome, folder, None if out is None else folder)


def _silent(_line: str) -> None:
    """Say nothing: the result names where the files are."""


def _effective(config: ConfigSource) -> EffectiveConfig:
    if isinstance(config, MmConfig):
        return EffectiveConfig(config=config, env="dev", profile=None, source="<MmConfig>")
    return load_config(None if config is None else Path(config), os.environ)


def _data_file(
    data: DataSource, meta: InstrumentMeta | None, cfg: MmConfig, scratch: Path
) -> tuple[Path, tuple[EventBatch, InstrumentMeta] | None]:
    """Return the event file to run over, and its events when they are already in memory.

    A batch is written as an event file into scratch first: the run directory records the
    sha256 of the file its events came from.
    """
    if not isinstance(data, EventBatch):
        if meta is not None:
            raise ValueError("meta is for an EventBatch: an event file names its instrument")
        return Path(data), None
    inst = cfg.instrument
    traded = meta or InstrumentMeta(inst.venue, inst.symbol, inst.tick_size, inst.lot_size)
    return write_events(scratch / _SCRATCH_EVENTS, [data], traded), (data, traded)


def _result(outcome: BacktestOutcome, folder: Path, out: Path | None) -> BacktestResult:
    run = read_run_dir(folder)
    audit = outcome.audit
    totals, bottleneck = audit["totals"], audit["bottleneck"]
    assert isinstance(totals, dict) and isinstance(bottleneck, dict)
    return BacktestResult(
        fills=run.fills,
        orders=run.orders,
        mids=run.mids,
        audit=EdgeAudit(_audit_frame(outcome.audited), totals, bottleneck, audit),
        report=outcome.report,
        values=outcome.values,
        out=out,
    )


def _audit_frame(audited: AuditedFills) -> pl.DataFrame:
    """Return the per-fill decomposition as a table (typed even without fills)."""
    parts = audited.parts
    amounts = {
        "notional_usd": parts.notional,
        **{f"{name}_usd": parts.component(name) for name in COMPONENTS},
        "net_usd": parts.net(),
    }
    return pl.DataFrame(
        {"ts_ns": audited.fills.ts_ns, "symbol": audited.symbol.tolist(),
         "strategy": audited.strategy.tolist(), **amounts},
        schema={"ts_ns": pl.Int64, "symbol": pl.String, "strategy": pl.String,
                **dict.fromkeys(amounts, pl.Float64)},
    )  # fmt: skip
