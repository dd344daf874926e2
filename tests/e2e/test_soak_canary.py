"""`mmbot soak run --mode canary` against the loopback Binance USD-M fake: the canary's session
is recorded with the bridge's figures (blocked decisions feed uptime) and the canary's
refusals while its gate was closed are an S3 incident, not a failure."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest
from _cli import REPO_ROOT, clean_env
from test_live_canary_loopback import CONFIG, WAIT_S
from tests.loopback import API_KEY, API_SECRET, FakeBinance
from tests.loopback.harness import publishing, until

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(120)]

DURATION_S = 4.0
OPS_CLI = "import sys; from tests.unit.ops.ops_cli import ops_cli; sys.exit(ops_cli(*sys.argv[1:]))"


async def test_soak_canary_session_against_the_fake(tmp_path: Path) -> None:
    config, out, gate = tmp_path / "cfg.yaml", tmp_path / "soak", tmp_path / "CANARY_OPEN"
    # The loopback canary's config; its kill-switch file never appears.
    config.write_text(CONFIG.format(kill=tmp_path / "KILL", tick="0.1"))
    env = {**clean_env(), "MM_BINANCE_API_KEY": API_KEY, "MM_BINANCE_API_SECRET": API_SECRET}
    async with FakeBinance() as fake, publishing(fake, 1000, 1010, 0.1):
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", OPS_CLI, "soak", "run", "--mode", "canary",
            "--venue", "binance-usdm", "--symbol", "BTC/USDT:USDT", "--config", str(config),
            "--out", str(out), "--base-url", fake.rest_url, "--duration-s", str(DURATION_S),
            "--max-order-lots", "2", "--max-position-lots", "2", "--gate-file", str(gate),
            "--quiet", "--metrics-port", "-1",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env, cwd=REPO_ROOT,
        )  # fmt: skip
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), WAIT_S)
        assert line.decode().startswith("RUNNING mode=canary ")
        journal = out / "journal.jsonl"
        await until(lambda: journal.exists() and b'"refused"' in journal.read_bytes(), WAIT_S,
                    "a refusal while the gate is closed")  # fmt: skip
        gate.write_text("open\n")
        await until(lambda: len(fake.open_orders()) == 2, WAIT_S, "a bid and an ask")
        stdout, stderr = await asyncio.wait_for(process.communicate(), WAIT_S)
        assert process.returncode == 0, stderr.decode()
        assert fake.open_orders() == []
    session = json.loads((out / "soak.json").read_bytes())["sessions"]["0"]
    assert (session["mode"], session["state"], session["stop_reason"]) == ("canary", "ended",
                                                                          "window")  # fmt: skip
    assert session["window_s"] == DURATION_S
    assert session["blocked_decisions"] >= 0 and session["decisions"] > 0
    up_s = (session["decisions"] - session["blocked_decisions"]) * 0.1
    assert session["up_s"] == pytest.approx(min(DURATION_S, up_s))
    incidents = [json.loads(x) for x in (out / "incidents.jsonl").read_text().splitlines()]
    assert ("S3", "E_SOAK_CANARY_REFUSED") in {(i["severity"], i["code"]) for i in incidents}
    assert not {i["severity"] for i in incidents} & {"S0", "S1"}
    assert stdout.decode().splitlines()[-1].startswith("RESULT=OK session=0 stop=window ")
    assert (out / "canary.json").is_file()
