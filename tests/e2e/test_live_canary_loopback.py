"""canary/live (and shadow on the venue's feed) end to end: `mmbot run` as a subprocess against
the loopback Binance USD-M fake.

The fake (tests/loopback) runs in the test's event loop and publishes a fixed book every
100 ms; the bot reaches it through `--base-url` with the fake's keys in MM_BINANCE_API_*
(shadow: with no MM_* variable at all).
Waits are on events (the fake's orders, the journal's flushed lines), never on fixed sleeps;
every wait has a generous timeout for a loaded 2-core CI box.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from _bot import Bot, running_bot
from tests.loopback import API_KEY, API_SECRET, FakeBinance
from tests.loopback.harness import publishing, until

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(180)]

INTERVAL_NS = 100_000_000  # strategy.decision_interval_ms below
SLACK_NS = 1_000_000_000  # a decision's time vs. the test's clock, on a stalled CI box
BID, ASK = 1000, 1010  # the fake's book, ticks of 0.1: quotes go at 1001 / 1009
WAIT_S = 30.0
CONFIG = """\
instrument: {{venue: binance-usdm, symbol: BTCUSDT, tick_size: {tick}, lot_size: 0.001}}
fees: {{volume_30d_usd: 60000000.0}}
strategy:
  model: fixed_spread
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


async def _until(condition: Callable[[], bool], what: str) -> None:
    await until(condition, WAIT_S, what)


@asynccontextmanager
async def _fake() -> AsyncIterator[FakeBinance]:
    """Run the Binance fake, publishing its book every 100 ms."""
    async with FakeBinance() as fake, publishing(fake, BID, ASK, 0.1):
        yield fake


def _bot(
    fake: FakeBinance, tmp_path: Path, mode: str, *options: str, tick_size: str = "0.1",
    keys: bool = True,
) -> AbstractAsyncContextManager[Bot]:  # fmt: skip
    config = CONFIG.format(kill=tmp_path / "KILL", tick=tick_size)
    args = ("--mode", mode, "--venue", "binance-usdm", "--symbol", "BTC/USDT:USDT",
            "--base-url", fake.rest_url, *options)  # fmt: skip
    return running_bot(tmp_path, config, args, keys)


async def _sigterm(bot: Bot) -> tuple[str, str]:
    """SIGTERM the bot; return (stdout, stderr) after it exited 0."""
    bot.process.send_signal(signal.SIGTERM)
    raw, _ = await asyncio.wait_for(bot.process.communicate(), WAIT_S)
    stdout, stderr = raw.decode(), bot.stderr_path.read_text()
    assert bot.process.returncode == 0, stderr
    for secret in (API_KEY, API_SECRET):
        assert secret not in stdout and secret not in stderr
    return stdout, stderr


def _side_orders(fake: FakeBinance, side: str) -> list[dict[str, Any]]:
    return [o for o in fake.open_orders() if o["side"] == side]


async def test_canary_gate_caps_fills_and_sigterm_against_the_fake(tmp_path: Path) -> None:
    gate = tmp_path / "CANARY_OPEN"
    async with _fake() as fake, _bot(fake, tmp_path, "canary", "--gate-file", str(gate),
                                     "--max-order-lots", "2", "--max-position-lots", "2",
                                     ) as bot:  # fmt: skip
        assert bot.process.stdout is not None
        line = await asyncio.wait_for(bot.process.stdout.readline(), WAIT_S)
        assert line.decode().startswith("RUNNING mode=canary ")
        # Gate closed: the engine quotes, the canary refuses, nothing reaches the venue.
        await _until(lambda: bot.journaled("refused", "gate_closed"), "a gate_closed refusal")
        assert not fake.stats.posts_by_client_id
        opened_ns = time.time_ns()
        gate.write_text("open\n")
        await _until(lambda: len(fake.open_orders()) == 2, "a bid and an ask at the fake")
        bid = _side_orders(fake, "BUY")[0]
        assert bid["origQty"] == "0.002" and _side_orders(fake, "SELL")
        # The fill reaches the engine: long 2 lots, any new bid would leave > 2 lots. The risk
        # gate knows the canary cap, so it denies the bid before the canary's own check.
        await fake.fill(bid["clientOrderId"], [2])
        await _until(lambda: len(bot.journaled("fill")) == 1, "the fill in the journal")
        await asyncio.sleep(10 * INTERVAL_NS / 1e9)  # ten decisions that may not bid
        assert not _side_orders(fake, "BUY") and len(_side_orders(fake, "SELL")) == 1
        stdout, _ = await _sigterm(bot)
        assert fake.open_orders() == []  # the shutdown canceled what rested
    result = stdout.splitlines()[-1]
    assert result.startswith("RESULT=OK mode=canary stop=signal:SIGTERM "), stdout
    assert "working_orders_left=0 " in result
    report = json.loads((bot.out / "canary.json").read_text())
    refused = report["canary_refused_total"]
    assert refused["gate_closed"] >= 1 and refused["max_position_lots"] == 0
    assert report["values"]["risk_denials_total"] >= 1  # the gate denied the bids over the cap
    assert report["ledger"]["position_lots"] == fake.position_lots == 2
    assert report["venue"]["fills"] == 1 and report["venue"]["close_cancels"] == 0
    assert report["live"]["shutdown_cancels"] >= 1
    journal = bot.journal()
    assert len(journal) == sum(report["live"]["journal"].values())  # flushed in full
    places = [e for e in journal if e["event"] == "place"]
    refusals = [e for e in journal if e["event"] == "refused"]
    sent = [e for e in places if e["client_id"] not in {r["client_id"] for r in refusals}]
    assert all(e["ts_ns"] >= opened_ns - SLACK_NS for e in sent)  # only while open
    assert all(e["ts_ns"] < opened_ns + SLACK_NS
               for e in refusals if e["detail"] == "gate_closed")  # fmt: skip
    assert len(sent) == len(fake.stats.posts_by_client_id)
    assert all(e["qty_lots"] <= 2 for e in sent)
    fills = [e for e in journal if e["event"] == "fill"]
    assert [(f["side"], f["qty_lots"], f["leaves_lots"]) for f in fills] == [("buy", 2, 0)]


