"""HA on a venue with real processes: two `mmbot run --mode canary --ha sqlite:... --instance
NAME` instances against the loopback Binance fake (tests/loopback), which cannot fence by
itself beyond refusing an order of an older epoch than the newest it saw.

The first instance leads and quotes; the second starts as a standby after that: it neither
refuses nor cancels the leader's orders. `kill -9` of the leader leaves its orders resting
(its dead-man countdown is a minute away). The standby is elected once and, before its
first order rests, cancels every order of the older epoch it reads from the venue and arms
the venue's dead-man switch; then it quotes. The fake's ordered history shows that order;
the merged ha_actions logs show never two leaders acting at once (test_ha_failover's
checker), and the fake accepted no order of an epoch older than one it had already taken.

A step-down on a venue (the SQLite lease file gone: the leader's renew fails) cancels the
leader's orders at the fake before the lease could have expired for anyone; nobody wins
without the backend, and once it is back one election follows and the winner quotes.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from _bot import Bot, running_bot
from test_ha_failover import action_log, check_fenced_logs
from test_live_canary_loopback import ASK, BID, CONFIG, WAIT_S
from tests.loopback import FakeBinance
from tests.loopback.harness import publishing, until

from mmbot.venues.bridge import venue_tag
from mmbot.venues.idempotency import epoch_of

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(120)]
TTL_NS, RENEW_NS = 3_000_000_000, 1_000_000_000  # the lease's defaults (ha.LeaseConfig)
TAG = venue_tag("fixed_spread")  # the client-id tag of CONFIG's strategy (named by its model)


def _epochs(fake: FakeBinance) -> set[int | None]:
    return {epoch_of(cid, TAG) for cid in fake.open_client_ids()}


def _elected(bot: Bot) -> list[int]:
    return [line["token"] for line in action_log(bot.out) if line["action"] == "elected"]


def _instance(fake: FakeBinance, root: Path, name: str,
              lease: Path) -> AbstractAsyncContextManager[Bot]:  # fmt: skip
    folder = root / name
    folder.mkdir()
    gate = root / "CANARY_OPEN"
    gate.write_text("open\n")
    args = ("--mode", "canary", "--venue", "binance-usdm", "--symbol", "BTC/USDT:USDT",
            "--base-url", fake.rest_url, "--gate-file", str(gate), "--max-order-lots", "2",
            "--max-position-lots", "2", "--ha", f"sqlite:{lease}", "--instance", name)  # fmt: skip
    return running_bot(folder, CONFIG.format(kill=folder / "KILL", tick="0.1"), args)


@dataclass(frozen=True)
class Pair:
    """The fake venue, the lease file, a leader quoting under epoch 1, and a standby started
    after it (its RUNNING line read); leaders_orders: what rested when the standby started."""

    fake: FakeBinance
    lease: Path
    leader: Bot
    standby: Bot
    leaders_orders: set[str]

    def check_logs(self) -> None:
        """Two elections, 1 then 2, and never two leaders acting at once."""
        logs = [action_log(self.leader.out), action_log(self.standby.out)]
        assert [token for _, token in check_fenced_logs(logs)["elections"]] == [1, 2]


@asynccontextmanager
async def _leader_then_standby(tmp_path: Path) -> AsyncIterator[Pair]:
    lease = tmp_path / "lease.db"
    async with (
        FakeBinance() as fake,
        publishing(fake, BID, ASK, 0.1),
        _instance(fake, tmp_path, "a", lease) as leader,
    ):
        await until(lambda: _epochs(fake) == {1} and len(fake.open_orders()) == 2, WAIT_S,
                    "the leader's bid and ask under epoch 1")  # fmt: skip
        leaders_orders = fake.open_client_ids()
        async with _instance(fake, tmp_path, "b", lease) as standby:
            assert standby.process.stdout is not None
            line = await asyncio.wait_for(standby.process.stdout.readline(), WAIT_S)
            assert line.decode().startswith("RUNNING mode=canary ")  # the standby started
            yield Pair(fake, lease, leader, standby, leaders_orders)


async def _sigterm(bot: Bot) -> None:
    bot.process.send_signal(signal.SIGTERM)
    await asyncio.wait_for(bot.process.communicate(), WAIT_S)
    assert bot.process.returncode == 0, bot.stderr_path.read_text()


async def test_ha_canary_kill_9_leader_standby_cancels_old_epoch_arms_then_quotes(
    tmp_path: Path,
) -> None:
    async with _leader_then_standby(tmp_path) as pair:
        fake, leader, standby = pair.fake, pair.leader, pair.standby
        await asyncio.sleep(1.0)  # some standby decisions
        assert fake.open_client_ids() == pair.leaders_orders  # left alone by the standby
        assert not _elected(standby)
        killed_at = len(fake.stats.order_history)
        leader.process.kill()  # SIGKILL: no release, no cancel, no disarm
        await leader.process.wait()
        await until(lambda: _epochs(fake) == {2} and len(fake.open_orders()) == 2,
                    WAIT_S, "the new leader's bid and ask under epoch 2")  # fmt: skip
        assert _elected(standby) == [2]
        after = fake.stats.order_history[killed_at:]
        first_new = next(i for i, (what, cid) in enumerate(after)
                         if what == "rested" and epoch_of(cid, TAG) == 2)  # fmt: skip
        before_quoting = after[:first_new]
        canceled = {cid for what, cid in before_quoting if what == "canceled"}
        assert canceled == pair.leaders_orders
        assert any(what == "countdown" and ms != "0" for what, ms in before_quoting)
        await _sigterm(standby)
        assert fake.open_orders() == []  # the new leader's shutdown canceled its own
    rested = [epoch_of(cid, TAG) for what, cid in fake.stats.order_history if what == "rested"]
    assert rested == sorted(rested) and rested[0] == 1  # no older epoch accepted after a newer
    pair.check_logs()


async def test_ha_canary_step_down_cancels_at_the_venue_before_the_lease_expires(
    tmp_path: Path,
) -> None:
    async with _leader_then_standby(tmp_path) as pair:
        fake, lease, leader, standby = pair.fake, pair.lease, pair.leader, pair.standby
        lease.rename(tmp_path / "away.db")  # every instance's next lease call fails
        await until(lambda: not fake.open_orders(), WAIT_S, "the step-down's cancels")
        canceled_ns = time.monotonic_ns()
        down = [line for line in action_log(leader.out) if line["action"] == "stepped_down"]
        assert len(down) == 1 and canceled_ns - down[0]["mono_ns"] < TTL_NS - RENEW_NS
        assert not _elected(standby)  # nobody wins without the backend
        (tmp_path / "away.db").rename(lease)
        await until(lambda: _epochs(fake) == {2} and len(fake.open_orders()) == 2, WAIT_S,
                    "one election after, and the winner quoting")  # fmt: skip
        winner = leader if _elected(leader) == [1, 2] else standby
        for bot in sorted((leader, standby), key=lambda b: b is winner):
            await _sigterm(bot)  # the winner last: no lease handed over again
        assert fake.open_orders() == []
    pair.check_logs()
