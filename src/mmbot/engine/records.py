"""Turn what an engine run holds into run-directory records (fills, orders, mids, risk)."""

from __future__ import annotations

from typing import Final

import numpy as np

from mmbot.artifacts import fmt_exact
from mmbot.core.types import Side
from mmbot.engine.book import Leg, SymbolBook
from mmbot.engine.loop import Engine
from mmbot.engine.orders import OrderState
from mmbot.engine.rundir import FillRecord, MidSeriesRecord, OrderRecord, RiskLog, Table
from mmbot.risk import RiskRecord

FEE_CURRENCY = "USD"
_END_STATES = {
    OrderState.FILLED: "filled",
    OrderState.CANCELED: "canceled",
    OrderState.REJECTED: "rejected",
}


def _decimals(step: float) -> int:
    """Return the decimals to round multiples of step to: the step's own, plus two."""
    return max(0, -int(np.floor(np.log10(step))) + 2)


def _decimal_price(ticks: int | float, tick_size: float) -> float:
    """Return ticks * tick_size rounded to the tick's decimals (50000.1, not 50000.100000006)."""
    return round(ticks * tick_size, _decimals(tick_size))


def _named(engine: Engine, symbol: str | None) -> list[tuple[str, SymbolBook]]:
    """Return (name, book) per symbol; symbol names a one-symbol engine's book (the data
    file's symbol), None keeps the books' own names."""
    if symbol is not None:
        return [(symbol, engine.only_book())]
    return [(book.symbol, book) for book in engine.books]


def fill_records(engine: Engine, symbol: str | None = None) -> list[FillRecord]:
    """Return every leg's fills as run-directory fills, with our client ids, in exchange-time
    order (a one-leg engine: the order the fills reached it)."""
    records = [
        record
        for name, book in _named(engine, symbol)
        for leg in book.legs
        for record in _leg_fills(leg, name)
    ]
    return records if len(engine.legs) == 1 else sorted(records, key=lambda r: r.ts_ns)


def _leg_fills(leg: Leg, symbol: str) -> list[FillRecord]:
    log = leg.ledger.fill_log()
    tick, lot = leg.params.tick_size, leg.params.lot_size
    client_ids = {o.venue_order_id: o.client_id for o in leg.orders.orders}
    return [
        FillRecord(
            ts_ns=int(log.ts_ns[i]),
            order_id=str(int(log.order_id[i])),
            client_order_id=client_ids.get(int(log.order_id[i]), ""),
            symbol=symbol,
            side=Side(int(log.side[i])),
            price=_decimal_price(int(log.price_ticks[i]), tick),
            qty=_decimal_price(int(log.qty_lots[i]), lot),
            is_maker=bool(log.is_maker[i]),
            fee=float(log.fee_usd[i]),
            fee_currency=FEE_CURRENCY,
            mid_at_fill=_decimal_price(int(log.mid_ticks_x2[i]) / 2, tick),
            strategy=leg.strategy_id,
        )
        for i in range(len(log))
    ]


def order_records(engine: Engine, symbol: str | None = None) -> list[OrderRecord]:
    """Return every order the run sent, with how it ended (by symbol, leg, then send order)."""
    return [
        OrderRecord(
            order_id=str(order.venue_order_id),
            client_order_id=order.client_id,
            symbol=name,
            strategy=leg.strategy_id,
            side=Side(order.side),
            price=_decimal_price(order.price_ticks, leg.params.tick_size),
            qty=_decimal_price(order.qty_lots, leg.params.lot_size),
            placed_ts_ns=order.placed_ts_ns,
            priced_ts_ns=order.priced_ts_ns,
            ended_ts_ns=order.ended_ts_ns,
            end_state=_END_STATES.get(order.state, "open"),
            filled_qty=_decimal_price(order.filled_lots, leg.params.lot_size),
        )
        for name, book in _named(engine, symbol)
        for leg in book.legs
        for order in leg.orders.orders
    ]


def mid_records(engine: Engine, symbol: str | None = None) -> list[MidSeriesRecord]:
    """Return each symbol's venue-book mids sampled at every decision point."""
    return [_mids(book, name) for name, book in _named(engine, symbol)]


