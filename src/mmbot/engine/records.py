"""Turn what an engine run holds into run-directory records (fills, orders, mids, risk)."""

from __future__ import annotations

import numpy as np

from mmbot.core.types import Side
from mmbot.engine.loop import Engine
from mmbot.engine.orders import OrderState
from mmbot.engine.rundir import FillRecord, MidSeriesRecord, OrderRecord, RiskLog

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


def fill_records(engine: Engine, symbol: str) -> list[FillRecord]:
    """Return the venue's fill log as run-directory fills, with our client ids."""
    log = engine.ledger.fill_log()
    tick, lot = engine.strategy.tick_size, engine.strategy.lot_size
    client_ids = {o.venue_order_id: o.client_id for o in engine.orders.orders}
    strategy_id = engine.params.strategy_id
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
            strategy=strategy_id,
        )
        for i in range(len(log))
    ]


def order_records(engine: Engine, symbol: str) -> list[OrderRecord]:
    """Return every order the run sent, with how it ended."""
    tick, lot = engine.strategy.tick_size, engine.strategy.lot_size
    return [
        OrderRecord(
            order_id=str(order.venue_order_id),
            client_order_id=order.client_id,
            symbol=symbol,
            strategy=engine.params.strategy_id,
            side=Side(order.side),
            price=_decimal_price(order.price_ticks, tick),
            qty=_decimal_price(order.qty_lots, lot),
            placed_ts_ns=order.placed_ts_ns,
            priced_ts_ns=order.priced_ts_ns,
            ended_ts_ns=order.ended_ts_ns,
            end_state=_END_STATES.get(order.state, "open"),
            filled_qty=_decimal_price(order.filled_lots, lot),
        )
        for order in engine.orders.orders
    ]


def mid_record(engine: Engine, symbol: str) -> MidSeriesRecord:
    """Return the venue-book mids sampled at every decision point."""
    tick = engine.strategy.tick_size
    mids_x2 = np.asarray(engine.record.mid_ticks_x2, dtype=np.float64)
    return MidSeriesRecord(
        symbol=symbol,
        ts_ns=np.asarray(engine.record.mid_ts_ns, dtype=np.int64),
        mid=np.round(mids_x2 * (tick / 2.0), _decimals(tick)),
    )


def risk_log(engine: Engine) -> RiskLog:
    """Return the risk gate's records and denial counts of the run so far."""
    record = engine.record
    return RiskLog(tuple(record.risk_records), dict(record.denials))
