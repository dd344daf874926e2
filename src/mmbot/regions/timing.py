"""The time rules of a region change: the change window, the cooldown, a compare's freshness.

Pure: every rule takes the time it judges (`now_ns`, from the command's injected Clock).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

from mmbot.regions.config import WEEKDAYS, ChangeWindow

NS_PER_HOUR: Final = 3_600 * 1_000_000_000
_NS_PER_S: Final = 1_000_000_000
UTC_FORMAT: Final = "%Y-%m-%dT%H:%M:%SZ"


def _utc(ts_ns: int) -> datetime:
    return datetime.fromtimestamp(ts_ns // _NS_PER_S, tz=UTC)


def parse_utc(text: str) -> int | None:
    """Return `YYYY-MM-DDTHH:MM:SSZ` as ns since the epoch, or None when it is not one."""
    try:
        moment = datetime.strptime(text, UTC_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None
    return int(moment.timestamp()) * _NS_PER_S


def window_open(window: ChangeWindow, now_ns: int) -> bool:
    """Return whether now falls on one of the window's UTC days, within its hours."""
    moment = _utc(now_ns)
    on_day = WEEKDAYS[moment.weekday()] in window.days_utc
    return on_day and window.start_hour_utc <= moment.hour < window.end_hour_utc


def cooldown_passed(last_change_ns: int | None, now_ns: int, cooldown_hours: float) -> bool:
    """Return whether cooldown_hours have passed since the last applied change (none: yes).

    A last change after now (a clock that went back) has not cooled down.
    """
    if last_change_ns is None:
        return True
    return now_ns - last_change_ns >= cooldown_hours * NS_PER_HOUR


def fresh(generated_ns: int, now_ns: int, max_age_hours: float) -> bool:
    """Return whether something generated at generated_ns is at most max_age_hours old now
    (one from the future is not fresh: its clock and ours disagree)."""
    age_ns = now_ns - generated_ns
    return 0 <= age_ns <= max_age_hours * NS_PER_HOUR
