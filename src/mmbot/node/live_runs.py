"""Run a live mode's system to its end and write the mode's report; the CLI prints the rest."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mmbot.config import EffectiveConfig
from mmbot.engine.journal import JOURNAL_FILE, Journal
from mmbot.engine.live import RunOutcome
from mmbot.engine.rundir_commit import check_out_dir
from mmbot.node.live_reports import write_live_sim_report, write_shadow_report, write_venue_report
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


def _started(system: System, say: Say) -> RunOutcome:
    """Run system; say RUNNING once its venue session started (a refused start says only
    its E_* line)."""
    return system.run(
        lambda: say(f"RUNNING mode={system.mode.value} journal={system.journal.path}")
    )


def _raise_fatal(system: System) -> None:
    """Raise the error that ended the bridge's session, if one did (after the report)."""
    if system.bridge is not None and system.bridge.fatal is not None:
        raise system.bridge.fatal


def run_live_sim(
    system: System, effective: EffectiveConfig, replay: Replay | ReplaySet, out: Path, say: Say
) -> LiveSimRun:
    """Run live-sim over replay (one symbol's file or a book's); write its run directory and
    report into out."""
    outcome = _started(system, say)
    return LiveSimRun(outcome, write_live_sim_report(out, system, outcome, effective, replay))


def run_shadow(system: System, out: Path, say: Say) -> RunOutcome:
    """Run shadow (over a replay or a venue's feed); write shadow.json into out."""
    outcome = _started(system, say)
    say(f"wrote {write_shadow_report(out, system, outcome)}")
    _raise_fatal(system)
    return outcome


def run_on_venue(system: System, out: Path, say: Say) -> RunOutcome:
    """Run canary or live against its venue; write canary.json into out."""
    outcome = _started(system, say)
    write_venue_report(out, system, outcome)
    _raise_fatal(system)
    return outcome
