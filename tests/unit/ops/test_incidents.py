"""Soak incidents: each source of evidence lands in its class (S0-S3) with its code and count."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from mmbot.engine.journal import Journal, JournalEntry
from mmbot.ops import Incident, RunEvidence, Severity, classify
from mmbot.ops.incidents import QuoteBlocks
from mmbot.ops.soak import QuoteBlockWatch, journal_counts
from mmbot.risk import RiskRecord

NS_PER_S = 1_000_000_000
T0 = 1_704_067_200 * NS_PER_S  # 2024-01-01T00:00:00Z


def _evidence(
    records: Sequence[RiskRecord] = (),
    denials: Mapping[str, int] | None = None,
    journal: Mapping[str, int] | None = None,
    working_left: int = 0,
    stop_reason: str = "window",
    fatal: str = "",
    venue: Mapping[str, object] | None = None,
) -> RunEvidence:
    return RunEvidence(records, denials or {}, journal or {}, working_left, stop_reason, fatal,
                       venue or {})  # fmt: skip


def _keys(incidents: list[Incident]) -> list[tuple[str, str, int]]:
    return [(i.severity.value, i.code, i.count) for i in incidents]


def test_classify_clean_run_has_no_incidents() -> None:
    evidence = _evidence(denials={"E_RISK_REPLACE_TICKS": 32, "E_RISK_POSITION": 4},
                         journal={"place": 10, "fill": 5, "ack": 10})  # fmt: skip
    assert classify(evidence) == []


@pytest.mark.parametrize(
    ("code", "severity"),
    [
        ("E_RISK_POSITION", "S0"),
        ("E_RISK_SKEW", "S0"),
        ("E_RISK_INTRADAY_LOSS", "S0"),
        ("E_RISK_INTRADAY_NOTIONAL", "S0"),
        ("E_RISK_INTRADAY_ORDERS", "S0"),
        ("E_RISK_BOOK_GROSS", "S0"),
        ("E_RISK_KILL_SWITCH", "S1"),
        ("E_RISK_TRADING_STATE", "S3"),
    ],
)
def test_classify_risk_record_lands_in_its_class(code: str, severity: str) -> None:
    records = [
        RiskRecord(T0 + NS_PER_S, code, "first one"),
        RiskRecord(T0 + 5 * NS_PER_S, code, "second one"),
    ]
    (incident,) = classify(_evidence(records))
    assert (incident.severity.value, incident.code, incident.count) == (severity, code, 2)
    assert incident.detail == "first at 2024-01-01T00:00:01Z: first one"
    assert incident.line() == f"{severity} {code} count=2: first at 2024-01-01T00:00:01Z: first one"


def test_classify_orphans_fatal_venue_and_signal_end() -> None:
    assert _keys(classify(_evidence(working_left=2))) == [("S0", "E_SOAK_ORPHAN_ORDERS", 2)]
    fatal = "E_VENUE_AUTH: the venue refused the API key"
    assert _keys(classify(_evidence(stop_reason="", fatal=fatal))) == [("S1", "E_VENUE_AUTH", 1)]
    assert _keys(classify(_evidence(stop_reason="venue_closed"))) == [
        ("S1", "E_SOAK_VENUE_CLOSED", 1)
    ]
    assert _keys(classify(_evidence(stop_reason="signal:SIGTERM"))) == [
        ("S3", "E_SOAK_STOPPED_EARLY", 1)
    ]


def test_classify_throttles_reconnects_unknowns_rejects_refusals() -> None:
    evidence = RunEvidence(
        risk_records=(),
        denials={"E_RISK_THROTTLE_ORDERS": 7, "E_RISK_THROTTLE_CANCELS": 2},
        journal_counts={"unknown": 1, "reject": 3, "refused": 4},
        working_orders_left=0,
        stop_reason="window",
        venue={"blocked_decisions": 9, "unknown_fills": 0, "latched_stop": ""},
        quote_blocks=QuoteBlocks(5, 8, "E_VENUE_DISCONNECTED: public stream down"),
    )
    incidents = classify(evidence)
    assert incidents[2].detail == (
        "quoting blocked for 8 decisions after it started; first: E_VENUE_DISCONNECTED: "
        "public stream down"
    )
    assert _keys(incidents) == [
        ("S2", "E_RISK_THROTTLE_CANCELS", 2),
        ("S2", "E_RISK_THROTTLE_ORDERS", 7),
        ("S2", "E_SOAK_QUOTE_BLOCKED", 5),
        ("S2", "E_VENUE_OUTCOME_UNKNOWN", 1),
        ("S3", "E_SOAK_CANARY_REFUSED", 4),
        ("S3", "E_VENUE_REJECTED", 3),
    ]


def test_classify_venue_desync_and_orphan_fill() -> None:
    latched = "E_VENUE_OUTCOME_TIMEOUT: client_id=x outcome unknown for 10.100 s"
    evidence = _evidence(venue={"latched_stop": latched, "unknown_fills": 2,
                                "blocked_decisions": 0})  # fmt: skip
    incidents = classify(evidence)
    assert _keys(incidents) == [("S0", "E_RECON_FILL", 2), ("S1", "E_VENUE_OUTCOME_TIMEOUT", 1)]
    assert incidents[1].detail == latched


def test_classify_same_code_from_two_sources_is_one_incident() -> None:
    # A latched E_RECON_OPEN_ORDERS stop and the same error ending the run: one S1 line.
    line = "E_RECON_OPEN_ORDERS: adopted client_ids=a still resting after cancel"
    evidence = _evidence(stop_reason="", fatal=line, venue={"latched_stop": line})
    assert _keys(classify(evidence)) == [("S1", "E_RECON_OPEN_ORDERS", 2)]


def test_incident_line_is_one_ascii_line() -> None:
    incident = Incident(Severity.S3, "E_VENUE_REJECTED", 1, "caf\u00e9\nsecond line")
    assert incident.line() == "S3 E_VENUE_REJECTED count=1: caf\\xe9\\nsecond line"


def test_quote_block_watch_counts_blocks_after_quoting_started_only() -> None:
    lines = iter([
        "E_VENUE_DISCONNECTED: venue not started",  # warm-up: no incident
        "E_VENUE_STALE_BOOK: no book yet",
        None,
        "E_VENUE_DISCONNECTED: public stream down",  # episode 1, two decisions
        "E_VENUE_DISCONNECTED: public stream down",
        None,
        "E_VENUE_CLOCK_SKEW: 700 ms",  # episode 2
        None,
    ])  # fmt: skip
    watch = QuoteBlockWatch(lambda: next(lines))
    seen = [watch() for _ in range(8)]
    assert seen[0] == "E_VENUE_DISCONNECTED: venue not started" and seen[2] is None
    assert (watch.episodes, watch.decisions) == (2, 3)
    assert watch.first_line == "E_VENUE_DISCONNECTED: public stream down"


def test_journal_counts_a_local_reject_as_its_refusal_only() -> None:
    journal = Journal(None)
    for event, detail in [("place", ""), ("refused", "gate_closed"), ("reject", "local"),
                          ("place", ""), ("reject", "1")]:  # fmt: skip
        journal.append(JournalEntry(T0, event, "fixed_spread-1", detail=detail))
    counts = journal_counts(journal)
    assert (counts["refused"], counts["reject"], counts["place"]) == (1, 1, 2)
