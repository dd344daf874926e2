"""One UTC day of the ledger per leg (symbol, strategy): the figures FinOps books.

Theory of operation. A run's fills.csv is its ledger. A fill with side s (+1 buy), price P,
quantity Q and fee F moves cash by -s*P*Q, the position by s*Q, and costs F (paid positive,
a rebate negative: docs/RUN_DIRECTORY.md, "Fee sign"). Over a day [start, end) a leg's PnL
marked to the mid is

    gross = cash flow of the day's fills + position_end_usd - position_start_usd

with each position valued at its symbol's last mid before start and before end (mids.csv),
so the days of a run add up to the run's PnL. Costs enter as the cost they are:
net = gross - fees - funding. Funding: run directories record no funding payments yet, so
funding_usd is 0; it has its own column so that recording it later changes no layout.

Each run is its own ledger (its positions start flat); the legs of several runs are summed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Final

import numpy as np
import polars as pl

from mmbot.audit import MidSeries
from mmbot.core.errors import UsageError
from mmbot.engine.rundir_read import RunData

NS_PER_DAY: Final = 86_400 * 1_000_000_000
FUNDING_NOTE: Final = (
    "run directories record no funding payments yet (docs/RUN_DIRECTORY.md): funding_usd is 0"
)


@dataclass(frozen=True, slots=True)
class UtcDay:
    """A UTC calendar day: [start_ns, start_ns + 1 day)."""

    yyyymmdd: str
    start_ns: int

    @property
    def end_ns(self) -> int:
        """Return the first nanosecond of the next day."""
        return self.start_ns + NS_PER_DAY


def parse_day(text: str) -> UtcDay:
    """Return the UTC day `YYYYMMDD` names, or E_FINOPS_DATE."""
    try:
        moment = datetime.strptime(text, "%Y%m%d").replace(tzinfo=UTC)
    except ValueError:
        raise UsageError("E_FINOPS_DATE", f"--date value={text} expected=YYYYMMDD") from None
    if moment.strftime("%Y%m%d") != text:  # strptime also takes 2024111 for 2024-11-01
        raise UsageError("E_FINOPS_DATE", f"--date value={text} expected=YYYYMMDD")
    return UtcDay(text, int(moment.timestamp()) * 1_000_000_000)


@dataclass(frozen=True, slots=True)
class LegDay:
    """One leg's day: counts, money in USD (fees: paid positive, rebates negative)."""

    symbol: str
    strategy: str
    fills: int
    turnover_usd: float
    cash_flow_usd: float
    fees_paid_usd: float
    rebates_usd: float
    funding_usd: float
    position_start_qty: float
    position_end_qty: float
    position_start_usd: float
    position_end_usd: float

    @property
    def fees_usd(self) -> float:
        """Return the net fee: paid plus rebates."""
        return self.fees_paid_usd + self.rebates_usd

    @property
    def gross_pnl_usd(self) -> float:
        """Return the day's PnL before costs, marked to the mid."""
        return math.fsum((self.cash_flow_usd, self.position_end_usd, -self.position_start_usd))

    @property
    def net_pnl_usd(self) -> float:
        """Return the day's PnL after fees and funding."""
        return math.fsum((self.gross_pnl_usd, -self.fees_usd, -self.funding_usd))


_AMOUNTS: Final = tuple(
    f.name for f in fields(LegDay) if f.name not in ("symbol", "strategy", "fills")
)


def sum_legs(symbol: str, strategy: str, legs: Sequence[LegDay]) -> LegDay:
    """Return one LegDay whose every figure is the exact sum of legs' (named symbol/strategy)."""
    amounts = {name: math.fsum(getattr(leg, name) for leg in legs) for name in _AMOUNTS}
    return LegDay(symbol, strategy, fills=sum(leg.fills for leg in legs), **amounts)


def merge_legs(legs: Iterable[LegDay]) -> list[LegDay]:
    """Return one LegDay per (symbol, strategy), summed over runs, sorted by symbol, strategy."""
    grouped: dict[tuple[str, str], list[LegDay]] = {}
    for leg in legs:
        grouped.setdefault((leg.symbol, leg.strategy), []).append(leg)
    return [sum_legs(symbol, strategy, grouped[symbol, strategy]) for symbol, strategy in
            sorted(grouped)]  # fmt: skip


def covers_day(data: RunData, day: UtcDay) -> bool:
    """Return whether the run saw any mid of day."""
    ts = data.mids["ts_ns"]
    return bool(((ts >= day.start_ns) & (ts < day.end_ns)).any())


def _mid_series(data: RunData, symbol: str) -> MidSeries:
    series = data.mids.filter(pl.col("symbol") == symbol)
    return MidSeries(ts_ns=series["ts_ns"].to_numpy(), mid=series["mid"].to_numpy())


def _leg_day(leg: pl.DataFrame, symbol: str, strategy: str, mids: MidSeries, day: UtcDay) -> LegDay:
    ts = leg["ts_ns"].to_numpy()
    side = np.where(leg["side"].to_numpy() == "buy", 1.0, -1.0)
    signed_qty = side * leg["qty"].to_numpy()
    notional = leg["price"].to_numpy() * leg["qty"].to_numpy()
    fee = leg["fee"].to_numpy()
    before, within = ts < day.start_ns, (ts >= day.start_ns) & (ts < day.end_ns)
    position_start = math.fsum(signed_qty[before])
    position_end = math.fsum(signed_qty[before | within])
    mark_start, mark_end = mids.asof(np.array([day.start_ns - 1, day.end_ns - 1], np.int64))
    return LegDay(
        symbol=symbol,
        strategy=strategy,
        fills=int(within.sum()),
        turnover_usd=math.fsum(notional[within]),
        cash_flow_usd=-math.fsum((side * notional)[within]),
        fees_paid_usd=math.fsum(fee[within & (fee > 0)]),
        rebates_usd=math.fsum(fee[within & (fee < 0)]),
        funding_usd=0.0,
        position_start_qty=position_start,
        position_end_qty=position_end,
        position_start_usd=position_start * float(mark_start),
        position_end_usd=position_end * float(mark_end),
    )


def day_legs(data: RunData, day: UtcDay) -> list[LegDay]:
    """Return the day of every leg of the run that traded that day or held a position into it."""
    out: list[LegDay] = []
    keys = data.fills.select("symbol", "strategy").unique().sort("symbol", "strategy")
    for symbol, strategy in keys.iter_rows():
        leg = data.fills.filter((pl.col("symbol") == symbol) & (pl.col("strategy") == strategy))
        figures = _leg_day(leg, symbol, strategy, _mid_series(data, symbol), day)
        if figures.fills or figures.position_start_qty:
            out.append(figures)
    return out
