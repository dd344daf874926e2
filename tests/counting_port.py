"""A sim venue port that counts every order entry it is asked for (place, replace, cancel).

Tests use it where nothing may reach a venue (shadow's feed, a canary with the gate closed)
and where something must (a canary with the gate open).
"""

from __future__ import annotations

from mmbot.venues.sim import SimVenuePort


class CountingPort(SimVenuePort):
    """SimVenuePort with `sends`: how many order entries reached it."""

    sends = 0

    def place(self, side: int, price_ticks: int, qty_lots: int, client_seq: int) -> int:
        self.sends += 1
        return super().place(side, price_ticks, qty_lots, client_seq)

    def replace(self, order_id: int, price_ticks: int, qty_lots: int) -> None:
        self.sends += 1
        super().replace(order_id, price_ticks, qty_lots)

    def cancel(self, order_id: int) -> None:
        self.sends += 1
        super().cancel(order_id)
