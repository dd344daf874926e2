"""The live modes' systems, each wired whole before it starts: ports, wrappers, engine, runner.

A mode is a clock and a stack of wrappers around the port that owns the market data
(engine/live_ports.py); the engine is built over the finished stack and never rewired:

    mode      clock      engine.venue
    live-sim  SimClock   JournalingVenue(SimVenuePort)
    shadow    SimClock   JournalingVenue(ShadowVenue(SimVenuePort))          over a replay
    shadow    WallClock  JournalingVenue(ShadowVenue(LiveBridge))            on a venue's feed
    canary    WallClock  JournalingVenue(CanaryVenue(LiveBridge, caps, gate))
    live      WallClock  JournalingVenue(CanaryVenue(LiveBridge, gate))

With `--ha` (docs/HA.md) each port is fenced first - JournalingVenue(FencedVenue(SimVenuePort))
in live-sim, JournalingVenue(FencedVenue(CanaryVenue(LiveBridge))) on a venue - and the runner
asks the instance's LeaderRole before every decision. On a venue (one symbol) the bridge
starts as a standby and the role has it take the venue over at each election.

A book of several symbols (a portfolio config) gets one such stack per symbol - the
engine's one port per symbol, shared by the strategies quoting it - over one journal, one
clock and one runner. Each symbol's OrderNames learns which strategy drew each order number,
so the journal names every order as its order manager did (engine/live_ports.py). On a
venue (canary, live, shadow on its feed) each symbol's LiveBridge is a port of ONE venue
session (node/venue_access.py: one connection, one account rate limit); the runner starts,
closes and reads the quote block of them all as one BridgeSet. Canary caps apply per symbol.

Every builder claims the run directory's next session epoch (journal.start_session, which
numbers the engine's orders) after its inputs are checked - the venue opened, its
credentials read - and before the runner exists, so before any order is sent; a build
refused on its inputs claims none (engine/journal.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from mmbot.config import MmConfig
from mmbot.config.book import book_of
from mmbot.core.clock import Clock, SimClock, WallClock
from mmbot.core.errors import UsageError
from mmbot.data import EventBatch
from mmbot.engine.journal import Journal
from mmbot.engine.live import LiveRunner, Pacing, RunOutcome, run_live
from mmbot.engine.live_canary import CanaryGate, CanaryLimits, CanaryVenue, FileGate, FlagGate
from mmbot.engine.live_ports import FeedSource, JournalingVenue, OrderNames, ShadowVenue
from mmbot.engine.loop import Engine, EngineVenue
from mmbot.ha import FencedVenue, HaParts, LeaderRole, VenueTakeover
from mmbot.node.stack import book_engine, kill_switch_watcher, sim_port, starting_maker_bps
from mmbot.node.venue_access import VenueAccess, open_book_venues, open_live_venue
from mmbot.venues import BridgeConfig, BridgeSet, LiveBridge


class Mode(StrEnum):
    """The live modes (`mmbot run --mode`): which clock and which venue."""

    live_sim = "live-sim"
    shadow = "shadow"
    canary = "canary"
    live = "live"


@dataclass(frozen=True, slots=True)
class System:
    """A live mode's system, fully wired: run() starts it.

    shadows: shadow's paper venue of each symbol (empty in the other modes); canaries: the
    canary/live wrapper of each symbol (empty in the other modes); bridge: the venue session
    run() starts and closes and the mode's report reads (None off a venue; a BridgeSet for
    a book of several symbols).
    """

    mode: Mode
    engine: Engine
    runner: LiveRunner
    journal: Journal
    shadows: Mapping[str, ShadowVenue] = field(default_factory=dict)
    canaries: Mapping[str, CanaryVenue] = field(default_factory=dict)
    bridge: LiveBridge | BridgeSet | None = None
    leader: LeaderRole | None = None  # --ha: this instance's role among several

    @property
    def shadow(self) -> ShadowVenue | None:
        """Return the paper venue of a one-symbol shadow run (None in the other modes)."""
        if len(self.shadows) > 1:
            raise TypeError(f"a shadow of {len(self.shadows)} symbols: use system.shadows")
        return next(iter(self.shadows.values()), None)

    @property
    def canary(self) -> CanaryVenue | None:
        """Return the wrapper of a one-symbol canary/live run (None in the other modes)."""
        if len(self.canaries) > 1:
            raise TypeError(f"a canary of {len(self.canaries)} symbols: use system.canaries")
        return next(iter(self.canaries.values()), None)

    def run(self, on_started: Callable[[], None] | None = None) -> RunOutcome:
        """Run until the data or window ends or a signal stops it; return how it ended.
        on_started: called once the venue session started, before the first decision."""
        return run_live(self.runner, self.bridge, on_started)


_T = TypeVar("_T")


def _per_symbol(cfg: MmConfig, given: _T | Mapping[str, _T]) -> Mapping[str, _T]:
    """Return given by symbol: a mapping as it is, one value as the one symbol's."""
    if isinstance(given, Mapping):
        return given
    return {_only_symbol(cfg): given}


