"""`mmbot edge-audit --run DIR`: the one-shot edge audit of a run directory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mmbot.backtest.edge_audit import run_edge_audit


def edge_audit(
    run: Annotated[Path, typer.Option("--run", help="Run directory (fills.csv, mids.csv, ...).")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Report folder (default: the run directory).")
    ] = None,
    horizon_ms: Annotated[
        int, typer.Option("--horizon-ms", min=1, help="Markout horizon of the adverse component.")
    ] = 1000,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate inputs, print what would be written.")
    ] = False,
) -> None:
    """Decompose a run's PnL into gross/fees/adverse/slippage/inventory; name the bottleneck."""
    payload = run_edge_audit(run, out or run, horizon_ms, dry_run, typer.echo)
    worst = payload["bottleneck"]
    total = payload["totals"]
    assert isinstance(worst, dict) and isinstance(total, dict)
    typer.echo(
        f"BOTTLENECK={worst['component']} bottleneck_bps={worst['bps']:.6f} "
        f"net_bps={float(total['net_bps']):.6f} fills={total['fills']}"
    )
    typer.echo("RESULT=OK dry_run=true" if dry_run else f"RESULT=OK reports={out or run}")
