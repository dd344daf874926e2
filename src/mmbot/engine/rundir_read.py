"""Read and validate a run directory; any problem is one E_AUDIT_* / E_RUN_* line, nothing
half-read. A directory is read only when its manifest vouches for every file the audit reads."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import polars as pl

from mmbot.core.errors import AuditError
from mmbot.core.text import first_line
from mmbot.engine.rundir import FILL_COLUMNS, MID_COLUMNS, ORDER_COLUMNS
from mmbot.engine.rundir_commit import MANIFEST, file_sha256, read_manifest

QUOTE_CURRENCIES: Final = ("USD", "USDC", "USDT")
_FILL_TYPES: Final = {"ts_ns": pl.Int64, "price": pl.Float64, "qty": pl.Float64,
                      "fee": pl.Float64, "mid_at_fill": pl.Float64}  # fmt: skip
_ORDER_TYPES: Final = {"price": pl.Float64, "qty": pl.Float64, "placed_ts_ns": pl.Int64,
                       "priced_ts_ns": pl.Int64,
                       "ended_ts_ns": pl.Int64, "filled_qty": pl.Float64}  # fmt: skip
_MID_TYPES: Final = {"ts_ns": pl.Int64, "mid": pl.Float64}
_CHOICES: Final = {"side": ("buy", "sell"), "liquidity": ("maker", "taker")}
_INPUTS: Final = ("run.json", "fills.csv", "orders.csv", "mids.csv")


@dataclass(frozen=True, slots=True)
class RunData:
    """A validated run directory: typed tables and run.json."""

    path: Path
    info: dict[str, Any]
    fills: pl.DataFrame
    orders: pl.DataFrame
    mids: pl.DataFrame


def _need(path: Path) -> Path:
    if not path.is_file():
        raise AuditError(
            "E_AUDIT_MISSING_FILE",
            f"file={path} is missing; point --run at a run directory (fills.csv, orders.csv, "
            "mids.csv, run.json)",
        )
    return path


def _read_table(path: Path, columns: tuple[str, ...], types: dict[str, Any]) -> pl.DataFrame:
    """Read a CSV as text, check its header, then cast column by column naming the bad row."""
    try:
        raw = pl.read_csv(_need(path), infer_schema=False)
    except pl.exceptions.PolarsError as exc:
        raise AuditError("E_AUDIT_BAD_VALUE", f"file={path} row=? {first_line(exc)}") from None
    if tuple(raw.columns) != columns:
        raise AuditError(
            "E_AUDIT_BAD_VALUE",
            f"file={path} row=0 header={','.join(raw.columns)} expected={','.join(columns)}",
        )
    for name, dtype in types.items():
        cast = raw[name].cast(dtype, strict=False)
        _refuse_first(raw, name, cast.is_null(), path, str(dtype))
        raw = raw.with_columns(cast.alias(name))
    for name, allowed in _CHOICES.items():
        if name in raw.columns:
            _refuse_first(raw, name, ~raw[name].is_in(allowed), path, f"one of {','.join(allowed)}")
    return raw


def _refuse_first(raw: pl.DataFrame, name: str, bad: pl.Series, path: Path, expected: str) -> None:
    """Raise E_AUDIT_BAD_VALUE for the first row where bad holds (rows count from 1)."""
    if bad.any():
        row = int(bad.arg_true()[0]) + 1
        raise AuditError(
            "E_AUDIT_BAD_VALUE",
            f"file={path} row={row} column={name} value={raw[name][row - 1]!r} expected={expected}",
        )


def _check_sorted(frame: pl.DataFrame, path: Path, by_symbol: bool) -> None:
    keys = ["symbol"] if by_symbol else []
    backwards = frame.with_row_index("row").with_columns(
        (pl.col("ts_ns").diff().over(keys) < 0).alias("back") if keys
        else (pl.col("ts_ns").diff() < 0).alias("back")
    ).filter(pl.col("back"))  # fmt: skip
    if backwards.height:
        row = int(backwards["row"][0]) + 1
        raise AuditError(
            "E_AUDIT_UNSORTED", f"file={path} row={row} ts_ns goes backwards; sort by ts_ns"
        )


def _check_references(data: RunData) -> None:
    fills = data.fills.with_row_index("row")
    unknown = fills.filter(~pl.col("order_id").is_in(data.orders["order_id"].implode()))
    if unknown.height:
        raise AuditError(
            "E_AUDIT_UNKNOWN_ORDER",
            f"file={data.path / 'fills.csv'} row={int(unknown['row'][0]) + 1} "
            f"order_id={unknown['order_id'][0]} is not in orders.csv",
        )
    instruments = data.info.get("instruments", {})
    mid_symbols = set(data.mids["symbol"].to_list())
    for row, (symbol, currency) in enumerate(
        zip(data.fills["symbol"], data.fills["fee_currency"], strict=True), start=1
    ):
        where = f"file={data.path / 'fills.csv'} row={row} symbol={symbol}"
        if symbol not in instruments:
            raise AuditError("E_AUDIT_NO_METADATA", f"{where} has no instrument entry in run.json")
        if symbol not in mid_symbols:
            raise AuditError("E_AUDIT_MISSING_MIDS", f"{where} has no rows in mids.csv")
        if currency not in QUOTE_CURRENCIES:
            raise AuditError(
                "E_AUDIT_FEE_CURRENCY",
                f"{where} fee_currency={currency} expected=one of {','.join(QUOTE_CURRENCIES)}",
            )


def _verify_manifest(path: Path) -> None:
    """Refuse a directory whose manifest misses, or disagrees with, a file (E_RUN_INCOMPLETE)."""
    listed = read_manifest(path)
    for name in _INPUTS:
        if name not in listed:
            raise AuditError(
                "E_RUN_INCOMPLETE",
                f"file={path / name} is not in {MANIFEST}: it was added after the run; "
                "rerun the command that wrote the directory",
            )
    for name, sha256 in sorted(listed.items()):
        file = path / name
        if not file.is_file():
            raise AuditError(
                "E_RUN_INCOMPLETE",
                f"file={file} is listed in {MANIFEST} but missing; rerun the command that "
                "wrote the directory",
            )
        if file_sha256(file) != sha256:
            raise AuditError(
                "E_RUN_INCOMPLETE",
                f"file={file} differs from its {MANIFEST} entry (another run's file, or changed "
                "after the run); rerun the command that wrote the directory",
            )


def read_run_dir(path: Path) -> RunData:
    """Return the validated contents of the run directory at path."""
    for name in _INPUTS:
        _need(path / name)
    _verify_manifest(path)
    info_path = path / "run.json"
    try:
        info = json.loads(info_path.read_text(encoding="ascii"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise AuditError("E_AUDIT_BAD_VALUE", f"file={info_path} row=? {exc}") from None
    data = RunData(
        path=path,
        info=info,
        fills=_read_table(path / "fills.csv", FILL_COLUMNS, _FILL_TYPES),
        orders=_read_table(path / "orders.csv", ORDER_COLUMNS, _ORDER_TYPES),
        mids=_read_table(path / "mids.csv", MID_COLUMNS, _MID_TYPES),
    )
    _check_sorted(data.fills, path / "fills.csv", by_symbol=False)
    _check_sorted(data.mids, path / "mids.csv", by_symbol=True)
    _check_references(data)
    return data


def read_run_info(path: Path) -> dict[str, object]:
    """Return the run.json of the folder at path ({} when it has none: a shadow or canary
    folder, whose metrics.prom stands alone)."""
    info_path = path / "run.json"
    if not info_path.is_file():
        return {}
    try:
        info = json.loads(info_path.read_text(encoding="ascii"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise AuditError("E_AUDIT_BAD_VALUE", f"file={info_path} row=? {exc}") from None
    assert isinstance(info, dict)
    return info
