"""Structured logs: logfmt, ASCII, one line per record, timestamps from an injected clock.

In simulation the engine passes its SimClock, so two runs log the same lines; live modes
pass a WallClock. Values are made ASCII and single-line before rendering, whatever the
caller handed in.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO

import structlog
from structlog.typing import EventDict, WrappedLogger

from mmbot.artifacts import utc_iso
from mmbot.core.clock import Clock
from mmbot.core.text import ascii_single_line

KEY_ORDER = ["ts", "level", "logger", "msg"]


class _ClockStamper:
    """Add ts=YYYY-MM-DDTHH:MM:SSZ from the injected clock."""

    __slots__ = ("_clock",)

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def __call__(self, _: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
        event_dict["ts"] = utc_iso(self._clock.now_ns())
        return event_dict


def _sanitise(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    clean: EventDict = {}
    for key, value in event_dict.items():
        if isinstance(value, bool | int | float) or value is None:
            clean[ascii_single_line(key)] = value
        else:
            clean[ascii_single_line(key)] = ascii_single_line(value)
    return clean


def configure_logging(clock: Clock, stream: TextIO | None = None, level: str = "info") -> None:
    """Route mmbot logs to stream (default stderr) as logfmt with clock timestamps."""
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            _ClockStamper(clock),
            structlog.processors.EventRenamer("msg"),
            _sanitise,
            structlog.processors.LogfmtRenderer(key_order=KEY_ORDER, bool_as_flag=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[level.upper()]
        ),
        logger_factory=structlog.PrintLoggerFactory(file=stream or sys.stderr),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str) -> Any:
    """Return a logger that stamps logger=name on each record."""
    return structlog.get_logger().bind(logger=name)