def _only_symbol(cfg: MmConfig) -> str:
    """Return the symbol of a one-symbol book (E_CLI_USAGE for a book of several)."""
    symbols = book_of(cfg).symbols
    if len(symbols) != 1:
        raise UsageError(
            "E_CLI_USAGE",
            f"the book has {len(symbols)} symbols {list(symbols)}; expected one market per "
            "symbol (--data DIR of <symbol>.parquet, or --venue)",
        )
    return symbols[0]


def _venue_bridges(cfg: MmConfig, access: VenueAccess, bridge: BridgeConfig,
                   market_data_only: bool = False
                   ) -> tuple[dict[str, LiveBridge], LiveBridge | BridgeSet]:  # fmt: skip
    """Return each symbol's bridge to the venue and the session the runner drives: a
    one-symbol book's one bridge, or a BridgeSet over one shared venue session."""
    if len(book_of(cfg).symbols) == 1:
        one = open_live_venue(cfg, access, bridge, market_data_only)
        return {_only_symbol(cfg): one}, one
    bridges = open_book_venues(cfg, access, bridge, market_data_only)
    return bridges, BridgeSet(bridges)


def order_names(cfg: MmConfig) -> dict[str, OrderNames]:
    """Return each symbol's OrderNames: its first strategy names what no strategy drew; the
    symbol is named in the journal when the book has several."""
    book = book_of(cfg)
    several = len(book.symbols) > 1
    return {
        symbol: OrderNames(book.strategies_of(symbol)[0].id, symbol if several else "")
        for symbol in book.symbols
    }


def _wired(mode: Mode, cfg: MmConfig, ports: Mapping[str, EngineVenue], pacing: Pacing,
           journal: Journal, clock: Clock, names: Mapping[str, OrderNames], *,
           shadows: Mapping[str, ShadowVenue] | None = None,
           canaries: Mapping[str, CanaryVenue] | None = None,
           bridge: LiveBridge | BridgeSet | None = None, max_position_lots: int | None = None,
           ha: HaParts | None = None, takeover: VenueTakeover | None = None
           ) -> System:  # fmt: skip
    """Return the system over one port per symbol: journaled, its session claimed, under its
    runner; with ha, fenced by the lease and quoting only while this instance leads (and,
    on a venue, after takeover made the venue its own)."""
    role = None if ha is None else LeaderRole(ha.lease, ha.log, takeover)
    if ha is not None:
        ports = {symbol: FencedVenue(port, ha.lease, ha.registry, ha.log)
                 for symbol, port in ports.items()}  # fmt: skip
    journaled = {
        symbol: JournalingVenue(port, journal, names[symbol]) for symbol, port in ports.items()
    }
    seqs = {symbol: name.seqs for symbol, name in names.items()}
    engine = book_engine(
        cfg, journaled, clock=clock, max_position_lots=max_position_lots, seqs=seqs
    )
    session = journal.start_session()  # before any order is sent
    for leg in engine.legs:
        leg.orders.start_session(session)
    runner = LiveRunner(engine, journal, pacing,
                        quote_block=None if bridge is None else bridge.quote_block,
                        kill_switch=kill_switch_watcher(cfg), leadership=role)  # fmt: skip
    return System(mode, engine, runner, journal, shadows or {}, canaries or {}, bridge, role)


def _sim_ports(cfg: MmConfig, events: EventBatch | Mapping[str, EventBatch]
               ) -> dict[str, EngineVenue]:  # fmt: skip
    return {symbol: sim_port(cfg, batch) for symbol, batch in _per_symbol(cfg, events).items()}


def build_live_sim(cfg: MmConfig, events: EventBatch | Mapping[str, EventBatch], pacing: Pacing,
                   journal: Journal, ha: HaParts | None = None) -> System:  # fmt: skip
    """Return live-sim over events (one symbol's, or each symbol's of a book): the backtest's
    simulators, paced by the runner; with ha, one of several instances (docs/HA.md)."""
    ports = _sim_ports(cfg, events)
    return _wired(Mode.live_sim, cfg, ports, pacing, journal, SimClock(0), order_names(cfg),
                  ha=ha)  # fmt: skip


