"""`mmbot run --mode live-sim|shadow|canary|live`: the backtest's engine under the live runner.

The composition lives here because it joins the backtest wiring and reports (build_engine,
engine_over, write_run, build_backtest_report) with the live runner (engine/live*.py), and
only the CLI layer may import both.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Annotated, Final

import typer

from mmbot.artifacts import write_json, write_text
from mmbot.backtest.run import (
    DataSpan,
    build_backtest_report,
    render_backtest_md,
    verdict_line,
    write_run,
)
from mmbot.backtest.wiring import build_engine, check_instrument, engine_over, starting_maker_bps
from mmbot.config import EffectiveConfig, MmConfig, load_config
from mmbot.core.errors import UsageError
from mmbot.data import InstrumentMeta, load_events
from mmbot.engine.journal import JOURNAL_FILE, SENDS, Journal
from mmbot.engine.kill_switch import KillSwitchFile
from mmbot.engine.live import LiveRunner, Pacing, RunOutcome, StatusEvery, parse_speed, run_live
from mmbot.engine.live_canary import CanaryGate, CanaryLimits, CanaryVenue, FileGate, FlagGate
from mmbot.engine.live_ports import FeedSource, JournalingVenue, ShadowVenue
from mmbot.engine.loop import Engine, EngineVenue
from mmbot.engine.rundir_commit import building_run_dir, check_out_dir
from mmbot.venues.credentials import Credentials
from mmbot.venues.live_bridge import (
    BridgeableVenue,
    BridgeConfig,
    LiveBridge,
    linear_instrument,
)

LIVE_SIM_JSON: Final = "live_sim.json"
LIVE_SIM_MD: Final = "LIVE_SIM.md"
SHADOW_JSON: Final = "shadow.json"
CANARY_JSON: Final = "canary.json"
_NS_PER_S: Final = 1_000_000_000


class Mode(StrEnum):
    """Run modes: which clock and which venue."""

    live_sim = "live-sim"
    shadow = "shadow"
    canary = "canary"
    live = "live"


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


def live_sim_report(
    engine: Engine,
    out: Path,
    effective: EffectiveConfig,
    data: tuple[Path, InstrumentMeta, DataSpan],
    outcome: RunOutcome,
    journal: Journal,
) -> dict[str, object]:
    """Write the run directory and the live-sim report (backtest report + how the run ended).

    They are built aside and moved into out with their manifest last; out's journal stays.
    """
    data_path, meta, span = data
    with building_run_dir(out, keep_foreign=True) as stage:
        write_run(engine, stage, effective, meta, data_path, mode=Mode.live_sim.value)
        report = build_backtest_report(stage, effective, engine.values(), span)
        report["mode"] = Mode.live_sim.value
        report["live"] = _live_payload(outcome, journal)
        write_json(stage / LIVE_SIM_JSON, report)
        write_text(stage / LIVE_SIM_MD, render_live_sim_md(report))
    return report


def render_live_sim_md(report: dict[str, object]) -> str:
    """Return LIVE_SIM.md: the backtest layout under a live-sim title, then how the run ended."""
    body = render_backtest_md(report).replace("# Backtest: ", "# Live sim: ", 1)
    live = report["live"]
    assert isinstance(live, dict)
    journal = live["journal"]
    assert isinstance(journal, dict)
    lines = [
        body.rstrip("\n"),
        "",
        "## Live run",
        "",
        *(f"- {key}: {live[key]}" for key in sorted(live) if key != "journal"),
        "- journal: " + ", ".join(f"{k}={journal[k]}" for k in sorted(journal)),
        "",
    ]
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class VenueEndpoints:
    """Where a live venue is reached: None means the venue's production URLs."""

    rest_url: str | None = None
    ws_url: str | None = None


