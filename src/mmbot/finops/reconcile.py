"""`mmbot finops reconcile`: our ledger (fills.csv) against a venue statement, line by line.

Theory of operation. Both sides become Executions (statement.py). A statement row whose
(symbol, Trade ID) an earlier row already had is a duplicate - the venue or the export listed
one execution twice - and is set aside. The others are matched to ledger fills by (symbol,
order id, side, second): a statement's time has whole seconds, the ledger's nanoseconds.
Within one key the statement row closest in (price, qty) is taken, so the order of rows
within a second does not matter. Each pair is a line with its deltas, statement minus ledger,
of qty, price, notional and fee; a ledger fill left over is a missing fill, a statement row
left over an extra one. An absent side counts as 0 in the additive deltas (qty, notional,
fee), so the TOTAL row is statement total minus ledger total. The reconciliation passes when
no line carries a code: every |delta| <= TOLERANCE and nothing missing, extra or duplicated.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from mmbot.artifacts import TOTAL_LABEL, Cell, fmt_exact, utc_iso, write_csv, write_json
from mmbot.engine.rundir_read import RunData
from mmbot.finops.statement import Execution, venue_symbol

TOLERANCE: Final = 1e-8
LAYOUT: Final = "binance-usdm-trade-history"
RECONCILE_CSV: Final = "reconcile.csv"
RECONCILE_JSON: Final = "reconcile.json"
MISSING: Final = "E_FINOPS_MISSING_FILL"
EXTRA: Final = "E_FINOPS_EXTRA_FILL"
DUPLICATE: Final = "E_FINOPS_DUPLICATE"
# The figures a matched pair must agree on, with the code of a disagreement.
CHECKED: Final = (
    ("qty", "E_FINOPS_QTY_MISMATCH"),
    ("price", "E_FINOPS_PRICE_MISMATCH"),
    ("notional_usd", "E_FINOPS_AMOUNT_MISMATCH"),
    ("fee_usd", "E_FINOPS_FEE_MISMATCH"),
)
ADDITIVE: Final = ("qty", "notional_usd", "fee_usd")
COLUMNS: Final = (
    "line", "status", "symbol", "order_id", "side", "time_utc", "ledger_run", "ledger_row",
    "statement_row", "trade_id",
    *(f"{side}_{name}" for name, _ in CHECKED for side in ("ledger", "statement", "delta")),
)  # fmt: skip
_NS_PER_S: Final = 1_000_000_000


@dataclass(frozen=True, slots=True)
class Line:
    """One reconciliation line: a ledger fill, a statement row, or the two matched."""

    ledger: Execution | None
    statement: Execution | None
    codes: tuple[str, ...]
    repeats_row: int = 0  # a duplicate: the statement row it repeats

    @property
    def either(self) -> Execution:
        """Return the ledger side, or the statement side when there is none."""
        side = self.ledger or self.statement
        assert side is not None
        return side

    def value(self, side: Execution | None, name: str) -> float:
        """Return a side's figure, 0 for an absent side."""
        return float(getattr(side, name)) if side is not None else 0.0

    def delta(self, name: str) -> float | None:
        """Return statement minus ledger of a figure (None: price of a one-sided line)."""
        if name not in ADDITIVE and (self.ledger is None or self.statement is None):
            return None
        return self.value(self.statement, name) - self.value(self.ledger, name)


def ledger_executions(name: str, data: RunData) -> list[Execution]:
    """Return a run's fills.csv as Executions, in file order."""
    return [
        Execution(
            source=name, row=row, symbol=venue_symbol(fill["symbol"]),
            order_id=fill["order_id"], side=fill["side"], ts_s=fill["ts_ns"] // _NS_PER_S,
            price=fill["price"], qty=fill["qty"], notional_usd=fill["price"] * fill["qty"],
            fee_usd=fill["fee"], trade_id="",
        )
        for row, fill in enumerate(data.fills.iter_rows(named=True), start=1)
    ]  # fmt: skip


def _key(execution: Execution) -> tuple[str, str, str, int]:
    return execution.symbol, execution.order_id, execution.side, execution.ts_s


def _mismatches(ledger: Execution, statement: Execution, tolerance: float) -> tuple[str, ...]:
    return tuple(
        code for name, code in CHECKED
        if abs(float(getattr(statement, name)) - float(getattr(ledger, name))) > tolerance
    )  # fmt: skip


