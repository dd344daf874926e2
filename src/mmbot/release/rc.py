"""`mmbot rc validate`: the release checklist's release-candidate queries against a running
Prometheus (and Alertmanager), each with the value seen, its limit and a verdict.

Each check runs the checklist's query without its comparison; every series the query returns
must hold the check's comparison with its limit (release settings, `rc.limits`). No series is
a failure (E_RC_NO_DATA): an exporter nobody scrapes shows nothing, which is not health. The
value recorded is the worst series: the farthest on the wrong side of the limit, or the
nearest to it when all hold. Firing alerts come from Alertmanager when its URL is given (what
`amtool alert` lists: active, not silenced, not inhibited), else from Prometheus' own
`ALERTS{alertstate="firing"}`. Queries are evaluated at the injected time, so the same
answers give the same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final, Literal

from mmbot.artifacts import utc_iso
from mmbot.core.errors import MmError
from mmbot.release.checks import CheckResult, ReleaseError
from mmbot.release.prom_api import firing_alerts, instant_query
from mmbot.release.settings import RcSettings

Op = Literal["<=", ">=", ">", "==", "in"]
Limit = float | tuple[float, float]
ALERTS_CHECK: Final = "no_firing_alerts"
ALERTMANAGER_API: Final = "/api/v2/alerts"
_NS_PER_S: Final = 1_000_000_000


@dataclass(frozen=True, slots=True)
class RcCheck:
    """One release-candidate check: its name (a key of RcLimits), query and comparison."""

    name: str
    query: str
    op: Op


# The checklist's order. `{colour}`: the deployment of the settings' rc.colour.
RC_CHECKS: Final = (
    RcCheck("canary_metrics_healthy", "increase(pos_skew_breach_total[10m])", "<="),
    RcCheck("caps_inactive", "intraday_caps_breached", "<="),
    RcCheck("fees_sane", "effective_fee_bps_now", "in"),
    RcCheck("tier_distance", "fee_tier_distance_usd", ">="),
    RcCheck("canary_gate_open", "canary_gate_open", "=="),
    RcCheck("orders_not_stuck", "sum(order_age_ms_bucket_total)", "<="),
    RcCheck("fill_rate", "cost_fillrate_ewma", ">="),
    RcCheck("latency_slo", "latency_ms_p95_{colour}", "<="),
    RcCheck(ALERTS_CHECK, 'ALERTS{alertstate="firing"}', "<="),
    RcCheck("budget_available", "portfolio_budget_available_usd", ">"),
    RcCheck("hwm_updated", "allocator_hwm_equity_usd", ">"),
    RcCheck("quotes_flowing", "sum(quotes_placed_total)", ">"),
)


def holds(value: float, op: Op, limit: Limit) -> bool:
    """Return whether `value op limit` holds (`in`: within [low, high])."""
    room = margin(value, op, limit)
    return room > 0 if op == ">" else room >= 0


def margin(value: float, op: Op, limit: Limit) -> float:
    """Return how far value is on the right side of the limit (negative: the wrong side)."""
    if isinstance(limit, tuple):
        return min(value - limit[0], limit[1] - value)
    if op == "<=":
        return limit - value
    if op == "==":
        return -abs(value - limit)
    return value - limit


def describe_limit(op: Op, limit: Limit) -> str:
    """Return the expectation as text: `<=350`, `=in[-0.5,2]`."""
    if isinstance(limit, tuple):
        return f"=in[{limit[0]:g},{limit[1]:g}]"
    return f"{op}{limit:g}"


@dataclass(frozen=True, slots=True)
class RcRow:
    """A check's outcome: the query sent, the worst value seen, the series counted, and the
    one E_* line when it failed. firing: the alerts check's alert names."""

    check: RcCheck
    query: str
    limit: Limit
    source: str
    value: float | None = None
    series: int = 0
    problem: str | None = None
    firing: tuple[str, ...] | None = None

    def result(self) -> CheckResult:
        """Return the check's printed outcome."""
        if self.problem is not None:
            return CheckResult(self.check.name, problem=self.problem)
        expected = describe_limit(self.check.op, self.limit)
        return CheckResult(self.check.name, detail=f"value={self.value} expected{expected}")

    def payload(self) -> dict[str, object]:
        """Return the check's entry of rc_validator.json."""
        row: dict[str, object] = {
            "limit": list(self.limit) if isinstance(self.limit, tuple) else self.limit,
            "name": self.check.name,
            "ok": self.problem is None,
            "op": self.check.op,
            "problem": self.problem,
            "query": self.query,
            "series": self.series,
            "source": self.source,
            "value": self.value,
        }
        if self.firing is not None:
            row["firing"] = list(self.firing)
        return row


