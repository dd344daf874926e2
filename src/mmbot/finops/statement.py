"""A venue statement read into the ledger's terms: one Execution per fill (docs/FINOPS.md).

Layout read: the Binance USD-M futures trade-history export (Futures > Order & Trade History >
Trade History > Export), one row per execution:

    Uid,Time,Symbol,Side,Price,Quantity,Amount,Fee,Realized Profit,Buyer,Maker,Trade ID,Order ID

Time is `YY-MM-DD HH:MM:SS` (older exports: `YYYY-MM-DD HH:MM:SS`) in the time zone chosen
for the export, which Binance writes into the file name (`...(UTC+3)-part1...`); a name
without one is read as UTC. Amount is the quote notional; Fee is the commission with its
asset glued on (`0.01018698 USDT`, `0.00738570USDT`), paid positive and a rebate negative,
the sign of fills.csv. Trade ID names an execution within its symbol; Order ID is the
venue's order id, which the ledger records as order_id. Columns are found by name, so
extra or reordered columns are read too; Uid, Realized Profit and Buyer are not needed.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final, TypeVar

from mmbot.core.errors import AuditError
from mmbot.engine.rundir_read import QUOTE_CURRENCIES

BINANCE_USDM_COLUMNS: Final = (
    "Uid", "Time", "Symbol", "Side", "Price", "Quantity", "Amount", "Fee", "Realized Profit",
    "Buyer", "Maker", "Trade ID", "Order ID",
)  # fmt: skip
_NEEDED: Final = ("Time", "Symbol", "Side", "Price", "Quantity", "Amount", "Fee", "Trade ID",
                  "Order ID")  # fmt: skip
_TIME_FORMATS: Final = ("%y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S")
_ZONE_RE: Final = re.compile(r"\(UTC([+-])(\d{1,2})(?::?(\d{2}))?\)")
_FEE_RE: Final = re.compile(r"^(-?\d+(?:\.\d+)?(?:[eE]-?\d+)?)\s*([A-Za-z]+)$")
_SIDES: Final = {"BUY": "buy", "SELL": "sell"}
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Execution:
    """One fill in the terms ledger and statement share (money in quote currency, USD).

    source/row: the file (or run) and its data row, from 1; trade_id: "" for the ledger,
    whose fills.csv records no venue trade id.
    """

    source: str
    row: int
    symbol: str
    order_id: str
    side: str
    ts_s: int
    price: float
    qty: float
    notional_usd: float
    fee_usd: float
    trade_id: str


def venue_symbol(symbol: str) -> str:
    """Return symbol as a venue lists it: `BTC/USDT:USDT` and `BTC-USDT` -> `BTCUSDT`."""
    return symbol.split(":", maxsplit=1)[0].replace("/", "").replace("-", "").upper()


def zone_offset_s(file_name: str) -> int:
    """Return the UTC offset Binance writes into an export's name (`(UTC+3)`), 0 without one."""
    match = _ZONE_RE.search(file_name)
    if match is None:
        return 0
    sign = -1 if match[1] == "-" else 1
    return sign * (int(match[2]) * 3600 + int(match[3] or 0) * 60)


def _epoch_s(text: str) -> int:
    for layout in _TIME_FORMATS:
        try:
            return int(datetime.strptime(text, layout).replace(tzinfo=UTC).timestamp())
        except ValueError:
            continue
    raise ValueError(text)


def _number(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _positive(text: str) -> float:
    value = _number(text)
    if value <= 0:
        raise ValueError(text)
    return value


def _fee(text: str) -> tuple[float, str]:
    match = _FEE_RE.fullmatch(text)
    if match is None:
        raise ValueError(text)
    return _number(match[1]), match[2].upper()


class _Row:
    """One data row of the statement, its cells by column name, parsed with context."""

    def __init__(self, path: Path, number: int, cells: Mapping[str, str]) -> None:
        self.path, self.number, self.cells = path, number, cells

    def get(self, column: str, parse: Callable[[str], T], expected: str) -> T:
        text = self.cells[column].strip()
        try:
            return parse(text)
        except (ValueError, KeyError):
            raise AuditError(
                "E_FINOPS_STATEMENT_VALUE",
                f"file={self.path} row={self.number} column={column} value={text!r} "
                f"expected={expected}",
            ) from None

    def fee_usd(self) -> float:
        amount, asset = self.get("Fee", _fee, "<amount><asset>, e.g. 0.0101 USDT")
        if asset not in QUOTE_CURRENCIES:
            raise AuditError(
                "E_FINOPS_FEE_ASSET",
                f"file={self.path} row={self.number} fee={self.cells['Fee']!r} is paid in "
                f"{asset}; the ledger books fees in {'/'.join(QUOTE_CURRENCIES)}: export with "
                "fees in the quote currency (BNB fee discount off)",
            )
        return amount


def _execution(row: _Row, offset_s: int) -> Execution:
    return Execution(
        source=row.path.name,
        row=row.number,
        symbol=venue_symbol(row.get("Symbol", str, "a symbol")),
        order_id=row.get("Order ID", str, "an order id"),
        side=row.get("Side", lambda text: _SIDES[text.upper()], "BUY or SELL"),
        ts_s=row.get("Time", _epoch_s, "YY-MM-DD HH:MM:SS") - offset_s,
        price=row.get("Price", _positive, "a number > 0"),
        qty=row.get("Quantity", _positive, "a number > 0"),
        notional_usd=row.get("Amount", _number, "a number"),
        fee_usd=row.fee_usd(),
        trade_id=row.get("Trade ID", str, "a trade id"),
    )


def read_statement(path: Path) -> list[Execution]:
    """Return the executions of a Binance USD-M trade-history export, in file order."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # Excel-saved exports start with a BOM
    except (OSError, UnicodeDecodeError) as exc:
        raise AuditError("E_FINOPS_STATEMENT_VALUE", f"file={path} cannot be read: {exc}") from None
    lines = list(csv.reader(io.StringIO(text)))
    header = [name.strip() for name in lines[0]] if lines else []
    missing = [name for name in _NEEDED if name not in header]
    if missing:
        raise AuditError(
            "E_FINOPS_STATEMENT_LAYOUT",
            f"file={path} header={','.join(header) or '<empty>'} lacks {','.join(missing)}; "
            f"expected a Binance USD-M trade-history export: {','.join(BINANCE_USDM_COLUMNS)}",
        )
    offset_s = zone_offset_s(path.name)
    out: list[Execution] = []
    for number, cells in enumerate(lines[1:], start=1):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            raise AuditError(
                "E_FINOPS_STATEMENT_VALUE",
                f"file={path} row={number} cells={len(cells)} expected={len(header)} as the header",
            )
        out.append(_execution(_Row(path, number, dict(zip(header, cells, strict=True))), offset_s))
    return out
