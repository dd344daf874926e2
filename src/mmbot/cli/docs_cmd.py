"""`mmbot docs verify-links`: every relative link and anchor of README.md and docs/*.md
resolves (GitHub's anchor rules: mmbot/release/links.py)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from mmbot.cli.examples import examples
from mmbot.release import ReleaseError, broken_links
from mmbot.release.links import documents

app = typer.Typer(help="Documentation checks.", no_args_is_help=True)


@app.command(
    name="verify-links",
    epilog=examples("mmbot docs verify-links", "mmbot docs verify-links --root ../checkout"),
)
def verify_links(
    root: Annotated[
        Path, typer.Option("--root", help="Folder holding README.md and docs/.")
    ] = Path("."),
) -> None:
    """Print each broken link as `file:line: target` (exit 1), or `[OK] all links valid`."""
    if not documents(root):
        raise ReleaseError("E_DOCS_LINK", f"root={root} holds no README.md nor docs/*.md")
    broken = broken_links(root)
    for link in broken:
        typer.echo(f"{link.file.relative_to(root).as_posix()}:{link.line}: {link.target}")
    if broken:
        error = ReleaseError("E_DOCS_LINK", f"{len(broken)} broken link(s) under {root}")
        print(error.line(), file=sys.stderr)
        raise typer.Exit(code=1)
    typer.echo("[OK] all links valid")