def judge(check: RcCheck, query: str, limit: Limit, values: Sequence[float]) -> RcRow:
    """Return the check's row: the worst value of the series and whether every one holds."""
    row = RcRow(check, query, limit, "prometheus", series=len(values))
    where = f"check={check.name} query={query}"
    if not values:
        return replace(row, problem=ReleaseError("E_RC_NO_DATA", f"{where} gave no series").line())
    if not all(math.isfinite(value) for value in values):
        return replace(row, problem=ReleaseError("E_RC_THRESHOLD", f"{where} value=nan").line())
    worst = min(values, key=lambda value: margin(value, check.op, limit))
    row = replace(row, value=worst)
    if holds(worst, check.op, limit):
        return row
    detail = f"{where} value={worst} expected{describe_limit(check.op, limit)}"
    return replace(row, problem=ReleaseError("E_RC_THRESHOLD", detail).line())


def _firing(
    check: RcCheck, prom_url: str, am_url: str | None, at_s: int, timeout_s: float
) -> list[str]:
    """Return the names of the firing alerts: Alertmanager's when am_url is given, else
    Prometheus' ALERTS series."""
    if am_url is not None:
        return firing_alerts(am_url, timeout_s)
    answer = instant_query(prom_url, check.query, at_s, timeout_s)
    return sorted(series.labels.get("alertname", "<unnamed>") for series in answer)


def _alerts_row(
    check: RcCheck, limit: float, prom_url: str, am_url: str | None, at_s: int, timeout_s: float
) -> RcRow:
    """Return the firing-alerts row: no more alerts firing than the limit."""
    source, query = ("alertmanager", ALERTMANAGER_API) if am_url else ("prometheus", check.query)
    row = RcRow(check, query, limit, source, firing=())
    try:
        firing = _firing(check, prom_url, am_url, at_s, timeout_s)
    except MmError as exc:
        return replace(row, problem=exc.line())
    row = replace(row, firing=tuple(firing), series=len(firing), value=float(len(firing)))
    if len(firing) <= limit:
        return row
    names = ",".join(dict.fromkeys(firing))
    detail = f"check={check.name} firing={len(firing)} alerts={names} expected<={limit:g}"
    return replace(row, problem=ReleaseError("E_RC_ALERTS_FIRING", detail).line())


def run_rc_checks(
    prom_url: str, am_url: str | None, at_s: int, settings: RcSettings
) -> list[RcRow]:
    """Return every check's row, in the checklist's order, queried at at_s."""
    rows = []
    for check in RC_CHECKS:
        limit: Limit = getattr(settings.limits, check.name)
        if check.name == ALERTS_CHECK:
            assert isinstance(limit, float)
            rows.append(_alerts_row(check, limit, prom_url, am_url, at_s, settings.timeout_s))
            continue
        query = check.query.replace("{colour}", settings.colour)
        try:
            answer = instant_query(prom_url, query, at_s, settings.timeout_s)
        except MmError as exc:
            rows.append(RcRow(check, query, limit, "prometheus", problem=exc.line()))
            continue
        rows.append(judge(check, query, limit, [series.value for series in answer]))
    return rows


def rc_payload(
    rows: Sequence[RcRow], prom_url: str, am_url: str | None, at_s: int
) -> dict[str, object]:
    """Return rc_validator.json: every check, the failing names, the verdict."""
    failing = [row.check.name for row in rows if row.problem is not None]
    return {
        "alertmanager": am_url,
        "checks": [row.payload() for row in rows],
        "failing": failing,
        "prometheus": prom_url,
        "utc": utc_iso(at_s * _NS_PER_S),
        "verdict": "FAIL" if failing else "PASS",
    }
