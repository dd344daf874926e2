"""`mmbot edge-audit --run DIR`: the one-shot edge audit of a run directory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mmbot.backtest.edge_audit import run_edge_audit, too_few_fills
from mmbot.config import DEFAULT_MIN_FILLS

EXAMPLES = (
    "mmbot edge-audit --run out/run",
    "mmbot edge-audit --run out/run --out out/audit --horizon-ms 5000",
    "mmbot edge-audit --run out/run --dry-run",
)


def edge_audit(
    run: Annotated[Path, typer.Option("--run", help="Run directory (fills.csv, mids.csv, ...).")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Report folder (default: the run directory).")
    ] = None,
    horizon_ms: Annotated[
        int, typer.Option("--horizon-ms", min=1, help="Markout horizon of the adverse component.")
    ] = 1000,
    min_fills: Annotated[
        int,
        typer.Option(
            "--min-fills", min=0, help="Below this many fills, say the run is too small to judge."
        ),
    ] = DEFAULT_MIN_FILLS,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate inputs, print what would be written.")
    ] = False,
) -> None:
    """Decompose a run's PnL into gross/fees/adverse/slippage/inventory; name the bottleneck."""
    payload = run_edge_audit(run, out or run, horizon_ms, min_fills, dry_run, typer.echo)
    worst = payload["bottleneck"]
    total = payload["totals"]
    assert isinstance(worst, dict) and isinstance(total, dict)
    note = too_few_fills(int(total["fills"]), min_fills)
    typer.echo(
        f"BOTTLENECK={worst['component']} bottleneck_bps={worst['bps']:.6f} "
        f"net_bps={float(total['net_bps']):.6f} fills={total['fills']}"
        + (f" {note}" if note else "")
    )
    typer.echo("RESULT=OK dry_run=true" if dry_run else f"RESULT=OK reports={out or run}")
