"""Sans-I/O venue pieces: fill journal, idempotency, reconciliation, guards, weight budget."""

from __future__ import annotations

import numpy as np
import pytest
from ccxt.base import errors as cx  # type: ignore[import-untyped]

from mmbot.core.errors import REGISTRY
from mmbot.venues.base import BookTop, OrderIntent, OrderStatus, VenueFill, VenueOrder
from mmbot.venues.bridge import BridgeConfig
from mmbot.venues.ccxt.client import cause
from mmbot.venues.fills import FillJournal
from mmbot.venues.guards import BookGuard, ClockGuard
from mmbot.venues.idempotency import IdempotencyStore, Outcome, client_id_for
from mmbot.venues.ratelimit import WeightBudget
from mmbot.venues.recon import LocalState, dead_man_keep_reason, reconcile, refusal

MS = 1_000_000


def _fill(n: int, side: int = 1, qty: int = 1) -> VenueFill:
    return VenueFill(str(n), f"o{n % 7}", "c", side, 100, qty, 0.0, True, n)


def test_fill_journal_replay_10000_overlapping_paths_applies_zero_duplicates() -> None:
    rng = np.random.default_rng(7)
    fills = [_fill(i, int(rng.choice([-1, 1])), int(rng.integers(1, 4))) for i in range(10_000)]
    ws = [f for f in fills if rng.random() < 0.9]  # the stream loses ~10%
    ws += [fills[int(i)] for i in rng.integers(0, 10_000, 2_000)]  # replays after reconnects
    rest = list(fills[2_000:6_000]) + list(fills[5_000:]) + list(fills[:3_000])  # overlapping pages
    deliveries = [(f, "ws") for f in ws] + [(f, "rest") for f in rest]
    order = rng.permutation(len(deliveries))
    journal = FillJournal()
    for i in order:
        fill, source = deliveries[int(i)]
        journal.apply(fill, source)
    expected_position = sum(f.side * f.qty_lots for f in fills)
    duplicates_applied = journal.applied_total - len(journal.trade_ids())
    print(
        f"\nFIGURE fills_replayed={len(deliveries)} unique=10000 applied={journal.applied_total} "
        f"duplicates_seen={journal.duplicates_total} duplicates_applied={duplicates_applied}"
    )
    assert journal.applied_total == 10_000
    assert duplicates_applied == 0
    assert journal.duplicates_total == len(deliveries) - 10_000
    assert journal.position_lots == expected_position
    assert journal.conflicts_total == 0


def test_fill_journal_conflicting_copy_counted_not_applied() -> None:
    journal = FillJournal()
    assert journal.apply(_fill(1, qty=2), "ws")
    assert not journal.apply(_fill(1, qty=3), "rest")
    assert (journal.position_lots, journal.conflicts_total) == (2, 1)


def test_client_id_same_intent_same_id_other_intent_other_id() -> None:
    a = OrderIntent("mm1", 5, 1, 1000, 3)
    assert client_id_for(a) == client_id_for(OrderIntent("mm1", 5, 1, 1000, 3))
    assert client_id_for(a) != client_id_for(OrderIntent("mm1", 5, 1, 1001, 3))
    assert client_id_for(a).startswith("mm1-5-") and len(client_id_for(a)) <= 36
    with pytest.raises(ValueError, match="shorten strategy_id"):
        client_id_for(OrderIntent("x" * 40, 1, 1, 1, 1))


def test_idempotency_resubmit_counts_hit_and_never_allows_a_post_after_unknown() -> None:
    store = IdempotencyStore()
    intent = OrderIntent("mm1", 1, -1, 1000, 2)
    cid, _, hit = store.begin(intent)
    assert not hit and store.may_post(cid)
    store.on_post(cid)
    store.on_unknown(cid)
    cid2, entry, hit = store.begin(intent)
    assert (cid2, hit, store.order_idem_hits_total) == (cid, True, 1)
    assert entry.outcome is Outcome.UNKNOWN and not store.may_post(cid)
    with pytest.raises(RuntimeError):
        store.on_post(cid)
    order = VenueOrder(cid, "9", -1, 1000, 2, 0, OrderStatus.NEW, 1)
    store.on_ack(cid, order)
    assert (store.resolved_found_total, store.max_posts_per_client_id()) == (1, 1)


def test_idempotency_429_lets_the_same_id_post_again() -> None:
    store = IdempotencyStore()
    cid, _, _ = store.begin(OrderIntent("mm1", 1, 1, 10, 1))
    store.on_post(cid)
    store.on_not_processed(cid)
    store.on_post(cid)
    assert store.max_posts_per_client_id() == 2


def test_reconcile_mismatch_gives_one_line_codes_and_adopt_accepts() -> None:
    venue_open = [VenueOrder("x-1", "1", 1, 10, 1, 0, OrderStatus.NEW, 0)]
    report = reconcile(LocalState(0, frozenset({"mm-2"})), 5, venue_open)
    assert not report.ok
    assert [line.split(":")[0] for line in report.lines] == ["E_RECON_POSITION",
                                                              "E_RECON_OPEN_ORDERS"]  # fmt: skip
    assert all("\n" not in line and line.isascii() for line in report.lines)
    assert report.orphans == ("x-1",) and report.missing == ("mm-2",)
    adopted = reconcile(LocalState(0, frozenset({"mm-2"})), 5, venue_open, adopt=True)
    assert adopted.ok and adopted.adopted
    assert reconcile(LocalState(5, frozenset({"x-1"})), 5, venue_open).ok
    for line in report.lines:
        assert line.split(":")[0] in REGISTRY


