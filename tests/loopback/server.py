"""The lifecycle every loopback fake exchange shares: an aiohttp app on 127.0.0.1.

A fake adds its routes (`_add_routes`), its middleware (`_middleware`), a periodic task
(`_timers`: book ticks, dead-man countdowns) and `disconnect()`; this base starts the server on
an ephemeral port, stops it, and gives the URLs and the venue clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from aiohttp import web


class LoopbackServer:
    """Start/stop an aiohttp app on 127.0.0.1 and expose its URLs and clock."""

    def __init__(self) -> None:
        self.clock_offset_ms = 0
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._ticker: asyncio.Task[None] | None = None

    def _add_routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        raise NotImplementedError

    async def _timers(self) -> None:
        raise NotImplementedError

    async def disconnect(self) -> None:
        """Close every stream (the fake decides what that means)."""
        raise NotImplementedError

    async def start(self) -> None:
        """Serve on 127.0.0.1 on an ephemeral port."""
        app = web.Application(middlewares=[self._middleware])
        self._add_routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._ticker = asyncio.create_task(self._timers())

    async def stop(self) -> None:
        """Close streams and the server."""
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        await self.disconnect()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def rest_url(self) -> str:
        """Return the REST base URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        """Return the WS base URL."""
        return f"ws://127.0.0.1:{self.port}"

    def now_ms(self) -> int:
        """Return the venue clock (local clock plus the configured offset)."""
        return time.time_ns() // 1_000_000 + self.clock_offset_ms
