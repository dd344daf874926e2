"""`mmbot rc validate` and `mmbot go-nogo`: the release candidate's live checks, and the
verdict over every report (docs/RUNBOOK.md)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Final

import typer

from mmbot.artifacts import write_json
from mmbot.cli.clock import clock_at
from mmbot.cli.examples import examples
from mmbot.cli.preflight import AtOption, SettingsOption
from mmbot.config import load_config
from mmbot.release import (
    Context,
    load_release_settings,
    rc_payload,
    run_go_nogo,
    run_rc_checks,
    verdict_lines,
)

rc_app = typer.Typer(help="Release-candidate validation against Prometheus.", no_args_is_help=True)
DEFAULT_RC_OUT: Final = Path("artifacts/rc_validator.json")
GO_NOGO_EXAMPLES: Final = (
    "mmbot go-nogo",
    "mmbot go-nogo --artifacts artifacts --settings release.yaml -c configs/example.yaml",
)
_NS_PER_S: Final = 1_000_000_000


@rc_app.command(
    epilog=examples(
        "mmbot rc validate --prom http://127.0.0.1:9090 --am http://127.0.0.1:9093",
        "mmbot rc validate --prom http://prom:9090 --out artifacts/rc_validator.json "
        "--at 2026-01-01T00:00:00Z",
    )
)
def validate(
    prom: Annotated[str, typer.Option("--prom", help="Prometheus base URL.")],
    am: Annotated[
        str | None,
        typer.Option("--am", help="Alertmanager base URL (default: Prometheus' ALERTS)."),
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="JSON report to write.")] = DEFAULT_RC_OUT,
    settings: SettingsOption = None,
    at: AtOption = None,
) -> None:
    """Run every release-candidate query; write the values, limits and verdict as JSON."""
    at_s = clock_at(at).now_ns() // _NS_PER_S
    rows = run_rc_checks(prom, am, at_s, load_release_settings(settings).rc)
    for row in rows:
        typer.echo(row.result().line())
    payload = rc_payload(rows, prom, am, at_s)
    write_json(out, payload)
    typer.echo(f"wrote {out}")
    typer.echo(f"VERDICT={payload['verdict']}")
    if payload["verdict"] != "PASS":
        raise typer.Exit(code=1)


def go_nogo(
    artifacts: Annotated[
        Path, typer.Option("--artifacts", help="Folder of the reports (docs/RUNBOOK.md).")
    ] = Path("artifacts"),
    repo: Annotated[
        Path, typer.Option("--repo", help="Checkout whose goldens are checked.")
    ] = Path("."),
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="Config of the thresholds (default: $MM_CONFIG_PATH)."),
    ] = None,
    settings: SettingsOption = None,
    at: AtOption = None,
) -> None:
    """Check every report is present, fresh and within thresholds, and the goldens unchanged."""
    context = Context(load_config(config, os.environ), load_release_settings(settings).go_nogo)
    results = run_go_nogo(artifacts, repo, clock_at(at).now_ns(), context)
    lines = verdict_lines(results)
    for line in lines:
        typer.echo(line)
    if lines[-1] != "VERDICT=GO":
        raise typer.Exit(code=1)
