"""The release commands mounted as cli/app.py mounts them, run in-process: exit code back,
output on sys.stdout / sys.stderr for capsys."""

from __future__ import annotations

import typer

from mmbot.cli import docs_cmd, preflight, release_cmd
from mmbot.cli.errors import run_guarded


def _release_app() -> typer.Typer:
    app = typer.Typer(name="mmbot", no_args_is_help=True, pretty_exceptions_enable=False)
    app.add_typer(release_cmd.rc_app, name="rc")
    app.add_typer(docs_cmd.app, name="docs")
    app.command(name="preflight")(preflight.preflight)
    app.command(name="go-nogo")(release_cmd.go_nogo)
    return app


def run_release(*args: str) -> int:
    """Run `mmbot args...` (a release command); return its exit code."""
    return run_guarded(typer.main.get_command(_release_app()), list(args), debug=False)
