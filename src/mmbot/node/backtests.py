"""The backtest commands over node's engines: `backtest run`, `backtest wf`, `demo`.

Backtest code builds no engine; each entry here hands it the composition root's backtest
stack (stack.build_engine) as its engine factory.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mmbot.backtest import demo, run, wf
from mmbot.backtest.wf_exec import Ticker
from mmbot.config import EffectiveConfig
from mmbot.core.clock import Clock
from mmbot.data import EventBatch, InstrumentMeta
from mmbot.node.stack import build_engine

Say = Callable[[str], None]


def run_backtest(
    effective: EffectiveConfig,
    data_path: Path,
    out: Path,
    say: Say,
    events: tuple[EventBatch, InstrumentMeta] | None = None,
) -> run.BacktestOutcome:
    """Backtest data_path (events: its contents, already loaded); commit the run directory
    and its report at out whole (`mmbot backtest run`)."""
    return run.run_backtest(effective, data_path, out, say, make_engine=build_engine,
                            events=events)  # fmt: skip


def walk_forward(effective: EffectiveConfig, data_path: Path, out: Path, spec: wf.WfSpec,
                 say: Say, ticker: Ticker | None = None) -> dict[str, object]:  # fmt: skip
    """Walk forward over data_path; write wf.json and WF.md into out (`mmbot backtest wf`)."""
    return wf.walk_forward(effective, data_path, out, spec, say, ticker, make_engine=build_engine)


def run_demo(effective: EffectiveConfig, out: Path, clock: Clock, say: Say) -> demo.DemoOutcome:
    """Synthesize, backtest and audit under out (`mmbot demo`)."""
    return demo.run_demo(effective, out, clock, say, make_engine=build_engine)