def _open_live_venue(venue: str | None, symbol: str | None, effective: EffectiveConfig,
                     endpoints: VenueEndpoints, env: Mapping[str, str], bridge: BridgeConfig,
                     market_data_only: bool = False) -> LiveBridge:  # fmt: skip
    """Return a real venue (canary/live; shadow's feed): a LiveBridge, started inside the runner.

    Extension point: one opener per `--venue` name in `_VENUE_OPENERS`. An opener reads the
    venue's credentials from env (MM_<VENUE>_API_KEY / _SECRET, venues/credentials.py) and
    returns a bridge over a factory of its async adapter (built inside the runner's loop).
    Bybit linear plugs in as `"bybit-linear"` with its adapter and MM_BYBIT_API_*.
    Credentials are never printed or logged; errors name only the variables.
    market_data_only (shadow): the adapter reads the public book stream only; no credentials
    are read and no order or account call can reach the venue.
    """
    if venue is None or symbol is None:
        raise UsageError("E_CLI_USAGE", "canary/live (and shadow on a venue) need --venue and "
                         f"--symbol (venues: {', '.join(sorted(_VENUE_OPENERS))})")  # fmt: skip
    opener = _VENUE_OPENERS.get(venue)
    if opener is None:
        raise UsageError(
            "E_CLI_USAGE", f"--venue value={venue} expected one of {sorted(_VENUE_OPENERS)}"
        )
    return opener(symbol, effective, endpoints, env, bridge, market_data_only)


def _open_ccxt(dialect: str, symbol: str, effective: EffectiveConfig, endpoints: VenueEndpoints,
               env: Mapping[str, str], bridge: BridgeConfig,
               market_data_only: bool) -> LiveBridge:  # fmt: skip
    """A linear perpetual through the ccxt adapter with the given dialect (binance, bybit);
    keys from MM_<DIALECT>_API_KEY/SECRET (none for market data only: the adapter is a
    CcxtFeed), URLs from the flags or MM_<DIALECT>_BASE_URL/WS_URL."""
    from mmbot.venues.ccxt_feed import CcxtFeed
    from mmbot.venues.ccxt_venue import CcxtVenue, CcxtVenueConfig

    cfg = effective.config
    try:
        instrument = linear_instrument(symbol, cfg.instrument.tick_size, cfg.instrument.lot_size)
    except ValueError as exc:
        raise UsageError("E_CLI_USAGE", f"--symbol {exc}") from None
    credentials = None if market_data_only else Credentials.from_env(dialect, env)
    prefix = f"MM_{dialect.upper()}"
    rest = endpoints.rest_url or env.get(f"{prefix}_BASE_URL") or None
    ws = endpoints.ws_url or env.get(f"{prefix}_WS_URL") or None
    if rest is not None and ws is None:
        ws = "ws" + rest[len("http") :] if rest.startswith("http") else None
    if (rest is None) != (ws is None):
        raise UsageError("E_CLI_USAGE", "--ws-url is needed when --base-url is not http(s)://")
    config = CcxtVenueConfig(instrument, rest_base_url=rest, ws_base_url=ws, venue=dialect)
    if rest is not None and rest.startswith("http://127.0.0.1"):
        config = replace(config, close_grace_ms=0)  # loopback: no TLS shutdown to wait for

    def make_venue() -> BridgeableVenue:
        if credentials is None:
            return CcxtFeed(config)
        return CcxtVenue(config, credentials)

    return LiveBridge(make_venue, cfg.strategy.model, cfg.instrument.tick_size,
                      cfg.instrument.lot_size, config=bridge)  # fmt: skip


VenueOpener = Callable[
    [str, EffectiveConfig, VenueEndpoints, Mapping[str, str], BridgeConfig, bool], LiveBridge
]
_VENUE_OPENERS: Final[dict[str, VenueOpener]] = {
    "binance-usdm": partial(_open_ccxt, "binance"),
    "binance": partial(_open_ccxt, "binance"),  # the docs' short name: USD-M perpetuals
    "bybit-linear": partial(_open_ccxt, "bybit"),
}


