"""The adapter's side of reconciliation: read the venue, catch up, compare (venues/recon.py).

Theory of operation. At startup the venue's open orders and position are compared with the
local state: a mismatch refuses the start (`ReconRefusedError`) before anything is armed,
subscribed or sent, unless told to adopt the venue's state. While running, a reconciliation
(after every private-stream reconnect, or when asked) catches fills up over REST (the
journal dedups them), refreshes open orders, resolves what is still of unknown outcome,
queries our orders the venue no longer lists (they ended while we were not listening) and
compares the position with the venue's. A mismatch left after two more looks (a fill may
land between the trades and the position reads) blocks quoting with its first E_RECON_* line
until a reconciliation passes.

An HA standby (docs/HA.md) shares the account with its leader: it starts by taking the
venue's position (the fleet's) and leaves the venue's open orders to their leader - none is
tracked, refused or canceled - and its reconciliations ignore the orders and fills that are
not its own. Elected (`lead`), it counts them again, except the fills the last leader got.
"""

from __future__ import annotations

import asyncio
import logging

from mmbot.venues.base import VenueOrder
from mmbot.venues.ccxt.account import AccountReads
from mmbot.venues.ccxt.client import ExchangeClient
from mmbot.venues.ccxt.config import CcxtVenueConfig, VenueStats
from mmbot.venues.ccxt.rest_orders import RestOrders
from mmbot.venues.ccxt.tracker import OrderTracker
from mmbot.venues.fills import FillJournal
from mmbot.venues.idempotency import IdempotencyStore
from mmbot.venues.recon import LocalState, ReconReport, reconcile, refusal

log = logging.getLogger("mmbot.venues.ccxt")


class Reconciler:
    """Compare the venue's account with ours at startup and after every reconnect."""

    def __init__(
        self,
        client: ExchangeClient,
        config: CcxtVenueConfig,
        account: AccountReads,
        orders: RestOrders,
        tracker: OrderTracker,
        journal: FillJournal,
        idem: IdempotencyStore,
        stats: VenueStats,
    ) -> None:
        self._client = client
        self._config = config
        self._account = account
        self._orders = orders
        self._tracker = tracker
        self._journal = journal
        self._idem = idem
        self._stats = stats
        self._lock = asyncio.Lock()
        self.block: str | None = None  # the first E_RECON_* line of a failed reconciliation
        self.standby = False  # an HA standby: the orders and fills not ours are the leader's
        self._excused_fills = 0  # unexplained fills before this leadership: the last leader's

    async def startup(self, local: LocalState, adopt: bool) -> ReconReport:
        """Check the venue's open orders and position against local: refuse, or take them."""
        venue_open = await self._account.open_orders()
        venue_lots = (await self._account.position())[0]
        report = reconcile(local, venue_lots, venue_open, adopt=adopt)
        if not report.ok:
            raise refusal(report, self._client.inst.venue_symbol)
        if report.adopted:
            log.warning("adopting venue state: lots=%d open=%d", venue_lots, len(venue_open))
        self._journal.rebase(venue_lots)
        for order in venue_open:
            self._tracker.track(order)
        return report

    async def standby_startup(self) -> ReconReport:
        """Start as an HA standby: take the venue's position, leave its open orders alone."""
        venue_lots = (await self._account.position())[0]
        self._journal.rebase(venue_lots)
        self.standby = True
        lines = ((f"HA standby: took the venue's position lots={venue_lots}; its open orders "
                  "are left to their leader"),) if venue_lots else ()  # fmt: skip
        return ReconReport(0, venue_lots, (), (), (), False, lines)

    def lead(self) -> None:
        """Elected: every open order and fill must be ours again (the older epochs' orders
        were canceled), except the fills the last leader got before now."""
        self.standby = False
        self._excused_fills = len(self._stats.unexplained_fills)

    def stand_by(self) -> None:
        """Stepped down: the orders and fills not ours are another leader's again."""
        self.standby = True

    def _ours(self, venue_open: list[VenueOrder]) -> list[VenueOrder]:
        """Return the open orders a reconciliation compares: all, or a standby's own."""
        if not self.standby:
            return venue_open
        return [order for order in venue_open if self._tracker.is_ours(order.client_id)]

    async def reconcile(self) -> ReconReport:
        """Catch up fills over REST, refresh orders and compare positions with the venue."""
        async with self._lock:
            self._stats.recons_total += 1
            report = await self._reconcile_once()
            for _ in range(2):  # a fill between the trades and position reads: look again
                if report.ok:
                    break
                report = await self._reconcile_once()
            self.block = None if report.ok else report.lines[0]
            if not report.ok:
                log.error("reconciliation mismatch: %s", report.lines[0])
            return report

    async def _catch_up_fills(self) -> None:
        client, d = self._client, self._client.dialect
        since = max(0, self._tracker.fill_watermark_ms - self._config.recon_overlap_ms)
        async for raw in client.pages(d.ep.trades, d.trades_params(client.inst, since),
                                      d.next_trades_params):  # fmt: skip
            for fill in d.trades(raw, client.inst):
                self._tracker.apply_fill(fill, "rest")

    async def _reconcile_once(self) -> ReconReport:
        await self._catch_up_fills()
        venue_open = await self._account.open_orders()
        for order in venue_open:
            self._tracker.observe(order)
        for cid in self._idem.unknown_client_ids():
            await self._orders.resolve(cid)
        open_ids = {o.client_id for o in venue_open}
        for cid in self._tracker.local_open_orders():
            if cid not in open_ids:
                await self._orders.query(cid)  # it ended while we were not listening
        venue_lots = (await self._account.position())[0]
        local = LocalState(
            self._journal.position_lots, frozenset(self._tracker.local_open_orders())
        )
        unexplained = () if self.standby else self._stats.unexplained_fills[self._excused_fills :]
        return reconcile(local, venue_lots, self._ours(venue_open), tuple(unexplained))
