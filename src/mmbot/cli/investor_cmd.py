"""`mmbot investor package`: exports, deck and SOP from run directories (docs/INVESTOR.md)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from mmbot.cli.clock import clock_at
from mmbot.cli.examples import examples
from mmbot.config import load_config
from mmbot.finops import load_runs
from mmbot.investor import PackageRequest, package_files, write_package

app = typer.Typer(help="Investor package: exports, deck, SOP.", no_args_is_help=True)


@app.command(
    epilog=examples(
        "mmbot investor package --runs out/book -c configs/portfolio_example.yaml --out dist/inv",
        "mmbot investor package --runs out/runs -c C --out dist/inv --at 2026-01-01T00:00:00Z",
    )
)
def package(
    runs: Annotated[
        Path, typer.Option("--runs", help="A run directory, or a folder of run directories.")
    ],
    out: Annotated[Path, typer.Option("--out", help="Package folder (replaced whole).")],
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="The config the runs were made with (sha256 checked)."),
    ] = None,
    docs: Annotated[
        Path, typer.Option("--docs", help="Folder of OBSERVABILITY.md and MODES.md (the SOP's).")
    ] = Path("docs"),
    horizon_ms: Annotated[
        int, typer.Option("--horizon-ms", min=1, help="Markout horizon of the edge decomposition.")
    ] = 1000,
    at: Annotated[
        str | None, typer.Option("--at", help="Pin the generation time (YYYY-MM-DDTHH:MM:SSZ).")
    ] = None,
) -> None:
    """Write exports (CSV with TOTAL last, JSON), a deck (DECK.md, deck.html, SVG charts) and
    SOP.md for the runs; same runs, config, docs and --at: the same bytes."""
    request = PackageRequest(
        runs=load_runs(runs),
        effective=load_config(config, os.environ),
        docs=docs,
        horizon_ms=horizon_ms,
        generated_ns=clock_at(at).now_ns(),
    )
    files = package_files(request)
    write_package(files, out, typer.echo)
    typer.echo(f"RESULT=OK runs={len(request.runs)} files={len(files) + 1} out={out}")
