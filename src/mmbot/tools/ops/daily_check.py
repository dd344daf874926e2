"""`python -m mmbot.tools.ops.daily_check [--artifacts DIR] [--max-age-h H] [--at UTC]`: the
checklist's name for `mmbot ops daily-check` (same options, output and exit code)."""

from __future__ import annotations

import sys

import typer

from mmbot.cli.errors import run_guarded
from mmbot.cli.ops_cmd import app

if __name__ == "__main__":
    args = ["daily-check", *sys.argv[1:]]
    sys.exit(run_guarded(typer.main.get_command(app), args, debug="--debug" in args))
