"""Run a live mode's system to its end and write the mode's report; the CLI prints the rest."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from mmbot.config import EffectiveConfig
from mmbot.engine.journal import JOURNAL_FILE, Journal
from mmbot.engine.live import RunOutcome
from mmbot.engine.rundir_commit import check_out_dir
from mmbot.node.live_reports import write_live_sim_report, write_shadow_report, write_venue_report
from mmbot.node.metrics_serving import serving_metrics, write_metrics
from mmbot.node.replay import Replay, ReplaySet
from mmbot.node.systems import System

Say = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class LiveSimRun:
    """How a live-sim run ended and its report (the backtest report plus a `live` section)."""

    outcome: RunOutcome
    report: dict[str, object]


def open_journal(out: Path) -> Journal:
    """Return the order journal of the run directory out (a file there is refused; other
    files stay: one journal holds every session run into out)."""
    check_out_dir(out, keep_foreign=True)
    return Journal(out / JOURNAL_FILE)


@dataclass(frozen=True, slots=True)
class MetricsOptions:
    """Where a live run serves its metrics: port on 127.0.0.1 (0: any free port; None: no
    exporter), the deployment colour, and where to announce the URL (`METRICS url=...`)."""

    port: int | None = None
    colour: str = "blue"
    announce: Say = print


NO_METRICS: Final = MetricsOptions()


def _started(system: System, say: Say, metrics: MetricsOptions) -> RunOutcome:
    """Run system, serving its metrics meanwhile; say RUNNING once its venue session started
    (a refused start says only its E_* line)."""
    with serving_metrics(system, metrics.port, metrics.colour) as url:
        if url is not None:
            metrics.announce(f"METRICS url={url}")
        return system.run(
            lambda: say(f"RUNNING mode={system.mode.value} journal={system.journal.path}")
        )


def _raise_fatal(system: System) -> None:
    """Raise the error that ended the bridge's session, if one did (after the report)."""
    if system.bridge is not None and system.bridge.fatal is not None:
        raise system.bridge.fatal


def run_live_sim(
    system: System, effective: EffectiveConfig, replay: Replay | ReplaySet, out: Path, say: Say,
    metrics: MetricsOptions = NO_METRICS,
) -> LiveSimRun:  # fmt: skip
    """Run live-sim over replay (one symbol's file or a book's); write its run directory
    (metrics.prom included) and report into out."""
    outcome = _started(system, say, metrics)
    report = write_live_sim_report(out, system, outcome, effective, replay, metrics.colour)
    return LiveSimRun(outcome, report)


def run_shadow(
    system: System, out: Path, say: Say, metrics: MetricsOptions = NO_METRICS
) -> RunOutcome:
    """Run shadow (over a replay or a venue's feed); write shadow.json and metrics.prom."""
    outcome = _started(system, say, metrics)
    say(f"wrote {write_shadow_report(out, system, outcome)}")
    write_metrics(system, out, metrics.colour)
    _raise_fatal(system)
    return outcome


def run_on_venue(
    system: System, out: Path, say: Say, metrics: MetricsOptions = NO_METRICS
) -> RunOutcome:
    """Run canary or live against its venue; write canary.json and metrics.prom into out."""
    outcome = _started(system, say, metrics)
    write_venue_report(out, system, outcome)
    write_metrics(system, out, metrics.colour)
    _raise_fatal(system)
    return outcome
