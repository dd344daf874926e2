"""The standard operating procedure (SOP.md), generated from the runbooks (docs/
OBSERVABILITY.md), the run modes (docs/MODES.md) and the config, so that it changes when they
do and is never edited by hand (docs/INVESTOR.md).

Taken as written: the modes table and the "Stopping" and "Restart and adopt" sections of
MODES.md; the alerts table and every runbook of OBSERVABILITY.md. From the config: the book
(symbols, strategies), the fee tier, the kill-switch file and every risk limit. A source that
lost a section, an alert without a runbook, or a runbook without its Means / First checks /
Do is E_INVESTOR_SOURCE: the SOP would be incomplete.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from mmbot.artifacts import Cell, fmt6, markdown_table
from mmbot.config import EffectiveConfig
from mmbot.config.book import book_of
from mmbot.core.errors import AuditError
from mmbot.investor.limits import LIMIT_COLUMNS, LimitUse

OBSERVABILITY: Final = "OBSERVABILITY.md"
MODES: Final = "MODES.md"
RUNBOOK_PARTS: Final = ("**Means:**", "**First checks:**", "**Do:**")


@dataclass(frozen=True, slots=True)
class Source:
    """One document the SOP is built from: its name, text and sha256."""

    name: str
    text: str

    @property
    def sha256(self) -> str:
        """Return the sha256 of the document's bytes."""
        return hashlib.sha256(self.text.encode("ascii")).hexdigest()

    def fail(self, what: str) -> AuditError:
        """Return the E_INVESTOR_SOURCE error for what is wrong with this document."""
        return AuditError(
            "E_INVESTOR_SOURCE",
            f"docs/{self.name} {what}; the SOP is built from it: restore it (docs/INVESTOR.md)",
        )

    def sections(self, level: int) -> dict[str, str]:
        """Return the body of every heading of that level (`## Title`) by title."""
        marker = "#" * level + " "
        out: dict[str, list[str]] = {}
        current: list[str] | None = None
        for line in self.text.splitlines():
            if line.startswith(marker):
                current = out.setdefault(line[len(marker) :].strip(), [])
            elif line.startswith("#" * (level - 1) + " ") and level > 1:
                current = None
            elif current is not None:
                current.append(line)
        return {title: "\n".join(lines).strip() for title, lines in out.items()}

    def section(self, title: str, level: int = 2) -> str:
        """Return the body of one section, or E_INVESTOR_SOURCE without it."""
        found = self.sections(level).get(title)
        if not found:
            raise self.fail(f"has no section '{'#' * level} {title}'")
        return found


def read_source(docs: Path, name: str) -> Source:
    """Return docs/name, or E_INVESTOR_SOURCE when it cannot be read as ASCII."""
    path = docs / name
    try:
        return Source(name, path.read_text(encoding="ascii"))
    except (OSError, UnicodeDecodeError) as exc:
        raise AuditError(
            "E_INVESTOR_SOURCE",
            f"file={path} cannot be read ({type(exc).__name__}); pass --docs the folder holding "
            f"{OBSERVABILITY} and {MODES} (the repository's docs/)",
        ) from None


def _table_rows(body: str) -> list[list[str]]:
    """Return the cells of a Markdown table's data rows (the first table of body)."""
    lines = [line.strip() for line in body.splitlines()]
    start = next((i for i, line in enumerate(lines) if line.startswith("|")), len(lines))
    rows: list[list[str]] = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split(" | ")])
    return rows


def _first_table(body: str) -> str:
    lines = body.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("|")), len(lines))
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("|")), len(lines))
    return "\n".join(lines[start:end]) + "\n"


def _runbooks(observability: Source) -> tuple[str, dict[str, str]]:
    """Return the runbooks' common first steps and each alert's runbook, checked whole."""
    body = observability.section("Runbooks")
    preamble = body.split("\n### ", 1)[0].strip()
    books = Source(observability.name, body).sections(3)
    alerts = [row[0] for row in _table_rows(observability.section("Alerts"))]
    if not alerts:
        raise observability.fail("has no alerts table under '## Alerts'")
    for alert in alerts:
        if alert not in books:
            raise observability.fail(f"has no runbook '### {alert}' for alert {alert}")
        missing = [part for part in RUNBOOK_PARTS if part not in books[alert]]
        if missing:
            raise observability.fail(f"runbook '### {alert}' lacks {', '.join(missing)}")
    return preamble, {alert: books[alert] for alert in alerts}


def _book_section(effective: EffectiveConfig) -> str:
    book = book_of(effective.config)
    rows: list[list[Cell]] = [[spec.symbol, spec.venue, spec.tick_size, spec.lot_size,
             ", ".join(s.id for s in book.strategies_of(spec.symbol))]
            for spec in book.instruments]  # fmt: skip
    fees = effective.config.fees
    tiers: list[list[Cell]] = [[t.min_volume_30d_usd, t.maker_bps, t.taker_bps] for t in fees.tiers]
    return (
        markdown_table(("symbol", "venue", "tick_size", "lot_size", "strategies"), rows)
        + f"\nFee tiers (bps; paid positive, a rebate negative). The config's 30-day volume is "
        f"{fmt6(fees.volume_30d_usd)} USD: the tier in force is the last it reaches.\n\n"
        + markdown_table(("min_volume_30d_usd", "maker_bps", "taker_bps"), tiers)
    )


def _limits_section(effective: EffectiveConfig, limits: Sequence[LimitUse]) -> str:
    kill = effective.config.risk.kill_switch_file
    kill_line = (
        f"Kill switch: create `{kill}` (risk.kill_switch_file); quoting stops within one decision."
        if kill
        else "Kill switch: risk.kill_switch_file is not set: set it before any canary or live "
        "session (docs/RISK.md)."
    )
    return markdown_table(LIMIT_COLUMNS, [use.row() for use in limits]) + f"\n{kill_line}\n"


def render_sop(
    docs: Path, effective: EffectiveConfig, limits: Sequence[LimitUse], title: str
) -> str:
    """Return SOP.md for the config's book, built from docs/ and the runs' limit usage."""
    observability, modes = read_source(docs, OBSERVABILITY), read_source(docs, MODES)
    preamble, runbooks = _runbooks(observability)
    alert_rows = [[row[0], row[3], row[2], row[1]]
                  for row in _table_rows(observability.section("Alerts"))]  # fmt: skip
    sections = [
        f"# Standard operating procedure: {title}",
        f"Generated by `mmbot investor package` from docs/{OBSERVABILITY} (sha256 "
        f"{observability.sha256}), docs/{MODES} (sha256 {modes.sha256}) and the config (sha256 "
        f"{effective.describe().sha256}). Edit those, not this file.",
        "## 1. The book\n\n" + _book_section(effective),
        "## 2. Risk limits (config) and their use in the runs\n\n"
        + _limits_section(effective, limits),
        "## 3. Modes\n\n" + _first_table(modes.text),
        "## 4. Stopping and the kill switch\n\n" + modes.section("Stopping"),
        "## 5. Restart after a crash\n\n" + modes.section("Restart and adopt"),
        "## 6. Alerts\n\n" + markdown_table(("alert", "severity", "for", "expression"), alert_rows),
        "## 7. Runbooks\n\n" + preamble,
        *(f"### {alert}\n\n{body}" for alert, body in runbooks.items()),
    ]
    return "\n\n".join(section.rstrip("\n") for section in sections) + "\n"
