"""HA failover with real processes: two `mmbot run --mode live-sim --ha ... --instance NAME`
instances on one lease; one quotes. Each scenario breaks the leader or the backend, then
reads the instances' action logs (ha_actions.jsonl: every request with its fencing token
and the host's monotonic time, merged here into one shared log) and checks:

- elections: one to start, at most one per failover;
- never two leaders acting at once: the accepted places/replaces of each token form an
  interval, and these intervals are disjoint and ordered by token;
- no stale-token order accepted: no place/replace under a token is accepted after a larger
  token was elected.

Scenarios: kill -9 of the leader (Redis backend, a real redis-server), SIGSTOP of the leader
past its ttl then SIGCONT (SQLite), the SQLite file unavailable for 2 s (a partition),
Redis frozen for 2 s (SIGSTOP of redis-server: requests time out), and clock skew: the
standby's clock set ahead of the leader's (MM_HA_TEST_CLOCK_OFFSET_MS, the test seam of
ha/setup.py; on one host every process reads one CLOCK_MONOTONIC) - within the margin a
SIGSTOP failover keeps every check, beyond the ttl the standby takes the lease from a live
leader and the election count catches it. Drift is covered in-process
(tests/unit/ha/test_lease_schedules.py).
"""

from __future__ import annotations

import itertools
import json
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from _cli import REPO_ROOT, clean_env

from mmbot.ha import ACTION_LOG_FILE
from mmbot.ha.setup import CLOCK_OFFSET_ENV

pytestmark = pytest.mark.timeout(120)
FIXTURE_CONFIG = REPO_ROOT / "configs" / "fixtures" / "backtest_pass.yaml"
TTL_NS, RENEW_NS = 3_000_000_000, 1_000_000_000
SENDS = ("place", "replace")


@dataclass
class Instance:
    name: str
    out: Path
    process: subprocess.Popen[bytes]

    def log(self) -> list[dict[str, Any]]:
        return action_log(self.out)

    def elected(self) -> list[dict[str, Any]]:
        return [line for line in self.log() if line["action"] == "elected"]


def action_log(out: Path) -> list[dict[str, Any]]:
    """Return the lines of an instance's ha_actions.jsonl written so far."""
    path = out / ACTION_LOG_FILE
    if not path.exists():
        return []
    lines = path.read_text().split("\n")
    return [json.loads(line) for line in lines[:-1]]  # the last: "" or a torn line


def _start(name: str, tmp_path: Path, data: Path, spec: str,
           clock_offset_ms: int = 0) -> Instance:  # fmt: skip
    out = tmp_path / name
    out.mkdir()
    env = {**clean_env(), CLOCK_OFFSET_ENV: str(clock_offset_ms)}
    with (tmp_path / f"{name}.stderr").open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "mmbot", "run", "--mode", "live-sim", "--config",
             str(FIXTURE_CONFIG), "--data", str(data), "--out", str(out), "--speed", "2",
             "--quiet", "--ha", spec, "--instance", name],
            stdout=subprocess.PIPE, stderr=stderr, env=env, cwd=REPO_ROOT,
        )  # fmt: skip
    return Instance(name, out, process)


