"""canary and shadow with a book of two symbols (BTCUSDT, ETHUSDT) on ONE venue connection:
`mmbot run` as a subprocess against the loopback Binance USD-M fake listing both markets.

The fake publishes each symbol's book every 100 ms; the bot reaches it through `--base-url`
(no --symbol: the book's own symbols). Both symbols place, fill and reconcile apart (the
journal names each line's symbol, canary.json has each symbol's figures), over one
connection: one markets load, one listenKey and user stream, a countdown per symbol.
"""

from __future__ import annotations

import asyncio
import json
import signal
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import pytest
from _bot import Bot, running_bot
from tests.loopback import API_KEY, API_SECRET, FakeBinance
from tests.loopback.harness import BOOK_SYMBOLS, publishing, until

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(180)]

WAIT_S = 30.0
INTERVAL_S = 0.1  # strategy.decision_interval_ms below
BID, ASK = 1000, 1010  # each symbol's book in its own ticks: BTC 100.0/101.0, ETH 10.00/10.10
CONFIG = """\
portfolio:
  instruments:
    - {{symbol: BTCUSDT, venue: binance-usdm, tick_size: 0.1, lot_size: 0.001}}
    - {{symbol: ETHUSDT, venue: binance-usdm, tick_size: 0.01, lot_size: 0.01}}
strategies:
  - {{id: mm, model: fixed_spread, symbols: [BTCUSDT, ETHUSDT]}}
fees: {{volume_30d_usd: 60000000.0}}
strategy:
  decision_interval_ms: 100
  fixed_half_spread_ticks: 4
  fixed_skew_ticks_per_qty: 0.0
  order_qty_lots: 2
  signals: {{enabled: false}}
risk:
  max_position_usd: 50.0
  max_skew_usd: 50.0
  min_replace_ticks: 1
  min_order_age_ms: 0
  kill_switch_file: {kill}
alloc: {{budget_usd: 100000.0, smoothing: 0.0}}
"""


def _bot(fake: FakeBinance, tmp_path: Path, mode: str, *options: str,
         keys: bool = True) -> AbstractAsyncContextManager[Bot]:  # fmt: skip
    config = CONFIG.format(kill=tmp_path / "KILL")
    args = ("--mode", mode, "--venue", "binance-usdm", "--base-url", fake.rest_url, *options)
    return running_bot(tmp_path, config, args, keys)


async def _sigterm(bot: Bot) -> str:
    """SIGTERM the bot; return its stdout after it exited 0."""
    bot.process.send_signal(signal.SIGTERM)
    raw, _ = await asyncio.wait_for(bot.process.communicate(), WAIT_S)
    stdout, stderr = raw.decode(), bot.stderr_path.read_text()
    assert bot.process.returncode == 0, stderr
    assert API_SECRET not in stdout + stderr and API_KEY not in stdout + stderr
    return stdout


def _orders(fake: FakeBinance, symbol: str, side: str) -> list[dict[str, Any]]:
    return [o for o in fake.open_orders(symbol) if o["side"] == side]


