"""The ccxt adapter's parts on their own, no network: the order tracker, the public-only
client's refusal, and the package's shape (composed parts, named modules)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.loopback.harness import INSTRUMENT

import mmbot.venues
from mmbot.venues.base import OrderStatus, VenueAuthError, VenueFill, VenueOrder
from mmbot.venues.ccxt import CcxtFeed, CcxtVenue, CcxtVenueConfig, VenueStats
from mmbot.venues.ccxt.client import ExchangeClient
from mmbot.venues.ccxt.dialect import dialect_for
from mmbot.venues.ccxt.tracker import OrderTracker
from mmbot.venues.credentials import Credentials
from mmbot.venues.fills import FillJournal
from mmbot.venues.idempotency import IdempotencyStore


def _order(status: OrderStatus, filled_lots: int = 0) -> VenueOrder:
    return VenueOrder("mm-1-0badc0de", "77", 1, 1000, 3, filled_lots, status, 1)


def _fill(trade_id: str, venue_order_id: str = "77", client_id: str = "") -> VenueFill:
    return VenueFill(trade_id, venue_order_id, client_id, 1, 1000, 1, 0.01, True, 5)


def _ignore(message: dict[str, Any]) -> None:
    pass


def _tracker() -> tuple[OrderTracker, FillJournal, VenueStats]:
    journal, stats = FillJournal(), VenueStats()
    return OrderTracker(IdempotencyStore(), journal, stats), journal, stats


def test_tracker_late_new_after_filled_keeps_filled_and_not_open() -> None:
    tracker, _, _ = _tracker()
    tracker.track(_order(OrderStatus.NEW))
    tracker.track(_order(OrderStatus.FILLED, 3))
    kept = tracker.track(_order(OrderStatus.NEW))
    assert kept.status is OrderStatus.FILLED
    assert tracker.local_open_orders() == {}


def test_tracker_update_with_fewer_fills_is_dropped() -> None:
    tracker, _, _ = _tracker()
    tracker.track(_order(OrderStatus.PARTIALLY_FILLED, 2))
    tracker.track(_order(OrderStatus.PARTIALLY_FILLED, 1))
    assert tracker.local_open_orders()["mm-1-0badc0de"].filled_lots == 2


def test_tracker_hands_a_rest_fill_on_once_with_its_orders_client_id() -> None:
    tracker, journal, stats = _tracker()
    tracker.track(_order(OrderStatus.NEW))
    tracker.apply_fill(_fill("t1"), "rest")  # REST trades may name no client id
    tracker.apply_fill(_fill("t1", client_id="mm-1-0badc0de"), "ws")  # the same trade again
    handed = [tracker.fill_q.get_nowait() for _ in range(tracker.fill_q.qsize())]
    assert [(f.trade_id, f.client_id) for f in handed] == [("t1", "mm-1-0badc0de")]
    assert (journal.applied_total, journal.duplicates_total) == (1, 1)
    assert tracker.fill_watermark_ms == 5 and stats.unexplained_fills == []


def test_tracker_fill_on_an_order_not_ours_is_unexplained() -> None:
    tracker, _, stats = _tracker()
    tracker.apply_fill(_fill("t9", venue_order_id="other"), "ws")
    assert stats.unexplained_fills == ["t9"]


@pytest.mark.asyncio
@pytest.mark.parametrize("venue", ["binance", "bybit"])
async def test_public_only_client_refuses_account_call_before_admitting_it(venue: str) -> None:
    dialect = dialect_for(venue)
    nowhere = "127.0.0.1:9"  # nothing listens: a call that got through fails E_VENUE_TEMPORARY
    config = CcxtVenueConfig(
        INSTRUMENT, f"http://{nowhere}", f"ws://{nowhere}", timeout_ms=200, venue=venue
    )
    client = ExchangeClient(
        config, dialect, Credentials("", ""), _ignore, _ignore, VenueStats(), lambda: 0,
        public_only=True,
    )  # fmt: skip
    try:
        with pytest.raises(VenueAuthError) as refused:
            await client.request(dialect.ep.open_orders, dialect.symbol_params(INSTRUMENT))
    finally:
        await client.close()
    assert refused.value.line() == (
        f"E_VENUE_MARKET_DATA_ONLY: {dialect.ep.open_orders} refused: the adapter was started "
        "for market data only (no credentials); expected no order or account call"
    )
    assert client.budget.max_window_weight == 0  # never admitted, so never sent


def test_ccxt_adapters_are_composed_not_inherited() -> None:
    assert CcxtVenue.__mro__ == (CcxtVenue, object)
    assert CcxtFeed.__mro__ == (CcxtFeed, object)


def test_no_venues_module_name_ends_in_a_digit() -> None:
    root = Path(mmbot.venues.__file__).parent
    numbered = [str(p.relative_to(root)) for p in root.rglob("*.py") if p.stem[-1].isdigit()]
    assert numbered == []
