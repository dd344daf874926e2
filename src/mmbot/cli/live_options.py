"""The options `mmbot run` and `mmbot soak run` share: one definition of each flag, its help,
its environment variable and its default."""

from __future__ import annotations

from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Annotated, Final

import typer

from mmbot.node import MetricsOptions

DEFAULT_METRICS_PORT: Final = 9108


class Colour(StrEnum):
    """The deployment colours of a blue/green rollout."""

    blue = "blue"
    green = "green"


ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="YAML config (default: embedded).")
]
BaseUrlOption = Annotated[
    str | None, typer.Option("--base-url", help="With --venue: REST base URL (test/loopback).")
]
WsUrlOption = Annotated[
    str | None,
    typer.Option("--ws-url", help="With --venue: WS base URL (default: from --base-url)."),
]
MaxOrderLotsOption = Annotated[
    int | None, typer.Option("--max-order-lots", help="canary: hard cap per order, lots.")
]
MaxPositionLotsOption = Annotated[
    int | None, typer.Option("--max-position-lots", help="canary: hard position cap, lots.")
]
StatusEveryOption = Annotated[
    float,
    typer.Option("--status-every-s", help="Print a STATUS line on stderr this often (wall s)."),
]
QuietOption = Annotated[bool, typer.Option("--quiet", help="No STATUS lines.")]
MetricsPortOption = Annotated[
    int,
    typer.Option(
        "--metrics-port", envvar="MM_METRICS_PORT", min=-1, max=65535,
        help="Serve Prometheus metrics on 127.0.0.1:PORT (0: any free port; -1: none).",
    ),
]  # fmt: skip
ColourOption = Annotated[
    Colour,
    typer.Option("--colour", envvar="MM_COLOUR", help="Deployment colour (latency metric)."),
]


def metrics_options(port: int, colour: Colour) -> MetricsOptions:
    """Return where a live run serves its metrics (-1: nowhere); the URL goes to stderr."""
    return MetricsOptions(None if port < 0 else port, colour.value, partial(typer.echo, err=True))