def match(
    ledger: Sequence[Execution], statement: Sequence[Execution], tolerance: float = TOLERANCE
) -> list[Line]:
    """Return the lines: ledger fills in ledger order (matched or missing), then the
    statement's extra and duplicate rows in statement order."""
    first_row: dict[tuple[str, str], int] = {}
    pool: dict[tuple[str, str, str, int], list[Execution]] = {}
    set_aside: list[Line] = []
    for row in statement:
        seen = first_row.get((row.symbol, row.trade_id)) if row.trade_id else None
        if seen is not None:
            set_aside.append(Line(None, row, (DUPLICATE,), repeats_row=seen))
            continue
        first_row[row.symbol, row.trade_id] = row.row
        pool.setdefault(_key(row), []).append(row)
    lines: list[Line] = []
    for fill in ledger:
        candidates = pool.get(_key(fill), [])
        if not candidates:
            lines.append(Line(fill, None, (MISSING,)))
            continue
        best = min(candidates, key=lambda r: (abs(r.price - fill.price), abs(r.qty - fill.qty),
                                              r.row))  # fmt: skip
        candidates.remove(best)
        lines.append(Line(fill, best, _mismatches(fill, best, tolerance)))
    set_aside += [Line(None, row, (EXTRA,)) for rows in pool.values() for row in rows]
    return lines + sorted(set_aside, key=lambda line: line.either.row)


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """The lines of a reconciliation and what they add up to."""

    lines: list[Line]
    tolerance: float = TOLERANCE

    @property
    def passed(self) -> bool:
        """Return whether no line carries a code."""
        return not any(line.codes for line in self.lines)

    def total(self, side: str, name: str) -> float:
        """Return the exact sum of an additive figure over the lines: side ledger, statement
        or delta."""
        if side == "delta":
            return math.fsum(line.delta(name) or 0.0 for line in self.lines)
        return math.fsum(line.value(getattr(line, side), name) for line in self.lines)

    def max_abs_delta(self) -> float:
        """Return the largest |delta| of any figure on any line (0.0 when all agree)."""
        deltas = [line.delta(name) for line in self.lines for name, _ in CHECKED]
        return max((abs(d) for d in deltas if d is not None), default=0.0)

    def counts(self) -> dict[str, int]:
        """Return how many lines carry each code."""
        return dict(sorted(Counter(code for line in self.lines for code in line.codes).items()))


def _exact(value: float | None) -> str:
    return "" if value is None else fmt_exact(value)


def _detail(line: Line, code: str, tolerance: float) -> str:
    fill = line.either
    what = " ".join(
        f"{name}={fmt_exact(getattr(fill, name))}" for name in ("qty", "price", "fee_usd")
    )
    if code == MISSING:
        return f"ledger run={fill.source} row={fill.row} {what} is not on the statement"
    if code == EXTRA:
        return f"statement row={fill.row} trade_id={fill.trade_id} {what} is not in the ledger"
    if code == DUPLICATE:
        return f"statement row={fill.row} repeats row={line.repeats_row} (trade_id={fill.trade_id})"
    name = next(name for name, checked in CHECKED if checked == code)
    return (
        f"{name} ledger={fmt_exact(line.value(line.ledger, name))} "
        f"statement={fmt_exact(line.value(line.statement, name))} "
        f"delta={_exact(line.delta(name))} expected |delta|<={tolerance}"
    )


def discrepancy_lines(done: Reconciliation) -> list[str]:
    """Return one `E_FINOPS_*: line=N ...` line per code on a line, in line order."""
    out: list[str] = []
    for number, line in enumerate(done.lines, start=1):
        fill = line.either
        where = (f"line={number} symbol={fill.symbol} order_id={fill.order_id} side={fill.side} "
                 f"time={utc_iso(fill.ts_s * _NS_PER_S)}")  # fmt: skip
        out.extend(f"{code}: {where} {_detail(line, code, done.tolerance)}" for code in line.codes)
    return out


def _row(number: int, line: Line) -> list[Cell]:
    fill, ledger, statement = line.either, line.ledger, line.statement
    figures = [
        cell for name, _ in CHECKED for cell in (
            _exact(line.value(ledger, name)) if ledger else "",
            _exact(line.value(statement, name)) if statement else "",
            _exact(line.delta(name)),
        )
    ]  # fmt: skip
    return [
        number, " ".join(line.codes) or "ok", fill.symbol, fill.order_id, fill.side,
        utc_iso(fill.ts_s * _NS_PER_S), ledger.source if ledger else "",
        ledger.row if ledger else "", statement.row if statement else "",
        statement.trade_id if statement else "", *figures,
    ]  # fmt: skip


def _total_row(done: Reconciliation) -> list[Cell]:
    figures = [
        _exact(done.total(side, name)) if name in ADDITIVE and name != "qty" else ""
        for name, _ in CHECKED for side in ("ledger", "statement", "delta")
    ]  # fmt: skip
    return [TOTAL_LABEL, "OK" if done.passed else "FAIL", *[""] * 8, *figures]


def write_reconciliation(
    done: Reconciliation, statement: Path, runs: Sequence[str], out: Path
) -> list[Path]:
    """Write reconcile.csv (a row per line, TOTAL last) and reconcile.json into out."""
    rows = [_row(number, line) for number, line in enumerate(done.lines, start=1)]
    payload = {
        "counts": done.counts(),
        "discrepancies": discrepancy_lines(done),
        "ledger": {"fills": sum(1 for line in done.lines if line.ledger), "runs": list(runs)},
        "lines": len(done.lines),
        "max_abs_delta": done.max_abs_delta(),
        "result": "OK" if done.passed else "FAIL",
        "statement": {
            "file": statement.name, "layout": LAYOUT,
            "rows": sum(1 for line in done.lines if line.statement),
            "sha256": hashlib.sha256(statement.read_bytes()).hexdigest(),
        },
        "tolerance": done.tolerance,
        "totals": {f"{side}_{name}": done.total(side, name) for name in ADDITIVE[1:]
                   for side in ("ledger", "statement", "delta")},
    }  # fmt: skip
    return [
        write_csv(out / RECONCILE_CSV, COLUMNS, rows, total=_total_row(done)),
        write_json(out / RECONCILE_JSON, payload),
    ]
