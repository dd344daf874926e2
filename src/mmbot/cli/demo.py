"""`mmbot demo`: the main job on shipped defaults - synthesize, backtest, edge audit."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from mmbot.backtest.demo import demo_config
from mmbot.cli.backtest_cmd import StrictOption, exit_unless_pass
from mmbot.cli.clock import clock_at
from mmbot.engine.rundir_commit import check_out_dir
from mmbot.node import run_demo

EXAMPLES = (
    "mmbot demo",
    "mmbot demo --out out/demo --at 2026-01-01T00:00:00Z --strict",
)


def demo(
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("out/demo"),
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="YAML config (default: the shipped fixture)."),
    ] = None,
    at: Annotated[
        str | None, typer.Option("--at", help="Pin runtime.utc (YYYY-MM-DDTHH:MM:SSZ).")
    ] = None,
    strict: StrictOption = False,
) -> None:
    """Describe the config, synthesize a market, backtest it, audit the edge; print the result."""
    effective = demo_config(config, os.environ)
    check_out_dir(out, keep_foreign=True)
    description = effective.describe()
    typer.echo(description.text, nl=False)
    typer.echo(f"sha256={description.sha256}")
    outcome = run_demo(effective, out, clock_at(at), typer.echo)
    typer.echo(
        f"{outcome.verdict_line} BOTTLENECK={outcome.bottleneck} "
        f"bottleneck_bps={outcome.bottleneck_bps:.6f}"
    )
    typer.echo(f"reports: {outcome.run_dir / 'BACKTEST.md'} {outcome.run_dir / 'EDGE_AUDIT.md'}")
    typer.echo(f"metrics: {outcome.metrics_path}")
    typer.echo(f"RESULT=OK outputs={out}")
    exit_unless_pass(outcome.verdict, strict)
