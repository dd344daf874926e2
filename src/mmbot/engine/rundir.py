"""The run directory: what every run (any mode) leaves behind for reports and audits.

Files (documented in docs/RUN_DIRECTORY.md):
    fills.csv   one row per fill, exact decimal numbers (see FILL_COLUMNS)
    orders.csv  one row per order we sent, with its end state (see ORDER_COLUMNS)
    mids.csv    the mid price series the run saw (ts_ns, symbol, mid)
    risk_records.csv  the risk gate's records, in order (ts_ns, code, detail)
    risk_denials.csv  how many actions the risk gate denied, by code (code, denials)
    mux.csv, allocations.csv  a book's mux trace and allocations (engine/records.py book_tables)
    metrics.prom  the engine's metric values at the end of the run (Prometheus text format)
    run.json    config/data sha256, seed, mode, instruments, versions
    manifest.json  every file's sha256, written last (engine/rundir_commit.py)

Numbers in the CSVs are written with fmt_exact (shortest exact decimal), not fmt6, so an
audit recomputes the ledger's PnL to the last bit rather than to six decimals.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt

from mmbot.artifacts import fmt_exact, write_csv, write_json
from mmbot.artifacts.atomic import atomic_write_bytes
from mmbot.core.text import ascii_single_line
from mmbot.core.types import Side
from mmbot.engine.rundir_commit import seal_run_dir
from mmbot.risk import RiskRecord

FILL_COLUMNS: Final = (
    "ts_ns", "order_id", "client_order_id", "symbol", "side", "price", "qty", "liquidity",
    "fee", "fee_currency", "mid_at_fill", "strategy",
)  # fmt: skip
ORDER_COLUMNS: Final = (
    "order_id", "client_order_id", "symbol", "strategy", "side", "price", "qty",
    "placed_ts_ns", "priced_ts_ns", "ended_ts_ns", "end_state", "filled_qty",
)  # fmt: skip
MID_COLUMNS: Final = ("ts_ns", "symbol", "mid")
RISK_RECORD_COLUMNS: Final = ("ts_ns", "code", "detail")
RISK_DENIAL_COLUMNS: Final = ("code", "denials")
METRICS_FILE: Final = "metrics.prom"


@dataclass(frozen=True, slots=True)
class FillRecord:
    """One fill as the ledger booked it (prices in quote currency, qty in base units)."""

    ts_ns: int
    order_id: str
    client_order_id: str
    symbol: str
    side: Side
    price: float
    qty: float
    is_maker: bool
    fee: float
    fee_currency: str
    mid_at_fill: float
    strategy: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "side", Side(self.side))  # an int side too; refuses not 1/-1

    def row(self) -> list[str | int]:
        """Return the CSV row in FILL_COLUMNS order."""
        return [
            self.ts_ns, self.order_id, self.client_order_id, self.symbol,
            self.side.name.lower(), fmt_exact(self.price), fmt_exact(self.qty),
            "maker" if self.is_maker else "taker", fmt_exact(self.fee), self.fee_currency,
            fmt_exact(self.mid_at_fill), self.strategy,
        ]  # fmt: skip


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """One order we sent and how it ended (ended_ts_ns = -1 while open).

    priced_ts_ns is when its last price was set (placement or a price-changing replace):
    a repriced order lost its queue place, so its resting age starts again.
    """

    order_id: str
    client_order_id: str
    symbol: str
    strategy: str
    side: Side
    price: float
    qty: float
    placed_ts_ns: int
    priced_ts_ns: int
    ended_ts_ns: int
    end_state: str
    filled_qty: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "side", Side(self.side))  # an int side too; refuses not 1/-1

    def row(self) -> list[str | int]:
        """Return the CSV row in ORDER_COLUMNS order."""
        return [
            self.order_id, self.client_order_id, self.symbol, self.strategy,
            self.side.name.lower(), fmt_exact(self.price), fmt_exact(self.qty),
            self.placed_ts_ns, self.priced_ts_ns, self.ended_ts_ns, self.end_state,
            fmt_exact(self.filled_qty),
        ]  # fmt: skip


@dataclass(frozen=True, slots=True)
class MidSeriesRecord:
    """The mids one symbol showed during the run."""

    symbol: str
    ts_ns: npt.NDArray[np.int64]
    mid: npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class RiskLog:
    """What the risk gate decided during a run: its records in order, the denials by code."""

    records: Sequence[RiskRecord] = ()
    denials: Mapping[str, int] = field(default_factory=dict)

    def record_rows(self) -> list[list[str | int]]:
        """Return the risk_records.csv rows, in RISK_RECORD_COLUMNS order."""
        return [[r.ts_ns, r.code, ascii_single_line(r.detail)] for r in self.records]

    def denial_rows(self) -> list[list[str | int]]:
        """Return the risk_denials.csv rows, in RISK_DENIAL_COLUMNS order, sorted by code."""
        return [[code, count] for code, count in sorted(self.denials.items())]


@dataclass(frozen=True, slots=True)
class Table:
    """One more CSV file of a run directory: its name, header and rows."""

    name: str
    columns: Sequence[str]
    rows: Sequence[Sequence[str | int]]


@dataclass(frozen=True, slots=True)
class InstrumentRecord:
    """Instrument metadata recorded in run.json."""

    venue: str
    tick_size: float
    lot_size: float


@dataclass(frozen=True, slots=True)
class RunInfo:
    """run.json: where a run's numbers came from."""

    mode: str
    seed: int
    config_sha256: str
    data_sha256: str
    instruments: Mapping[str, InstrumentRecord]
    versions: Mapping[str, str]
    extra: Mapping[str, object] = field(default_factory=dict)

    def payload(self) -> dict[str, object]:
        """Return the run.json payload."""
        return {
            "config_sha256": self.config_sha256,
            "data_sha256": self.data_sha256,
            "instruments": {
                symbol: {"lot_size": meta.lot_size, "tick_size": meta.tick_size,
                         "venue": meta.venue}
                for symbol, meta in self.instruments.items()
            },
            "mode": self.mode,
            "seed": self.seed,
            "versions": dict(self.versions),
            **self.extra,
        }  # fmt: skip


