"""`mmbot canary report|snapshot|archive`: the canary's release record (docs/OPS.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Final

import typer

from mmbot.artifacts import atomic_write_bytes, write_text
from mmbot.cli.clock import clock_at
from mmbot.cli.examples import examples
from mmbot.ops import (
    ARTIFACTS_DIR,
    PROM_SNAPSHOT_JSON,
    REPORT_CANARY_MD,
    fetch_targets,
    render_canary_report,
    snapshot_bytes,
    target_health,
    write_canary_archive,
)

app = typer.Typer(help="Canary release record: report, Prometheus snapshot, archive.",
                  no_args_is_help=True)  # fmt: skip
DEFAULT_REPORT: Final = ARTIFACTS_DIR / REPORT_CANARY_MD
DEFAULT_SNAPSHOT: Final = ARTIFACTS_DIR / PROM_SNAPSHOT_JSON


@app.command(
    epilog=examples(
        "mmbot canary report --run out/c",
        "mmbot canary report --run out/c --out artifacts/REPORT_CANARY.md",
    )
)
def report(
    run: Annotated[Path, typer.Option("--run", help="The canary's run directory (--out).")],
    out: Annotated[Path, typer.Option("--out", help="Markdown file to write.")] = DEFAULT_REPORT,
) -> None:
    """Write REPORT_CANARY.md from the run's metrics, edge audit and canary.json; exit 1 when a
    health check fails."""
    text, passed = render_canary_report(run)
    write_text(out, text)
    typer.echo(f"wrote {out}")
    typer.echo(f"RESULT={'OK' if passed else 'FAIL'} report={out}")
    if not passed:
        raise typer.Exit(code=1)


@app.command(
    epilog=examples(
        "mmbot canary snapshot --prom http://127.0.0.1:9090",
        "mmbot canary snapshot --prom http://prom:9090 --out artifacts/prom_snapshot.json",
    )
)
def snapshot(
    prom: Annotated[str, typer.Option("--prom", help="Prometheus base URL.")],
    out: Annotated[Path, typer.Option("--out", help="JSON file to write.")] = DEFAULT_SNAPSHOT,
) -> None:
    """Save Prometheus' scrape targets (/api/v1/targets) as canonical JSON (ASCII, LF)."""
    document = fetch_targets(prom)
    atomic_write_bytes(out, snapshot_bytes(document))
    health = target_health(document)
    states = "".join(f" {state}={count}" for state, count in health.items())
    typer.echo(f"wrote {out}")
    typer.echo(f"RESULT=OK targets={sum(health.values())}{states} snapshot={out}")


@app.command(
    epilog=examples(
        "mmbot canary archive",
        "mmbot canary archive --at 2026-01-01T00:00:00Z --artifacts artifacts --dist dist",
    )
)
def archive(
    artifacts: Annotated[
        Path, typer.Option("--artifacts", help="Folder of the four files to pack.")
    ] = ARTIFACTS_DIR,
    dist: Annotated[Path, typer.Option("--dist", help="Folder to write the archive into.")] = Path(
        "dist"
    ),
    at: Annotated[
        str | None, typer.Option("--at", help="The archive's time (YYYY-MM-DDTHH:MM:SSZ).")
    ] = None,
) -> None:
    """Pack metrics.json, rc_validator.json, prom_snapshot.json and REPORT_CANARY.md into
    dist/canary_<ts>.tar.gz (the same files and --at give the same bytes)."""
    path = write_canary_archive(artifacts, dist, clock_at(at).now_ns())
    typer.echo(f"wrote {path}")
    typer.echo(f"RESULT=OK archive={path}")