@pytest.mark.parametrize(
    ("venue_open", "local_open", "unknown", "kept"),
    [
        ([], 0, 0, None),  # nothing rests anywhere: the only case that disarms
        (None, 0, 0, "the venue's open orders could not be read"),
        ([VenueOrder("other-1", "9", 1, 10, 1, 0, OrderStatus.NEW, 0)], 0, 0,
         "1 orders rest at the venue"),  # another session's (or a crashed one's) order
        ([], 1, 0, "1 orders of this session may still rest"),  # the venue may lag our ack
        ([], 0, 1, "1 orders of this session may still rest"),  # a place of unknown outcome
    ],
)  # fmt: skip
def test_dead_man_disarmed_only_when_the_venue_lists_no_order_and_none_of_ours_may_rest(
    venue_open: list[VenueOrder] | None, local_open: int, unknown: int, kept: str | None
) -> None:
    assert dead_man_keep_reason(venue_open, local_open, unknown) == kept


def test_refusal_is_one_line_naming_what_was_found_and_adopt() -> None:
    venue_open = [VenueOrder(f"x-{i}", str(i), 1, 10, 1, 0, OrderStatus.NEW, 0) for i in range(7)]
    error = refusal(reconcile(LocalState(), 0, venue_open), "BTCUSDT")
    assert error.code == "E_RECON_OPEN_ORDERS" and error.exit_code == 2
    assert error.line().startswith(
        "E_RECON_OPEN_ORDERS: symbol=BTCUSDT found open_orders "
        "venue_only=x-0,x-1,x-2,x-3,x-4(+2 more) local_only=- at the venue, expected none; "
        "start refused and the venue left as found"
    ), error.line()
    assert "restart with --adopt" in error.line() and "\n" not in error.line()
    both = refusal(reconcile(LocalState(), -3, venue_open[:1]), "BTCUSDT")
    assert both.line().startswith(
        "E_RECON_POSITION: symbol=BTCUSDT found position "
        "venue_lots=-3 local_lots=0 and open_orders venue_only=x-0 "
    )


@pytest.mark.parametrize(("offset_ms", "blocked"), [(0, False), (499, False), (501, True),
                                                    (-800, True)])  # fmt: skip
def test_clock_guard_blocks_beyond_500ms(offset_ms: int, blocked: bool) -> None:
    guard = ClockGuard(500)
    assert guard.block() is not None  # no sample yet
    local_ns = 1_700_000_000_000 * MS
    guard.observe(local_ns, 1_700_000_000_000 + 1 + offset_ms, local_ns + 2 * MS)
    line = guard.block()
    assert (line is not None) is blocked
    if line:
        assert line.startswith("E_VENUE_CLOCK_SKEW:")


def test_book_guard_stale_by_arrival_or_venue_time() -> None:
    guard = BookGuard(1000)
    now_ns = 10_000 * MS
    guard.observe(BookTop("S", 1, 1, 2, 1, 10_000), now_ns)
    assert guard.block(now_ns + 500 * MS, 0.0) is None
    assert (guard.block(now_ns + 1500 * MS, 0.0) or "").startswith("E_VENUE_STALE_BOOK:")
    guard.observe(BookTop("S", 1, 1, 2, 1, 5_000), now_ns)  # fresh arrival, frozen venue time
    assert guard.block(now_ns, 0.0) is not None


def test_weight_budget_keeps_every_window_under_70_percent() -> None:
    budget = WeightBudget(limit=100, window_ns=1000 * MS, fraction=0.7)
    now, sent = 0, []
    for _ in range(2000):
        wait = budget.delay_ns(5, now)
        if wait == 0:
            sent.append(now)
        now += wait or MS
    times = np.array(sent)
    worst = max(int(((times >= t) & (times < t + 1000 * MS)).sum()) * 5 for t in times)
    assert worst <= 70 and budget.max_window_weight <= 70


def test_weight_budget_retry_after_closes_until_then() -> None:
    budget = WeightBudget(limit=100, window_ns=1000 * MS)
    budget.on_retry_after(0.25, 0)
    assert budget.delay_ns(1, 0) == 250 * MS
    assert budget.delay_ns(1, 250 * MS) == 0


@pytest.mark.parametrize("value", [0.0, -1.0, float("nan"), float("inf")])
@pytest.mark.parametrize("key", ["max_unknown_outcome_s", "close_timeout_s"])
def test_bridge_config_refuses_a_non_positive_or_non_finite_limit(key: str, value: float) -> None:
    with pytest.raises(ValueError, match=f"^key={key} value={value} expected=a finite number > 0$"):
        BridgeConfig(**{key: value})
    assert BridgeConfig().max_unknown_outcome_s == 10.0


def _raised(exc: BaseException, under: BaseException | None = None) -> BaseException:
    try:
        raise exc from under
    except BaseException as caught:
        return caught


def test_cause_names_the_first_non_ccxt_error_under_a_ccxt_error() -> None:
    dns = OSError("Cannot connect to host nosuch.invalid:80 ssl:default\n[Name or service]")
    ccxt_error = _raised(cx.ExchangeNotAvailable("binanceusdm GET http://nosuch.invalid/x"),
                         _raised(cx.NetworkError("wrapped"), dns))  # fmt: skip
    assert cause(ccxt_error) == (
        "OSError: Cannot connect to host nosuch.invalid:80 ssl:default "
        "(binanceusdm GET http://nosuch.invalid/x)"
    )
    assert cause(_raised(cx.RequestTimeout("binanceusdm GET /y"), TimeoutError())) == (
        "TimeoutError (binanceusdm GET /y)"
    )
    assert cause(cx.ExchangeNotAvailable("503 Service Unavailable")) == (
        "ExchangeNotAvailable: 503 Service Unavailable"
    )
