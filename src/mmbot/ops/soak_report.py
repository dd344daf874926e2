"""The daily soak report: every soak session started on one UTC day, summed up and judged.

Sessions come from every soak.json under the runs folder (each soak run's --out, at any depth),
in path order then session order, and are the day's when they started on it (a session that
runs past midnight counts on its first day). Only what the sessions recorded goes in - no
clock is read - so the same runs give the same bytes (soak_report.json, SOAK_REPORT.md).

Day figures: fills, notional, fees and PnL summed over the ended sessions; net_bps and
taker_share_pct from those sums; order_age_p95_ms the largest of the sessions' p95 (the day's
worst session, as the ages themselves are not kept); uptime the up seconds over the window
seconds of every session - a lost session (still `running` in soak.json: killed, or not
finished when the report was made) adds its window and no up time, and an S1 E_SOAK_RUN_LOST
incident.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mmbot.artifacts import fmt6, markdown_table, write_json, write_text
from mmbot.ops.daily_files import SOAK_REPORT_JSON, SOAK_REPORT_MD
from mmbot.ops.errors import OpsError
from mmbot.ops.incidents import Incident, Severity
from mmbot.ops.soak import ENDED, SOAK_JSON, read_incidents, read_sessions
from mmbot.ops.soak_verdict import SOAK_LIMITS, judge

_SUMMED = ("fees_usd", "fills", "notional_usd", "pnl_usd", "taker_notional_usd")


@dataclass(frozen=True, slots=True)
class DaySession:
    """One session of the day: its run folder (relative to the runs folder), its number, its
    soak.json record and its incidents (each with its severity, code, count and line)."""

    run: str
    session: int
    record: dict[str, object]
    incidents: list[dict[str, object]]

    @property
    def ended(self) -> bool:
        """Return whether the session recorded its end."""
        return self.record.get("state") == ENDED

    def number(self, name: str, figures: bool = False) -> float:
        """Return a number the session recorded (in its figures when figures); None reads 0."""
        source = self.record.get("figures") if figures else self.record
        value = source.get(name) if isinstance(source, dict) else "absent"
        if value is None:
            return 0.0
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise OpsError("E_SOAK_BAD_RUN", f"run={self.run} session={self.session} "
                           f"key={name} value={value!r} expected=a number")  # fmt: skip
        return float(value)


def day_sessions(runs: Path, day: str) -> list[DaySession]:
    """Return the sessions under runs that started on day (YYYY-MM-DD); E_SOAK_NO_RUNS when
    there is none."""
    found = []
    for soak_json in sorted(runs.rglob(SOAK_JSON)):
        run_dir = soak_json.parent
        name = run_dir.relative_to(runs).as_posix()
        incidents = read_incidents(run_dir)
        for session, record in sorted(read_sessions(run_dir).items()):
            if str(record.get("started_utc", "")).startswith(day + "T"):
                own = [i for i in incidents if i.get("session") == session]
                found.append(DaySession(name, session, record, own))
    if not found:
        raise OpsError("E_SOAK_NO_RUNS", f"day={day} runs={runs}: no soak session started that "
                       "day (mmbot soak run --out <a folder under --runs>)")  # fmt: skip
    return [s if s.ended else _lost(s) for s in found]


def _lost(session: DaySession) -> DaySession:
    """Return session with its S1 E_SOAK_RUN_LOST incident."""
    lost = Incident(Severity.S1, "E_SOAK_RUN_LOST", 1, "soak.json still says running: the "
                    "session was killed, or had not ended when the report was made")  # fmt: skip
    return DaySession(session.run, session.session, session.record,
                      [*session.incidents, lost.payload()])  # fmt: skip


def day_figures(sessions: Sequence[DaySession]) -> dict[str, float | int | None]:
    """Return the day's figures over sessions (module docstring)."""
    ended = [s for s in sessions if s.ended]
    sums = {name: sum(s.number(name, figures=True) for s in ended) for name in _SUMMED}
    window_s = sum(s.number("window_s") for s in sessions)
    up_s = sum(s.number("up_s") for s in ended)
    counts = _severity_totals(sessions)
    notional = sums["notional_usd"]
    return {
        **sums,
        "fills": int(sums["fills"]),
        "incidents_s0_s1": counts["S0"] + counts["S1"],
        "incidents_s2": counts["S2"],
        "incidents_s3": counts["S3"],
        "net_bps": 1e4 * sums["pnl_usd"] / notional if notional > 0 else None,
        "order_age_p95_ms": max(
            (s.number("order_age_p95_ms", figures=True) for s in ended), default=0.0
        ),
        "taker_share_pct": 100.0 * sums["taker_notional_usd"] / notional if notional > 0 else None,
        "up_s": up_s,
        "uptime_pct": 100.0 * up_s / window_s if window_s > 0 else 0.0,
        "window_s": window_s,
    }