async def test_live_kill_switch_file_stops_quoting_within_one_decision(tmp_path: Path) -> None:
    async with _fake() as fake, _bot(fake, tmp_path, "live") as bot:
        await _until(lambda: len(fake.open_orders()) == 2, "a bid and an ask at the fake")
        killed_ns = time.time_ns()
        (tmp_path / "KILL").write_text("stop\n")
        await _until(lambda: fake.open_orders() == [], "the kill switch's cancels at the fake")
        posts = sum(fake.stats.posts_by_client_id.values())
        await _until(lambda: len(bot.journaled("cancel")) >= 2, "the cancels in the journal")
        assert sum(fake.stats.posts_by_client_id.values()) == posts
        stdout, _ = await _sigterm(bot)
    assert fake.open_orders() == []
    result = stdout.splitlines()[-1]
    assert result.startswith("RESULT=OK mode=live stop=signal:SIGTERM "), stdout
    report = json.loads((bot.out / "canary.json").read_text())
    assert report["values"]["kill_switch_active"] == 1
    assert set(report["canary_refused_total"].values()) == {0}  # live: no caps
    journal = bot.journal()
    # A decision at ts runs at wall time >= ts: from killed_ns + one interval it saw the flag.
    new_orders = [e for e in journal if e["event"] in ("place", "replace")]
    assert new_orders and all(e["ts_ns"] < killed_ns + INTERVAL_NS for e in new_orders)
    cancels = [e for e in journal if e["event"] == "cancel"]
    assert len(cancels) == 2 and all(e["ts_ns"] >= killed_ns - SLACK_NS for e in cancels)


async def test_preexisting_position_adopted_with_adopt(tmp_path: Path) -> None:
    # Without --adopt the start is refused: tests/e2e/test_live_refuse.py.
    async with _fake() as fake:
        fake.position_lots = 2  # left by an earlier session: the bot does not know it
        async with _bot(fake, tmp_path, "live", "--adopt") as bot:
            await _until(lambda: len(fake.open_orders()) == 2, "a bid and an ask at the fake")
            _, stderr = await _sigterm(bot)
    report = json.loads((bot.out / "canary.json").read_text())
    venue = report["venue"]
    assert report["ledger"]["position_lots"] == 2  # the venue's, adopted
    assert "quoting blocked: E_RECON" not in stderr
    assert venue["places"] >= 2 and len(fake.stats.posts_by_client_id) >= 2


async def test_configured_tick_size_not_the_venues_refuses_to_start(tmp_path: Path) -> None:
    async with _fake() as fake, _bot(fake, tmp_path, "live", tick_size="0.5") as bot:
        await asyncio.wait_for(bot.process.wait(), WAIT_S)
    stderr = bot.stderr_path.read_text()
    assert bot.process.returncode == 2, stderr
    assert stderr.splitlines()[-1] == (
        "E_RECON_INSTRUMENT: symbol=BTCUSDT tick_size config=0.5 venue=0.1; expected the "
        "venue's grid in instrument.tick_size / instrument.lot_size"
    )
    assert not fake.stats.posts_by_client_id and not fake.stats.requests["POST countdownCancelAll"]


