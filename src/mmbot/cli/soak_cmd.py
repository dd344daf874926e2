"""`mmbot soak run|report`: run a live mode for a window recording its incidents; judge a day
of soak sessions (docs/OPS.md)."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Annotated, Final

import typer

from mmbot.cli.examples import examples
from mmbot.cli.live_options import (
    DEFAULT_METRICS_PORT,
    BaseUrlOption,
    Colour,
    ColourOption,
    ConfigOption,
    MaxOrderLotsOption,
    MaxPositionLotsOption,
    MetricsPortOption,
    QuietOption,
    StatusEveryOption,
    WsUrlOption,
    metrics_options,
)
from mmbot.cli.run_cmd import pacing_for, status_every
from mmbot.config import EffectiveConfig, load_config
from mmbot.core.clock import WallClock
from mmbot.core.errors import UsageError
from mmbot.engine.journal import Journal
from mmbot.engine.live import Pacing, RunOutcome
from mmbot.engine.live_canary import CanaryLimits
from mmbot.node import (
    MetricsOptions,
    Mode,
    System,
    VenueAccess,
    build_canary,
    build_live_sim,
    build_shadow_on_venue,
    build_shadow_replay,
    load_replay,
    open_journal,
    run_live_sim,
    run_on_venue,
    run_shadow,
)
from mmbot.ops import ARTIFACTS_DIR, SoakSession, build_soak_report, run_soak, write_soak_report

app = typer.Typer(help="Soak: run a mode for a window with incidents; daily report.",
                  no_args_is_help=True)  # fmt: skip


class SoakMode(StrEnum):
    """The modes a soak runs in."""

    live_sim = "live-sim"
    shadow = "shadow"
    canary = "canary"


_Runner = Callable[[], RunOutcome]
_DAY_FORMAT: Final = "%Y-%m-%d"
_NS_PER_S: Final = 1_000_000_000


@app.command(
    epilog=examples(
        "mmbot soak run --mode live-sim --data out/data/alt.parquet -c C --out out/soak/ls "
        "--speed 100 --duration-s 600",
        "mmbot soak run --mode shadow --venue binance-usdm --symbol BTC/USDT:USDT -c C "
        "--out out/soak/sh --duration-s 86400",
        "mmbot soak run --mode canary --venue binance-usdm --symbol BTC/USDT:USDT -c C "
        "--out out/soak/c --duration-s 86400 --max-order-lots 1 --max-position-lots 2 "
        "--gate-file /run/mmbot/CANARY_OPEN",
    )
)
def run(
    mode: Annotated[SoakMode, typer.Option("--mode", help="live-sim, shadow or canary.")],
    duration_s: Annotated[
        float,
        typer.Option(
            "--duration-s", "--duration", help="Window in wall seconds (x --speed for a replay)."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="The session's run directory.")],
    data: Annotated[
        Path | None, typer.Option("--data", help="Event file to replay (live-sim, shadow).")
    ] = None,
    config: ConfigOption = None,
    speed: Annotated[
        str, typer.Option("--speed", help="Replay speed: data s per wall s (1: real time).")
    ] = "1",
    venue: Annotated[str | None, typer.Option("--venue", help="canary/shadow venue.")] = None,
    symbol: Annotated[str | None, typer.Option("--symbol", help="The --venue's symbol.")] = None,
    base_url: BaseUrlOption = None,
    ws_url: WsUrlOption = None,
    max_order_lots: MaxOrderLotsOption = None,
    max_position_lots: MaxPositionLotsOption = None,
    gate_file: Annotated[
        Path | None, typer.Option("--gate-file", help="canary: orders go out while it exists.")
    ] = None,
    status_every_s: StatusEveryOption = 10.0,
    quiet: QuietOption = False,
    metrics_port: MetricsPortOption = DEFAULT_METRICS_PORT,
    colour: ColourOption = Colour.blue,
) -> None:
    """Run a live mode for --duration-s, then record the session's figures and its incidents
    (S0-S3) in --out (soak.json, incidents.jsonl) beside the mode's own reports."""
    _check_market(mode, venue, data)
    limits = (
        _canary_limits(max_order_lots, max_position_lots, gate_file)
        if mode is SoakMode.canary
        else None
    )
    live_venue = venue is not None
    effective = load_config(config, os.environ)
    pacing = pacing_for("1" if live_venue else speed, duration_s, None, live_venue=live_venue,
                        status=status_every(Mode(mode.value), status_every_s, quiet))  # fmt: skip
    assert pacing.window_ns is not None
    journal = open_journal(out)
    metrics = metrics_options(metrics_port, colour)
    access = VenueAccess(venue, symbol, base_url, ws_url, os.environ)
    if limits is not None:
        system = build_canary(effective.config, access, limits, pacing, journal,
                              gate_file=gate_file)  # fmt: skip
        runner: _Runner = partial(run_on_venue, system, out, typer.echo, metrics)
    elif live_venue:
        system = build_shadow_on_venue(effective.config, access, pacing, journal)
        runner = partial(run_shadow, system, out, typer.echo, metrics)
    else:
        assert data is not None
        system, runner = _replay_system(mode, effective, data, pacing, journal, out, metrics)
    window_s = pacing.window_ns / _NS_PER_S
    _print_session(run_soak(system, runner, out, WallClock(), window_s), out)


