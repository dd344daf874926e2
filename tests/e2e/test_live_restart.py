"""Restarts into the same --out lose nothing and reuse no order id: three `mmbot run --mode
live` sessions as subprocesses against the loopback Binance USD-M fake (tests/loopback), the
first two ended by SIGKILL, the next started with --adopt (the documented procedure: the
killed session's position and orders are still at the venue).

Each session gets a bid and an ask to the fake, has its bid filled in full and its ask in
part, and is killed only once the fills and the new bid's ack are in the journal. Then: no
client id was posted twice (the fake would answer `ClientOrderId is duplicated`), each
session's venue ids carry its epoch's order numbers, and the one journal holds every fill
the fake executed exactly once, under the session that received it.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from _cli import REPO_ROOT, clean_env
from test_live_canary_loopback import _bot, _fake, _sigterm, _until
from tests.loopback import FakeBinance
from tests.loopback.market import to_lots

from mmbot.engine.journal import JOURNAL_FILE, SESSION_FILE, read_journal
from mmbot.engine.orders import SEQS_PER_SESSION

pytestmark = pytest.mark.timeout(240)
FIXTURE_CONFIG = REPO_ROOT / "configs" / "fixtures" / "backtest_pass.yaml"
STRATEGY = "fixed_spread"  # the config's strategy.model: the engine's client-id prefix
SESSIONS = 3


def _seq_of_venue_id(client_id: str) -> int:
    """Return the order number in a venue client id `<tag>-<seq base 36>-<digest>`."""
    return int(client_id.split("-")[1], 36)


def _journal(out: Path) -> list[dict[str, Any]]:
    path = out / JOURNAL_FILE
    return read_journal(path).entries if path.exists() else []


def _new_order(fake: FakeBinance, side: str, seen: set[str]) -> dict[str, Any] | None:
    fresh = [o for o in fake.open_orders() if o["side"] == side and o["clientOrderId"] not in seen]
    return fresh[0] if fresh else None


def _journaled(out: Path, session: int, event: str, client_id: str) -> bool:
    return any(e["session"] == session and e["event"] == event and e["client_id"] == client_id
               for e in _journal(out))  # fmt: skip


async def _trade_in_session(fake: FakeBinance, out: Path, session: int) -> None:
    """Fill this session's bid in full and its ask by 1 lot; wait until the journal has both
    fills and the ack of the bid that replaced the filled one."""
    seen = set(fake.orders)  # every order of the earlier sessions
    await _until(lambda: _new_order(fake, "BUY", seen) is not None
                 and _new_order(fake, "SELL", seen) is not None,
                 f"session {session}'s bid and ask at the fake")  # fmt: skip
    bid, ask = _new_order(fake, "BUY", seen), _new_order(fake, "SELL", seen)
    assert bid is not None and ask is not None
    await fake.fill(bid["clientOrderId"], [to_lots(bid["origQty"])])
    await fake.fill(ask["clientOrderId"], [1])
    engine_ids = [f"{STRATEGY}-{_seq_of_venue_id(o['clientOrderId'])}" for o in (bid, ask)]
    await _until(lambda: all(_journaled(out, session, "fill", cid) for cid in engine_ids),
                 f"session {session}'s fills in the journal")  # fmt: skip
    seen |= {bid["clientOrderId"], ask["clientOrderId"]}
    await _until(lambda: _new_order(fake, "BUY", seen) is not None, "the bid that replaced it")
    rebid = _new_order(fake, "BUY", seen)
    assert rebid is not None
    rebid_id = f"{STRATEGY}-{_seq_of_venue_id(rebid['clientOrderId'])}"
    await _until(lambda: _journaled(out, session, "ack", rebid_id), "its ack in the journal")


@pytest.mark.asyncio
async def test_three_sessions_killed_between_reuse_no_id_and_journal_every_fill_once(
    tmp_path: Path,
) -> None:
    out = tmp_path / "run"
    async with _fake() as fake:
        for session in range(SESSIONS):
            adopt = ["--adopt"] if session else []
            async with _bot(fake, tmp_path, "live", *adopt) as bot:
                await _trade_in_session(fake, out, session)
                if session < SESSIONS - 1:
                    bot.process.kill()  # SIGKILL: no shutdown, no flush, orders left resting
                    assert await bot.process.wait() == -signal.SIGKILL
                else:
                    stdout, _ = await _sigterm(bot)
        # No client id reached the venue twice: none was rejected as duplicated.
        posts = fake.stats.posts_by_client_id
        assert posts and set(posts.values()) == {1}, posts
        epochs = Counter(_seq_of_venue_id(cid) // SEQS_PER_SESSION for cid in posts)
        assert sorted(epochs) == list(range(SESSIONS)) and min(epochs.values()) >= 3
        venue_id_of = {o["orderId"]: o["clientOrderId"] for o in fake.orders.values()}
        venue_fills = Counter(
            (f"{STRATEGY}-{_seq_of_venue_id(venue_id_of[t['orderId']])}", to_lots(t["qty"]))
            for t in fake.trades
        )  # fmt: skip
    assert stdout.splitlines()[-1].startswith("RESULT=OK mode=live stop=signal:SIGTERM ")
    read = read_journal(out / JOURNAL_FILE)
    assert read.torn_lines == []
    fills = [e for e in read.entries if e["event"] == "fill"]
    journal_fills = Counter((e["client_id"], e["qty_lots"]) for e in fills)
    assert journal_fills == venue_fills and len(fills) == 2 * SESSIONS  # each fill once
    assert all(int(str(e["client_id"]).rsplit("-", 1)[1]) // SEQS_PER_SESSION == e["session"]
               for e in read.entries if e["client_id"])  # fmt: skip
    assert [e["session"] for e in fills] == [0, 0, 1, 1, 2, 2]
    assert (out / SESSION_FILE).read_bytes() == b'{"epoch":2}\n'
    live = json.loads((out / "canary.json").read_text())["live"]  # the last session's report
    assert live["session"] == 2
    assert live["journal"]["fill"] == sum(1 for e in fills if e["session"] == 2)


def test_live_sim_killed_then_rerun_into_the_same_out_keeps_the_killed_sessions_lines(
    fixture_alt_data: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    command = [sys.executable, "-m", "mmbot", "run", "--mode", "live-sim", "--config",
               str(FIXTURE_CONFIG), "--data", str(fixture_alt_data), "--out", str(out)]  # fmt: skip
    killed = subprocess.Popen([*command, "--speed", "5"], stdout=subprocess.DEVNULL,
                              env=clean_env(), cwd=REPO_ROOT)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while len(_journal(out)) < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        killed.kill()
    assert killed.wait() == -signal.SIGKILL
    before = (out / JOURNAL_FILE).read_bytes()
    first = read_journal(out / JOURNAL_FILE).entries
    assert len(first) >= 20 and {e["session"] for e in first} == {0}
    rerun = subprocess.run(
        [*command, "--speed", "max", "--window-s", "30"],
        check=False, capture_output=True, text=True, env=clean_env(), cwd=REPO_ROOT,
    )  # fmt: skip
    assert rerun.returncode == 0, rerun.stderr
    assert (out / JOURNAL_FILE).read_bytes().startswith(before)
    read = read_journal(out / JOURNAL_FILE)
    assert read.entries[: len(first)] == first and len(read.torn_lines) <= 1
    second = read.entries[len(first) :]
    report = json.loads((out / "live_sim.json").read_text())
    assert len(second) == sum(report["live"]["journal"].values()) > 0  # this session in full
    assert {e["session"] for e in second} == {1}
    assert all(int(str(e["client_id"]).rsplit("-", 1)[1]) // SEQS_PER_SESSION == 1
               for e in second)  # fmt: skip
