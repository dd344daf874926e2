"""One ccxt session for a book of two symbols (BTCUSDT, ETHUSDT) on both loopback venues.

One connection: one markets load, one private stream (its fills routed to the right
symbol), one book stream for every symbol's top; per symbol: orders, fills, position, the
startup and reconnect reconciliation, and the dead-man switch (Binance's countdown is per
symbol). Over it, a LiveBridge per symbol run as one BridgeSet (start, blocks, summary,
close).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import pytest
from tests.loopback.harness import (
    BOOK_SYMBOLS,
    VENUES,
    ZERO,
    Fake,
    intent,
    invariants,
    make_book,
    new_fake,
    settle,
    until,
)

from mmbot.venues.bridge import BridgeSet, LiveBridge
from mmbot.venues.ccxt import CcxtBook, CcxtBookVenue
from mmbot.venues.recon import ReconRefusedError

pytestmark = pytest.mark.asyncio
DEAD_MAN_MS = {"binance": 2000, "bybit": 3000}  # Bybit's DCP window is 3 s at least
Ports = dict[str, CcxtBookVenue]


@asynccontextmanager
async def book_on(fake: Fake, **overrides: Any) -> AsyncIterator[tuple[CcxtBook, Ports]]:
    """Start a book session on fake (both ports); close both ports at the end."""
    book = make_book(fake, **overrides)
    ports = {symbol: book.venue(symbol) for symbol in BOOK_SYMBOLS}
    try:
        for port in ports.values():
            await port.start()
        yield book, ports
    finally:
        for port in ports.values():
            await port.close()


async def _quotable(ports: Ports) -> None:
    await until(lambda: all(p.quote_block() is None for p in ports.values()), what="quoting")


@pytest.mark.parametrize("venue", VENUES)
async def test_book_session_one_connection_routes_fills_per_symbol(venue: str) -> None:
    async with new_fake(venue, symbols=BOOK_SYMBOLS) as fake, book_on(fake) as (book, ports):
        btc, eth = ports["BTCUSDT"], ports["ETHUSDT"]
        await fake.push_book(1000, 1010)
        assert btc.quote_block() is not None and eth.quote_block() is not None  # no ETH top yet
        await fake.push_book(2000, 2010, symbol="ETHUSDT")
        await _quotable(ports)
        btc_bid = await btc.place(intent(1, price=990, qty=3))
        eth_ask = await eth.place(intent(1, side=-1, price=2020, qty=4))
        assert btc_bid.client_id != eth_ask.client_id  # the same intent seq on two symbols
        await fake.fill(eth_ask.client_id, [1, 3])
        await fake.fill(btc_bid.client_id, [2])
        await until(lambda: (btc.journal.position_lots, eth.journal.position_lots) == (2, -4))
        await settle()
        assert set(btc.local_open_orders()) == {btc_bid.client_id} and not eth.local_open_orders()
        for port in ports.values():
            assert (await port.reconcile()).ok
            assert invariants(fake, port) == ZERO
        assert fake.stats.private_streams == 1
        # One markets load for both symbols, as one symbol's session makes: the budget's
        # call and ccxt's own (Bybit's: and its PreLaunch page).
        markets = {"binance": ("GET exchangeInfo", 2), "bybit": ("GET market/instruments-info", 3)}
        path, calls = markets[venue]
        assert fake.stats.requests[path] == calls
        assert book.accounts["ETHUSDT"].client.budget is book.client.budget  # one account's


@pytest.mark.parametrize("venue", VENUES)
async def test_book_session_reconciles_every_symbol_after_a_reconnect(venue: str) -> None:
    async with new_fake(venue, symbols=BOOK_SYMBOLS) as fake, book_on(fake) as (book, ports):
        await fake.push_book(1000, 1010)
        await fake.push_book(2000, 2010, symbol="ETHUSDT")
        await _quotable(ports)
        btc_bid = await ports["BTCUSDT"].place(intent(1, price=990, qty=3))
        eth_bid = await ports["ETHUSDT"].place(intent(1, price=1990, qty=2))
        fake.faults.ws_drop_fills = 2  # both fills happen while nobody listens
        await fake.fill(btc_bid.client_id, [3])
        await fake.fill(eth_bid.client_id, [2])
        await fake.disconnect()
        await until(lambda: book.stats.reconnects_total >= 1, what="a reconnect")
        await fake.push_book(1000, 1010)  # fresh tops: the wait above may outlast their age
        await fake.push_book(2000, 2010, symbol="ETHUSDT")
        await _quotable(ports)
        assert (ports["BTCUSDT"].journal.position_lots, ports["ETHUSDT"].journal.position_lots) \
            == (3, 2)  # fmt: skip
        for port in ports.values():
            assert invariants(fake, port) == ZERO


@pytest.mark.parametrize("venue", VENUES)
async def test_book_start_refused_on_one_symbol_arms_and_subscribes_nothing(venue: str) -> None:
    async with new_fake(venue, symbols=BOOK_SYMBOLS) as fake:
        fake.positions["ETHUSDT"] = 3  # left by an earlier session
        book = make_book(fake, dead_man_countdown_ms=DEAD_MAN_MS[venue])
        ports = [book.venue(symbol) for symbol in BOOK_SYMBOLS]
        with pytest.raises(ReconRefusedError, match="ETHUSDT"):
            await ports[0].start()
        with pytest.raises(ReconRefusedError):  # the second port shares the refusal
            await ports[1].start()
        for port in ports:
            await port.close()
        assert not fake.dead_man_armed and fake.stats.private_streams == 0


@pytest.mark.parametrize("venue", VENUES)
async def test_book_adopting_start_takes_each_symbols_own_position(venue: str) -> None:
    async with new_fake(venue, symbols=BOOK_SYMBOLS) as fake:
        fake.positions["ETHUSDT"] = -3  # left by an earlier session, on ETH only
        book = make_book(fake)
        ports = {symbol: book.venue(symbol) for symbol in BOOK_SYMBOLS}
        try:
            reports = {symbol: await port.start(adopt=True) for symbol, port in ports.items()}
        finally:
            for port in ports.values():
                await port.close()
        assert {s: r.venue_position_lots for s, r in reports.items()} == {
            "BTCUSDT": 0, "ETHUSDT": -3}  # fmt: skip
        assert not reports["BTCUSDT"].adopted and reports["ETHUSDT"].adopted
        assert ports["ETHUSDT"].journal.position_lots == -3
        assert ports["BTCUSDT"].journal.position_lots == 0


async def test_binance_book_close_disarms_only_the_clean_symbols_countdown() -> None:
    async with new_fake("binance", symbols=BOOK_SYMBOLS) as fake:
        book = make_book(fake, dead_man_countdown_ms=DEAD_MAN_MS["binance"])
        btc, eth = book.venue("BTCUSDT"), book.venue("ETHUSDT")
        await btc.start()
        await eth.start()
        assert fake.countdown_symbols() == set(BOOK_SYMBOLS)
        await fake.push_book(2000, 2010, symbol="ETHUSDT")
        await eth.place(intent(1, price=1990, qty=2))  # left resting at close
        await btc.close()
        assert fake.countdown_symbols() == set(BOOK_SYMBOLS)  # the session is still open
        await eth.close()
        assert fake.countdown_symbols() == {"ETHUSDT"}  # its order keeps its switch armed


async def test_bybit_book_close_keeps_the_accounts_switch_while_one_symbol_rests() -> None:
    async with new_fake("bybit", symbols=BOOK_SYMBOLS) as fake:
        async with book_on(fake, dead_man_countdown_ms=DEAD_MAN_MS["bybit"]) as (_, ports):
            await fake.push_book(2000, 2010, symbol="ETHUSDT")
            await ports["ETHUSDT"].place(intent(1, price=1990, qty=2))
        assert fake.dead_man_armed and fake.open_client_ids("ETHUSDT")  # DCP: the order's net


async def test_bridge_set_runs_each_symbols_bridge_over_the_one_session() -> None:
    async with new_fake("binance", symbols=BOOK_SYMBOLS) as fake:
        book = make_book(fake, dead_man_countdown_ms=DEAD_MAN_MS["binance"])
        grids = {"BTCUSDT": (0.1, 0.001), "ETHUSDT": (0.01, 0.01)}
        bridges = BridgeSet({
            symbol: LiveBridge(partial(book.venue, symbol), f"{symbol}mm", *grids[symbol])
            for symbol in BOOK_SYMBOLS
        })  # fmt: skip
        await bridges.start()
        await fake.push_book(1000, 1010)
        await until(lambda: _blocks(bridges) == [None, "E_VENUE_STALE_BOOK"], what="BTC's top")
        assert (bridges.quote_block() or "").startswith("E_VENUE_STALE_BOOK")  # ETH's: no top
        await fake.push_book(2000, 2010, symbol="ETHUSDT")
        await until(lambda: _blocks(bridges) == [None, None], what="ETH's top")
        assert bridges.quote_block() is None
        eth = bridges.bridges["ETHUSDT"]
        eth.place(1, 1990, 2, client_seq=7)
        bridges.bridges["BTCUSDT"].place(1, 990, 3, client_seq=7)  # the same number
        await until(lambda: len(fake.open_orders()) == 2, what="both places at the fake")
        assert {o["clientOrderId"].split("-")[0] for o in fake.open_orders()} == {
            "BTCUSDTmm", "ETHUSDTmm"}  # fmt: skip
        await fake.fill(fake.open_client_ids("ETHUSDT").pop(), [2])
        await until(lambda: eth.summary()["fills"] == 1, what="ETH's fill at its bridge")
        await bridges.close()  # each bridge cancels its orders; the last closes the session
        summary = bridges.summary()
        assert fake.open_orders() == [] and not fake.dead_man_armed
        assert summary["fills"] == 1 and summary["close_cancels"] == 1
        assert {s: row["fills"] for s, row in summary["by_symbol"].items()} == {
            "BTCUSDT": 0, "ETHUSDT": 1}  # fmt: skip
        assert bridges.fatal is None


def _blocks(bridges: BridgeSet) -> list[str | None]:
    """Read each bridge's quote block at a decision now (its code only)."""
    codes = []
    for bridge in bridges.bridges.values():
        bridge.run_until(time.time_ns())
        line = bridge.quote_block()
        codes.append(None if line is None else line.split(":")[0])
    return codes
