"""`mmbot preflight` (also `python -m mmbot.cli.preflight`): can a release start here, now?

One line per check, `[OK] name ...` or `[FAIL] E_...: ...`, then `RESULT=OK|FAIL`; exit 0 only
when every check passes (docs/RUNBOOK.md).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Annotated

import typer

from mmbot.cli.clock import clock_at
from mmbot.cli.errors import run_guarded
from mmbot.cli.examples import examples
from mmbot.release import PreflightInputs, load_release_settings, run_preflight

EXAMPLES = (
    "MM_ENV=dev MM_CONFIG_PATH=configs/example.yaml mmbot preflight",
    "MM_ENV=canary MM_CONFIG_PATH=configs/example.yaml mmbot preflight --venue binance-usdm "
    "--time-ref http://127.0.0.1:9090/-/ready",
    "python -m mmbot.cli.preflight --settings release.yaml",
)

SettingsOption = Annotated[
    Path | None,
    typer.Option("--settings", help="Release settings YAML (default: embedded, docs/RUNBOOK.md)."),
]
AtOption = Annotated[str | None, typer.Option("--at", help="Pin the clock (YYYY-MM-DDTHH:MM:SSZ).")]


def preflight(
    venue: Annotated[
        str | None,
        typer.Option("--venue", help="Venue canary/prod trade on (its credentials are checked)."),
    ] = None,
    time_ref: Annotated[
        str | None,
        typer.Option("--time-ref", help="URL whose HTTP Date the clock is compared with."),
    ] = None,
    disk_path: Annotated[
        Path, typer.Option("--disk-path", help="Folder whose file system needs free space.")
    ] = Path("."),
    settings: SettingsOption = None,
    at: AtOption = None,
) -> None:
    """Check env, config, alert rules, artifacts, clock, credentials and disk space."""
    inputs = PreflightInputs(
        environ=dict(os.environ),
        settings=load_release_settings(settings).preflight,
        now_ns=clock_at(at).now_ns(),
        venue=venue,
        disk_path=disk_path,
        time_ref=time_ref,
        promtool=shutil.which("promtool"),
    )
    results = run_preflight(inputs)
    for result in results:
        typer.echo(result.line())
    failures = sum(1 for result in results if not result.ok)
    typer.echo(f"RESULT=FAIL failed={failures}" if failures else "RESULT=OK")
    if failures:
        raise typer.Exit(code=1)


def main(argv: list[str]) -> int:
    """Run preflight as its own command (`python -m mmbot.cli.preflight`); return the exit code."""
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command(epilog=examples(*EXAMPLES))(preflight)
    return run_guarded(typer.main.get_command(app), argv, debug=False)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
