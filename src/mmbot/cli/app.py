"""The `mmbot` command line: parse, call, print. One module per command group."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Annotated

import typer

from mmbot import __version__
from mmbot.cli import audit_cmd, backtest_cmd, config_cmd, data_cmd, demo, run_cmd
from mmbot.cli.errors import run_guarded

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
app.command(name="demo")(demo.demo)
app.command(name="edge-audit")(audit_cmd.edge_audit)
app.command(name="run")(run_cmd.run)


@app.callback()
def _root(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks instead of one-line errors.")
    ] = False,
) -> None:
    """mmbot: crypto market making - simulate, backtest, audit, operate."""


@app.command()
def version() -> None:
    """Print the mmbot version."""
    typer.echo(f"mmbot {__version__}")


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the `mmbot` console script and `python -m mmbot`."""
    args = list(sys.argv[1:] if argv is None else argv)
    sys.exit(run_guarded(typer.main.get_command(app), args, debug="--debug" in args))
