"""ImportReport: what an import read, wrote and dropped (by error code)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from mmbot.artifacts import JsonValue
from mmbot.data.screen import RowScreen


@dataclass(frozen=True, slots=True)
class ImportReport:
    """Rows read per source file, events written, and rows dropped by code (lenient mode)."""

    out: str
    strict: bool
    rows_read: tuple[tuple[str, int], ...]
    events_written: int
    dropped: tuple[tuple[str, int], ...]

    @classmethod
    def of(cls, out: str, strict: bool, screens: Iterable[RowScreen], events: int) -> ImportReport:
        """Return the report of an import whose sources were screened by screens."""
        dropped: dict[str, int] = {}
        rows_read = []
        for screen in screens:
            rows_read.append((screen.file, screen.rows_read))
            for code, count in screen.dropped.items():
                dropped[code] = dropped.get(code, 0) + count
        return cls(out, strict, tuple(rows_read), events, tuple(sorted(dropped.items())))

    @property
    def dropped_total(self) -> int:
        """Return the number of rows dropped, all codes together."""
        return sum(count for _, count in self.dropped)

    def as_dict(self) -> dict[str, JsonValue]:
        """Return the report as a JSON-ready mapping."""
        rows: Mapping[str, JsonValue] = dict(self.rows_read)
        dropped: Mapping[str, JsonValue] = dict(self.dropped)
        return {
            "out": self.out,
            "strict": self.strict,
            "rows_read": dict(rows),
            "events_written": self.events_written,
            "dropped": dict(dropped),
            "dropped_total": self.dropped_total,
        }

    def lines(self) -> list[str]:
        """Return one `key=value` line per fact; every drop code gets its own line."""
        out = [f"out={self.out}", f"mode={'strict' if self.strict else 'lenient'}"]
        out += [f"rows_read[{source}]={rows}" for source, rows in self.rows_read]
        out.append(f"events_written={self.events_written}")
        out.append(f"dropped_total={self.dropped_total}")
        out += [f"dropped[{code}]={count}" for code, count in self.dropped]
        return out
