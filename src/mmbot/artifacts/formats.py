"""Number and time formats that appear in artifacts."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal
from typing import Final

from mmbot.core.errors import ArtifactError

_NS_PER_S: Final = 1_000_000_000


def fmt6(value: float) -> str:
    """Return value with exactly six decimals (`^-?\\d+\\.\\d{6}$`), never `-0.000000`."""
    if not math.isfinite(value):
        raise ArtifactError("E_ART_NONFINITE", f"fmt6 value={value} expected=finite number")
    text = f"{value:.6f}"
    if text == "-0.000000":
        return "0.000000"
    return text


def fmt_exact(value: float) -> str:
    """Return the shortest text that reads back as exactly value, in plain decimal notation.

    For logs of record (fills, fees) where rounding to fmt6 would break reconciliation.
    """
    if not math.isfinite(value):
        raise ArtifactError("E_ART_NONFINITE", f"fmt_exact value={value} expected=finite number")
    text = format(Decimal(repr(value)), "f")
    return text[1:] if text.startswith("-") and Decimal(text) == 0 else text


def utc_iso(ts_ns: int) -> str:
    """Return ts_ns (ns since the epoch) as `YYYY-MM-DDTHH:MM:SSZ`, truncated to the second."""
    seconds = ts_ns // _NS_PER_S
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_day(ts_ns: int) -> str:
    """Return the UTC day of ts_ns as `YYYYMMDD`."""
    seconds = ts_ns // _NS_PER_S
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y%m%d")
