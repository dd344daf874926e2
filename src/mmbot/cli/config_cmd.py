"""`mmbot config validate|describe`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from mmbot.artifacts import write_text
from mmbot.cli.examples import examples
from mmbot.config import load_config

app = typer.Typer(help="Validate and describe the effective config.", no_args_is_help=True)

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="YAML config (default: $MM_CONFIG_PATH, else embedded defaults)."
    ),
]


@app.command(
    epilog=examples(
        "mmbot config validate -c configs/example.yaml",
        "MM_PROFILE=econ_moderate MM_ENV=shadow mmbot config validate -c configs/example.yaml",
    )
)
def validate(config: ConfigOption = None) -> None:
    """Validate the effective config (file + $MM_PROFILE + $MM_ENV); print RESULT=OK."""
    effective = load_config(config, os.environ)
    sha = effective.describe().sha256
    typer.echo(
        f"RESULT=OK env={effective.env} profile={effective.profile or 'none'} "
        f"sha256={sha} source={effective.source}"
    )


@app.command()
def describe(
    config: ConfigOption = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Also write the dump to this file.")
    ] = None,
) -> None:
    """Print the canonical dump of the effective config, then its sha256."""
    effective = load_config(config, os.environ)
    description = effective.describe()
    if out is not None:
        write_text(out, description.text)
    typer.echo(description.text, nl=False)
    typer.echo(f"sha256={description.sha256}")
