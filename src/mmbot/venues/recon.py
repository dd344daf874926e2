"""Reconciliation: compare what we believe with what the venue says. Pure.

At startup the configured instrument grid must be the venue's (tick size, lot size, and the
venue's minimum order no bigger than one lot): otherwise the start is refused with one
E_RECON_INSTRUMENT line, since every price and size would be converted wrongly. A mismatch
in position or open orders refuses the start (one E_RECON_* line, `ReconRefusedError`) unless
it is told to adopt the venue's state; a refused start leaves the venue as it found it. While
running, the adapter reconciles after every stream reconnect: missed fills are caught up from
REST first (the fill journal dedups), so any remaining position difference is a real mismatch
(one E_RECON_* line each, quoting blocked).
The venue's dead-man switch may be disarmed only when the venue itself lists no open order
on the symbol, whoever placed it (`dead_man_keep_reason`): another session's orders, or ours
from a crashed one, rest under its protection too.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from mmbot.core.errors import ConfigError, MmError
from mmbot.core.text import error_code
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


class ReconRefusedError(MmError):
    """The venue holds a position or open orders this session does not know: a human decides
    (restart with --adopt, or clear them at the venue)."""

    exit_code = 2


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


_IDS_SHOWN = 5  # client ids named in a refusal line; the count says how many there are


def refusal(report: ReconReport, symbol: str) -> ReconRefusedError:
    """Return the one-line error of a start refused by report (which has lines, not adopted)."""
    found = []
    if report.local_position_lots != report.venue_position_lots:
        found.append(f"position venue_lots={report.venue_position_lots} "
                     f"local_lots={report.local_position_lots}")  # fmt: skip
    if report.orphans or report.missing:
        found.append(f"open_orders venue_only={_ids(report.orphans)} "
                     f"local_only={_ids(report.missing)}")  # fmt: skip
    code = error_code(report.lines[0])
    return ReconRefusedError(
        code,
        f"symbol={symbol} found {' and '.join(found)} at the venue, expected none; start "
        "refused and the venue left as found (nothing sent, canceled or disarmed); restart "
        "with --adopt to take the venue's position and cancel its open orders, or clear "
        "them at the venue",
    )


def _ids(client_ids: tuple[str, ...]) -> str:
    if not client_ids:
        return "-"
    shown = ",".join(client_ids[:_IDS_SHOWN])
    more = len(client_ids) - _IDS_SHOWN
    return f"{shown}(+{more} more)" if more > 0 else shown


def dead_man_keep_reason(
    venue_open: list[VenueOrder] | None, local_open: int, unknown: int
) -> str | None:
    """Return why the dead-man switch must stay armed at close, or None when it may go off.

    venue_open: the venue's open orders on the symbol, whoever placed them (None when the
    venue could not be asked); local_open / unknown: our orders still open as far as we know
    and places of unknown outcome (either may rest without the venue listing it yet).
    """
    if venue_open is None:
        return "the venue's open orders could not be read"
    if venue_open:
        return f"{len(venue_open)} orders rest at the venue"
    if local_open or unknown:
        return f"{local_open + unknown} orders of this session may still rest"
    return None
