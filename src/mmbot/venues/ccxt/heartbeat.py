"""The adapter's heartbeat: venue clock samples for the clock guard, and the dead-man switch.

Theory of operation. Every `heartbeat_ms` the heartbeat samples the venue clock (one round
trip: the guard blocks quoting while the skew is too large) and, where the venue's switch is
a countdown (Binance), re-arms it; a switch kept alive by the private stream (Bybit DCP) is
armed once at start. An HA standby arms it only once elected (`take_over`) and stops
re-arming it when it steps down, leaving it to the new leader. A clean close disarms it: a
countdown of 0, or leaving the stream topic that keeps it alive. A failed beat is logged and
the next one tries again. On a session of several symbols a countdown is armed per symbol
(Binance's is), a stream-kept switch once (Bybit's DCP is the account's).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from ccxt.base import errors as cx  # type: ignore[import-untyped]

from mmbot.venues.base import Instrument, TemporaryVenueError
from mmbot.venues.ccxt.client import ExchangeClient, reason
from mmbot.venues.ccxt.config import CcxtVenueConfig, VenueStats
from mmbot.venues.guards import ClockGuard

log = logging.getLogger("mmbot.venues.ccxt")


class Heartbeat:
    """Sample the venue clock; arm, re-arm and disarm the venue's dead-man switch."""

    def __init__(
        self,
        client: ExchangeClient,
        config: CcxtVenueConfig,
        clock_guard: ClockGuard,
        stats: VenueStats,
        now_ns: Callable[[], int],
        instruments: Sequence[Instrument] = (),
    ) -> None:
        self._client = client
        self._instruments = tuple(instruments) or (client.inst,)
        self._config = config
        self._clock_guard = clock_guard
        self._stats = stats
        self._now_ns = now_ns
        self.dead_man_armed = False

    async def sync_clock(self) -> None:
        """Sample the venue clock once for the clock guard."""
        d = self._client.dialect
        sent_ns = self._now_ns()
        raw = await self._client.request(d.ep.time, {})
        self._clock_guard.observe(sent_ns, d.time_ms(raw), self._now_ns())

    async def arm_dead_man(self) -> None:
        """(Re)arm the venue's cancel-on-disconnect switch (each symbol's countdown / the
        account's DCP window)."""
        d = self._client.dialect
        for inst in self._instruments if d.rearm_dead_man else self._instruments[:1]:
            params = d.dead_man_params(inst, self._config.dead_man_countdown_ms)
            await self._client.request(d.ep.dead_man, params)
            self._stats.dead_man_arms_total += 1
        self.dead_man_armed = True

    def stop_rearming(self) -> None:
        """Leave the switch as it is at the venue (armed: another leader re-arms it, or it
        fires as the net) and stop re-arming it."""
        self.dead_man_armed = False

    async def disarm_dead_man(self, instruments: Sequence[Instrument] | None = None) -> None:
        """Turn the venue's switch off: a countdown of 0 for each of instruments (None: every
        symbol's), or leave the topic keeping the account's switch alive."""
        d = self._client.dialect
        if d.rearm_dead_man:
            for inst in self._instruments if instruments is None else instruments:
                params = d.dead_man_params(inst, 0)
                await self._client.request_once(d.ep.dead_man, params)
        else:
            await d.unwatch_dead_man(self._client.exchange)
        self.dead_man_armed = False

    async def run(self) -> None:
        """Beat every heartbeat_ms until cancelled."""
        rearm = self._config.dead_man_enabled and self._client.dialect.rearm_dead_man
        while True:
            await asyncio.sleep(self._config.heartbeat_ms / 1000)
            try:
                await self.sync_clock()
                if rearm and self.dead_man_armed:
                    await self.arm_dead_man()
            except (TemporaryVenueError, cx.ExchangeError) as exc:
                log.warning("heartbeat failed: %s", reason(exc))
