"""The composition root's builders: each mode's system comes out wired whole (ports, wrappers,
clock, runner, session) before it runs; a build refused on its inputs claims no session."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mmbot.config import MmConfig, load_config
from mmbot.core.clock import SimClock, WallClock
from mmbot.core.errors import UsageError
from mmbot.data import EventBatch, preset, synthesize
from mmbot.engine.journal import JOURNAL_FILE, SESSION_FILE, Journal
from mmbot.engine.kill_switch import KillSwitchFile
from mmbot.engine.live import Pacing
from mmbot.engine.live_canary import CanaryLimits, CanaryVenue, FileGate, FlagGate
from mmbot.engine.live_ports import JournalingVenue, ShadowVenue
from mmbot.node import (
    Mode,
    System,
    VenueAccess,
    build_canary,
    build_engine,
    build_live,
    build_live_sim,
    build_shadow_on_venue,
    build_shadow_replay,
)
from mmbot.venues import LiveBridge, SimVenuePort, VenueAuthError

CONFIG = Path(__file__).resolve().parents[3] / "configs" / "fixtures" / "backtest_pass.yaml"
PACING = Pacing(speed=None, window_ns=1_000_000_000)
KEYS = {"MM_BINANCE_API_KEY": "k", "MM_BINANCE_API_SECRET": "s"}


@pytest.fixture(scope="module")
def config() -> MmConfig:
    return load_config(CONFIG, {}).config


@pytest.fixture(scope="module")
def events() -> EventBatch:
    params, meta = preset("fixture_alt")
    return EventBatch.concat(synthesize(7, 2_000, meta, params))


def _access(env: dict[str, str] | None = None) -> VenueAccess:
    return VenueAccess("binance-usdm", "BTC/USDT:USDT", env=env or {})


def _journal(folder: Path) -> Journal:
    folder.mkdir(exist_ok=True)
    return Journal(folder / JOURNAL_FILE)


def _epoch(folder: Path) -> int:
    return int(json.loads((folder / SESSION_FILE).read_text())["epoch"])


def _journaled(system: System) -> object:
    """Return what the engine's journaling wrapper wraps (every live mode journals)."""
    port = system.engine.venue
    assert isinstance(port, JournalingVenue)
    return port.inner


def _assert_runs(system: System, clock: type) -> None:
    """The runner steps this engine, with the config's kill switch; the clock is the mode's."""
    assert system.runner.engine is system.engine
    assert system.runner.journal is system.journal
    assert isinstance(system.engine.clock, clock)


def test_build_engine_backtest_is_the_sim_port_under_a_sim_clock(
    config: MmConfig, events: EventBatch
) -> None:
    engine = build_engine(config, events)
    assert type(engine.venue) is SimVenuePort and isinstance(engine.clock, SimClock)
    assert engine.only_leg().strategy_id == config.strategy.model


def test_build_live_sim_journals_the_sim_port_and_claims_the_next_session(
    config: MmConfig, events: EventBatch, tmp_path: Path
) -> None:
    first = build_live_sim(config, events, PACING, _journal(tmp_path))
    second = build_live_sim(config, events, PACING, _journal(tmp_path))
    assert first.mode is Mode.live_sim
    assert type(_journaled(first)) is SimVenuePort
    _assert_runs(first, SimClock)
    assert (first.shadow, first.canary, first.bridge) == (None, None, None)
    assert _epoch(tmp_path) == 1 and second.journal.session == 1
    # The second session numbers its orders from its own block: no client id repeats.
    assert first.engine.orders.next_client_id() != second.engine.orders.next_client_id()


def test_build_live_sim_watches_the_configured_kill_switch_file(
    config: MmConfig, events: EventBatch, tmp_path: Path
) -> None:
    flag = tmp_path / "kill"
    risk = config.risk.model_copy(update={"kill_switch_file": str(flag)})
    system = build_live_sim(config.model_copy(update={"risk": risk}), events, PACING,
                            Journal(None))  # fmt: skip
    watcher = system.runner.kill_switch
    assert isinstance(watcher, KillSwitchFile) and watcher.path == flag
    assert build_live_sim(config, events, PACING, Journal(None)).runner.kill_switch is None


def test_build_shadow_replay_papers_over_the_sim_port(
    config: MmConfig, events: EventBatch, tmp_path: Path
) -> None:
    system = build_shadow_replay(config, events, PACING, _journal(tmp_path))
    shadow = _journaled(system)
    assert system.mode is Mode.shadow and shadow is system.shadow
    assert isinstance(shadow, ShadowVenue) and type(shadow.feed) is SimVenuePort
    _assert_runs(system, SimClock)
    assert system.bridge is None and system.runner.quote_block is None
    assert _epoch(tmp_path) == 0


def test_build_shadow_on_venue_papers_over_the_bridge_under_the_wall_clock(
    config: MmConfig, tmp_path: Path
) -> None:
    system = build_shadow_on_venue(config, _access(), PACING, _journal(tmp_path))  # no keys
    shadow = _journaled(system)
    assert isinstance(shadow, ShadowVenue) and shadow is system.shadow
    assert isinstance(system.bridge, LiveBridge) and shadow.feed is system.bridge
    assert system.runner.quote_block == system.bridge.quote_block
    _assert_runs(system, WallClock)
    assert system.canary is None and _epoch(tmp_path) == 0


def test_build_canary_caps_and_gates_the_bridge_under_the_wall_clock(
    config: MmConfig, tmp_path: Path
) -> None:
    limits = CanaryLimits(2, 7)
    gate_file = tmp_path / "open"
    system = build_canary(config, _access(KEYS), limits, PACING, _journal(tmp_path),
                          gate_file=gate_file)  # fmt: skip
    canary = _journaled(system)
    assert system.mode is Mode.canary and canary is system.canary
    assert isinstance(canary, CanaryVenue) and canary.limits == limits
    assert isinstance(canary.gate, FileGate) and canary.gate.path == gate_file
    assert isinstance(system.bridge, LiveBridge) and canary.inner is system.bridge
    assert system.engine.risk._params.max_position_lots == 7  # the gate sizes reductions to it
    assert system.runner.quote_block == system.bridge.quote_block
    _assert_runs(system, WallClock)
    assert system.shadow is None and _epoch(tmp_path) == 0


def test_build_live_gates_the_bridge_without_caps(config: MmConfig, tmp_path: Path) -> None:
    system = build_live(config, _access(KEYS), PACING, _journal(tmp_path), adopt=True)
    canary = _journaled(system)
    assert system.mode is Mode.live and isinstance(canary, CanaryVenue)
    assert canary.limits is None and isinstance(canary.gate, FlagGate) and canary.gate.is_open()
    assert isinstance(system.bridge, LiveBridge) and system.bridge.config.adopt
    assert system.engine.risk._params.max_position_lots is None
    _assert_runs(system, WallClock)


@pytest.mark.parametrize(
    ("access", "error"),
    [(_access(), VenueAuthError), (VenueAccess("nowhere", "BTCUSDT", env=KEYS), UsageError),
     (VenueAccess(None, None), UsageError)],
)  # fmt: skip
def test_build_refused_on_its_inputs_claims_no_session(
    config: MmConfig, tmp_path: Path, access: VenueAccess, error: type[Exception]
) -> None:
    with pytest.raises(error):
        build_live(config, access, PACING, _journal(tmp_path))
    assert not (tmp_path / SESSION_FILE).exists()
