"""`mmbot demo`: the main job on the embedded defaults (grows with each core issue)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from mmbot import __version__
from mmbot.artifacts import canonical_json_bytes, markdown_table, utc_iso, write_json, write_text
from mmbot.config import EffectiveConfig, load_config
from mmbot.core.clock import Clock, SimClock, WallClock
from mmbot.core.errors import UsageError


def _clock_at(at: str | None) -> Clock:
    if at is None:
        return WallClock()
    from datetime import UTC, datetime

    try:
        moment = datetime.strptime(at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise UsageError("E_CLI_USAGE", f"--at value={at} expected=YYYY-MM-DDTHH:MM:SSZ") from None
    return SimClock(int(moment.timestamp()) * 1_000_000_000)


def _section_rows(config_payload: dict[str, Any]) -> list[list[str | int]]:
    rows: list[list[str | int]] = []
    for section in sorted(config_payload):
        data = canonical_json_bytes(config_payload[section])
        rows.append([section, len(config_payload[section]), hashlib.sha256(data).hexdigest()[:16]])
    return rows


def write_demo_artifacts(effective: EffectiveConfig, out: Path, clock: Clock) -> list[Path]:
    """Write the effective config, a metrics sample and a summary; return the paths."""
    description = effective.describe()
    config_payload = json.loads(description.text)["config"]
    rows = _section_rows(config_payload)
    total_keys = sum(int(row[1]) for row in rows)
    summary = (
        f"# mmbot demo\n\nconfig sha256 `{description.sha256}`, env `{effective.env}`, "
        f"profile `{effective.profile or 'none'}`\n\n"
        + markdown_table(
            ["section", "keys", "sha256_16"],
            rows,
            total=["TOTAL", total_keys, description.sha256[:16]],
        )
    )
    metrics = {
        "config": {
            "env": effective.env,
            "profile": effective.profile,
            "sha256": description.sha256,
        },
        "runtime": {"utc": utc_iso(clock.now_ns()), "version": __version__},
    }
    return [
        write_text(out / "config_effective.json", description.text),
        write_json(out / "metrics.json", metrics),
        write_text(out / "SUMMARY.md", summary),
    ]


def demo(
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("out/demo"),
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="YAML config (default: embedded).")
    ] = None,
    at: Annotated[
        str | None, typer.Option("--at", help="Pin runtime.utc (YYYY-MM-DDTHH:MM:SSZ).")
    ] = None,
) -> None:
    """Validate and describe the config, write an artifact sample, print where it is."""
    effective = load_config(config, os.environ)
    description = effective.describe()
    paths = write_demo_artifacts(effective, out, _clock_at(at))
    typer.echo(description.text, nl=False)
    typer.echo(f"sha256={description.sha256}")
    for path in paths:
        typer.echo(f"wrote {path}")
    typer.echo(f"RESULT=OK outputs={out}")
