"""The production lease backend: one Redis key, granted with SET NX PX, renewed and released
by Lua scripts that check the holder and token atomically; expiry on the Redis server's clock.

The lease key holds `<holder>:<token>`; a second key counts the tokens (INCR), so tokens keep
growing across leases. That counter must survive a Redis restart (appendonly yes, or a
replica): a Redis that lost it would grant token 1 again (docs/HA.md). The client (redis-py)
has short connect and socket timeouts, so an unreachable Redis costs a decision at most
DEFAULT_TIMEOUT_S per call, and is reported as BackendUnavailable.
"""

from __future__ import annotations

from typing import Final

import redis

from mmbot.ha.lease import BackendUnavailable

_ACQUIRE: Final = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  local token = redis.call('INCR', KEYS[2])
  redis.call('SET', KEYS[1], ARGV[1] .. ':' .. token, 'PX', ARGV[2])
  return token
end
return 0
"""
_RENEW: Final = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
_RELEASE: Final = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
DEFAULT_TIMEOUT_S: Final = 0.25


class RedisLease:
    """The lease under key `<name>` and its token counter under `<name>:token`."""

    def __init__(self, client: redis.Redis, name: str = "mmbot:leader") -> None:
        self.client = client
        self._keys = (name, f"{name}:token")

    def _call(self, what: str, *args: str | int) -> object:
        try:
            if what == "GET":
                return self.client.get(self._keys[1])
            return self.client.eval(what, 2, *self._keys, *args)
        except redis.RedisError as exc:
            raise BackendUnavailable(f"E_HA_BACKEND: redis {self._where()} {exc}") from None

    def _where(self) -> str:
        kwargs = self.client.connection_pool.connection_kwargs
        return f"{kwargs.get('host')}:{kwargs.get('port')}"

    def _eval(self, script: str, *args: str | int) -> int:
        reply = self._call(script, *args)
        if not isinstance(reply, int):
            raise BackendUnavailable(f"E_HA_BACKEND: redis reply={reply!r} expected=an integer")
        return reply

    def acquire(self, holder: str, ttl_ms: int) -> int:
        """Take the lease if it is free (SET NX PX): return its new token (0: held)."""
        return self._eval(_ACQUIRE, holder, ttl_ms)

    def renew(self, holder: str, token: int, ttl_ms: int) -> bool:
        """Extend the lease holder holds under token; False if it does not."""
        return self._eval(_RENEW, f"{holder}:{token}", ttl_ms) == 1

    def release(self, holder: str, token: int) -> None:
        """Delete the lease if holder holds it under token."""
        self._eval(_RELEASE, f"{holder}:{token}")

    def current_token(self) -> int:
        """Return the newest token granted (0: none)."""
        reply = self._call("GET")
        return int(reply) if isinstance(reply, bytes) else 0

    def close(self) -> None:
        """Drop the client's connections."""
        self.client.close()


def redis_lease_of(url: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> RedisLease:
    """Return the lease backend of a `redis://HOST:PORT/DB` URL (checked by the caller)."""
    client = redis.Redis.from_url(
        url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s, retry_on_timeout=False
    )
    return RedisLease(client)