def _live_payload(outcome: RunOutcome, journal: Journal) -> dict[str, object]:
    """Return a report's `live` section: how the run ended and the journal's counts."""
    return {**outcome.payload(), "journal": journal.counts()}


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
        typer.Option("--data", help="Event file (Parquet) to replay (live-sim; shadow's feed)."),
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="YAML config (default: embedded).")
    ] = None,
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
    symbol: Annotated[str | None, typer.Option("--symbol", help="The --venue's symbol.")] = None,
    max_order_lots: Annotated[
        int | None, typer.Option("--max-order-lots", help="canary: hard cap per order, lots.")
    ] = None,
    max_position_lots: Annotated[
        int | None, typer.Option("--max-position-lots", help="canary: hard position cap, lots.")
    ] = None,
    gate_file: Annotated[
        Path | None,
        typer.Option("--gate-file", help="canary/live: orders go out only while it exists."),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option("--base-url", help="With --venue: REST base URL (test/loopback)."),
    ] = None,
    ws_url: Annotated[
        str | None,
        typer.Option("--ws-url", help="With --venue: WS base URL (default: from --base-url)."),
    ] = None,
    adopt: Annotated[
        bool,
        typer.Option("--adopt", help="canary/live: adopt the venue's position/open orders."),
    ] = False,
    status_every_s: Annotated[
        float,
        typer.Option("--status-every-s", help="Print a STATUS line on stderr this often (wall s)."),
    ] = 10.0,
    quiet: Annotated[bool, typer.Option("--quiet", help="No STATUS lines.")] = False,
) -> None:
    """Run the engine in a live mode; SIGTERM/SIGINT cancel resting orders and exit 0."""
    if adopt and mode not in (Mode.canary, Mode.live):
        raise UsageError("E_CLI_USAGE", f"--adopt with --mode {mode.value} expected --mode "
                         "canary or live (only a real venue has a position to adopt)")  # fmt: skip
    if venue is not None and data is not None:
        raise UsageError("E_CLI_USAGE", "--venue with --data expected one market: a venue's "
                         "stream (--venue) or a replay (--data)")  # fmt: skip
    effective = load_config(config, os.environ)
    check_out_dir(out, keep_foreign=True)
    journal = Journal(out / JOURNAL_FILE)
    endpoints = VenueEndpoints(base_url, ws_url)
    status = status_every(mode, status_every_s, quiet)
    if mode in (Mode.canary, Mode.live):
        limits = _canary_limits(mode, max_order_lots, max_position_lots, gate_file)
        gate: CanaryGate = FileGate(gate_file) if gate_file is not None else FlagGate(True)
        pacing = pacing_for("1", duration_s, window_s, live_venue=True, status=status)
        bridge = _open_live_venue(venue, symbol, effective, endpoints, os.environ,
                                  BridgeConfig(adopt=adopt))  # fmt: skip
        _run_venue(mode, effective, bridge, (limits, gate), pacing, journal, out)
        return
    if mode is Mode.shadow and venue is not None:
        pacing = pacing_for("1", duration_s, window_s, live_venue=True, status=status)
        bridge = _open_live_venue(venue, symbol, effective, endpoints, os.environ,
                                  BridgeConfig(), market_data_only=True)  # fmt: skip
        _run_shadow_feed(effective, bridge, pacing, journal, out)
        return
    if data is None:
        raise UsageError("E_CLI_USAGE", f"--mode {mode.value} needs --data (the event file)")
    pacing = pacing_for(speed, duration_s, window_s, status=status)
    _run_replay(mode, effective, data, pacing, journal, out)


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


def _run_replay(mode: Mode, effective: EffectiveConfig, data: Path, pacing: Pacing,
                journal: Journal, out: Path) -> None:  # fmt: skip
    """live-sim (orders reach the simulator) or shadow (orders recorded, none sent)."""
    cfg = effective.config
    strategy_id = cfg.strategy.model
    batch, meta = load_events(data)
    check_instrument(cfg, meta, data)
    engine = build_engine(cfg, batch, strategy_id=strategy_id)
    engine.orders.start_session(journal.start_session())  # before any order is sent
    shadow = _paper_venue(cfg, engine.venue) if mode is Mode.shadow else None
    inner: EngineVenue = engine.venue if shadow is None else shadow
    engine.venue = JournalingVenue(inner, journal, strategy_id)
    typer.echo(f"RUNNING mode={mode.value} journal={journal.path}")
    outcome = run_live(LiveRunner(engine, journal, pacing, kill_switch=_kill_switch(cfg)))
    if shadow is not None:
        _write_shadow_report(out, shadow, engine, outcome, journal)
    else:
        data_span = DataSpan.of(batch)
        report = live_sim_report(engine, out, effective, (data, meta, data_span), outcome, journal)
        figures = report["figures"]
        assert isinstance(figures, dict)
        typer.echo(
            f"{verdict_line(report)} net_bps={float(figures['net_bps']):.6f} "
            f"taker_share_pct={float(figures['taker_share_pct']):.6f} "
            f"order_age_p95_ms={float(figures['order_age_p95_ms']):.6f} fills={figures['fills']}"
        )
    _print_outcome(mode, outcome, journal, out)


def _kill_switch(cfg: MmConfig) -> KillSwitchFile | None:
    """Return the watcher of the config's kill-switch flag file (None: no file configured)."""
    path = cfg.risk.kill_switch_file
    return KillSwitchFile(Path(path)) if path else None


