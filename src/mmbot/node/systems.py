"""The live modes' systems, each wired whole before it starts: ports, wrappers, engine, runner.

A mode is a clock and a stack of wrappers around the port that owns the market data
(engine/live_ports.py); the engine is built over the finished stack and never rewired:

    mode      clock      engine.venue
    live-sim  SimClock   JournalingVenue(SimVenuePort)
    shadow    SimClock   JournalingVenue(ShadowVenue(SimVenuePort))          over a replay
    shadow    WallClock  JournalingVenue(ShadowVenue(LiveBridge))            on a venue's feed
    canary    WallClock  JournalingVenue(CanaryVenue(LiveBridge, caps, gate))
    live      WallClock  JournalingVenue(CanaryVenue(LiveBridge, gate))

Every builder claims the run directory's next session epoch (journal.start_session, which
numbers the engine's orders) after its inputs are checked - the venue opened, its
credentials read - and before the runner exists, so before any order is sent; a build
refused on its inputs claims none (engine/journal.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from mmbot.config import MmConfig
from mmbot.core.clock import Clock, SimClock, WallClock
from mmbot.data import EventBatch
from mmbot.engine.journal import Journal
from mmbot.engine.live import LiveRunner, Pacing, RunOutcome, run_live
from mmbot.engine.live_canary import CanaryGate, CanaryLimits, CanaryVenue, FileGate, FlagGate
from mmbot.engine.live_ports import FeedSource, JournalingVenue, ShadowVenue
from mmbot.engine.loop import Engine, EngineVenue
from mmbot.node.stack import engine_over, kill_switch_watcher, paper_venue, sim_port
from mmbot.node.venue_access import VenueAccess, open_live_venue
from mmbot.venues import BridgeConfig, LiveBridge


class Mode(StrEnum):
    """The live modes (`mmbot run --mode`): which clock and which venue."""

    live_sim = "live-sim"
    shadow = "shadow"
    canary = "canary"
    live = "live"


@dataclass(frozen=True, slots=True)
class System:
    """A live mode's system, fully wired: run() starts it.

    shadow, canary, bridge: the wrappers the mode's report reads (None where the mode has
    none); bridge is also the venue session run() starts and closes.
    """

    mode: Mode
    engine: Engine
    runner: LiveRunner
    journal: Journal
    shadow: ShadowVenue | None = None
    canary: CanaryVenue | None = None
    bridge: LiveBridge | None = None

    def run(self, on_started: Callable[[], None] | None = None) -> RunOutcome:
        """Run until the data or window ends or a signal stops it; return how it ended.
        on_started: called once the venue session started, before the first decision."""
        return run_live(self.runner, self.bridge, on_started)


def _wired(mode: Mode, cfg: MmConfig, port: EngineVenue, pacing: Pacing, journal: Journal,
           clock: Clock, *, shadow: ShadowVenue | None = None, canary: CanaryVenue | None = None,
           bridge: LiveBridge | None = None, max_position_lots: int | None = None,
           ) -> System:  # fmt: skip
    """Return the system over port: journaled, its session claimed, under its runner."""
    strategy_id = cfg.strategy.model
    engine = engine_over(cfg, JournalingVenue(port, journal, strategy_id), strategy_id,
                         clock=clock, max_position_lots=max_position_lots)  # fmt: skip
    engine.orders.start_session(journal.start_session())  # before any order is sent
    runner = LiveRunner(engine, journal, pacing,
                        quote_block=None if bridge is None else bridge.quote_block,
                        kill_switch=kill_switch_watcher(cfg))  # fmt: skip
    return System(mode, engine, runner, journal, shadow, canary, bridge)


def build_live_sim(cfg: MmConfig, events: EventBatch, pacing: Pacing, journal: Journal) -> System:
    """Return live-sim over events: the backtest's simulator, paced by the runner."""
    return _wired(Mode.live_sim, cfg, sim_port(cfg, events), pacing, journal, SimClock(0))


def build_shadow(cfg: MmConfig, feed: FeedSource, pacing: Pacing, journal: Journal, clock: Clock,
                 bridge: LiveBridge | None = None) -> System:  # fmt: skip
    """Return shadow over any market-data feed: orders journaled and paper-filled, none sent.

    bridge: the feed when it is a real venue's (its session and quote block join the run).
    """
    shadow = paper_venue(cfg, feed)
    return _wired(Mode.shadow, cfg, shadow, pacing, journal, clock, shadow=shadow, bridge=bridge)


def build_shadow_replay(
    cfg: MmConfig, events: EventBatch, pacing: Pacing, journal: Journal
) -> System:
    """Return shadow over a replay of events (sim clock)."""
    return build_shadow(cfg, sim_port(cfg, events), pacing, journal, SimClock(0))


def build_shadow_on_venue(
    cfg: MmConfig, access: VenueAccess, pacing: Pacing, journal: Journal
) -> System:
    """Return shadow on a real venue's public feed (wall clock); no credentials are read."""
    bridge = open_live_venue(cfg, access, BridgeConfig(), market_data_only=True)
    return build_shadow(cfg, bridge, pacing, journal, WallClock(), bridge)


def build_canary(cfg: MmConfig, access: VenueAccess, limits: CanaryLimits, pacing: Pacing,
                 journal: Journal, *, gate_file: Path | None = None,
                 adopt: bool = False) -> System:  # fmt: skip
    """Return canary on a real venue: hard caps per order and on the position (the risk gate
    sizes reductions to the position cap), orders out only while gate_file exists."""
    return _on_venue(Mode.canary, cfg, access, limits, pacing, journal, gate_file, adopt)


def build_live(cfg: MmConfig, access: VenueAccess, pacing: Pacing, journal: Journal, *,
               gate_file: Path | None = None, adopt: bool = False) -> System:  # fmt: skip
    """Return live on a real venue: orders out only while gate_file exists (None: always)."""
    return _on_venue(Mode.live, cfg, access, None, pacing, journal, gate_file, adopt)


def _on_venue(mode: Mode, cfg: MmConfig, access: VenueAccess, limits: CanaryLimits | None,
              pacing: Pacing, journal: Journal, gate_file: Path | None,
              adopt: bool) -> System:  # fmt: skip
    """canary (caps and gate) or live (gate only) against a real venue, under its block.

    adopt: take over the venue's position and open orders at start (else refuse them).
    """
    gate: CanaryGate = FileGate(gate_file) if gate_file is not None else FlagGate(True)
    bridge = open_live_venue(cfg, access, BridgeConfig(adopt=adopt))
    canary = CanaryVenue(bridge, gate, limits, journal, cfg.strategy.model)
    cap_lots = None if limits is None else limits.max_position_lots
    return _wired(mode, cfg, canary, pacing, journal, WallClock(), canary=canary, bridge=bridge,
                  max_position_lots=cap_lots)  # fmt: skip
