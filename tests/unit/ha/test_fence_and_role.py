"""The fence around the venue port (our lease check, the registry's token check, cancels
always through, one action-log line per request) and the runner's role (epoch claimed on
election, resting orders canceled on election and step-down; on a venue, the venue taken
over under the new token after the claim, and handed back at a step-down)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from tests.unit.ha.hakit import DriftClock, TrueClock

from mmbot.core.events import LOCAL_REJECT_REASON, OrderEventKind
from mmbot.engine.orders import SEQS_PER_SESSION, ClientSeqs
from mmbot.ha import (
    ActionLog,
    Change,
    FencedVenue,
    LeaderLease,
    LeaderRole,
    SqliteLease,
    create_lease_file,
    token_of,
)


@dataclass
class RecordingPort:
    """The inner port: records what reached it."""

    calls: list[tuple[str, int]] = field(default_factory=list)

    def run_until(self, ts_ns: int) -> bool:
        return True

    def reports(self) -> list[Any]:
        return []

    def place(self, side: int, price_ticks: int, qty_lots: int, client_seq: int) -> int:
        self.calls.append(("place", client_seq))
        return 100 + len(self.calls)

    def replace(self, order_id: int, price_ticks: int, qty_lots: int) -> None:
        self.calls.append(("replace", order_id))

    def cancel(self, order_id: int) -> None:
        self.calls.append(("cancel", order_id))


@pytest.fixture
def world(tmp_path: Path) -> SimpleNamespace:
    true = TrueClock(10**12)
    create_lease_file(tmp_path / "l.db")
    a = LeaderLease(SqliteLease(tmp_path / "l.db", true), DriftClock(true), "a")
    b = LeaderLease(SqliteLease(tmp_path / "l.db", true), DriftClock(true), "b")
    port = RecordingPort()
    log = ActionLog(tmp_path / "a.jsonl", a)
    fenced = FencedVenue(port, a, SqliteLease(tmp_path / "l.db", true), log)  # type: ignore[arg-type]
    return SimpleNamespace(true=true, a=a, b=b, port=port, fenced=fenced, log=tmp_path / "a.jsonl")


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_fence_leader_with_newest_token_sends_place_and_replace(world: SimpleNamespace) -> None:
    world.a.poll()
    seq = SEQS_PER_SESSION * world.a.token + 1
    order_id = world.fenced.place(1, 100, 2, seq)
    world.fenced.replace(order_id, 101, 2)
    assert world.port.calls == [("place", seq), ("replace", order_id)]
    assert [line["accepted"] for line in _lines(world.log)] == [True, True]


def test_fence_standby_place_refused_locally_nothing_reaches_venue(world: SimpleNamespace) -> None:
    order_id = world.fenced.place(1, 100, 2, 5)
    events = world.fenced.reports()
    assert world.port.calls == [] and order_id < 0 and world.fenced.refused_total == 1
    assert [(e.kind, e.reason) for e in events] == [(OrderEventKind.REJECTED, LOCAL_REJECT_REASON)]
    assert _lines(world.log)[0]["why"] == "lease_not_held"


def test_fence_stale_token_refused_by_registry_cancel_still_passes(world: SimpleNamespace) -> None:
    world.a.clock.rate = 0.0  # a's clock stops: its own lease check is broken on purpose
    world.a.poll()
    old_seq = SEQS_PER_SESSION * world.a.token + 1
    order_id = world.fenced.place(1, 100, 2, old_seq)
    world.true.advance_ms(3001)  # the backend lets a's lease expire; b wins token 2
    assert world.b.poll() is Change.ELECTED and world.a.may_send()
    world.fenced.replace(order_id, 101, 2)
    world.fenced.place(1, 100, 2, old_seq + 1)
    world.fenced.cancel(order_id)
    assert world.port.calls == [("place", old_seq), ("cancel", order_id)]
    whys = [(line["action"], line["why"]) for line in _lines(world.log)]
    assert whys[1:] == [("replace", "stale_token"), ("place", "stale_token"), ("cancel", "")]


def test_token_of_reads_the_epoch_of_a_client_seq() -> None:
    assert [token_of(s) for s in (7, SEQS_PER_SESSION + 1, 3 * SEQS_PER_SESSION + 9)] == [0, 1, 3]


def test_claim_epoch_numbers_from_the_block_and_never_goes_back() -> None:
    seqs = ClientSeqs()
    seqs.start_session(0)
    assert seqs.next() == 1
    seqs.claim_epoch(2)
    assert seqs.next() == 2 * SEQS_PER_SESSION + 1
    with pytest.raises(RuntimeError, match="E_HA_EPOCH"):
        seqs.claim_epoch(1)
    seqs.claim_epoch(5)
    assert seqs.next() == 5 * SEQS_PER_SESSION + 1


class FakeEngine:
    """What LeaderRole touches: the legs' order numbers and cancel_all."""

    def __init__(self) -> None:
        shared = ClientSeqs()
        self.legs = [SimpleNamespace(orders=SimpleNamespace(seqs=shared))] * 2
        self.cancel_alls = 0

    def cancel_all(self) -> int:
        self.cancel_alls += 1
        return 0