def build_shadow(cfg: MmConfig, feed: FeedSource | Mapping[str, FeedSource], pacing: Pacing,
                 journal: Journal, clock: Clock, bridge: LiveBridge | BridgeSet | None = None
                 ) -> System:  # fmt: skip
    """Return shadow over any market-data feed (one, or one per symbol of a book): orders
    journaled and paper-filled, none sent.

    bridge: the feed when it is a real venue's (its session and quote block join the run).
    """
    book, maker_bps = book_of(cfg), starting_maker_bps(cfg)
    shadows: dict[str, ShadowVenue] = {}
    for symbol, source in _per_symbol(cfg, feed).items():
        inst = book.instrument(symbol)
        shadows[symbol] = ShadowVenue(source, inst.tick_size, inst.lot_size, maker_bps)
    return _wired(Mode.shadow, cfg, shadows, pacing, journal, clock, order_names(cfg),
                  shadows=shadows, bridge=bridge)  # fmt: skip


def build_shadow_replay(
    cfg: MmConfig, events: EventBatch | Mapping[str, EventBatch], pacing: Pacing, journal: Journal
) -> System:
    """Return shadow over a replay of events (one symbol's, or each symbol's of a book; sim
    clock)."""
    return build_shadow(cfg, _sim_ports(cfg, events), pacing, journal, SimClock(0))


def build_shadow_on_venue(
    cfg: MmConfig, access: VenueAccess, pacing: Pacing, journal: Journal
) -> System:
    """Return shadow on a real venue's public feed (wall clock; a book: every symbol's over
    one session); no credentials are read."""
    feeds, session = _venue_bridges(cfg, access, BridgeConfig(), market_data_only=True)
    return build_shadow(cfg, feeds, pacing, journal, WallClock(), session)


def build_canary(cfg: MmConfig, access: VenueAccess, limits: CanaryLimits, pacing: Pacing,
                 journal: Journal, *, gate_file: Path | None = None, adopt: bool = False,
                 ha: HaParts | None = None) -> System:  # fmt: skip
    """Return canary on a real venue: hard caps per order and on the position (the risk gate
    sizes reductions to the position cap), orders out only while gate_file exists."""
    return _on_venue(Mode.canary, cfg, access, limits, pacing, journal, gate_file, adopt, ha)


def build_live(cfg: MmConfig, access: VenueAccess, pacing: Pacing, journal: Journal, *,
               gate_file: Path | None = None, adopt: bool = False,
               ha: HaParts | None = None) -> System:  # fmt: skip
    """Return live on a real venue: orders out only while gate_file exists (None: always)."""
    return _on_venue(Mode.live, cfg, access, None, pacing, journal, gate_file, adopt, ha)


def _on_venue(mode: Mode, cfg: MmConfig, access: VenueAccess, limits: CanaryLimits | None,
              pacing: Pacing, journal: Journal, gate_file: Path | None,
              adopt: bool, ha: HaParts | None) -> System:  # fmt: skip
    """canary (caps and gate) or live (gate only) against a real venue, under its block; a
    book: every symbol's wrapper (the caps per symbol) over one venue session.

    adopt: take over the venue's position and open orders at start (else refuse them).
    ha: one instance of several (one symbol): the bridge starts as a standby and is taken
    over at each election (docs/HA.md).
    """
    gate: CanaryGate = FileGate(gate_file) if gate_file is not None else FlagGate(True)
    symbols = book_of(cfg).symbols
    if ha is not None and len(symbols) != 1:
        raise UsageError("E_CLI_USAGE", f"--ha on a venue with a book of {len(symbols)} "
                         "symbols expected a one-symbol config (docs/HA.md)")  # fmt: skip
    bridges, session = _venue_bridges(
        cfg, access, BridgeConfig(adopt=adopt, standby=ha is not None)
    )
    names = order_names(cfg)
    canaries = {
        symbol: CanaryVenue(bridge, gate, limits, journal, names[symbol])
        for symbol, bridge in bridges.items()
    }
    cap_lots = None if limits is None else limits.max_position_lots
    takeover = session if isinstance(session, LiveBridge) else None
    return _wired(mode, cfg, canaries, pacing, journal, WallClock(), names,
                  canaries=canaries, bridge=session, max_position_lots=cap_lots, ha=ha,
                  takeover=takeover)  # fmt: skip
