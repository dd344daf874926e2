"""`mmbot finops export`: one UTC day of every run's ledger as CSV and JSON (docs/FINOPS.md).

The folder <out>/<YYYYMMDD>_Z/ is written whole (built aside, renamed into place):
    pnl.csv        a row per leg (symbol, strategy): fills, turnover, gross PnL, fees paid,
                   rebates, net fees, funding, net PnL, end-of-day position in USD; TOTAL last
    positions.csv  a row per leg: the position at the day's start and end, base units and
                   USD; TOTAL last, USD only (base units of different symbols do not add)
    finops.json    the same figures unrounded, by leg, symbol and strategy and in total, with
                   the runs they came from
Same runs and day, same bytes: nothing in them depends on the clock or the machine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from mmbot.artifacts import (
    TOTAL_LABEL,
    Cell,
    discard_stage,
    replace_folder,
    stage_folder,
    write_csv,
    write_json,
)
from mmbot.core.errors import AuditError, UsageError
from mmbot.engine.rundir_read import RunData
from mmbot.finops.ledger import (
    FUNDING_NOTE,
    LegDay,
    UtcDay,
    covers_day,
    day_legs,
    merge_legs,
    sum_legs,
)

PNL_CSV: Final = "pnl.csv"
POSITIONS_CSV: Final = "positions.csv"
FINOPS_JSON: Final = "finops.json"
EXPORT_FILES: Final = (PNL_CSV, POSITIONS_CSV, FINOPS_JSON)
FEE_SIGN: Final = "fees: paid positive, a rebate negative (fills.csv); net = gross - fees - funding"
MONEY: Final = ("turnover_usd", "gross_pnl_usd", "fees_paid_usd", "rebates_usd", "fees_usd",
                "funding_usd", "net_pnl_usd", "position_start_usd", "position_end_usd")  # fmt: skip
PNL_COLUMNS: Final = ("symbol", "strategy", "day", "fills", *MONEY[:-2], "position_end_usd")
POSITION_COLUMNS: Final = ("symbol", "strategy", "day", "position_start_qty", "position_end_qty",
                           "position_start_usd", "position_end_usd")  # fmt: skip


def export_dir(out: Path, day: UtcDay) -> Path:
    """Return the folder a day's export is written to."""
    return out / f"{day.yyyymmdd}_Z"


def figures(leg: LegDay, with_qty: bool) -> dict[str, float | int]:
    """Return a leg's (or a group's) figures by column name; positions in base units only
    with_qty (within one symbol)."""
    out: dict[str, float | int] = {"fills": leg.fills}
    out.update({name: float(getattr(leg, name)) for name in MONEY})
    if with_qty:
        out.update(position_start_qty=leg.position_start_qty,
                   position_end_qty=leg.position_end_qty)  # fmt: skip
    return out


def _grouped(legs: Sequence[LegDay], key: Callable[[LegDay], str]) -> list[tuple[str, LegDay]]:
    keys = sorted({key(leg) for leg in legs})
    return [(k, sum_legs(k, k, [leg for leg in legs if key(leg) == k])) for k in keys]


@dataclass(frozen=True, slots=True)
class DayExport:
    """A day's legs (merged over runs), their total and the finops.json payload."""

    legs: list[LegDay]
    total: LegDay
    payload: dict[str, object]


def build_export(runs: Sequence[tuple[str, RunData]], day: UtcDay) -> DayExport:
    """Return the export of day over the named runs.

    E_FINOPS_DAY_EMPTY when no run saw a mid of that day.
    """
    covering = [(name, data) for name, data in runs if covers_day(data, day)]
    if not covering:
        raise AuditError(
            "E_FINOPS_DAY_EMPTY",
            f"--date {day.yyyymmdd}: no run of {len(runs)} has mids on that UTC day; "
            "pick a day a run covers (its mids.csv ts_ns)",
        )
    legs = merge_legs(leg for _, data in covering for leg in day_legs(data, day))
    total = sum_legs(TOTAL_LABEL, "", legs)
    payload: dict[str, object] = {
        "by_leg": [{"symbol": leg.symbol, "strategy": leg.strategy, **figures(leg, True)}
                   for leg in legs],
        "by_strategy": [{"key": k, **figures(g, False)} for k, g in
                        _grouped(legs, lambda leg: leg.strategy)],
        "by_symbol": [{"key": k, **figures(g, True)} for k, g in
                      _grouped(legs, lambda leg: leg.symbol)],
        "day": day.yyyymmdd,
        "fee_sign": FEE_SIGN,
        "funding": FUNDING_NOTE,
        "runs": [{"config_sha256": data.info.get("config_sha256"),
                  "data_sha256": data.info.get("data_sha256"), "mode": data.info.get("mode"),
                  "run": name} for name, data in covering],
        "totals": figures(total, False),
        "window_ns": [day.start_ns, day.end_ns],
    }  # fmt: skip
    return DayExport(legs, total, payload)


def _pnl_row(leg: LegDay, day: UtcDay) -> list[Cell]:
    values = figures(leg, False)
    return [leg.symbol, leg.strategy, day.yyyymmdd, *(values[name] for name in PNL_COLUMNS[3:])]


def _position_row(leg: LegDay, day: UtcDay, with_qty: bool) -> list[Cell]:
    qty: list[Cell] = [leg.position_start_qty, leg.position_end_qty] if with_qty else ["", ""]
    return [leg.symbol, leg.strategy, day.yyyymmdd, *qty, leg.position_start_usd,
            leg.position_end_usd]  # fmt: skip


def _refuse_foreign(target: Path) -> None:
    """A day's folder is replaced whole: refuse one holding files the export did not write."""
    if not target.exists():
        return
    if not target.is_dir():
        raise UsageError("E_FINOPS_OUT_FOREIGN", f"{target} is a file; --out must be a folder")
    foreign = sorted(entry.name for entry in target.iterdir() if entry.name not in EXPORT_FILES)
    if foreign:
        raise UsageError(
            "E_FINOPS_OUT_FOREIGN",
            f"{target} holds {foreign[0]}, which finops export did not write; the export "
            "replaces the folder whole: move it away or give another --out",
        )


def write_export(runs: Sequence[tuple[str, RunData]], day: UtcDay, out: Path) -> DayExport:
    """Write day's export folder (export_dir) under out; return what it holds."""
    target = export_dir(out, day).absolute()
    _refuse_foreign(target)
    done = build_export(runs, day)
    pnl_rows = [_pnl_row(leg, day) for leg in done.legs]
    position_rows = [_position_row(leg, day, True) for leg in done.legs]
    stage = stage_folder(target)
    try:
        write_csv(stage / PNL_CSV, PNL_COLUMNS, pnl_rows, total=_pnl_row(done.total, day))
        write_csv(stage / POSITIONS_CSV, POSITION_COLUMNS, position_rows,
                  total=_position_row(done.total, day, False))  # fmt: skip
        write_json(stage / FINOPS_JSON, done.payload)
        replace_folder(stage, target)
    except BaseException:
        discard_stage(stage)
        raise
    return done
