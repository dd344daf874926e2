"""Example lines shown at the end of a command's --help (the typer epilog)."""

from __future__ import annotations


def examples(*command_lines: str) -> str:
    """Return an epilog listing command_lines, one per line, under `Examples:`."""
    return "\n".join(["Examples:", *(f"  {line}" for line in command_lines)])
