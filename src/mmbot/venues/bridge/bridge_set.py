"""The bridges of a book's symbols over one venue session, as one session for the runner.

A book of several symbols on a venue has one LiveBridge per symbol (each its order table,
instrument grid and streams), all over ports of one shared venue session (CcxtBook). The
runner starts and closes one session and reads one quote block: BridgeSet starts the
bridges in the book's order (the first start opens the shared session, a refusal refuses
them all), closes every one of them (each cancels its own orders; the last one's close
closes the session) and reports the first symbol's block - a block on any symbol stops
quoting on all of them, as one block on a one-symbol run does.
"""

from __future__ import annotations

from collections.abc import Mapping

from mmbot.core.errors import MmError
from mmbot.venues.bridge.bridge import LiveBridge


class BridgeSet:
    """Several symbols' bridges over one venue session (see the module docstring)."""

    def __init__(self, bridges: Mapping[str, LiveBridge]) -> None:
        self.bridges = dict(bridges)

    async def start(self) -> None:
        """Start every symbol's bridge, in order (the first opens the shared session)."""
        for bridge in self.bridges.values():
            await bridge.start()

    async def close(self) -> None:
        """Close every symbol's bridge, even after one failed; raise the first failure."""
        failure: BaseException | None = None
        for bridge in self.bridges.values():
            try:
                await bridge.close()
            except Exception as exc:  # every symbol must still cancel and release
                failure = failure or exc
        if failure is not None:
            raise failure

    def quote_block(self) -> str | None:
        """Return the first symbol's block line (None when every symbol may quote)."""
        for bridge in self.bridges.values():
            line = bridge.quote_block()
            if line is not None:
                return line
        return None

    @property
    def order_idem_hits_total(self) -> int:
        """Return the idempotency hits of every symbol's adapter."""
        return sum(bridge.order_idem_hits_total for bridge in self.bridges.values())

    @property
    def fatal(self) -> MmError | None:
        """Return the error that ended the first failed symbol's bridge, if any."""
        return next((b.fatal for b in self.bridges.values() if b.fatal is not None), None)

    def summary(self) -> dict[str, object]:
        """Return the bridges' figures summed over symbols, and each symbol's."""
        by_symbol = {symbol: bridge.summary() for symbol, bridge in self.bridges.items()}
        rows = list(by_symbol.values())
        totals = {
            key: sum(row[key] for row in rows)  # type: ignore[misc]
            for key, value in rows[0].items()
            if isinstance(value, int | float)
        }
        stops = [str(row["latched_stop"]) for row in rows if row["latched_stop"]]
        return {**totals, "by_symbol": by_symbol, "latched_stop": stops[0] if stops else ""}
