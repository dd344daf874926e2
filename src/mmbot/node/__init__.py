"""The composition root: builds the whole system for a mode from config; the Python API.

Every Engine, venue port and wrapper (SimVenuePort, ShadowVenue, JournalingVenue,
CanaryVenue, LiveBridge over a ccxt adapter), LiveRunner and kill-switch watcher is
constructed here, wired whole before the engine starts; nothing rewires a built engine.

- stack.py: the config's book over one port per symbol (book_engine; engine_over for one
  port); the backtest engines (build_engine, build_book_engine: the engine factories handed
  to backtest code).
- systems.py: one builder per live mode -> System (engine, runner, journal, wrappers).
- venue_access.py: real venues (`--venue` openers) behind a LiveBridge.
- live_runs.py, live_reports.py: run a live system, write its mode's report.
- backtests.py: `backtest run`, `backtest wf`, `demo` over node's engines.
- api.py: the Python API (`mmbot.api.backtest`, docs/API.md).
"""

from mmbot.node.api import BacktestResult, EdgeAudit, backtest
from mmbot.node.backtests import run_backtest, run_demo, walk_forward
from mmbot.node.live_reports import CANARY_JSON, LIVE_SIM_JSON, LIVE_SIM_MD, SHADOW_JSON
from mmbot.node.live_runs import (
    LiveSimRun,
    MetricsOptions,
    open_journal,
    run_live_sim,
    run_on_venue,
    run_shadow,
)
from mmbot.node.replay import Replay, ReplaySet, load_replay, load_replay_set
from mmbot.node.stack import (
    book_engine,
    build_book_engine,
    build_engine,
    build_policy_engine,
    engine_over,
    starting_maker_bps,
)
from mmbot.node.systems import (
    Mode,
    System,
    build_canary,
    build_live,
    build_live_sim,
    build_shadow,
    build_shadow_on_venue,
    build_shadow_replay,
)
from mmbot.node.venue_access import VenueAccess

__all__ = [
    "CANARY_JSON",
    "LIVE_SIM_JSON",
    "LIVE_SIM_MD",
    "SHADOW_JSON",
    "BacktestResult",
    "EdgeAudit",
    "LiveSimRun",
    "MetricsOptions",
    "Mode",
    "Replay",
    "ReplaySet",
    "System",
    "VenueAccess",
    "backtest",
    "book_engine",
    "build_book_engine",
    "build_canary",
    "build_engine",
    "build_live",
    "build_live_sim",
    "build_policy_engine",
    "build_shadow",
    "build_shadow_on_venue",
    "build_shadow_replay",
    "engine_over",
    "load_replay",
    "load_replay_set",
    "open_journal",
    "run_backtest",
    "run_demo",
    "run_live_sim",
    "run_on_venue",
    "run_shadow",
    "starting_maker_bps",
    "walk_forward",
]
