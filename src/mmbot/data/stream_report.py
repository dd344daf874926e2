"""What a stream-recording import read, checked, wrote and dropped.

StreamTally is filled while importing; StreamImportReport is its frozen result, printed as
`key=value` lines by `mmbot data import binance-stream` and kept beside the event file (see
import_record.py) so that `mmbot data info` can show the clock offset, gaps and checks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from mmbot.artifacts import JsonValue, fmt6
from mmbot.data.screen import RowScreen
from mmbot.data.stream_messages import DecodeCounts

MAX_GAPS_LISTED: Final = 20
_NS_PER_S: Final = 1e9


@dataclass(slots=True)
class StreamTally:
    """Counts of an import in progress (what the book rebuild did with each message)."""

    snapshots_used: int = 0
    snapshots_unused: int = 0
    diffs_applied: int = 0
    diffs_no_book: int = 0
    diffs_older_than_snapshot: int = 0
    depth_rows: int = 0
    sequence_gaps: int = 0
    crossed_after_diff: int = 0
    tickers_no_book: int = 0
    tickers_stale: int = 0
    tickers_checked: int = 0
    ticker_mismatches: int = 0
    ticker_rows: int = 0
    trades_written: int = 0
    trades_after_first_print: int = 0
    trades_beyond_top: int = 0
    gaps: list[str] = field(default_factory=list)

    def add_gap(self, detail: str) -> None:
        """Count a sequence gap; keep the first MAX_GAPS_LISTED descriptions."""
        self.sequence_gaps += 1
        if len(self.gaps) < MAX_GAPS_LISTED:
            self.gaps.append(detail)


# The figures `mmbot data info` shows for an imported file (the rest is in the report).
SUMMARY_KEYS: Final = (
    "clock_offset_ns",
    "messages_snapshot",
    "messages_diff",
    "messages_ticker",
    "messages_trade",
    "snapshots_used",
    "diffs_applied",
    "sequence_gaps",
    "crossed_after_diff",
    "tickers_checked",
    "ticker_mismatches",
    "trades_beyond_top",
    "dropped_total",
)


@dataclass(frozen=True, slots=True)
class StreamImportReport:
    """The result of importing one symbol's stream recording (day files in order).

    clock_offset_ns: the recorder's clock minus the venue's, estimated as the smallest
    `local - E` over every message (None when no message carries `E`); it was subtracted
    from every local time written.
    """

    out: str
    strict: bool
    symbol: str
    lines_read: tuple[tuple[str, int], ...]
    messages: tuple[tuple[str, int], ...]
    skipped: tuple[tuple[str, int], ...]
    clock_offset_ns: int | None
    tally: tuple[tuple[str, int], ...]
    gaps: tuple[str, ...]
    events_written: int
    dropped: tuple[tuple[str, int], ...]

    @classmethod
    def of(
        cls,
        out: str,
        strict: bool,
        symbol: str,
        lines_read: Iterable[tuple[str, int]],
        counts: DecodeCounts,
        clock_offset_ns: int | None,
        tally: StreamTally,
        events_written: int,
        screens: Iterable[RowScreen],
    ) -> StreamImportReport:
        """Return the report of a finished import."""
        dropped: Counter[str] = Counter()
        for screen in screens:
            dropped.update(screen.dropped)
        figures = tuple(
            (name, int(getattr(tally, name)))
            for name in StreamTally.__dataclass_fields__
            if name != "gaps"
        )
        return cls(
            out=out,
            strict=strict,
            symbol=symbol,
            lines_read=tuple(lines_read),
            messages=tuple(sorted(counts.messages.items())),
            skipped=tuple(sorted(counts.skipped.items())),
            clock_offset_ns=clock_offset_ns,
            tally=figures,
            gaps=tuple(tally.gaps),
            events_written=events_written,
            dropped=tuple(sorted(dropped.items())),
        )

    @property
    def dropped_total(self) -> int:
        """Return the lines and levels dropped, all codes together (lenient mode)."""
        return sum(count for _, count in self.dropped)

    def figures(self) -> dict[str, JsonValue]:
        """Return every single-valued figure by name, in report order."""
        values: dict[str, JsonValue] = {f"messages_{kind}": count for kind, count in self.messages}
        values["clock_offset_ns"] = self.clock_offset_ns
        values.update(dict(self.tally))
        values["events_written"] = self.events_written
        values["dropped_total"] = self.dropped_total
        return values

    def summary(self) -> dict[str, JsonValue]:
        """Return the figures `mmbot data info` shows (SUMMARY_KEYS; 0 for a kind not seen)."""
        figures = self.figures()
        return {key: figures.get(key, 0) for key in SUMMARY_KEYS}

    def as_dict(self) -> dict[str, JsonValue]:
        """Return the report as a JSON-ready mapping."""
        return {
            "out": self.out,
            "strict": self.strict,
            "symbol": self.symbol,
            "lines_read": dict(self.lines_read),
            "figures": self.figures(),
            "skipped": dict(self.skipped),
            "gaps": list(self.gaps),
            "dropped": dict(self.dropped),
        }

    def lines(self) -> list[str]:
        """Return one `key=value` line per fact (list entries as key[name]=value)."""
        out = [f"out={self.out}", f"mode={'strict' if self.strict else 'lenient'}"]
        out.append(f"symbol={self.symbol}")
        out += [f"lines_read[{file}]={count}" for file, count in self.lines_read]
        for key, value in self.figures().items():
            out.append(f"{key}={'none' if value is None else value}")
            if key == "clock_offset_ns" and self.clock_offset_ns is not None:
                out.append(f"clock_offset_s={fmt6(self.clock_offset_ns / _NS_PER_S)}")
        out += [f"skipped[{what}]={count}" for what, count in self.skipped]
        out += [f"gap[{number}]={gap}" for number, gap in enumerate(self.gaps, start=1)]
        out += [f"dropped[{code}]={count}" for code, count in self.dropped]
        return out
