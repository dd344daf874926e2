"""The lease backends' contract, run on both: SQLite (a file) and Redis (a real redis-server
started here on 127.0.0.1). Exclusive grant, growing tokens, holder-checked renew and
release, expiry on the backend's clock, an unreachable backend reported, never recreated."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from tests.unit.ha.hakit import TrueClock

from mmbot.ha import (
    BackendUnavailable,
    LeaseBackend,
    RedisLease,
    SqliteLease,
    backend_of,
    create_lease_file,
    redis_lease_of,
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def redis_port() -> Iterator[int]:
    """A redis-server of our own (FACTS.md's command line); skipped where none is installed."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server not installed (.ci/run installs it)")
    port = free_port()
    process = subprocess.Popen([binary, "--bind", "127.0.0.1", "--port", str(port), "--save",
                                "", "--appendonly", "no"], stdout=subprocess.DEVNULL)  # fmt: skip
    client = redis.Redis("127.0.0.1", port, socket_timeout=0.25, socket_connect_timeout=0.25)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.RedisError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    yield port
    process.terminate()
    process.wait(10)


class _Real:
    """Real time for Redis (its server's clock): sleep instead of advancing a fake."""

    def advance_ms(self, ms: float) -> None:
        time.sleep(ms / 1000)


@pytest.fixture(params=["sqlite", "redis"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[LeaseBackend, object]:
    if request.param == "sqlite":
        clock = TrueClock(10**12)
        create_lease_file(tmp_path / "lease.db")
        return SqliteLease(tmp_path / "lease.db", clock), clock
    port = request.getfixturevalue("redis_port")
    client = redis.Redis("127.0.0.1", port, socket_timeout=0.25, socket_connect_timeout=0.25)
    client.flushall()
    return RedisLease(client, f"test:{request.node.name}"), _Real()


TTL_MS = 300


def test_backend_grants_one_holder_then_refuses_others(
    backend: tuple[LeaseBackend, object],
) -> None:
    lease, _ = backend
    assert lease.current_token() == 0
    assert lease.acquire("a", TTL_MS) == 1
    assert lease.acquire("b", TTL_MS) == 0 and lease.acquire("a", TTL_MS) == 0
    assert lease.current_token() == 1


def test_backend_renew_and_release_check_holder_and_token(
    backend: tuple[LeaseBackend, object],
) -> None:
    lease, _ = backend
    token = lease.acquire("a", TTL_MS)
    assert not lease.renew("b", token, TTL_MS) and not lease.renew("a", token + 1, TTL_MS)
    assert lease.renew("a", token, TTL_MS)
    lease.release("b", token)
    assert lease.acquire("b", TTL_MS) == 0  # b's release did nothing
    lease.release("a", token)
    assert lease.acquire("b", TTL_MS) == token + 1


def test_backend_expiry_lets_another_win_with_a_larger_token_old_renew_refused(
    backend: tuple[LeaseBackend, object],
) -> None:
    lease, clock = backend
    first = lease.acquire("a", TTL_MS)
    clock.advance_ms(TTL_MS + 50)  # type: ignore[attr-defined]
    second = lease.acquire("b", TTL_MS)
    assert second > first and lease.current_token() == second
    assert not lease.renew("a", first, TTL_MS)


def test_sqlite_backend_file_gone_is_unavailable_never_recreated(tmp_path: Path) -> None:
    path = tmp_path / "lease.db"
    create_lease_file(path)
    lease = SqliteLease(path, TrueClock(1))
    assert lease.acquire("a", TTL_MS) == 1
    path.rename(tmp_path / "away.db")
    with pytest.raises(BackendUnavailable, match="E_HA_BACKEND"):
        lease.acquire("b", TTL_MS)
    assert not path.exists()  # a fresh file would restart the tokens at 1
    (tmp_path / "away.db").rename(path)
    assert lease.current_token() == 1


def test_redis_backend_unreachable_port_is_unavailable() -> None:
    lease = redis_lease_of(f"redis://127.0.0.1:{free_port()}/0", timeout_s=0.2)
    with pytest.raises(BackendUnavailable, match="E_HA_BACKEND"):
        lease.acquire("a", TTL_MS)


@pytest.mark.parametrize("spec", ["sqlite:", "redis:/x", "etcd://h:1", "redis://:5/0"])
def test_backend_spec_malformed_refused(spec: str) -> None:
    with pytest.raises(ValueError, match="E_HA_SPEC"):
        backend_of(spec)
