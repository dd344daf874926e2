"""Soak incidents: what went wrong in a run, by severity from S0 (worst) to S3, one line each.

Theory of operation. A soak session ends with the evidence of what happened (RunEvidence): the
risk gate's records and denial counts, the journal's counts by event, how the run ended and,
on a real venue, the bridge's figures. classify() turns it into incidents, one per (severity,
code) with how often it happened and the first occurrence's text, so a session's incidents are
a short list in a fixed order however long the session ran.

    S0  money or a limit at stake: a position/skew/day/book cap breached, an order left resting
        after the run (orphan), a venue fill of no order of ours
    S1  trading stopped by a control or a desync: kill switch, a latched venue stop, the venue
        closing the session, an error that ended the run, a session that never recorded its end
    S2  degraded: throttled orders or cancels, quoting blocked by the venue guards after it
        started (stream down: a reconnect, stale book, clock skew), orders of unknown outcome
    S3  warnings: venue rejects, canary refusals, trading-state changes, a signal stop before
        the window ended, any other risk record
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from mmbot.artifacts import utc_iso
from mmbot.core.text import ascii_single_line, error_code
from mmbot.risk import RiskRecord


class Severity(StrEnum):
    """An incident's class; S0 is the worst."""

    S0 = "S0"
    S1 = "S1"
    S2 = "S2"
    S3 = "S3"


# Risk records by severity; a record code not listed is a warning (S3).
_RECORD_SEVERITY: Final[Mapping[str, Severity]] = {
    **dict.fromkeys(
        (
            "E_RISK_POSITION",
            "E_RISK_SKEW",
            "E_RISK_INTRADAY_LOSS",
            "E_RISK_INTRADAY_NOTIONAL",
            "E_RISK_INTRADAY_ORDERS",
            "E_RISK_BOOK_LOSS",
            "E_RISK_BOOK_GROSS",
            "E_RISK_BOOK_NET_DELTA",
            "E_RISK_BOOK_ORDERS",
        ),
        Severity.S0,
    ),
    "E_RISK_KILL_SWITCH": Severity.S1,
}
# Denials that are incidents (the rest are the gate's policy at work: replace ticks, limits).
_THROTTLE_DENIALS: Final = ("E_RISK_THROTTLE_ORDERS", "E_RISK_THROTTLE_CANCELS")
# Journal events that are incidents: event -> (severity, code, what it means).
_JOURNAL_EVENTS: Final[Mapping[str, tuple[Severity, str, str]]] = {
    "unknown": (Severity.S2, "E_VENUE_OUTCOME_UNKNOWN", "orders of unknown outcome (journal)"),
    "reject": (Severity.S3, "E_VENUE_REJECTED", "requests the venue rejected (journal)"),
    "refused": (Severity.S3, "E_SOAK_CANARY_REFUSED", "orders the canary refused (journal)"),
}


@dataclass(frozen=True, slots=True)
class Incident:
    """One kind of incident of a session: its class, code, how often, the first one's text."""

    severity: Severity
    code: str
    count: int
    detail: str

    def line(self) -> str:
        """Return `<severity> <code> count=<n>: <detail>` as one ASCII line."""
        return ascii_single_line(f"{self.severity} {self.code} count={self.count}: {self.detail}")

    def payload(self) -> dict[str, object]:
        """Return the incident as plain values (its line included)."""
        return {
            "code": self.code,
            "count": self.count,
            "detail": self.detail,
            "line": self.line(),
            "severity": self.severity.value,
        }


@dataclass(frozen=True, slots=True)
class QuoteBlocks:
    """Quoting blocked by the venue guards after the session first quoted: in how many
    episodes, over how many decisions, and the first episode's line."""

    episodes: int
    decisions: int
    first_line: str


@dataclass(frozen=True, slots=True)
class RunEvidence:
    """What a soak session left to judge it by.

    working_orders_left: orders still resting after the shutdown; stop_reason: the runner's
    (data_end, window, venue_closed, signal:<NAME>) or "" when an error ended the run, named by
    fatal (its one E_* line); venue: the bridge's summary (empty without a real venue);
    quote_blocks: the blocks after quoting started (None without a live venue).
    """

    risk_records: Sequence[RiskRecord]
    denials: Mapping[str, int]
    journal_counts: Mapping[str, int]
    working_orders_left: int
    stop_reason: str
    fatal: str = ""
    venue: Mapping[str, object] = field(default_factory=dict)
    quote_blocks: QuoteBlocks | None = None