def _severity_totals(sessions: Sequence[DaySession]) -> dict[str, int]:
    totals = dict.fromkeys((s.value for s in Severity), 0)
    for session in sessions:
        for incident in session.incidents:
            severity, count = incident.get("severity"), incident.get("count")
            if severity not in totals or not isinstance(count, int):
                raise OpsError("E_SOAK_BAD_RUN", f"run={session.run} incident={incident!r} "
                               "expected a severity S0-S3 and an integer count")  # fmt: skip
            totals[str(severity)] += count
    return totals


def build_soak_report(runs: Path, day: str) -> dict[str, object]:
    """Return the day's soak report: figures, verdict, reasons, sessions and incidents."""
    sessions = day_sessions(runs, day)
    figures = day_figures(sessions)
    verdict, reasons = judge(figures)
    incidents = sorted(
        ({"run": s.run, "session": s.session, **i} for s in sessions for i in s.incidents),
        key=lambda i: (str(i.get("severity")), str(i["run"]), int(str(i["session"])),
                       str(i.get("code"))),
    )  # fmt: skip
    return {
        "day": day,
        "figures": figures,
        "incidents": incidents,
        "limits": {limit.figure: limit.payload() for limit in SOAK_LIMITS},
        "reasons": reasons,
        "sessions": [{"run": s.run, "session": s.session, **s.record} for s in sessions],
        "verdict": verdict.value,
    }


def write_soak_report(out: Path, report: dict[str, object]) -> tuple[Path, Path]:
    """Write report as out/soak_report.json and out/SOAK_REPORT.md; return both paths."""
    markdown = render_soak_md(report)
    return write_json(out / SOAK_REPORT_JSON, report), write_text(out / SOAK_REPORT_MD, markdown)


def render_soak_md(report: dict[str, object]) -> str:
    """Return SOAK_REPORT.md: the verdict first, its reasons, the figures, sessions, incidents."""
    figures, sessions, incidents = report["figures"], report["sessions"], report["incidents"]
    reasons = report["reasons"]
    assert isinstance(figures, dict) and isinstance(sessions, list)
    assert isinstance(incidents, list) and isinstance(reasons, list)
    lines = [
        f"# Soak report {report['day']}: VERDICT={report['verdict']}",
        "",
        *(f"- {reason}" for reason in reasons or ["every figure within its levels"]),
        "",
        "## Figures",
        "",
        markdown_table(["figure", "value"],
                       [[name, _cell(figures[name])] for name in sorted(figures)]).rstrip("\n"),
        "",
        "## Sessions",
        "",
        _sessions_table(sessions).rstrip("\n"),
        "",
        "## Incidents",
        "",
        *(f"- {i['run']}#{i['session']} {i['line']}" for i in incidents),
        *([] if incidents else ["- none"]),
        "",
    ]  # fmt: skip
    return "\n".join(lines)


def _sessions_table(sessions: list[dict[str, object]]) -> str:
    columns = ["run", "session", "mode", "state", "started_utc", "stop_reason", "uptime_pct",
               "fills", "net_bps", "S0", "S1", "S2", "S3"]  # fmt: skip
    rows: list[list[str]] = []
    for s in sessions:
        figures = s.get("figures") if isinstance(s.get("figures"), dict) else {}
        counts = s.get("incidents") if isinstance(s.get("incidents"), dict) else {}
        assert isinstance(figures, dict) and isinstance(counts, dict)
        rows.append([str(s["run"]), str(s["session"]), str(s.get("mode")),
                     str(s.get("state")), str(s.get("started_utc")),
                     str(s.get("stop_reason", "-")), _cell(s.get("uptime_pct")),
                     _cell(figures.get("fills")), _cell(figures.get("net_bps")),
                     *(_cell(counts.get(severity.value)) for severity in Severity)])  # fmt: skip
    return markdown_table(columns, rows)


def _cell(value: object) -> str:
    """Return a figure's Markdown text: six decimals, integers as they are, n/a for none."""
    if isinstance(value, bool) or value is None:
        return "n/a" if value is None else str(value).lower()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return fmt6(value)
    return str(value)
