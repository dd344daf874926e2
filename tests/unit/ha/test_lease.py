"""LeaderLease's state machine on a fake clock over the SQLite backend: elections, renewals,
step-downs, the send check on the instance's own clock, and the timing it refuses."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.unit.ha.hakit import Cuttable, DriftClock, TrueClock

from mmbot.ha import Change, LeaderLease, LeaseConfig, SqliteLease, create_lease_file


@pytest.fixture
def true() -> TrueClock:
    return TrueClock(10**12)


def _pair(path: Path, true: TrueClock) -> tuple[LeaderLease, LeaderLease, Cuttable]:
    create_lease_file(path)
    link = Cuttable(SqliteLease(path, true))
    a = LeaderLease(link, DriftClock(true, 1.0, 5), "a")
    b = LeaderLease(SqliteLease(path, true), DriftClock(true, 1.0, 7), "b")
    return a, b, link


def test_lease_first_poll_elects_second_instance_stays_standby(
    tmp_path: Path, true: TrueClock
) -> None:
    a, b, _ = _pair(tmp_path / "l.db", true)
    assert a.poll() is Change.ELECTED and a.may_send() and a.token == 1
    assert b.poll() is Change.NONE and not b.may_send()
    assert (a.elections_total, b.elections_total) == (1, 0)


def test_lease_renewed_every_interval_keeps_one_leader_for_a_minute(
    tmp_path: Path, true: TrueClock
) -> None:
    a, b, _ = _pair(tmp_path / "l.db", true)
    a.poll()
    for _ in range(600):
        true.advance_ms(100)
        assert a.poll() is Change.NONE and b.poll() is Change.NONE
        assert a.may_send() and not b.may_send()
    assert (a.elections_total, a.token) == (1, 1)


def test_lease_paused_leader_sends_nothing_after_ttl_minus_margin_and_steps_down(
    tmp_path: Path, true: TrueClock
) -> None:
    a, b, _ = _pair(tmp_path / "l.db", true)
    a.poll()
    true.advance_ms(2499)
    assert a.may_send()  # no poll: the lease is still valid on a's own clock
    true.advance_ms(1)
    assert not a.may_send()  # ttl 3000 - margin 500: a wakes and sends nothing
    true.advance_ms(501)  # the backend's expiry has passed: b takes over
    assert b.poll() is Change.ELECTED and b.token == 2
    assert a.poll() is Change.STEPPED_DOWN and not a.may_send()


def test_lease_backend_unreachable_leader_steps_down_at_once_standby_cannot_win(
    tmp_path: Path, true: TrueClock
) -> None:
    a, b, link = _pair(tmp_path / "l.db", true)
    a.poll()
    link.cut = True
    true.advance_ms(1000)
    assert a.poll() is Change.STEPPED_DOWN and "E_HA_BACKEND" in a.last_error
    assert b.poll() is Change.NONE  # the lease has 2 s to run: a's cancels land in that time
    true.advance_ms(3000)
    assert b.poll() is Change.ELECTED and b.token == 2
    link.cut = False
    true.advance_ms(1000)
    assert a.poll() is Change.NONE and not a.may_send()


def test_lease_release_lets_standby_win_without_waiting_for_expiry(
    tmp_path: Path, true: TrueClock
) -> None:
    a, b, _ = _pair(tmp_path / "l.db", true)
    a.poll()
    a.release()
    assert not a.may_send() and b.poll() is Change.ELECTED and b.token == 2


def test_lease_instance_reelected_gets_a_new_larger_token(tmp_path: Path, true: TrueClock) -> None:
    a, b, _ = _pair(tmp_path / "l.db", true)
    a.poll()
    a.release()
    b.poll()
    b.release()
    true.advance_ms(1000)
    assert a.poll() is Change.ELECTED and a.token == 3 and a.elections_total == 2


@pytest.mark.parametrize(
    ("ttl_ms", "renew_ms", "margin_ms"), [(3000, 2600, 500), (3000, 0, 500), (3000, 1000, 0)]
)
def test_lease_config_renew_not_inside_ttl_minus_margin_refused(
    ttl_ms: int, renew_ms: int, margin_ms: int
) -> None:
    with pytest.raises(ValueError, match="E_HA_LEASE_TIMING"):
        LeaseConfig(ttl_ms, renew_ms, margin_ms)


def test_lease_config_defaults_are_3000_1000() -> None:
    assert (LeaseConfig().ttl_ms, LeaseConfig().renew_ms) == (3000, 1000)
