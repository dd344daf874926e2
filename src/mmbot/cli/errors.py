"""Turn errors into one line on stderr and an exit code; tracebacks only with --debug."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import typer

from mmbot.core.errors import MmError, UsageError


def run_guarded(command: Any, argv: Sequence[str], debug: bool) -> int:
    """Run the click command behind the typer app; return its exit code.

    Errors become one `E_*` line on stderr. Help requested by running a group without
    arguments is shown as help, not as an error.
    """
    try:
        result = command.main(args=list(argv), prog_name="mmbot", standalone_mode=False)
    except MmError as exc:
        if debug:
            raise
        print(exc.line(), file=sys.stderr)
        return exc.exit_code
    except typer.Abort:
        print("E_CLI_USAGE: aborted by the user", file=sys.stderr)
        return 130
    except typer.TyperException as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":
            typer.echo(exc.format_message(), err=True)
            return 2
        if debug:
            raise
        usage = UsageError("E_CLI_USAGE", exc.format_message())
        print(usage.line(), file=sys.stderr)
        return usage.exit_code
    return result if isinstance(result, int) else 0