def classify(evidence: RunEvidence) -> list[Incident]:
    """Return the session's incidents, one per (severity, code), ordered by both."""
    found = [
        *_from_records(evidence.risk_records),
        *_from_counts(evidence),
        *_from_end(evidence),
        *_from_venue(evidence.venue),
        *_from_blocks(evidence.quote_blocks),
    ]
    merged: dict[tuple[Severity, str], Incident] = {}
    for incident in found:
        key = (incident.severity, incident.code)
        earlier = merged.get(key)
        merged[key] = incident if earlier is None else Incident(
            incident.severity, incident.code, earlier.count + incident.count, earlier.detail
        )  # fmt: skip
    return [merged[key] for key in sorted(merged)]


def severity_counts(incidents: Iterable[Incident]) -> dict[str, int]:
    """Return how many incidents of each class occurred (counts summed), every class listed."""
    totals = dict.fromkeys((s.value for s in Severity), 0)
    for incident in incidents:
        totals[incident.severity.value] += incident.count
    return totals


def _from_records(records: Sequence[RiskRecord]) -> list[Incident]:
    """Return one incident per risk record code: its count and the first record's text."""
    first: dict[str, RiskRecord] = {}
    counts: dict[str, int] = {}
    for record in records:
        first.setdefault(record.code, record)
        counts[record.code] = counts.get(record.code, 0) + 1
    return [
        Incident(_RECORD_SEVERITY.get(code, Severity.S3), code, counts[code],
                 f"first at {utc_iso(record.ts_ns)}: {record.detail}")
        for code, record in first.items()
    ]  # fmt: skip


def _from_counts(evidence: RunEvidence) -> list[Incident]:
    """Return the throttle denials (S2) and the journal's incident events."""
    incidents = [
        Incident(Severity.S2, code, evidence.denials[code], "orders or cancels not sent "
                 "(risk gate throttle)")
        for code in _THROTTLE_DENIALS
        if evidence.denials.get(code, 0) > 0
    ]  # fmt: skip
    for event, (severity, code, what) in _JOURNAL_EVENTS.items():
        count = evidence.journal_counts.get(event, 0)
        if count > 0:
            incidents.append(Incident(severity, code, count, what))
    return incidents


def _from_end(evidence: RunEvidence) -> list[Incident]:
    """Return what the run's end says: orphans, a fatal error, the venue or a signal ending it."""
    incidents = []
    if evidence.working_orders_left > 0:
        incidents.append(Incident(Severity.S0, "E_SOAK_ORPHAN_ORDERS",
                                  evidence.working_orders_left,
                                  "orders still working after the shutdown's cancels"))  # fmt: skip
    if evidence.fatal:
        incidents.append(Incident(Severity.S1, error_code(evidence.fatal), 1, evidence.fatal))
    if evidence.stop_reason == "venue_closed":
        incidents.append(Incident(Severity.S1, "E_SOAK_VENUE_CLOSED", 1,
                                  "the venue session ended before the window"))  # fmt: skip
    if evidence.stop_reason.startswith("signal:"):
        stopped = f"stopped by {evidence.stop_reason} before the window ended"
        incidents.append(Incident(Severity.S3, "E_SOAK_STOPPED_EARLY", 1, stopped))
    return incidents


def _from_venue(venue: Mapping[str, object]) -> list[Incident]:
    """Return the bridge's incidents: a latched stop, venue fills of no order, blocked quoting."""
    incidents = []
    latched = str(venue.get("latched_stop", ""))
    if latched:
        incidents.append(Incident(Severity.S1, error_code(latched), 1, latched))
    unknown_fills = venue.get("unknown_fills", 0)
    if isinstance(unknown_fills, int) and unknown_fills > 0:
        incidents.append(Incident(Severity.S0, "E_RECON_FILL", unknown_fills,
                                  "venue fills that match no order of ours"))  # fmt: skip
    return incidents


def _from_blocks(blocks: QuoteBlocks | None) -> list[Incident]:
    """Return quoting blocked after it started (a reconnect, a stale book, a clock skew): one
    incident counting the episodes."""
    if blocks is None or blocks.episodes == 0:
        return []
    return [Incident(Severity.S2, "E_SOAK_QUOTE_BLOCKED", blocks.episodes,
                     f"quoting blocked for {blocks.decisions} decisions after it started; "
                     f"first: {blocks.first_line}")]  # fmt: skip
