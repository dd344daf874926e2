"""`mmbot backtest run|wf`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from mmbot.backtest.run import run_backtest
from mmbot.config import load_config

app = typer.Typer(help="Backtest on recorded or synthetic events.", no_args_is_help=True)


@app.command()
def run(
    data: Annotated[Path, typer.Option("--data", help="Event file (Parquet, mmbot schema).")],
    out: Annotated[Path, typer.Option("--out", help="Run directory to write.")],
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="YAML config (default: embedded).")
    ] = None,
) -> None:
    """Backtest the configured strategy stack; print the verdict and where the reports are."""
    effective = load_config(config, os.environ)
    outcome = run_backtest(effective, data, out, typer.echo)
    report = outcome.report
    figures = report["figures"]
    bottleneck = report["bottleneck"]
    assert isinstance(figures, dict) and isinstance(bottleneck, dict)
    typer.echo(
        f"VERDICT={report['verdict']} net_bps={float(figures['net_bps']):.6f} "
        f"taker_share_pct={float(figures['taker_share_pct']):.6f} "
        f"order_age_p95_ms={float(figures['order_age_p95_ms']):.6f} "
        f"fills={figures['fills']} bottleneck={bottleneck['component']}"
    )
    typer.echo(f"RESULT=OK reports={out}")