def mid_record(engine: Engine, symbol: str) -> MidSeriesRecord:
    """Return the mids of a one-symbol engine, named symbol."""
    return _mids(engine.only_book(), symbol)


def _mids(book: SymbolBook, symbol: str) -> MidSeriesRecord:
    tick = book.tick_size
    mids_x2 = np.asarray(book.record.mid_ticks_x2, dtype=np.float64)
    return MidSeriesRecord(
        symbol=symbol,
        ts_ns=np.asarray(book.record.mid_ts_ns, dtype=np.int64),
        mid=np.round(mids_x2 * (tick / 2.0), _decimals(tick)),
    )


def risk_log(engine: Engine) -> RiskLog:
    """Return the risk records and denial counts of the run so far.

    A one-symbol engine's are its gate's as they are; a book's records name their symbol
    (`[BTCUSDT] ...`, `[book] ...` for the book's caps), in time order, and its denials are
    summed over symbols.
    """
    if len(engine.books) == 1 and engine.book_risk is None:
        record = engine.books[0].record
        return RiskLog(tuple(record.risk_records), dict(record.denials))
    tagged = [
        RiskRecord(r.ts_ns, r.code, f"[{book.symbol}] {r.detail}")
        for book in engine.books
        for r in book.record.risk_records
    ]
    tagged += [RiskRecord(r.ts_ns, r.code, f"[book] {r.detail}") for r in engine.book_risk_records]
    denials: dict[str, int] = {}
    for book in engine.books:
        for code, count in book.record.denials.items():
            denials[code] = denials.get(code, 0) + count
    return RiskLog(tuple(sorted(tagged, key=lambda r: r.ts_ns)), denials)


MUX_COLUMNS: Final = (
    "ts_ns", "symbol", "detected_regime", "active_regime", "realized_vol_bps", "trend_z",
)  # fmt: skip
ALLOC_COLUMNS: Final = (
    "ts_ns", "strategy", "symbol", "weight", "demand_usd", "budget_usd", "equity_usd",
    "hwm_equity_usd", "budget_available_usd",
)  # fmt: skip


def book_tables(engine: Engine) -> list[Table]:
    """Return a book's mux trace and allocations as mux.csv and allocations.csv.

    mux.csv: one row per (decision point, symbol with a mux), then one `weight_<strategy>`
    column per strategy of the book (0 where it does not quote the symbol). allocations.csv:
    one row per (allocation, leg); weight is the leg's mux weight when it was allocated.
    """
    strategy_ids = sorted({leg.strategy_id for leg in engine.legs})
    legs_of = {book.symbol: [leg.strategy_id for leg in book.legs] for book in engine.books}
    mux_rows: list[list[str | int]] = []
    for row in engine.mux_trace:
        weight_of = dict(zip(legs_of[row.symbol], row.weights, strict=True))
        mux_rows.append([
            row.ts_ns, row.symbol, row.detected_regime, row.active_regime,
            fmt_exact(row.realized_vol_bps), fmt_exact(row.trend_z),
            *(fmt_exact(weight_of.get(strategy_id, 0.0)) for strategy_id in strategy_ids),
        ])  # fmt: skip
    alloc_rows: list[list[str | int]] = [
        [
            alloc.ts_ns, leg.strategy_id, leg.symbol, fmt_exact(weight),
            fmt_exact(alloc.demand_usd[i]), fmt_exact(alloc.budget_usd[i]),
            fmt_exact(alloc.equity_usd), fmt_exact(alloc.hwm_equity_usd),
            fmt_exact(alloc.budget_available_usd),
        ]
        for alloc in engine.allocations
        for i, (leg, weight) in enumerate(zip(engine.legs, alloc.weights, strict=True))
    ]  # fmt: skip
    return [
        Table("mux.csv", (*MUX_COLUMNS, *(f"weight_{s}" for s in strategy_ids)), mux_rows),
        Table("allocations.csv", ALLOC_COLUMNS, alloc_rows),
    ]