def _paper_venue(cfg: MmConfig, feed: FeedSource) -> ShadowVenue:
    """Return shadow mode's venue over feed: paper fills at the config's starting maker fee."""
    inst = cfg.instrument
    return ShadowVenue(feed, inst.tick_size, inst.lot_size, starting_maker_bps(cfg))


def _write_shadow_report(out: Path, shadow: ShadowVenue, engine: Engine, outcome: RunOutcome,
                         journal: Journal, extra: Mapping[str, object] | None = None,
                         ) -> None:  # fmt: skip
    """Write shadow.json: what would have been sent, how the run ended, the engine values."""
    write_json(out / SHADOW_JSON, {
        "live": _live_payload(outcome, journal),
        "mode": Mode.shadow.value,
        "ledger": _ledger_payload(engine),
        "shadow_orders_total": dict(shadow.sends),
        "values": engine.values(),
        **(extra or {}),
    })  # fmt: skip
    typer.echo(f"wrote {out / SHADOW_JSON}")


def _ledger_payload(engine: Engine) -> dict[str, object]:
    """Return the engine ledger's figures for a mode's report (shadow: paper fills)."""
    ledger = engine.ledger
    mid_usd = 0.5 * engine.venue.exch_mid_ticks_x2 * engine.strategy.tick_size
    return {
        "cash_usd": ledger.cash_usd,
        "fees_usd": ledger.fees_usd,
        "fills": ledger.fills,
        "notional_usd": ledger.notional_usd,
        "pnl_usd": ledger.pnl_usd(mid_usd),
        "position_lots": ledger.position_lots,
    }


def _run_on_bridge(mode: Mode, effective: EffectiveConfig, bridge: LiveBridge,
                   port: EngineVenue, pacing: Pacing, journal: Journal,
                   max_position_lots: int | None = None,
                   ) -> tuple[Engine, RunOutcome]:  # fmt: skip
    """Run the engine over port (a wrapper of bridge) in the bridge's session, under its block;
    max_position_lots (canary) also caps the risk gate, which then sizes reductions to it."""
    cfg = effective.config
    strategy_id = cfg.strategy.model
    engine = engine_over(cfg, JournalingVenue(port, journal, strategy_id), strategy_id,
                         max_position_lots=max_position_lots)  # fmt: skip
    engine.orders.start_session(journal.start_session())  # before any order is sent
    typer.echo(f"RUNNING mode={mode.value} journal={journal.path}")
    runner = LiveRunner(engine, journal, pacing, quote_block=bridge.quote_block,
                        kill_switch=_kill_switch(cfg))  # fmt: skip
    return engine, run_live(runner, bridge)


def _run_shadow_feed(effective: EffectiveConfig, bridge: LiveBridge, pacing: Pacing,
                     journal: Journal, out: Path) -> None:  # fmt: skip
    """shadow on a venue's public feed: every order recorded and journaled, none sent.

    shadow.json gains the bridge's `venue` figures (as canary.json): its blocked decisions,
    and zero places/cancels - nothing went through the bridge.
    """
    shadow = _paper_venue(effective.config, bridge)
    engine, outcome = _run_on_bridge(Mode.shadow, effective, bridge, shadow, pacing, journal)
    _write_shadow_report(out, shadow, engine, outcome, journal, {"venue": bridge.summary()})
    if bridge.fatal is not None:
        raise bridge.fatal
    _print_outcome(Mode.shadow, outcome, journal, out)


def _run_venue(mode: Mode, effective: EffectiveConfig, bridge: LiveBridge,
               guard: tuple[CanaryLimits | None, CanaryGate], pacing: Pacing, journal: Journal,
               out: Path) -> None:  # fmt: skip
    """canary (caps and gate) or live (gate only) against a real venue."""
    limits, gate = guard
    canary = CanaryVenue(bridge, gate, limits, journal, effective.config.strategy.model)
    cap_lots = None if limits is None else limits.max_position_lots
    engine, outcome = _run_on_bridge(mode, effective, bridge, canary, pacing, journal, cap_lots)
    write_json(out / CANARY_JSON, {
        "canary_refused_total": dict(canary.refused),
        "ledger": _ledger_payload(engine),
        "live": _live_payload(outcome, journal),
        "mode": mode.value,
        "values": engine.values(),
        "venue": bridge.summary(),
    })  # fmt: skip
    if bridge.fatal is not None:
        raise bridge.fatal
    _print_outcome(mode, outcome, journal, out)
