"""Soak sessions: a live mode run over a window, recorded with its figures and incidents.

Theory of operation. `mmbot soak run` builds the mode's system as `mmbot run` does and hands it
to run_soak() with the call that runs it and writes the mode's own reports. The session (the
journal's epoch: a rerun into the same --out is the next session) is recorded in soak.json as
`running` before the first decision, so a session killed mid-run leaves a trace the daily
report counts as lost. When the run ends - or an error ends it - the session's evidence is
classified into incidents (ops/incidents.py), appended to incidents.jsonl (each line names its
session), and the session is recorded as `ended` with its figures and uptime.

Uptime is measured on the decision grid: the decisions the runner made and the venue guards did
not block, times the decision interval, over the window the session was asked to cover (data
seconds: --duration-s times --speed). A replay that ends before its window, a runner late on a
venue (it skips decision points) and blocked quoting all lower it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from mmbot.artifacts import AppendLog, canonical_json_bytes, utc_iso, write_json
from mmbot.core.clock import Clock
from mmbot.core.errors import MmError
from mmbot.core.text import error_code
from mmbot.engine.journal import Journal
from mmbot.engine.live import RunOutcome, working_orders
from mmbot.engine.loop import Engine
from mmbot.engine.records import fill_records, risk_log
from mmbot.node import System
from mmbot.ops.errors import OpsError
from mmbot.ops.incidents import Incident, QuoteBlocks, RunEvidence, classify, severity_counts

SOAK_JSON: Final = "soak.json"
INCIDENTS_JSONL: Final = "incidents.jsonl"
RUNNING: Final = "running"
ENDED: Final = "ended"
_NS_PER_S: Final = 1_000_000_000


class QuoteBlockWatch:
    """The runner's quote_block, counted: the decisions blocked after the session first could
    quote, in how many episodes, and the first episode's line.

    A live venue blocks the first decisions of every session until its streams deliver a book;
    that warm-up costs uptime but is no incident. A block after quoting started is: a stream
    lost (a reconnect), a stale book, a clock skew.
    """

    def __init__(self, inner: Callable[[], str | None]) -> None:
        self._inner = inner
        self._quoted = False
        self._blocked = False
        self.episodes = 0
        self.decisions = 0
        self.first_line = ""

    def __call__(self) -> str | None:
        line = self._inner()
        if line is None:
            self._quoted = True
        elif self._quoted:
            self.decisions += 1
            if not self._blocked:
                self.episodes += 1
                self.first_line = self.first_line or line
        self._blocked = line is not None
        return line

    def blocks(self) -> QuoteBlocks:
        """Return what was counted so far."""
        return QuoteBlocks(self.episodes, self.decisions, self.first_line)


@dataclass(frozen=True, slots=True)
class SoakSession:
    """A finished soak session: its record in soak.json and its incidents."""

    session: int
    record: dict[str, object]
    incidents: list[Incident]


def run_soak(system: System, run: Callable[[], RunOutcome], out: Path, clock: Clock,
             window_s: float) -> SoakSession:  # fmt: skip
    """Run system through run (which writes the mode's reports into out), recording the session
    in out/soak.json and its incidents in out/incidents.jsonl; an error that ends the run is
    recorded as an S1 incident and raised again afterwards."""
    session = system.journal.session
    started = {"mode": system.mode.value, "started_utc": utc_iso(clock.now_ns()),
               "window_s": window_s}  # fmt: skip
    _record_session(out, session, {**started, "state": RUNNING})
    runner = system.runner
    blocks = None if runner.quote_block is None else QuoteBlockWatch(runner.quote_block)
    runner.quote_block = blocks
    outcome: RunOutcome | None = None
    fatal: MmError | None = None
    try:
        outcome = run()
    except MmError as exc:
        fatal = exc
    evidence = evidence_of(system, outcome, fatal, blocks)
    incidents = classify(evidence)
    _append_incidents(out, session, incidents)
    record = {
        **started,
        **uptime(system, window_s),
        "ended_utc": utc_iso(clock.now_ns()),
        "figures": soak_figures(system.engine),
        "incidents": severity_counts(incidents),
        "state": ENDED,
        "stop_reason": evidence.stop_reason or f"error:{error_code(evidence.fatal)}",
    }
    _record_session(out, session, record)
    if fatal is not None:
        raise fatal
    return SoakSession(session, record, incidents)


def evidence_of(system: System, outcome: RunOutcome | None, fatal: MmError | None,
                blocks: QuoteBlockWatch | None = None) -> RunEvidence:  # fmt: skip
    """Return what system's finished run left to judge it by (outcome None: fatal ended it;
    blocks: its quote blocks, None without a live venue)."""
    log = risk_log(system.engine)
    return RunEvidence(
        risk_records=log.records,
        denials=log.denials,
        journal_counts=journal_counts(system.journal),
        working_orders_left=working_orders(system.engine),
        stop_reason="" if outcome is None else outcome.stop_reason,
        fatal="" if fatal is None else fatal.line(),
        venue={} if system.bridge is None else system.bridge.summary(),
        quote_blocks=None if blocks is None else blocks.blocks(),
    )


def journal_counts(journal: Journal) -> dict[str, int]:
    """Return the session's journal entries by event; a reject the canary made up for its own
    refusal (detail `local`) counts as the refusal it answers, not as a venue reject."""
    counts = dict(journal.counts())
    counts["reject"] -= sum(e.event == "reject" and e.detail == "local" for e in journal.entries)
    return counts


def uptime(system: System, window_s: float) -> dict[str, object]:
    """Return the session's decisions, blocked decisions and uptime over window_s."""
    engine = system.engine
    decisions = engine.books[0].record.decisions
    blocked = 0 if system.bridge is None else system.bridge.summary()["blocked_decisions"]
    assert isinstance(blocked, int)
    interval_s = engine.params.decision_interval_ns / _NS_PER_S
    up_s = min(window_s, (decisions - blocked) * interval_s)
    return {
        "blocked_decisions": blocked,
        "decision_interval_s": interval_s,
        "decisions": decisions,
        "up_s": up_s,
        "uptime_pct": 100.0 * up_s / window_s,
    }