def test_role_elected_claims_token_epoch_cancels_first_step_down_cancels(
    world: SimpleNamespace, tmp_path: Path
) -> None:
    engine = FakeEngine()
    role = LeaderRole(world.a, ActionLog(tmp_path / "role.jsonl", world.a))
    assert role.on_decision(engine) is True  # type: ignore[arg-type]
    assert engine.cancel_alls == 1 and engine.legs[0].orders.seqs.next() == SEQS_PER_SESSION + 1
    world.true.advance_ms(100)
    assert role.on_decision(engine) is True and engine.cancel_alls == 1  # type: ignore[arg-type]
    world.a.backend.path.rename(tmp_path / "away.db")  # the backend partitioned
    world.true.advance_ms(1000)
    assert role.on_decision(engine) is False and engine.cancel_alls == 2  # type: ignore[arg-type]
    actions = [line["action"] for line in _lines(tmp_path / "role.jsonl")]
    assert actions == ["elected", "stepped_down"] and role.elections_total == 1


@dataclass
class RecordingTakeover:
    """The venue side of the role: records each take-over (its epoch) and step-down, with the
    engine's cancel_all calls made before it."""

    engine: FakeEngine
    calls: list[tuple[str, int, int]] = field(default_factory=list)
    fails: bool = False

    def take_over(self, epoch: int) -> None:
        self.calls.append(("take_over", epoch, self.engine.cancel_alls))

    def stand_by(self) -> None:
        self.calls.append(("stand_by", 0, self.engine.cancel_alls))

    @property
    def takeover_failed(self) -> bool:
        return self.fails


@dataclass
class FailingTakeover(RecordingTakeover):
    """A venue whose take-over fails once started."""

    def take_over(self, epoch: int) -> None:
        super().take_over(epoch)
        self.fails = True


def test_role_on_a_venue_takes_it_over_at_election_hands_it_back_at_step_down(
    world: SimpleNamespace, tmp_path: Path
) -> None:
    engine = FakeEngine()
    venue = RecordingTakeover(engine)
    role = LeaderRole(world.a, ActionLog(tmp_path / "role.jsonl", world.a), venue)
    role.on_decision(engine)  # type: ignore[arg-type]
    world.true.advance_ms(100)
    role.on_decision(engine)  # type: ignore[arg-type]
    assert venue.calls == [("take_over", 1, 1)]  # once, after our own orders' cancel
    assert engine.legs[0].orders.seqs.next() == SEQS_PER_SESSION + 1  # the epoch claimed
    world.a.backend.path.rename(tmp_path / "away.db")
    world.true.advance_ms(1000)
    assert role.on_decision(engine) is False  # type: ignore[arg-type]
    assert venue.calls == [("take_over", 1, 1), ("stand_by", 0, 2)]


def test_role_withdraws_after_a_failed_take_over_so_a_standby_can_lead(
    world: SimpleNamespace, tmp_path: Path
) -> None:
    engine = FakeEngine()
    venue = FailingTakeover(engine)
    role = LeaderRole(world.a, ActionLog(tmp_path / "role.jsonl", world.a), venue)
    assert role.on_decision(engine) is True  # type: ignore[arg-type]  # elected, take-over started
    world.true.advance_ms(100)
    assert role.on_decision(engine) is False  # type: ignore[arg-type]  # it failed: withdrawn
    assert engine.cancel_alls == 2 and not world.a.is_leader and role.withdrawn
    assert world.b.poll() is Change.ELECTED  # released at once: no wait for the ttl
    world.true.advance_ms(5000)  # b's lease lapses unrenewed; a never contends again
    assert role.on_decision(engine) is False  # type: ignore[arg-type]
    assert not world.a.is_leader and venue.calls == [("take_over", 1, 1)]
    actions = [line["action"] for line in _lines(tmp_path / "role.jsonl")]
    assert actions == ["elected", "withdrew"]
