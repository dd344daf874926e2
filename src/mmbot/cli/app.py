"""The `mmbot` command line: parse, call, print. One module per command group."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib.metadata import version as package_version
from typing import Annotated

import typer

from mmbot.cli import (
    audit_cmd,
    backtest_cmd,
    canary_cmd,
    config_cmd,
    data_cmd,
    demo,
    docs_cmd,
    finops_cmd,
    investor_cmd,
    metrics_cmd,
    ops_cmd,
    preflight,
    region_cmd,
    release_cmd,
    run_cmd,
    soak_cmd,
)
from mmbot.cli.errors import run_guarded
from mmbot.cli.examples import examples

app = typer.Typer(
    name="mmbot",
    help="mmbot: crypto market making - simulate, backtest, audit, operate.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(config_cmd.app, name="config")
app.add_typer(backtest_cmd.app, name="backtest")
app.add_typer(data_cmd.app, name="data")
app.add_typer(metrics_cmd.app, name="metrics")
app.add_typer(release_cmd.rc_app, name="rc")
app.add_typer(docs_cmd.app, name="docs")
app.add_typer(finops_cmd.app, name="finops")
app.add_typer(investor_cmd.app, name="investor")
app.add_typer(canary_cmd.app, name="canary")
app.add_typer(soak_cmd.app, name="soak")
app.add_typer(ops_cmd.app, name="ops")
app.command(name="preflight", epilog=examples(*preflight.EXAMPLES))(preflight.preflight)
app.command(name="go-nogo", epilog=examples(*release_cmd.GO_NOGO_EXAMPLES))(release_cmd.go_nogo)
app.add_typer(region_cmd.app, name="region")
app.command(name="demo", epilog=examples(*demo.EXAMPLES))(demo.demo)
app.command(name="edge-audit", epilog=examples(*audit_cmd.EXAMPLES))(audit_cmd.edge_audit)
app.command(
    name="run",
    epilog=examples(
        "mmbot run --mode live-sim --data out/data/alt.parquet -c C --out out/live --speed max",
        "mmbot run --mode shadow --data out/data/alt.parquet -c C --out out/shadow",
        "mmbot run --mode canary --venue binance-usdm --symbol BTC/USDT:USDT "
        "--max-order-lots 1 --max-position-lots 5 --gate-file /run/mmbot/canary_open --out out/c",
    ),
)(run_cmd.run)


def _version_line() -> str:
    """Return `mmbot <version>` from the installed package's metadata."""
    return f"mmbot {package_version('mmbot')}"


def _print_version(requested: bool) -> None:
    if requested:
        typer.echo(_version_line())
        raise typer.Exit()


@app.callback()
def _root(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks instead of one-line errors.")
    ] = False,
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_print_version, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """mmbot: crypto market making - simulate, backtest, audit, operate."""


@app.command()
def version() -> None:
    """Print the mmbot version."""
    typer.echo(_version_line())


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the `mmbot` console script and `python -m mmbot`."""
    args = list(sys.argv[1:] if argv is None else argv)
    sys.exit(run_guarded(typer.main.get_command(app), args, debug="--debug" in args))