async def test_shadow_on_the_venue_feed_journals_orders_and_sends_none(tmp_path: Path) -> None:
    async with _fake() as fake, _bot(fake, tmp_path, "shadow", keys=False) as bot:
        assert bot.process.stdout is not None
        line = await asyncio.wait_for(bot.process.stdout.readline(), WAIT_S)
        assert line.decode().startswith("RUNNING mode=shadow ")
        await _until(lambda: len(bot.journaled("place")) >= 2, "shadow places in the journal")
        stdout, _ = await _sigterm(bot)
    result = stdout.splitlines()[-1]
    assert result.startswith("RESULT=OK mode=shadow stop=signal:SIGTERM "), stdout
    assert "working_orders_left=0 " in result
    # Only the public market calls reached the venue (the grid check, the clock): no order,
    # cancel, countdown (dead-man), listenKey (private stream) or account read; nothing signed.
    assert set(fake.stats.requests) == {"GET exchangeInfo", "GET time"}, fake.stats.requests
    assert not fake.stats.posts_by_client_id and fake.stats.bad_signatures == 0
    assert not fake.dead_man_armed and fake.open_orders() == []
    report = json.loads((bot.out / "shadow.json").read_text())
    totals, counts = report["shadow_orders_total"], report["live"]["journal"]
    assert totals["place"] >= 2 and totals == {k: counts[k] for k in ("cancel", "place", "replace")}
    assert report["live"]["shutdown_cancels"] >= 1 and counts["fill"] == 0
    assert report["venue"]["places"] == report["venue"]["cancels"] == 0  # none via the bridge
    journal = bot.journal()
    assert len(journal) == sum(counts.values())  # flushed in full
    quotes = {(e["side"], e["price_ticks"]) for e in journal if e["event"] == "place"}
    assert quotes == {("buy", BID + 1), ("sell", ASK - 1)}  # priced off the venue's book


async def test_canary_order_over_lot_cap_refused_and_counted(tmp_path: Path) -> None:
    gate = tmp_path / "CANARY_OPEN"
    gate.write_text("open\n")
    async with _fake() as fake, _bot(fake, tmp_path, "canary", "--gate-file", str(gate),
                                     "--max-order-lots", "1", "--max-position-lots", "5",
                                     ) as bot:  # fmt: skip
        # The quote is 2 lots a side (strategy.order_qty_lots): over the 1-lot cap.
        await _until(lambda: len(bot.journaled("refused", "max_order_lots")) >= 2,
                     "two lot-cap refusals in the journal")  # fmt: skip
        stdout, _ = await _sigterm(bot)
    assert stdout.splitlines()[-1].startswith("RESULT=OK mode=canary "), stdout
    assert not fake.stats.posts_by_client_id  # nothing over the cap reached the venue
    report = json.loads((bot.out / "canary.json").read_text())
    refused = report["canary_refused_total"]
    lot_cap = [e for e in bot.journal() if e["event"] == "refused"]
    assert refused["max_order_lots"] == len(lot_cap) >= 2
    assert {(e["detail"], e["qty_lots"]) for e in lot_cap} == {("max_order_lots", 2)}
    assert refused["gate_closed"] == refused["max_position_lots"] == 0


async def test_canary_adopted_position_over_cap_reduced_to_the_cap(tmp_path: Path) -> None:
    gate = tmp_path / "CANARY_OPEN"
    gate.write_text("open\n")
    async with _fake() as fake:
        fake.position_lots = 4  # left by an earlier session; the canary's cap is 1: 3 over
        async with _bot(fake, tmp_path, "canary", "--adopt", "--gate-file", str(gate),
                        "--max-order-lots", "2", "--max-position-lots", "1") as bot:  # fmt: skip
            # Reduce-only over the cap, sized to what is over it: a 2-lot ask, then the risk
            # gate (which knows the canary cap) cuts the next one to the 1 lot left over.
            for filled, lots in ((1, 2), (2, 1)):
                await _until(lambda: len(_side_orders(fake, "SELL")) == 1, "an ask at the fake")
                assert not _side_orders(fake, "BUY")
                await _until(lambda n=lots: _side_orders(fake, "SELL")[0]["origQty"]  # type: ignore[misc]
                             == f"0.00{n}", f"a {lots}-lot ask")  # fmt: skip
                ask = _side_orders(fake, "SELL")[0]
                await fake.fill(ask["clientOrderId"], [lots])
                await _until(lambda n=filled: len(bot.journaled("fill")) == n,  # type: ignore[misc]
                             "the fill in the journal")  # fmt: skip
            _, stderr = await _sigterm(bot)
    assert "quoting blocked: E_RECON" not in stderr
    report = json.loads((bot.out / "canary.json").read_text())
    assert report["ledger"]["position_lots"] == fake.position_lots == 1  # exactly at the cap
    journal = bot.journal()
    assert [(e["side"], e["qty_lots"]) for e in journal if e["event"] == "fill"] == [
        ("sell", 2), ("sell", 1)
    ]  # fmt: skip
    assert not [e for e in journal if e["event"] == "place" and e["side"] == "buy"]
