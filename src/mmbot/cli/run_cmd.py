"""`mmbot run --mode live-sim|shadow|canary|live`: parse the options, let the composition
root (mmbot.node) build and run the mode's system, print the result lines."""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path
from typing import Annotated, Final

import typer

from mmbot.backtest.book_report import group_lines
from mmbot.backtest.run import verdict_line
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
from mmbot.config import EffectiveConfig, HaConfig, load_config
from mmbot.config.book import book_of
from mmbot.core.errors import UsageError
from mmbot.engine.journal import SENDS, Journal
from mmbot.engine.live import Pacing, RunOutcome, StatusEvery, parse_speed
from mmbot.engine.live_canary import CanaryLimits
from mmbot.ha import HaOptions, HaParts, LeaseConfig, ha_parts
from mmbot.node import (
    MetricsOptions,
    Mode,
    Replay,
    ReplaySet,
    VenueAccess,
    build_canary,
    build_live,
    build_live_sim,
    build_shadow_on_venue,
    build_shadow_replay,
    load_replay,
    load_replay_set,
    open_journal,
    run_live_sim,
    run_on_venue,
    run_shadow,
)

_NS_PER_S: Final = 1_000_000_000


def pacing_for(speed_text: str, duration_s: float | None, window_s: float | None,
               live_venue: bool = False, status: StatusEvery | None = None) -> Pacing:  # fmt: skip
    """Return the pacing of the options: a finite speed turns --duration-s into a data window."""
    try:
        speed = parse_speed(speed_text)
    except ValueError as exc:
        raise UsageError("E_CLI_USAGE", str(exc)) from None
    windows = [] if window_s is None else [window_s]
    if duration_s is not None:
        if speed is None:
            raise UsageError(
                "E_CLI_USAGE",
                "--duration-s needs a finite --speed (wall seconds x speed = data seconds); "
                "with --speed max give the data window as --window-s",
            )
        windows.append(duration_s * speed)
    if any(w <= 0 for w in windows):
        raise UsageError("E_CLI_USAGE", f"--duration-s/--window-s value={windows} expected=>0")
    window_ns = round(min(windows) * _NS_PER_S) if windows else None
    return Pacing(speed=speed, window_ns=window_ns, live_venue=live_venue, status=status)


def status_every(mode: Mode, every_s: float, quiet: bool) -> StatusEvery | None:
    """Return the STATUS line settings of the options (on stderr; None with --quiet)."""
    if quiet:
        return None
    try:
        return StatusEvery(mode.value, every_s, partial(typer.echo, err=True))
    except ValueError as exc:
        raise UsageError("E_CLI_USAGE", str(exc)) from None


def _print_outcome(mode: Mode, outcome: RunOutcome, journal: Journal, out: Path) -> None:
    counts = journal.counts()
    sends = " ".join(f"{k}={counts[k]}" for k in SENDS)
    typer.echo(
        f"RESULT=OK mode={mode.value} stop={outcome.stop_reason} decisions={outcome.decisions} "
        f"{sends} fills={counts['fill']} working_orders_left={outcome.working_orders_left} "
        f"reports={out}"
    )


def run(
    mode: Annotated[Mode, typer.Option("--mode", help="live-sim, shadow, canary or live.")],
    out: Annotated[Path, typer.Option("--out", help="Run directory to write.")],
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="Event file (Parquet) to replay (live-sim; shadow's feed); a book: a folder "
            "of <symbol>.parquet.",
        ),
    ] = None,
    config: ConfigOption = None,
    speed: Annotated[
        str,
        typer.Option("--speed", help="Replay speed: data s per wall s (1: real time) or 'max'."),
    ] = "1",
    duration_s: Annotated[
        float | None, typer.Option("--duration-s", help="Stop after this many wall seconds.")
    ] = None,
    window_s: Annotated[
        float | None, typer.Option("--window-s", help="Stop after this many data seconds.")
    ] = None,
    venue: Annotated[str | None, typer.Option("--venue", help="canary/live/shadow venue.")] = None,
    symbol: Annotated[
        str | None,
        typer.Option(
            "--symbol",
            help="The --venue's symbol; a book: one per book symbol, "
            "comma-separated in its order (default: the book's symbols).",
        ),
    ] = None,
    max_order_lots: MaxOrderLotsOption = None,
    max_position_lots: MaxPositionLotsOption = None,
    gate_file: Annotated[
        Path | None,
        typer.Option("--gate-file", help="canary/live: orders go out only while it exists."),
    ] = None,
    base_url: BaseUrlOption = None,
    ws_url: WsUrlOption = None,
    adopt: Annotated[
        bool,
        typer.Option("--adopt", help="canary/live: adopt the venue's position/open orders."),
    ] = False,
    status_every_s: StatusEveryOption = 10.0,
    quiet: QuietOption = False,
    metrics_port: MetricsPortOption = DEFAULT_METRICS_PORT,
    colour: ColourOption = Colour.blue,
    ha: Annotated[
        str | None,
        typer.Option(
            "--ha",
            help="live-sim/canary/live: the leader lease, sqlite:PATH or "
            "redis://HOST:PORT/DB; one instance of several quotes (docs/HA.md).",
        ),
    ] = None,
    instance: Annotated[
        str | None, typer.Option("--instance", help="With --ha: this instance's name.")
    ] = None,
) -> None:
    """Run the engine in a live mode; SIGTERM/SIGINT cancel resting orders and exit 0."""
    if adopt and mode not in (Mode.canary, Mode.live):
        raise UsageError("E_CLI_USAGE", f"--adopt with --mode {mode.value} expected --mode "
                         "canary or live (only a real venue has a position to adopt)")  # fmt: skip
    if venue is not None and data is not None:
        raise UsageError("E_CLI_USAGE", "--venue with --data expected one market: a venue's "
                         "stream (--venue) or a replay (--data)")  # fmt: skip
    effective = load_config(config, os.environ)
    ha_options = _ha_options(mode, ha, instance, adopt, effective.config.ha)
    journal = open_journal(out)
    lease = None if ha_options is None else ha_parts(ha_options, out, os.environ)
    access = VenueAccess(venue, symbol, base_url, ws_url, os.environ)
    metrics = metrics_options(metrics_port, colour)
    status = status_every(mode, status_every_s, quiet)
    if mode in (Mode.canary, Mode.live):
        limits = _canary_limits(mode, max_order_lots, max_position_lots, gate_file)
        pacing = pacing_for("1", duration_s, window_s, live_venue=True, status=status)
        cfg = effective.config
        system = (
            build_live(cfg, access, pacing, journal, gate_file=gate_file, adopt=adopt, ha=lease)
            if limits is None
            else build_canary(cfg, access, limits, pacing, journal, gate_file=gate_file,
                              adopt=adopt, ha=lease)
        )  # fmt: skip
        _print_outcome(mode, run_on_venue(system, out, typer.echo, metrics), journal, out)
        return
    if mode is Mode.shadow and venue is not None:
        pacing = pacing_for("1", duration_s, window_s, live_venue=True, status=status)
        system = build_shadow_on_venue(effective.config, access, pacing, journal)
        _print_outcome(mode, run_shadow(system, out, typer.echo, metrics), journal, out)
        return
    is_book = book_of(effective.config).is_portfolio
    if data is None and not is_book:
        raise UsageError("E_CLI_USAGE", f"--mode {mode.value} needs --data (the event file)")
    pacing = pacing_for(speed, duration_s, window_s, status=status)
    _run_replay(mode, effective, data, pacing, journal, out, metrics, lease)


