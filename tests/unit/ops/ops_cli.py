"""Run the ops command groups (`mmbot canary|soak|ops ...`) inside the test process.

A root app of the three groups, as cli/app.py registers them, run through the CLI's own error
handling (one E_* line on stderr, the exit code back): the tests need not depend on the app's
other groups, and read the output with capsys.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from mmbot.cli import canary_cmd, ops_cmd, soak_cmd
from mmbot.cli.errors import run_guarded

_REPO_ROOT = Path(__file__).resolve().parents[3]
_ROOT = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)
_ROOT.add_typer(canary_cmd.app, name="canary")
_ROOT.add_typer(soak_cmd.app, name="soak")
_ROOT.add_typer(ops_cmd.app, name="ops")


def ops_cli(*args: str) -> int:
    """Run `mmbot args...` (a canary, soak or ops command); return its exit code."""
    return run_guarded(typer.main.get_command(_ROOT), list(args), debug=False)


def write_ops_shim(folder: Path) -> Path:
    """Write folder/mmbot, a stand-in for the `mmbot` console script limited to the ops
    command groups (for tools/ops/snapshot.sh, which runs $MMBOT); return its path."""
    shim = folder / "mmbot"
    shim.write_text("\n".join([
        f"#!{sys.executable}",
        "import sys",
        f"sys.path.insert(0, {str(_REPO_ROOT)!r})",
        "from tests.unit.ops.ops_cli import ops_cli",
        "sys.exit(ops_cli(*sys.argv[1:]))",
        "",
    ]))  # fmt: skip
    shim.chmod(0o755)
    return shim