def _replay_system(mode: SoakMode, effective: EffectiveConfig, data: Path, pacing: Pacing,
                   journal: Journal, out: Path, metrics: MetricsOptions
                   ) -> tuple[System, _Runner]:  # fmt: skip
    """Return live-sim or shadow over the event file data, and the call that runs it."""
    replay = load_replay(effective.config, data)
    if mode is SoakMode.shadow:
        system = build_shadow_replay(effective.config, replay.events, pacing, journal)
        return system, partial(run_shadow, system, out, typer.echo, metrics)
    system = build_live_sim(effective.config, replay.events, pacing, journal)

    def run_it() -> RunOutcome:
        return run_live_sim(system, effective, replay, out, typer.echo, metrics).outcome

    return system, run_it


def _check_market(mode: SoakMode, venue: str | None, data: Path | None) -> None:
    """Refuse anything but one market: canary a --venue; live-sim --data; shadow either."""
    allowed = {SoakMode.canary: "--venue", SoakMode.live_sim: "--data",
               SoakMode.shadow: "--data (a replay) or --venue (a venue's feed)"}  # fmt: skip
    given_ok = {SoakMode.canary: venue is not None and data is None,
                SoakMode.live_sim: data is not None and venue is None,
                SoakMode.shadow: (venue is None) != (data is None)}  # fmt: skip
    if not given_ok[mode]:
        raise UsageError("E_CLI_USAGE", f"soak --mode {mode.value} expected {allowed[mode]}, "
                         "one market only")  # fmt: skip


def _canary_limits(max_order_lots: int | None, max_position_lots: int | None,
                   gate_file: Path | None) -> CanaryLimits:  # fmt: skip
    if max_order_lots is None or max_position_lots is None or gate_file is None:
        raise UsageError("E_CLI_USAGE", "soak --mode canary needs --venue, --max-order-lots, "
                         "--max-position-lots (> 0) and --gate-file")  # fmt: skip
    try:
        return CanaryLimits(max_order_lots, max_position_lots)
    except ValueError as exc:
        raise UsageError("E_CLI_USAGE", str(exc)) from None


def _print_session(soak: SoakSession, out: Path) -> None:
    """Print each incident, then RESULT=OK, or RESULT=FAIL (exit 1) after an S0 or S1 one."""
    record = soak.record
    counts = record["incidents"]
    assert isinstance(counts, dict)
    for incident in soak.incidents:
        typer.echo(f"INCIDENT {incident.line()}")
    failed = counts["S0"] + counts["S1"] > 0
    severities = " ".join(f"{name}={counts[name]}" for name in sorted(counts))
    typer.echo(
        f"RESULT={'FAIL' if failed else 'OK'} session={soak.session} "
        f"stop={record['stop_reason']} uptime_pct={float(str(record['uptime_pct'])):.6f} "
        f"{severities} soak={out}"
    )
    if failed:
        raise typer.Exit(code=1)


@app.command(
    epilog=examples(
        "mmbot soak report --day 2026-01-01 --runs out/soak",
        "mmbot soak report --day 2026-01-01 --runs out/soak --out artifacts",
    )
)
def report(
    day: Annotated[str, typer.Option("--day", help="UTC day of the sessions (YYYY-MM-DD).")],
    runs: Annotated[Path, typer.Option("--runs", help="Folder of soak runs (their --out).")],
    out: Annotated[
        Path, typer.Option("--out", help="Folder for soak_report.json and SOAK_REPORT.md.")
    ] = ARTIFACTS_DIR,
) -> None:
    """Sum up the day's soak sessions and judge them: VERDICT=OK, WARN or FAIL (exit 0, 0, 1)."""
    try:
        datetime.strptime(day, _DAY_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise UsageError("E_CLI_USAGE", f"--day value={day} expected=YYYY-MM-DD") from None
    document = build_soak_report(runs, day)
    for path in write_soak_report(out, document):
        typer.echo(f"wrote {path}")
    reasons = document["reasons"]
    assert isinstance(reasons, list)
    for reason in reasons:
        typer.echo(reason)
    typer.echo(f"VERDICT={document['verdict']}")
    if document["verdict"] == "FAIL":
        raise typer.Exit(code=1)
