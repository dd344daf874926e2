"""Reconciliation: compare what we believe with what the venue says. Pure.

At startup the configured instrument grid must be the venue's (tick size, lot size, and the
venue's minimum order no bigger than one lot): otherwise the start is refused with one
E_RECON_INSTRUMENT line, since every price and size would be converted wrongly. A mismatch
in position or open orders makes the bot refuse to quote (one E_RECON_* line each) unless
it is told to adopt the venue's state. While running, the adapter reconciles after every
stream reconnect: missed fills are caught up from REST first (the fill journal dedups), so
any remaining position difference is a real mismatch.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from mmbot.core.errors import ConfigError
from mmbot.venues.base import Instrument, VenueOrder


@dataclass(frozen=True, slots=True)
class VenueMarket:
    """The venue's grid for one instrument, as its market metadata gives it."""

    tick_size: Decimal
    lot_size: Decimal
    min_qty: Decimal | None  # the smallest order; None when the venue does not say


def check_instrument(inst: Instrument, market: VenueMarket) -> None:
    """Raise E_RECON_INSTRUMENT (naming config and venue values) unless the grids agree."""
    grids = (("tick_size", inst.tick_size, market.tick_size),
             ("lot_size", inst.lot_size, market.lot_size))  # fmt: skip
    problems = [f"{name} config={_plain(mine)} venue={_plain(theirs)}"
                for name, mine, theirs in grids if mine != theirs]  # fmt: skip
    # The engine sizes orders in whole lots down to one lot: a bigger venue minimum would
    # reject the small ones.
    if market.min_qty is not None and market.min_qty > inst.lot_size:
        problems.append(f"min_qty venue={_plain(market.min_qty)} "
                        f"expected<=lot_size={_plain(inst.lot_size)}")  # fmt: skip
    if problems:
        raise ConfigError(
            "E_RECON_INSTRUMENT",
            f"symbol={inst.venue_symbol} {' '.join(problems)}; expected the venue's grid in "
            "instrument.tick_size / instrument.lot_size",
        )


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


@dataclass(frozen=True, slots=True)
class LocalState:
    """What the bot believes before it quotes: net position and open client ids."""

    position_lots: int = 0
    open_client_ids: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class ReconReport:
    """The result of one comparison; ok means quoting may proceed."""

    local_position_lots: int
    venue_position_lots: int
    orphans: tuple[str, ...]  # open at the venue, unknown locally
    missing: tuple[str, ...]  # open locally, not open at the venue
    unexplained_fills: tuple[str, ...]  # venue trade ids on orders that are not ours
    adopted: bool
    lines: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """Return True when quoting may proceed."""
        return self.adopted or not self.lines


def reconcile(
    local: LocalState,
    venue_position_lots: int,
    venue_open: list[VenueOrder],
    unexplained_fills: tuple[str, ...] = (),
    adopt: bool = False,
) -> ReconReport:
    """Compare local state with the venue's; mismatches give E_RECON_* lines."""
    venue_ids = {o.client_id for o in venue_open}
    orphans = tuple(sorted(venue_ids - local.open_client_ids))
    missing = tuple(sorted(local.open_client_ids - venue_ids))
    lines = []
    if local.position_lots != venue_position_lots:
        lines.append(
            f"E_RECON_POSITION: local_lots={local.position_lots} "
            f"venue_lots={venue_position_lots} expected equal; refusing to quote "
            "(start with --adopt to take the venue's position)"
        )
    if orphans or missing:
        lines.append(
            f"E_RECON_OPEN_ORDERS: venue_only={','.join(orphans) or '-'} "
            f"local_only={','.join(missing) or '-'} expected none; refusing to quote "
            "(start with --adopt to take the venue's orders)"
        )
    if unexplained_fills:
        lines.append(
            f"E_RECON_FILL: trade_ids={','.join(unexplained_fills[:5])} "
            f"count={len(unexplained_fills)} match no order of ours"
        )
    return ReconReport(
        local.position_lots, venue_position_lots, orphans, missing, unexplained_fills,
        adopt and bool(lines), tuple(lines),
    )  # fmt: skip
