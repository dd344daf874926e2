"""`mmbot go-nogo`: every report of the release, present, fresh and within thresholds, and the
goldens unchanged; one NO-GO reason a line, then VERDICT=GO or VERDICT=NO-GO.

The reports live in one folder (`--artifacts`, default artifacts/), under the names of
REPORTS (docs/RUNBOOK.md, "Where the reports live"). A report's age is that of its file
(mtime): the deterministic ones carry no time of their own. The figures' thresholds are the
mmbot config's `backtest.thresholds`, as the backtest applied them; the age limits and the
optional reports come from the release settings (`go_nogo`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from mmbot.backtest.edge_audit import REPORT_JSON as EDGE_AUDIT_JSON
from mmbot.backtest.run import REPORT_JSON as BACKTEST_JSON
from mmbot.backtest.run import verdict
from mmbot.config import EffectiveConfig
from mmbot.node.live_reports import LIVE_SIM_JSON
from mmbot.release.checks import S_PER_H, CheckResult, ReleaseError, file_age_s, stale_problem
from mmbot.release.goldens import golden_problems
from mmbot.release.settings import GoNogoSettings, ReportName

# Metrics a passing run leaves at 0 everywhere: a risk limit never breached, no cap latched.
RISK_AT_ZERO: Final = (
    "pos_skew_breach_total",
    "intraday_caps_breached",
    "book_caps_breached",
    "kill_switch_active",
)


@dataclass(frozen=True, slots=True)
class Context:
    """What a report is judged against."""

    effective: EffectiveConfig
    settings: GoNogoSettings


# A judge returns what is outside thresholds, one item a line (empty: within all).
Judge = Callable[[Any, Context], list[str]]


def _figures_problems(report: Any, context: Context) -> list[str]:
    """backtest.json / live_sim.json: PASS as written, and PASS again against the thresholds
    of the config now (a report of a laxer config does not slip through)."""
    problems = [] if report["verdict"] == "PASS" else [f"verdict={report['verdict']}"]
    figures = report["figures"]
    judged = ("net_bps", "taker_share_pct", "order_age_p95_ms", "fills")
    if any(figures.get(name) is None for name in judged):
        return [*problems, f"figures {','.join(judged)} not all measured"]
    again = verdict(figures, context.effective)
    if again["verdict"] == "PASS":
        return problems
    failing = again["failing"]
    assert isinstance(failing, list)
    return [*problems, f"verdict_now={again['verdict']}", *(str(item) for item in failing)]


def _edge_audit_problems(report: Any, context: Context) -> list[str]:
    """edge_audit.json: enough fills to judge, net edge at least the release bar."""
    limits = context.effective.config.backtest.thresholds
    totals = report["totals"]
    problems = []
    if totals["fills"] < limits.min_fills:
        problems.append(f"fills={totals['fills']} expected>={limits.min_fills}")
    if totals["net_bps"] < limits.min_net_bps:
        problems.append(f"net_bps={totals['net_bps']:.6f} expected>={limits.min_net_bps:g}")
    return problems


def _latency_problems(text: str, context: Context) -> list[str]:
    """latency_e2e.out (the `policy=... k=v` lines of tests/e2e/test_latency_queue.py): the
    checklist's "Latency e2e" conditions."""
    runs = {}
    for line in text.splitlines():
        fields = dict(field.partition("=")[::2] for field in line.split())
        policy = fields.pop("policy")
        runs[policy] = {key: float(value) for key, value in fields.items()}
    before, after = runs["before"], runs["after"]
    limit = context.settings.latency_p95_max_ms
    p95_before, p95_after = before["p95_time_to_fill_ms"], after["p95_time_to_fill_ms"]
    conditions = [
        (p95_after <= limit, f"p95_after_ms={p95_after:.6f} expected<={limit:g}"),
        (p95_after <= p95_before, f"p95_after_ms={p95_after:.6f} expected<={p95_before:.6f}"),
        (after["fill_rate"] >= before["fill_rate"],
         f"fill_rate_after={after['fill_rate']:.6f} expected>={before['fill_rate']:.6f}"),
        (after["replace_allowed"] < after["replace_attempts"],
         f"replace_allowed={after['replace_allowed']:g} "
         f"expected<{after['replace_attempts']:g} (replace_attempts)"),
    ]  # fmt: skip
    return [problem for holds, problem in conditions if not holds]