async def test_canary_book_two_symbols_fill_and_reconcile_apart_on_one_connection(
    tmp_path: Path,
) -> None:
    gate = tmp_path / "CANARY_OPEN"
    gate.write_text("open\n")
    options = ("--gate-file", str(gate), "--max-order-lots", "2", "--max-position-lots", "2")
    async with (
        FakeBinance(symbols=BOOK_SYMBOLS) as fake,
        publishing(fake, BID, ASK, INTERVAL_S, BOOK_SYMBOLS),
        _bot(fake, tmp_path, "canary", *options) as bot,
    ):
        await until(lambda: all(len(fake.open_orders(s)) == 2 for s in BOOK_SYMBOLS), WAIT_S,
                    "a bid and an ask on each symbol at the fake")  # fmt: skip
        assert fake.countdown_symbols() == set(BOOK_SYMBOLS)  # Binance's switch is per symbol
        btc_bid, eth_ask = _orders(fake, "BTCUSDT", "BUY")[0], _orders(fake, "ETHUSDT", "SELL")[0]
        assert (btc_bid["price"], btc_bid["origQty"]) == ("100.1", "0.002")  # BTC's grid
        assert (eth_ask["price"], eth_ask["origQty"]) == ("10.09", "0.02")  # ETH's grid
        await fake.fill(btc_bid["clientOrderId"], [2])
        await fake.fill(eth_ask["clientOrderId"], [2])
        await until(lambda: len(bot.journaled("fill")) == 2, WAIT_S, "both fills journaled")
        await asyncio.sleep(10 * INTERVAL_S)  # ten decisions, each symbol at its own cap
        assert not _orders(fake, "BTCUSDT", "BUY") and not _orders(fake, "ETHUSDT", "SELL")
        assert _orders(fake, "BTCUSDT", "SELL") and _orders(fake, "ETHUSDT", "BUY")
        stdout = await _sigterm(bot)
    assert stdout.splitlines()[-1].startswith("RESULT=OK mode=canary stop=signal:SIGTERM ")
    assert fake.open_orders() == [] and not fake.dead_man_armed  # clean close: disarmed
    # One connection: one markets load (the budget's call and ccxt's), one user stream.
    assert fake.stats.private_streams == 1 and fake.stats.requests["POST listenKey"] == 1
    assert fake.stats.requests["GET exchangeInfo"] == 2
    # Each symbol's client ids carry its symbol: unique across the one account.
    for cid, order in fake.orders.items():
        assert cid.startswith(order["symbol"])
    report = json.loads((bot.out / "canary.json").read_text())
    by_symbol = report["ledger"]["by_symbol"]
    assert {s: by_symbol[s]["position_lots"] for s in BOOK_SYMBOLS} == fake.positions \
        == {"BTCUSDT": 2, "ETHUSDT": -2}  # fmt: skip
    venue = report["venue"]
    assert {s: venue["by_symbol"][s]["fills"] for s in BOOK_SYMBOLS} == dict.fromkeys(
        BOOK_SYMBOLS, 1)  # fmt: skip
    assert venue["fills"] == 2 and venue["close_cancels"] == 0
    assert set(report["canary_refused_by_symbol"]) == set(BOOK_SYMBOLS)
    journal = bot.journal()
    assert len(journal) == sum(report["live"]["journal"].values())  # flushed in full
    fills = sorted((e["symbol"], e["side"], e["qty_lots"]) for e in journal
                   if e["event"] == "fill")  # fmt: skip
    assert fills == [("BTCUSDT", "buy", 2), ("ETHUSDT", "sell", 2)]
    sent = {e["symbol"] for e in journal if e["event"] == "place"}
    assert sent == set(BOOK_SYMBOLS)


async def test_shadow_book_on_the_venue_feed_quotes_both_symbols_and_sends_none(
    tmp_path: Path,
) -> None:
    async with (
        FakeBinance(symbols=BOOK_SYMBOLS) as fake,
        publishing(fake, BID, ASK, INTERVAL_S, BOOK_SYMBOLS),
        _bot(fake, tmp_path, "shadow", keys=False) as bot,
    ):
        await until(lambda: {e["symbol"] for e in bot.journaled("place")} == set(BOOK_SYMBOLS),
                    WAIT_S, "shadow places of both symbols")  # fmt: skip
        stdout = await _sigterm(bot)
    assert stdout.splitlines()[-1].startswith("RESULT=OK mode=shadow stop=signal:SIGTERM ")
    assert set(fake.stats.requests) == {"GET exchangeInfo", "GET time"}, fake.stats.requests
    assert fake.stats.requests["GET exchangeInfo"] == 2  # one session for both symbols
    assert not fake.stats.posts_by_client_id and fake.stats.private_streams == 0
    quotes = {(e["symbol"], e["side"], e["price_ticks"]) for e in bot.journal()
              if e["event"] == "place"}  # fmt: skip
    assert quotes == {(s, side, px) for s in BOOK_SYMBOLS
                      for side, px in (("buy", BID + 1), ("sell", ASK - 1))}  # fmt: skip
