"""`mmbot backtest run`: the engine in backtest mode over one event file, then its reports.

A run leaves a run directory (fills.csv, orders.csv, mids.csv, run.json; see
docs/RUN_DIRECTORY.md) and the backtest report (backtest.json, BACKTEST.md) built from that
directory - the same inputs the edge audit reads, so the two always agree.
"""

from __future__ import annotations

import hashlib
import platform
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numba
import numpy as np

from mmbot import __version__
from mmbot.artifacts import fmt6, markdown_table, write_json, write_text
from mmbot.audit import COMPONENTS
from mmbot.backtest.edge_audit import AuditedFills, build_report
from mmbot.backtest.metrics import order_figures, trade_figures
from mmbot.backtest.wiring import build_engine, check_instrument
from mmbot.config import EffectiveConfig
from mmbot.data import EventBatch, InstrumentMeta, load_events
from mmbot.engine.loop import Engine
from mmbot.engine.records import fill_records, mid_record, order_records
from mmbot.engine.rundir import InstrumentRecord, RunInfo, write_run_dir
from mmbot.engine.rundir_read import read_run_dir

REPORT_JSON: Final = "backtest.json"
REPORT_MD: Final = "BACKTEST.md"
MARKOUT_HORIZON_MS: Final = 1000


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


def file_sha256(path: Path) -> str:
    """Return the sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _versions() -> dict[str, str]:
    return {
        "mmbot": __version__,
        "numba": numba.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


def verdict(figures: dict[str, float | int], effective: EffectiveConfig) -> dict[str, object]:
    """Return PASS/FAIL against the configured thresholds, naming every failing figure."""
    limits = effective.config.backtest.thresholds
    checks = [
        ("net_bps", float(figures["net_bps"]), ">=", limits.min_net_bps),
        ("taker_share_pct", float(figures["taker_share_pct"]), "<=", limits.max_taker_share_pct),
        ("order_age_p95_ms", float(figures["order_age_p95_ms"]), "<=",
         limits.max_order_age_p95_ms),
    ]  # fmt: skip
    failing = [
        f"{name}={fmt6(value)} {op} {fmt6(limit)} fails"
        for name, value, op, limit in checks
        if not (value >= limit if op == ">=" else value <= limit)
    ]
    return {
        "failing": failing,
        "thresholds": {name: {"limit": limit, "op": op} for name, _, op, limit in checks},
        "verdict": "FAIL" if failing else "PASS",
    }


def write_run(
    engine: Engine,
    out: Path,
    effective: EffectiveConfig,
    meta: InstrumentMeta,
    data_sha: str,
    mode: str = "backtest",
) -> None:
    """Write the run directory of a finished engine run (mode as recorded in run.json)."""
    info = RunInfo(
        mode=mode,
        seed=effective.config.backtest.seed,
        config_sha256=effective.describe().sha256,
        data_sha256=data_sha,
        instruments={meta.symbol: InstrumentRecord(meta.venue, meta.tick_size, meta.lot_size)},
        versions=_versions(),
    )
    write_run_dir(
        out, info, fill_records(engine, meta.symbol), order_records(engine, meta.symbol),
        [mid_record(engine, meta.symbol)],
    )  # fmt: skip


def build_backtest_report(
    out: Path, effective: EffectiveConfig, values: dict[str, float | int]
) -> dict[str, object]:
    """Return the backtest report of the run directory at out."""
    return _audited_report(out, effective, values)[0]


def _audited_report(
    out: Path, effective: EffectiveConfig, values: dict[str, float | int]
) -> tuple[dict[str, object], dict[str, object], AuditedFills]:
    """Return the backtest report of the run directory at out, and the edge audit behind it."""
    data = read_run_dir(out)
    audit, audited = build_report(data, MARKOUT_HORIZON_MS)
    totals = audit["totals"]
    assert isinstance(totals, dict)
    figures: dict[str, float | int] = {
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
        "figures": figures,
        "markouts_bps": audit["markouts_bps"],
        "run": audit["run"],
        "values": values,
        **verdict(figures, effective),
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
        f"# Backtest: VERDICT={report['verdict']}",
        "",
        f"Bottleneck: {bottleneck['component']} {fmt6(float(bottleneck['bps']))} bps. "
        f"Config sha256 `{run['config_sha256']}`, data sha256 `{run['data_sha256']}`.",
        "",
        *(f"- FAIL: {item}" for item in failing),
        "",
        "## Figures\n\n" + markdown_table(
            ["figure", "value"], [[name, figures[name]] for name in sorted(figures)]
        ),
        "## Markouts\n\n" + markdown_table(
            ["horizon", "markout_bps"],
            [[k, float(v)] for k, v in sorted(markouts.items(), key=lambda kv: int(kv[0][:-2]))],
        ),
    ]  # fmt: skip
    return "\n".join(lines)


def run_backtest(
    effective: EffectiveConfig,
    data_path: Path,
    out: Path,
    say: Callable[[str], None],
    events: tuple[EventBatch, InstrumentMeta] | None = None,
) -> BacktestOutcome:
    """Run the engine over data_path, write the run directory and the report into out."""
    batch, meta = events if events is not None else load_events(data_path)
    check_instrument(effective.config, meta, data_path)
    engine = build_engine(effective.config, batch, strategy_id=effective.config.strategy.model)
    engine.run()
    values = engine.values()
    write_run(engine, out, effective, meta, file_sha256(data_path))
    report, audit, audited = _audited_report(out, effective, values)
    write_json(out / REPORT_JSON, report)
    write_text(out / REPORT_MD, render_backtest_md(report))
    say(f"wrote {out / REPORT_JSON}")
    say(f"wrote {out / REPORT_MD}")
    return BacktestOutcome(report=report, values=values, audit=audit, audited=audited)