def soak_figures(engine: Engine) -> dict[str, object]:
    """Return the engine's trading figures: fills, notional (and its taker part), fees, PnL at
    each symbol's last mid, net bps and taker share (None without fills), order age p95."""
    fills = fill_records(engine)
    notional = sum((fill.price * fill.qty for fill in fills), 0.0)
    taker = sum((fill.price * fill.qty for fill in fills if not fill.is_maker), 0.0)
    pnl = sum(book.pnl_usd(0.5 * book.venue.exch_mid_ticks_x2 * book.tick_size)
              for book in engine.books)  # fmt: skip
    return {
        "fees_usd": sum((fill.fee for fill in fills), 0.0),
        "fills": len(fills),
        "net_bps": 1e4 * pnl / notional if notional > 0 else None,
        "notional_usd": notional,
        "order_age_p95_ms": engine.values()["order_age_ms_p95"],
        "pnl_usd": pnl,
        "taker_notional_usd": taker,
        "taker_share_pct": 100.0 * taker / notional if notional > 0 else None,
    }


def read_sessions(run_dir: Path) -> dict[int, dict[str, object]]:
    """Return the sessions recorded in run_dir/soak.json by number (E_SOAK_BAD_RUN when
    unreadable)."""
    path = run_dir / SOAK_JSON
    try:
        sessions = json.loads(path.read_bytes())["sessions"]
        return {int(key): dict(value) for key, value in sessions.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise OpsError("E_SOAK_BAD_RUN", f"file={path} expected soak.json as `mmbot soak run` "
                       f"writes it ({type(exc).__name__})") from None  # fmt: skip


def read_incidents(run_dir: Path) -> list[dict[str, object]]:
    """Return the incident lines of run_dir/incidents.jsonl (none when absent)."""
    path = run_dir / INCIDENTS_JSONL
    if not path.exists():
        return []
    try:
        return [dict(json.loads(line)) for line in path.read_bytes().splitlines() if line]
    except (OSError, ValueError, TypeError) as exc:
        raise OpsError("E_SOAK_BAD_RUN", f"file={path} expected one JSON object a line "
                       f"({type(exc).__name__})") from None  # fmt: skip


def _record_session(out: Path, session: int, record: dict[str, object]) -> None:
    """Write record as session's entry of out/soak.json, keeping the other sessions'."""
    sessions = read_sessions(out) if (out / SOAK_JSON).exists() else {}
    sessions[session] = record
    write_json(out / SOAK_JSON, {"sessions": {str(k): v for k, v in sorted(sessions.items())}})


def _append_incidents(out: Path, session: int, incidents: list[Incident]) -> None:
    """Append the session's incidents to out/incidents.jsonl (created even when empty)."""
    log = AppendLog(out / INCIDENTS_JSONL)
    try:
        log.append(b"".join(canonical_json_bytes({**i.payload(), "session": session})
                            for i in incidents))  # fmt: skip
    finally:
        log.close()