def _mid_rows(series: Iterable[MidSeriesRecord]) -> list[list[str | int]]:
    rows: list[list[str | int]] = []
    for record in sorted(series, key=lambda s: s.symbol):
        rows.extend(
            [int(ts), record.symbol, fmt_exact(float(mid))]
            for ts, mid in zip(record.ts_ns, record.mid, strict=True)
        )
    return rows


def write_run_dir(
    out: Path,
    info: RunInfo,
    fills: Sequence[FillRecord],
    orders: Sequence[OrderRecord],
    mids: Sequence[MidSeriesRecord],
    risk: RiskLog = RiskLog(),
    tables: Sequence[Table] = (),
    metrics: bytes | None = None,
) -> list[Path]:
    """Write fills.csv, orders.csv, mids.csv, risk_records.csv, risk_denials.csv and run.json
    into out, then the manifest over out's files; return their paths.

    out is a fresh folder: building_run_dir's stage (or a test's own folder). risk: the run's
    risk log (engine/records.py's risk_log); the default, no records and no denials, is for
    a directory made without a risk gate (a test's hand-made run). tables: a book's extra
    files (mux.csv, allocations.csv). metrics: the engine's final metric values in the
    Prometheus text format (metrics.prom; None: a hand-made run has none).
    """
    written = [
        write_csv(out / "fills.csv", FILL_COLUMNS, [fill.row() for fill in fills]),
        write_csv(out / "orders.csv", ORDER_COLUMNS, [order.row() for order in orders]),
        write_csv(out / "mids.csv", MID_COLUMNS, _mid_rows(mids)),
        write_csv(out / "risk_records.csv", RISK_RECORD_COLUMNS, risk.record_rows()),
        write_csv(out / "risk_denials.csv", RISK_DENIAL_COLUMNS, risk.denial_rows()),
        write_json(out / "run.json", info.payload()),
        *(write_csv(out / table.name, table.columns, table.rows) for table in tables),
    ]
    if metrics is not None:
        written.append(atomic_write_bytes(out / METRICS_FILE, metrics))
    seal_run_dir(out)
    return written