def _until(condition: Callable[[], bool], what: str, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def spawn(tmp_path: Path, fixture_alt_data: Path) -> Iterator[Callable[..., Instance]]:
    """Yield a starter of instances (name, spec, clock_offset_ms=0). Kill leftovers."""
    started: list[Instance] = []

    def start(name: str, spec: str, clock_offset_ms: int = 0) -> Instance:
        started.append(_start(name, tmp_path, fixture_alt_data, spec, clock_offset_ms))
        return started[-1]

    yield start
    for inst in started:
        if inst.process.poll() is None:
            inst.process.kill()
            inst.process.wait()


@pytest.fixture
def pair(spawn: Callable[..., Instance]) -> Callable[[str], list[Instance]]:
    """Return a starter of two instances on a lease, returned with the leader first."""

    def start(spec: str) -> list[Instance]:
        started = [spawn(name, spec) for name in ("a", "b")]
        _until(lambda: any(i.elected() for i in started), "the first election")
        _until(lambda: _accepted_sends(started, 1) >= 20, "the leader quoting")
        return sorted(started, key=lambda i: not i.elected())

    return start


def _accepted_sends(instances: list[Instance], token: int) -> int:
    lines = [line for i in instances for line in i.log() if line["token"] == token]
    return sum(1 for line in lines if line["action"] in SENDS and line["accepted"])


def _stop(leader: Instance, standby: Instance) -> None:
    """SIGTERM the standby, then the leader (so the lease is not handed over again); both
    exit 0 after canceling what rests."""
    for inst in (standby, leader):
        inst.process.send_signal(signal.SIGTERM)
        stdout, _ = inst.process.communicate(timeout=30)
        assert inst.process.returncode == 0, (inst.out.parent / f"{inst.name}.stderr").read_text()
        assert stdout.decode().splitlines()[-1].endswith(f"reports={inst.out}")


def _scrape(inst: Instance) -> str:
    """Return the instance's served metrics ("" before its exporter announced itself)."""
    stderr = (inst.out.parent / f"{inst.name}.stderr").read_text()
    urls = [line.split("=", 1)[1] for line in stderr.splitlines() if line.startswith("METRICS ")]
    if not urls:
        return ""
    with urllib.request.urlopen(urls[0], timeout=5) as response:
        return response.read().decode()


def check_fencing(instances: list[Instance]) -> dict[str, Any]:
    """Check the merged action log; return its elections and sends by token."""
    return check_fenced_logs([i.log() for i in instances])


def check_fenced_logs(logs: list[list[dict[str, Any]]]) -> dict[str, Any]:
    """Check the instances' action logs merged into one timeline (see the module docstring);
    return its elections and sends by token."""
    merged = sorted((line for log in logs for line in log), key=lambda line_: line_["mono_ns"])
    elections = [
        (line_["mono_ns"], line_["token"]) for line_ in merged if line_["action"] == "elected"
    ]
    tokens = [token for _, token in elections]
    assert tokens == sorted(set(tokens)), f"tokens not strictly increasing: {tokens}"
    spans: dict[int, list[int]] = {}
    for line in merged:
        if line["action"] in SENDS and line["accepted"]:
            newer = [t for at, t in elections if t > line["token"] and at <= line["mono_ns"]]
            assert not newer, f"stale token {line['token']} accepted after token {newer[0]}"
            spans.setdefault(line["token"], [line["mono_ns"], line["mono_ns"]])[1] = line["mono_ns"]
    ordered = [spans[t] for t in sorted(spans)]
    for (_, end), (start, _) in itertools.pairwise(ordered):
        assert end < start, "two leaders acted at once"
    return {"elections": elections, "spans": spans, "merged": merged}


def test_ha_kill_9_leader_standby_takes_over_after_the_ttl_once(
    pair: Callable[[str], list[Instance]], redis_url: str
) -> None:
    leader, standby = pair(redis_url)
    leader.process.kill()  # SIGKILL: no release, no cancel; the lease runs out
    killed_ns = time.monotonic_ns()
    leader.process.wait()
    _until(lambda: bool(standby.elected()), "the standby's election")
    took_ns = standby.elected()[0]["mono_ns"] - killed_ns
    assert TTL_NS - RENEW_NS <= took_ns <= TTL_NS + 2 * RENEW_NS, took_ns
    _until(lambda: _accepted_sends([standby], 2) >= 20, "the new leader quoting")
    _until(lambda: "leader_elections_total 1.0" in _scrape(standby), "the election exported")
    standby.process.send_signal(signal.SIGTERM)
    assert standby.process.wait(30) == 0
    found = check_fencing([leader, standby])
    assert [t for _, t in found["elections"]] == [1, 2]


def test_ha_sigstop_leader_past_ttl_wakes_sends_nothing_steps_down(
    pair: Callable[[str], list[Instance]], tmp_path: Path
) -> None:
    leader, standby = pair(f"sqlite:{tmp_path / 'lease.db'}")
    leader.process.send_signal(signal.SIGSTOP)
    _until(lambda: bool(standby.elected()), "the standby's election while the leader sleeps")
    time.sleep(0.5)
    woke_ns = time.monotonic_ns()
    leader.process.send_signal(signal.SIGCONT)
    _until(
        lambda: any(line_["action"] == "stepped_down" for line_ in leader.log()), "the step-down"
    )
    _until(lambda: _accepted_sends([standby], 2) >= 20, "the new leader quoting")
    late = [
        line_ for line_ in leader.log() if line_["mono_ns"] >= woke_ns and line_["action"] in SENDS
    ]
    assert all(not line_["accepted"] for line_ in late), late  # the woken leader sent nothing
    _stop(standby, leader)
    found = check_fencing([leader, standby])
    assert [t for _, t in found["elections"]] == [1, 2]


def test_ha_sqlite_file_unavailable_leader_steps_down_one_election_after(
    pair: Callable[[str], list[Instance]], tmp_path: Path
) -> None:
    lease_file = tmp_path / "lease.db"
    leader, standby = pair(f"sqlite:{lease_file}")
    lease_file.rename(tmp_path / "away.db")  # every instance's next open fails
    _until(
        lambda: any(line_["action"] == "stepped_down" for line_ in leader.log()), "the step-down"
    )
    time.sleep(1.0)
    assert len(leader.elected()) + len(standby.elected()) == 1  # nobody wins without it
    (tmp_path / "away.db").rename(lease_file)
    _until(lambda: len(leader.elected()) + len(standby.elected()) == 2, "one election after")
    now_leading = leader if len(leader.elected()) == 2 else standby
    _until(lambda: _accepted_sends([now_leading], 2) >= 20, "the new leader quoting")
    time.sleep(1.5)  # renewals go on: no further election
    other = standby if now_leading is leader else leader
    _stop(now_leading, other)
    found = check_fencing([leader, standby])
    assert [t for _, t in found["elections"]] == [1, 2]


def test_ha_redis_frozen_leader_steps_down_one_election_after(
    pair: Callable[[str], list[Instance]], redis_url: str, redis_process: subprocess.Popen[bytes]
) -> None:
    leader, standby = pair(redis_url)
    redis_process.send_signal(signal.SIGSTOP)  # requests now time out: a partition
    try:
        _until(
            lambda: any(line_["action"] == "stepped_down" for line_ in leader.log()), "step-down"
        )
        time.sleep(1.0)
    finally:
        redis_process.send_signal(signal.SIGCONT)
    _until(lambda: len(leader.elected()) + len(standby.elected()) == 2, "one election after")
    now_leading = leader if len(leader.elected()) == 2 else standby
    _until(lambda: _accepted_sends([now_leading], max(2, _last_token(now_leading))) >= 20,
           "the new leader quoting")  # fmt: skip
    other = standby if now_leading is leader else leader
    _stop(now_leading, other)
    found = check_fencing([leader, standby])
    assert len(found["elections"]) == 2


def _leader_then_skewed_standby(spawn: Callable[..., Instance], spec: str,
                                skew_ms: int) -> tuple[Instance, Instance]:  # fmt: skip
    """Start a, let it lead and quote, then start b with its clock skew_ms ahead (it sees
    the lease expire skew_ms early); return them once b runs."""
    leader = spawn("a", spec)
    _until(lambda: bool(leader.elected()), "the first election")
    _until(lambda: _accepted_sends([leader], 1) >= 20, "the leader quoting")
    standby = spawn("b", spec, clock_offset_ms=skew_ms)
    _until(lambda: bool(_scrape(standby)), "the skewed standby running")
    return leader, standby


def test_ha_clock_skew_within_margin_sigstop_failover_keeps_every_check(
    spawn: Callable[..., Instance], tmp_path: Path
) -> None:
    skew_ms = 400  # < margin_ms (500)
    leader, standby = _leader_then_skewed_standby(spawn, f"sqlite:{tmp_path / 'lease.db'}",
                                                  skew_ms)  # fmt: skip
    leader.process.send_signal(signal.SIGSTOP)
    stopped_ns = time.monotonic_ns()
    _until(lambda: bool(standby.elected()), "the skewed standby's election")
    leader.process.send_signal(signal.SIGCONT)  # at once: as early as the skew allows
    took_ns = standby.elected()[0]["mono_ns"] - stopped_ns
    assert TTL_NS - RENEW_NS - skew_ms * 1_000_000 <= took_ns <= TTL_NS + 2 * RENEW_NS, took_ns
    _until(lambda: any(line_["action"] == "stepped_down" for line_ in leader.log()),
           "the woken leader's step-down")  # fmt: skip
    _until(lambda: _accepted_sends([standby], 2) >= 20, "the new leader quoting")
    _stop(standby, leader)
    found = check_fencing([leader, standby])
    assert [t for _, t in found["elections"]] == [1, 2]
    assert {line_["clock_offset_ms"] for line_ in standby.log()} == {skew_ms}
    assert {line_["clock_offset_ms"] for line_ in leader.log()} == {0}


def test_ha_clock_skew_beyond_the_ttl_standby_takes_a_live_leaders_lease(
    spawn: Callable[..., Instance], tmp_path: Path
) -> None:
    leader, standby = _leader_then_skewed_standby(spawn, f"sqlite:{tmp_path / 'lease.db'}",
                                                  2900)  # fmt: skip
    # Nothing fails, yet the standby sees the live leader's lease expired after each renew:
    # a second election with no failover, which the per-failover election check refuses.
    _until(lambda: bool(standby.elected()), "the standby taking the lease", timeout_s=20.0)
    assert leader.process.poll() is None and leader.elected()
    _stop(standby, leader)
    assert len(check_fencing([leader, standby])["elections"]) >= 2


def _last_token(inst: Instance) -> int:
    return int(inst.elected()[-1]["token"])


@pytest.fixture(scope="module")
def redis_process() -> Iterator[subprocess.Popen[bytes]]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server not installed (.ci/run installs it)")
    port = _free_port()
    process = subprocess.Popen([binary, "--bind", "127.0.0.1", "--port", str(port), "--save",
                                "", "--appendonly", "no"], stdout=subprocess.DEVNULL)  # fmt: skip
    process.port = port  # type: ignore[attr-defined]
    client = redis.Redis("127.0.0.1", port, socket_timeout=0.25, socket_connect_timeout=0.25)

    def up() -> bool:
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False

    _until(up, "redis-server")
    yield process
    process.send_signal(signal.SIGCONT)
    process.terminate()
    process.wait(10)


@pytest.fixture
def redis_url(redis_process: subprocess.Popen[bytes]) -> str:
    """A fresh lease for each test (the tests run one after another on one server)."""
    port = redis_process.port  # type: ignore[attr-defined]
    redis.Redis("127.0.0.1", port, socket_timeout=1.0).flushall()
    return f"redis://127.0.0.1:{port}/0"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
