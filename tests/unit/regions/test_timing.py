"""The change window, the cooldown and freshness, at their boundaries."""

from __future__ import annotations

import pytest

from mmbot.regions import ChangeWindow, cooldown_passed, fresh, parse_utc, window_open
from mmbot.regions.timing import NS_PER_HOUR

NS_PER_S = 1_000_000_000
WINDOW = ChangeWindow(days_utc=("mon", "wed"), start_hour_utc=6, end_hour_utc=10)


def _at(text: str) -> int:
    ts_ns = parse_utc(text)
    assert ts_ns is not None
    return ts_ns


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        ("2026-01-05T06:00:00Z", True),  # Monday, the first second of the window
        ("2026-01-05T09:59:59Z", True),  # the last second
        ("2026-01-05T10:00:00Z", False),  # end hour excluded
        ("2026-01-05T05:59:59Z", False),
        ("2026-01-06T07:00:00Z", False),  # Tuesday: not a window day
        ("2026-01-07T07:00:00Z", True),  # Wednesday
        ("2026-01-11T07:00:00Z", False),  # Sunday
    ],
)
def test_window_open_days_and_hours_utc(moment: str, expected: bool) -> None:
    assert window_open(WINDOW, _at(moment)) is expected


def test_window_open_whole_day_to_hour_24() -> None:
    whole_day = ChangeWindow(days_utc=("sun",), start_hour_utc=0, end_hour_utc=24)
    assert window_open(whole_day, _at("2026-01-11T23:59:59Z"))
    assert not window_open(whole_day, _at("2026-01-12T00:00:00Z"))


def test_cooldown_passed_never_changed_is_passed() -> None:
    assert cooldown_passed(None, _at("2026-01-05T07:00:00Z"), 24.0)


@pytest.mark.parametrize(
    ("elapsed_ns", "expected"),
    [(24 * NS_PER_HOUR, True), (24 * NS_PER_HOUR - NS_PER_S, False), (-NS_PER_S, False)],
)
def test_cooldown_passed_boundary_and_clock_going_back(elapsed_ns: int, expected: bool) -> None:
    last_ns = _at("2026-01-05T07:00:00Z")
    assert cooldown_passed(last_ns, last_ns + elapsed_ns, 24.0) is expected


@pytest.mark.parametrize(
    ("age_ns", "expected"),
    [(0, True), (6 * NS_PER_HOUR, True), (6 * NS_PER_HOUR + NS_PER_S, False), (-NS_PER_S, False)],
)
def test_fresh_age_limit_and_future(age_ns: int, expected: bool) -> None:
    generated_ns = _at("2026-01-05T07:00:00Z")
    assert fresh(generated_ns, generated_ns + age_ns, 6.0) is expected


@pytest.mark.parametrize("text", ["2026-01-05 07:00:00", "2026-01-05T07:00:00.5Z", "", "x"])
def test_parse_utc_refuses_other_shapes(text: str) -> None:
    assert parse_utc(text) is None


def test_parse_utc_reads_seconds_since_epoch() -> None:
    assert parse_utc("1970-01-01T00:00:10Z") == 10 * NS_PER_S
