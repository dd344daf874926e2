"""`mmbot metrics dump`: a run's metrics as the unified metrics JSON (docs/OBSERVABILITY.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mmbot import __version__
from mmbot.artifacts import write_json
from mmbot.cli.clock import clock_at
from mmbot.cli.examples import examples
from mmbot.core.errors import DataError
from mmbot.engine.rundir import METRICS_FILE
from mmbot.engine.rundir_read import read_run_info
from mmbot.obs.metrics_json import metrics_document

app = typer.Typer(help="Metrics of a run.", no_args_is_help=True)
DEFAULT_OUT = Path("artifacts/metrics.json")


@app.command(
    epilog=examples(
        "mmbot metrics dump --run out/run",
        "mmbot metrics dump --run out/live --out artifacts/metrics.json --at 2026-01-01T00:00:00Z",
    )
)
def dump(
    run: Annotated[Path, typer.Option("--run", help="Run directory (with metrics.prom).")],
    out: Annotated[Path, typer.Option("--out", help="JSON file to write.")] = DEFAULT_OUT,
    at: Annotated[
        str | None, typer.Option("--at", help="Pin runtime.utc (YYYY-MM-DDTHH:MM:SSZ).")
    ] = None,
) -> None:
    """Write the run's final metric values as deterministic JSON (sorted keys, fixed decimals)."""
    prom = run / METRICS_FILE
    if not prom.is_file():
        raise DataError(
            "E_DATA_FILE_MISSING",
            f"file={prom}: the run directory has no metrics.prom; every backtest and live run "
            "writes one - point --run at a run directory",
        )
    document = metrics_document(
        prom.read_text(encoding="ascii"), read_run_info(run), clock_at(at).now_ns(), __version__
    )
    write_json(out, document)
    typer.echo(f"wrote {out}")
    typer.echo("RESULT=OK")
