"""A live session that cannot start safely says why in one line, and never leaves a crashed or
a parallel session's orders unprotected: `mmbot run --mode live` as subprocesses against the
loopback Binance USD-M fake (tests/loopback), or a venue that cannot be reached at all.

A session killed with SIGKILL leaves its orders resting under the venue's dead-man switch
(a countdown here). A new session without --adopt finds them and refuses to start: it exits
non-zero with one E_RECON_* line and leaves the venue exactly as it found it - only reads
reach the venue: no order, no cancel, no re-arm, no disarm. A session that closes cleanly
while another's order rests leaves the switch armed: it protects that order too.
"""

from __future__ import annotations

import asyncio
import copy
from collections import Counter
from pathlib import Path

import pytest
from _cli import mmbot
from test_live_canary_loopback import WAIT_S, _bot, _fake, _sigterm, _until
from tests.loopback import API_KEY, API_SECRET, FakeBinance
from tests.loopback.harness import running

from mmbot.venues.base import OrderIntent, VenueOrder

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(180)]


async def _refused(fake: FakeBinance, tmp_path: Path) -> str:
    """Start a session without --adopt; check it exits 2 with one E_RECON_* line (its last),
    never printed RUNNING, and sent nothing but reads; return that line."""
    orders_before = copy.deepcopy(fake.orders)
    requests_before = Counter(fake.stats.requests)
    armed_before = fake.dead_man_armed
    async with _bot(fake, tmp_path, "live") as bot:
        assert bot.process.stdout is not None
        stdout = (await asyncio.wait_for(bot.process.stdout.read(), WAIT_S)).decode()
        await asyncio.wait_for(bot.process.wait(), WAIT_S)
    stderr = bot.stderr_path.read_text()
    assert bot.process.returncode == 2, stderr
    assert "RUNNING" not in stdout, stdout  # a refused start never says it runs
    recon_lines = [line for line in stderr.splitlines() if "E_RECON_" in line]
    assert recon_lines == stderr.splitlines()[-1:], stderr
    sent = Counter(fake.stats.requests)
    sent.subtract(requests_before)
    assert {request for request, count in sent.items() if count} <= {
        "GET exchangeInfo", "GET time", "GET openOrders", "GET positionRisk",
    }, sent  # fmt: skip
    assert fake.orders == orders_before and fake.dead_man_armed == armed_before
    return recon_lines[0]


async def test_restart_after_kill_9_refuses_and_leaves_the_orders_under_the_switch(
    tmp_path: Path,
) -> None:
    async with _fake() as fake:
        async with _bot(fake, tmp_path, "live") as crashed:
            await _until(lambda: len(fake.open_orders()) == 2 and fake.dead_man_armed,
                         "a bid and an ask at the fake, the countdown armed")  # fmt: skip
            crashed.process.kill()  # SIGKILL: no cancel, no close
            await crashed.process.wait()
        resting = fake.open_client_ids()
        line = await _refused(fake, tmp_path)  # the same command, the same --out
        assert fake.open_client_ids() == resting and fake.dead_man_armed
        assert fake.stats.dead_man_cancels == 0
    print(f"\nFIGURE refusal={line}")
    assert line.startswith("E_RECON_OPEN_ORDERS: symbol=BTCUSDT found open_orders venue_only=")
    assert all(cid in line for cid in resting) and "restart with --adopt" in line


async def test_position_left_by_an_earlier_session_refuses_the_start(tmp_path: Path) -> None:
    async with _fake() as fake:
        fake.position_lots = 2  # left by an earlier session: the bot does not know it
        line = await _refused(fake, tmp_path)
    assert line.startswith("E_RECON_POSITION: symbol=BTCUSDT found position venue_lots=2 "
                           "local_lots=0 at the venue"), line  # fmt: skip
    assert not fake.stats.posts_by_client_id and not fake.dead_man_armed


async def test_clean_close_with_another_sessions_order_resting_leaves_the_switch_armed(
    tmp_path: Path,
) -> None:
    async with _fake() as fake, _bot(fake, tmp_path, "live") as bot:
        await _until(lambda: len(fake.open_orders()) == 2, "a bid and an ask at the fake")
        # Another session (its own switch off) leaves an order resting beside the bot's.
        async with running(fake=fake, adopt=True) as (_, other):
            foreign = await other.place(OrderIntent("other", 1, 1, 990, 1))
        assert isinstance(foreign, VenueOrder)
        await _sigterm(bot)  # the bot cancels its own orders and closes cleanly
        assert fake.open_client_ids() == {foreign.client_id}
        assert fake.dead_man_armed, "disarmed over another session's resting order"
        assert "dead-man switch left armed" in bot.stderr_path.read_text()


async def test_unreachable_venue_is_one_line_naming_the_cause(tmp_path: Path) -> None:
    result = await asyncio.to_thread(
        mmbot, "run", "--mode", "live", "--venue", "binance-usdm", "--symbol", "BTC/USDT:USDT",
        "--base-url", "http://nosuch.invalid", "--out", str(tmp_path / "run"),
        env={"MM_BINANCE_API_KEY": API_KEY, "MM_BINANCE_API_SECRET": API_SECRET},
    )  # fmt: skip
    assert result.returncode != 0
    venue_lines = [line for line in result.stderr.splitlines() if line.startswith("E_VENUE_")]
    assert venue_lines == result.stderr.splitlines()[-1:], result.stderr
    print(f"\nFIGURE {venue_lines[0]}")
    assert venue_lines[0].startswith(
        "E_VENUE_TEMPORARY: fapiPublicGetExchangeInfo: ClientConnectorDNSError: Cannot connect "
        "to host nosuch.invalid"
    ), venue_lines[0]
