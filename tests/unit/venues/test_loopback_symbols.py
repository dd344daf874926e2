"""The loopback fakes serving several symbols: one account, orders/fills/positions per symbol.

Two one-symbol adapters (BTCUSDT, ETHUSDT, each on its own grid) trade one fake of two
markets: each sees only its symbol's orders, fills and position, and both reconcile clean.
"""

from __future__ import annotations

import contextlib

import pytest
from tests.loopback.harness import (
    BOOK_SYMBOLS,
    ETH_INSTRUMENT,
    VENUES,
    ZERO,
    intent,
    invariants,
    new_fake,
    running,
    settle,
    until,
)

pytestmark = pytest.mark.asyncio


@pytest.mark.parametrize("venue", VENUES)
async def test_two_symbols_on_one_fake_keep_orders_fills_positions_apart(venue: str) -> None:
    async with new_fake(venue, symbols=BOOK_SYMBOLS) as fake, contextlib.AsyncExitStack() as stack:
        btc = (await stack.enter_async_context(running(fake=fake, venue=venue)))[1]
        eth = (await stack.enter_async_context(
            running(fake=fake, venue=venue, instrument=ETH_INSTRUMENT)))[1]  # fmt: skip
        await fake.push_book(1000, 1010)
        await fake.push_book(2000, 2010, symbol="ETHUSDT")
        btc_bid = await btc.place(intent(1, price=990, qty=3))
        eth_ask = await eth.place(intent(2, side=-1, price=2020, qty=4))
        assert fake.orders[eth_ask.client_id]["price"] == "20.20"  # ETH's 0.01 tick
        assert (eth_ask.client_id, 4) in fake.leaves()  # 0.04 on ETH's 0.01 lot
        await fake.fill(eth_ask.client_id, [1, 3])
        await fake.fill(btc_bid.client_id, [2])
        await until(lambda: eth.journal.position_lots == -4 and btc.journal.position_lots == 2)
        await settle()
        assert fake.positions == {"BTCUSDT": 2, "ETHUSDT": -4}
        assert set(btc.local_open_orders()) == {btc_bid.client_id}
        assert not eth.local_open_orders()
        assert fake.open_client_ids("ETHUSDT") == set()
        assert [p.qty_lots for p in await eth.positions()] == [-4]
        for adapter in (btc, eth):
            assert (await adapter.reconcile()).ok
            assert invariants(fake, adapter) == ZERO
        assert len(fake.trade_ids("ETHUSDT")) == 2 and len(fake.trade_ids()) == 3