def _ha_options(mode: Mode, spec: str | None, instance: str | None, adopt: bool,
                timing: HaConfig | None) -> HaOptions | None:  # fmt: skip
    """Return the --ha/--instance options with the config's lease timing (None: one
    instance, no lease)."""
    if spec is None and instance is None:
        return None
    if spec is None or instance is None or mode is Mode.shadow:
        raise UsageError(
            "E_CLI_USAGE",
            "--ha and --instance go together, with --mode "
            "live-sim, canary or live (shadow sends no order: docs/HA.md)",
        )
    if adopt:
        raise UsageError("E_CLI_USAGE", "--adopt with --ha expected one of them: an HA "
                         "instance takes the venue's position and, once elected, cancels "
                         "the open orders of older epochs (docs/HA.md)")  # fmt: skip
    lease = LeaseConfig() if timing is None else LeaseConfig(**timing.model_dump())
    try:
        return HaOptions(spec, instance, lease)
    except ValueError as exc:
        raise UsageError("E_CLI_USAGE", str(exc)) from None


def _canary_limits(mode: Mode, max_order_lots: int | None, max_position_lots: int | None,
                   gate_file: Path | None) -> CanaryLimits | None:  # fmt: skip
    if mode is Mode.live:
        return None
    if max_order_lots is None or max_position_lots is None or gate_file is None:
        raise UsageError(
            "E_CLI_USAGE",
            "canary needs --max-order-lots, --max-position-lots (> 0) and --gate-file",
        )
    try:
        return CanaryLimits(max_order_lots, max_position_lots)
    except ValueError as exc:
        raise UsageError("E_CLI_USAGE", str(exc)) from None


def _run_replay(mode: Mode, effective: EffectiveConfig, data: Path | None, pacing: Pacing,
                journal: Journal, out: Path, metrics: MetricsOptions,
                ha: HaParts | None = None) -> None:  # fmt: skip
    """live-sim (orders reach the simulator) or shadow (orders recorded, none sent) over one
    event file, or over a book's (a portfolio config: one file per symbol, node.replay)."""
    config = effective.config
    replay: Replay | ReplaySet
    if book_of(config).is_portfolio:
        replay = load_replay_set(config, data)
    else:
        assert data is not None
        replay = load_replay(config, data)
    if mode is Mode.shadow:
        system = build_shadow_replay(config, replay.events, pacing, journal)
        _print_outcome(mode, run_shadow(system, out, typer.echo, metrics), journal, out)
        return
    system = build_live_sim(config, replay.events, pacing, journal, ha)
    run = run_live_sim(system, effective, replay, out, typer.echo, metrics)
    figures = run.report["figures"]
    assert isinstance(figures, dict)
    typer.echo(
        f"{verdict_line(run.report)} net_bps={float(figures['net_bps']):.6f} "
        f"taker_share_pct={float(figures['taker_share_pct']):.6f} "
        f"order_age_p95_ms={float(figures['order_age_p95_ms']):.6f} fills={figures['fills']}"
    )
    for line in group_lines(run.report):  # a book's report only
        typer.echo(line)
    _print_outcome(mode, run.outcome, journal, out)
