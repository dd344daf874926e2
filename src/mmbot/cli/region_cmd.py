"""`mmbot region compare|switch|rollout`: compare regions' runs, plan the canary switch, plan
and apply a rollout (docs/REGIONS.md). Parse, call mmbot.regions, print."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mmbot.cli.clock import clock_at
from mmbot.cli.examples import examples
from mmbot.core.errors import UsageError
from mmbot.regions import (
    COMPARE_JSON,
    DEFAULT_REGIONS_CONFIG,
    DEFAULT_STATE_DIR,
    PlannedChange,
    apply_rollout,
    build_compare,
    load_regions,
    plan_rollout,
    plan_switch,
    write_compare,
)

app = typer.Typer(help="Compare regions, plan the canary switch, roll out.", no_args_is_help=True)

ConfigOption = Annotated[
    Path, typer.Option("--config", "-c", help="Regions config (regions, thresholds, window).")
]
AtOption = Annotated[
    str | None, typer.Option("--at", help="Pin the clock (YYYY-MM-DDTHH:MM:SSZ, UTC).")
]
StateDirOption = Annotated[
    Path, typer.Option("--state-dir", help="Where the journal and active_region.json live.")
]


@app.command(
    epilog=examples(
        "mmbot region compare --runs out/regions",
        "mmbot region compare --runs out/regions --out artifacts/regions --at 2026-01-05T07:00:00Z",
    )
)
def compare(
    runs: Annotated[
        Path, typer.Option("--runs", help="One live-sim or shadow run folder per region.")
    ],
    config: ConfigOption = DEFAULT_REGIONS_CONFIG,
    out: Annotated[
        Path, typer.Option("--out", help="Folder of REGION_COMPARE.json/.md.")
    ] = DEFAULT_STATE_DIR,
    at: AtOption = None,
) -> None:
    """Write REGION_COMPARE.json/.md: each region's figures and eligibility, the winner."""
    result = build_compare(runs, config, clock_at(at).now_ns())
    for path in write_compare(out, result):
        typer.echo(f"wrote {path}")
    typer.echo(f"WINNER={result.winner or 'none'}")
    typer.echo("RESULT=OK")


def _print_plan(planned: PlannedChange) -> None:
    for line in planned.plan.lines():
        typer.echo(line)
    if planned.compare_problem is not None:
        typer.echo(f"NOTE compare: {planned.compare_problem}", err=True)


@app.command(
    epilog=examples(
        "mmbot region switch --to ap-northeast-1",
        "mmbot region switch --to ap-northeast-1 --apply",
    )
)
def switch(
    to: Annotated[str, typer.Option("--to", help="The region to switch the canary to.")],
    apply: Annotated[
        bool, typer.Option("--apply", help="A no-op: says so, writes nothing.")
    ] = False,
    config: ConfigOption = DEFAULT_REGIONS_CONFIG,
    state_dir: StateDirOption = DEFAULT_STATE_DIR,
    at: AtOption = None,
) -> None:
    """Print the dry-run plan of the canary switch (exit 1 when a check fails)."""
    planned = plan_switch(load_regions(config), to, state_dir, clock_at(at).now_ns())
    _print_plan(planned)
    if apply:
        typer.echo(
            "APPLY=noop reason=the canary switch is planned here and carried out by the "
            "operator; nothing was changed or written"
        )
    if not planned.plan.ok:
        raise typer.Exit(code=1)


@app.command(
    epilog=examples(
        "mmbot region rollout --plan",
        "mmbot region rollout --plan --to ap-northeast-1 --apply",
    )
)
def rollout(
    plan: Annotated[bool, typer.Option("--plan", help="Print the plan and its checks.")] = False,
    apply: Annotated[
        bool, typer.Option("--apply", help="Apply when every check is true: journal, state.")
    ] = False,
    to: Annotated[
        str | None, typer.Option("--to", help="Target region (default: the compare's winner).")
    ] = None,
    config: ConfigOption = DEFAULT_REGIONS_CONFIG,
    compare_file: Annotated[
        Path, typer.Option("--compare", help="The REGION_COMPARE.json to roll out from.")
    ] = DEFAULT_STATE_DIR / COMPARE_JSON,
    state_dir: StateDirOption = DEFAULT_STATE_DIR,
    at: AtOption = None,
) -> None:
    """Print the rollout plan (PLAN=OK|BLOCKED); with --apply and PLAN=OK, journal it."""
    if not (plan or apply):
        raise UsageError("E_CLI_USAGE", "give --plan (dry run) or --plan --apply")
    loaded = load_regions(config)
    planned = plan_rollout(loaded, to, compare_file, state_dir, clock_at(at).now_ns())
    _print_plan(planned)
    if not planned.plan.ok:
        if apply:
            typer.echo(f"APPLY=refused failed={','.join(planned.plan.failed())}")
        raise typer.Exit(code=1)
    if apply:
        journal, state = apply_rollout(planned, state_dir)
        typer.echo(f"APPLY=done journal={journal} state={state}")