def _soak_problems(report: Any, _: Context) -> list[str]:
    """The daily soak report: verdict OK (WARN and FAIL name their reasons)."""
    if report["verdict"] == "OK":
        return []
    reasons = report.get("reasons") or []
    return [f"verdict={report['verdict']}", *(str(reason) for reason in reasons)]


def _region_problems(report: Any, _: Context) -> list[str]:
    """REGION_COMPARE.json: a region won."""
    return [] if report["winner"] is not None else ["winner=null: no region is eligible"]


def _rc_problems(report: Any, _: Context) -> list[str]:
    """rc_validator.json: PASS."""
    if report["verdict"] == "PASS":
        return []
    return [f"verdict={report['verdict']} failing={','.join(report['failing'])}"]


def _metrics_problems(document: Any, _: Context) -> list[str]:
    """metrics.json: every risk-breach series at 0."""
    metrics = document["metrics"]
    problems = []
    for name in RISK_AT_ZERO:
        series = metrics.get(name, {})
        values = series if isinstance(series, Mapping) else {"": series}
        problems += [f"{name}{{{key}}}={value:g} expected=0"
                     for key, value in sorted(values.items()) if value != 0]  # fmt: skip
    return problems


@dataclass(frozen=True, slots=True)
class ReportSpec:
    """A report go-nogo reads: its name in the settings, its file, how it is judged."""

    name: ReportName
    file: str
    judge: Judge
    is_json: bool = True


# Where each report lives under --artifacts: where its command writes it with the --out of
# docs/RUNBOOK.md (or by default), so nothing is copied by hand but the latency output.
REPORTS: Final = (
    ReportSpec("backtest", f"backtest/{BACKTEST_JSON}", _figures_problems),
    ReportSpec("edge_audit", f"backtest/{EDGE_AUDIT_JSON}", _edge_audit_problems),
    ReportSpec("live_sim", f"live_sim/{LIVE_SIM_JSON}", _figures_problems),
    ReportSpec("latency_e2e", "latency_e2e.out", _latency_problems, is_json=False),
    # ops' soak report (`mmbot soak report`, default --out artifacts); ops is a sibling layer
    ReportSpec("soak", "soak_report.json", _soak_problems),
    # `mmbot region compare` (default --out artifacts/regions)
    ReportSpec("region_compare", "regions/REGION_COMPARE.json", _region_problems),
    ReportSpec("rc_validator", "rc_validator.json", _rc_problems),
    ReportSpec("metrics", "metrics.json", _metrics_problems),
)


def judge_report(spec: ReportSpec, folder: Path, now_ns: int, context: Context) -> CheckResult:
    """Return the report's check: absent (a failure unless optional), stale, unreadable, or
    outside thresholds (every item named)."""
    path = folder / spec.file
    settings = context.settings
    if not path.is_file() and spec.name in settings.optional:
        return CheckResult(spec.name, detail=f"file={path} absent (optional)")
    stale = stale_problem(path, now_ns, settings.age_limit_h(spec.name))
    if stale is not None:
        return CheckResult(spec.name, stale.line())
    try:
        text = path.read_text(encoding="ascii")
        problems = spec.judge(json.loads(text) if spec.is_json else text, context)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        bad = ReleaseError("E_REPORT_BAD", f"file={path} unreadable: {type(exc).__name__} {exc}")
        return CheckResult(spec.name, bad.line())
    if problems:
        detail = f"file={path} " + "; ".join(problems)
        return CheckResult(spec.name, ReleaseError("E_REPORT_THRESHOLD", detail).line())
    age_h = file_age_s(path, now_ns) / S_PER_H
    return CheckResult(spec.name, detail=f"file={path} age_h={age_h:.1f}")


def run_go_nogo(folder: Path, repo: Path, now_ns: int, context: Context) -> list[CheckResult]:
    """Return every report's check, then the goldens' (one per golden that changed)."""
    results = [judge_report(spec, folder, now_ns, context) for spec in REPORTS]
    goldens = golden_problems(repo)
    if not goldens:
        return [*results, CheckResult("goldens", detail="unchanged since tests/golden/MANIFEST")]
    return results + [CheckResult("goldens", problem) for problem in goldens]


def verdict_lines(results: list[CheckResult]) -> list[str]:
    """Return `[OK] name ...` per passing check, `NO-GO: <reason>` per failure, and last
    `VERDICT=GO` or `VERDICT=NO-GO`."""
    lines = [f"NO-GO: {r.problem}" if r.problem is not None else r.line() for r in results]
    go = all(result.ok for result in results)
    return [*lines, "VERDICT=GO" if go else "VERDICT=NO-GO"]
