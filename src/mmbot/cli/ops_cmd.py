"""`mmbot ops daily-check|snapshot`: the day's artifacts checked, and copied aside (docs/OPS.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mmbot.cli.clock import clock_at
from mmbot.cli.examples import examples
from mmbot.ops import ARTIFACTS_DIR, DAILY_FILES, check_artifacts, write_daily_snapshot

app = typer.Typer(help="Daily operations: check the day's artifacts, snapshot them.",
                  no_args_is_help=True)  # fmt: skip

_ARTIFACTS_HELP = "Folder of the day's artifacts."
_AT_HELP = "The check's time (YYYY-MM-DDTHH:MM:SSZ; default: now)."


@app.command(
    name="daily-check",
    epilog=examples(
        "mmbot ops daily-check",
        "mmbot ops daily-check --artifacts artifacts --max-age-h 24",
        "python -m mmbot.tools.ops.daily_check",
    ),
)
def daily_check(
    artifacts: Annotated[Path, typer.Option("--artifacts", help=_ARTIFACTS_HELP)] = ARTIFACTS_DIR,
    max_age_h: Annotated[
        float, typer.Option("--max-age-h", min=0.0, help="Oldest fresh artifact, hours.")
    ] = 24.0,
    at: Annotated[str | None, typer.Option("--at", help=_AT_HELP)] = None,
) -> None:
    """Check every daily artifact: present, fresh, ASCII, LF-terminated, canonical JSON;
    RESULT=OK, or RESULT=FAIL (exit 1) after one line per problem."""
    checks = check_artifacts(artifacts, DAILY_FILES, clock_at(at).now_ns(), max_age_h)
    for check in checks:
        for line in check.lines():
            typer.echo(line)
    problems = sum(len(check.problems) for check in checks)
    if problems:
        typer.echo(f"RESULT=FAIL problems={problems} files={len(checks)}")
        raise typer.Exit(code=1)
    typer.echo(f"RESULT=OK files={len(checks)}")


@app.command(
    epilog=examples(
        "mmbot ops snapshot",
        "tools/ops/snapshot.sh --artifacts artifacts --dist dist",
    )
)
def snapshot(
    artifacts: Annotated[Path, typer.Option("--artifacts", help=_ARTIFACTS_HELP)] = ARTIFACTS_DIR,
    dist: Annotated[Path, typer.Option("--dist", help="Folder holding snapshots/.")] = Path("dist"),
    at: Annotated[str | None, typer.Option("--at", help=_AT_HELP)] = None,
) -> None:
    """Copy every daily artifact and a sha256 manifest into dist/snapshots/<YYYYMMDD>_Z/;
    refuse (nothing written) while one is missing."""
    folder = write_daily_snapshot(artifacts, dist, clock_at(at).now_ns())
    typer.echo(f"wrote {folder}")
    typer.echo(f"RESULT=OK snapshot={folder} files={len(DAILY_FILES)}")
