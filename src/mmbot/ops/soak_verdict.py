"""The soak day's verdict: its figures against fail and warn levels -> OK, WARN or FAIL.

A figure past its fail level fails the day; one past its warn level (short of failing) warns.
The fail levels of net_bps, taker_share_pct and order_age_p95_ms are the release checklist's
(the backtest and live-sim thresholds); their warn levels sit 10% of the limit inside it, so a
day that drifts towards a limit is flagged before it breaks it. Uptime fails under 95% and warns
under 99% (about a quarter of an hour of a day lost). Any S0 or S1 incident fails the day; any
S2 incident warns. A figure that could not be measured (no fills: no net_bps, no taker share)
warns: a soak day that never traded shows nothing about the edge.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from mmbot.artifacts import fmt6


class Verdict(StrEnum):
    """A soak day's verdict, worst last."""

    OK = "OK"
    WARN = "WARN"
    FAIL = "FAIL"


_RANK: Final = {Verdict.OK: 0, Verdict.WARN: 1, Verdict.FAIL: 2}


@dataclass(frozen=True, slots=True)
class Limit:
    """The levels of one figure: op is `>=` (the figure must stay at or above) or `<=`;
    fail/warn None: that level does not apply."""

    figure: str
    op: str
    fail: float | None
    warn: float | None

    def breaks(self, value: float, level: float | None) -> bool:
        """Return whether value is on the wrong side of level."""
        if level is None:
            return False
        return value < level if self.op == ">=" else value > level

    def payload(self) -> dict[str, object]:
        """Return the limit as plain values."""
        return {"fail": self.fail, "op": self.op, "warn": self.warn}


SOAK_LIMITS: Final = (
    Limit("incidents_s0_s1", "<=", 0, None),
    Limit("incidents_s2", "<=", None, 0),
    Limit("net_bps", ">=", 2.5, 2.75),
    Limit("taker_share_pct", "<=", 15.0, 13.5),
    Limit("order_age_p95_ms", "<=", 350.0, 315.0),
    Limit("uptime_pct", ">=", 95.0, 99.0),
)


def judge(figures: Mapping[str, float | int | None], limits: tuple[Limit, ...] = SOAK_LIMITS
          ) -> tuple[Verdict, list[str]]:  # fmt: skip
    """Return the verdict of figures and one reason line per figure that fails or warns."""
    reasons: list[tuple[Verdict, str]] = []
    for limit in limits:
        value = figures[limit.figure]
        if value is None:
            reasons.append((Verdict.WARN, f"WARN {limit.figure}=n/a: not measured (no fills)"))
            continue
        for verdict, level in ((Verdict.FAIL, limit.fail), (Verdict.WARN, limit.warn)):
            if limit.breaks(float(value), level):
                assert level is not None
                reasons.append((verdict, f"{verdict.value} {limit.figure}={_text(value)} "
                                f"expected{limit.op}{_text(level)}"))  # fmt: skip
                break
    worst = max((verdict for verdict, _ in reasons), key=_RANK.__getitem__, default=Verdict.OK)
    return worst, [line for _, line in reasons]


def _text(value: float) -> str:
    """Return a count as an integer, any other figure with six decimals."""
    return str(value) if isinstance(value, int) else fmt6(value)
