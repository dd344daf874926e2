"""Run the ops command groups (`mmbot canary|soak|ops ...`) inside the test process.

A root app of the three groups, as cli/app.py registers them, run through the CLI's own error
handling (one E_* line on stderr, the exit code back): the tests need not depend on the app's
other groups, and read the output with capsys.
"""

from __future__ import annotations

import typer

from mmbot.cli import canary_cmd, ops_cmd, soak_cmd
from mmbot.cli.errors import run_guarded

_ROOT = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)
_ROOT.add_typer(canary_cmd.app, name="canary")
_ROOT.add_typer(soak_cmd.app, name="soak")
_ROOT.add_typer(ops_cmd.app, name="ops")


def ops_cli(*args: str) -> int:
    """Run `mmbot args...` (a canary, soak or ops command); return its exit code."""
    return run_guarded(typer.main.get_command(_ROOT), list(args), debug=False)
