"""REPORT_CANARY.md: a canary run's health from its metrics, its edge audit and canary.json.

The metrics are the run directory's metrics.prom (what the run's exporter served last) or, when
a run directory only has it, the unified metrics.json (`mmbot metrics dump`); both read as the
same series. The checks are the release checklist's canary queries with the alert rules'
thresholds (docs/OBSERVABILITY.md), computed over the run's final values: the report passes
when none fails. A missing series fails its check; the fill-rate check does not apply to a run
that placed no quote (FillRateCollapse needs the leg to keep quoting). The edge audit
(edge_audit.json, `mmbot edge-audit --run DIR`) and canary.json (canary and live runs) are
summarised when the run directory holds them. Nothing but the run's files goes in, so the
same run gives the same bytes.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from mmbot.artifacts import fmt6, markdown_table
from mmbot.backtest.edge_audit import REPORT_JSON as EDGE_AUDIT_JSON
from mmbot.core.errors import AuditError
from mmbot.engine.rundir import METRICS_FILE
from mmbot.node import CANARY_JSON
from mmbot.obs.metrics_json import metric_values
from mmbot.ops.daily_files import METRICS_JSON

Metrics = Mapping[str, object]
_OPS: Final[Mapping[str, Callable[[float, float], bool]]] = {
    "==": operator.eq, "<=": operator.le, ">=": operator.ge, ">": operator.gt,
}  # fmt: skip
_STUCK_BUCKET_LE: Final = ("5000.0", "5000")  # the 5 s bucket in both spellings of `le`
OK, FAIL, NOT_APPLICABLE = "OK", "FAIL", "N/A"


@dataclass(frozen=True, slots=True)
class Check:
    """One health check: the checklist step, what is computed, the value (None: the series is
    missing), the comparison it must pass, and whether it applies to this run."""

    step: str
    expression: str
    value: float | None
    op: str
    limit: float
    applies: bool = True

    @property
    def status(self) -> str:
        """Return OK, FAIL or N/A."""
        if not self.applies:
            return NOT_APPLICABLE
        if self.value is None:
            return FAIL
        return OK if _OPS[self.op](self.value, self.limit) else FAIL


def read_run_metrics(run_dir: Path) -> Metrics:
    """Return the run's metric values from metrics.prom, else metrics.json (E_AUDIT_MISSING_FILE
    when it has neither)."""
    prom, dumped = run_dir / METRICS_FILE, run_dir / METRICS_JSON
    if prom.is_file():
        return metric_values(prom.read_text(encoding="ascii"))
    if dumped.is_file():
        metrics = _read_json(dumped).get("metrics")
        if isinstance(metrics, dict):
            return metrics
    raise AuditError("E_AUDIT_MISSING_FILE", f"run={run_dir} has neither {METRICS_FILE} nor a "
                     f"{METRICS_JSON} with `metrics`: point --run at a run's --out")  # fmt: skip


def _values(metrics: Metrics, name: str) -> dict[str, float]:
    """Return a series' values by label key ("" for a series without labels); integral values
    stay integers, as the metrics JSON writes them."""
    series = metrics.get(name)
    if _is_number(series):
        assert isinstance(series, int | float)
        return {"": series}
    if isinstance(series, dict):
        return {str(k): v for k, v in series.items() if _is_number(v)}
    return {}


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _fold(metrics: Metrics, name: str, how: Callable[[list[float]], float]) -> float | None:
    values = list(_values(metrics, name).values())
    return how(values) if values else None


def _latency_p95(metrics: Metrics) -> float | None:
    """Return the worst p95 latency of the deployment colours the run exported."""
    colours = [v for name in metrics if name.startswith("latency_ms_p95_")
               for v in _values(metrics, name).values()]  # fmt: skip
    return max(colours) if colours else None


def _stuck_orders(metrics: Metrics) -> float | None:
    """Return ended orders that rested longer than 5 s (the order_age_ms_bucket_total rule)."""
    counts = _fold(metrics, "order_age_ms_count", sum)
    buckets = _values(metrics, "order_age_ms_bucket")
    within = [v for key, v in buckets.items()
              if any(f"le={le}" in key.split(",") for le in _STUCK_BUCKET_LE)]  # fmt: skip
    return None if counts is None or not within else counts - sum(within)


def _quoting_fill_rate(metrics: Metrics) -> tuple[float | None, bool]:
    """Return the lowest fill-rate EWMA of the legs that placed quotes, and whether any did."""
    placed = _values(metrics, "quotes_placed_total")
    rates = _values(metrics, "cost_fillrate_ewma")
    quoting = [rate for key, rate in rates.items() if placed.get(key, 0.0) > 0]
    return (min(quoting) if quoting else None), bool(quoting) or not placed


def canary_checks(metrics: Metrics) -> list[Check]:
    """Return the health checks of a run's final metric values, in checklist order."""
    fill_rate, quoting = _quoting_fill_rate(metrics)
    return [
        Check("Canary metrics healthy", "sum(pos_skew_breach_total)",
              _fold(metrics, "pos_skew_breach_total", sum), "==", 0),
        Check("Caps inactive", "max(intraday_caps_breached)",
              _fold(metrics, "intraday_caps_breached", max), "==", 0),
        Check("Kill switch off", "max(kill_switch_active)",
              _fold(metrics, "kill_switch_active", max), "==", 0),
        Check("Canary gate open", "min(canary_gate_open)",
              _fold(metrics, "canary_gate_open", min), "==", 1),
        Check("Orders not stuck", "sum(order_age_ms_bucket_total)", _stuck_orders(metrics),
              "==", 0),
        Check("No order resting too long", "max(working_order_age_max_ms)",
              _fold(metrics, "working_order_age_max_ms", max), "<=", 5000),
        Check("Fill-rate OK", "min(cost_fillrate_ewma) of quoting legs", fill_rate, ">=", 0.05,
              applies=quoting),
        Check("Latency SLO", "max(latency_ms_p95_<colour>)", _latency_p95(metrics), "<=", 350),
        Check("Budget available", "sum(portfolio_budget_available_usd)",
              _fold(metrics, "portfolio_budget_available_usd", sum), ">", 0),
    ]  # fmt: skip


_SHOWN: Final = ("decisions_total", "quotes_placed_total", "fills_total",
                 "traded_notional_usd_total", "fees_usd_total", "pnl_usd",
                 "effective_fee_bps_now", "fee_tier_distance_usd",
                 "allocator_hwm_equity_usd")  # fmt: skip


def render_canary_report(run_dir: Path) -> tuple[str, bool]:
    """Return REPORT_CANARY.md of run_dir and whether every check passed."""
    metrics = read_run_metrics(run_dir)
    checks = canary_checks(metrics)
    passed = all(check.status != FAIL for check in checks)
    failed = sum(check.status == FAIL for check in checks)
    rows = [[c.step, c.expression, _text(c.value), f"{c.op} {_text(c.limit)}", c.status]
            for c in checks]  # fmt: skip
    lines = [
        f"# Canary report: RESULT={'OK' if passed else 'FAIL'}",
        "",
        f"Checks failed: {failed} of {len(checks)}.",
        "",
        "## Checks",
        "",
        markdown_table(["step", "value of", "value", "expected", "status"], rows).rstrip("\n"),
        "",
        "## Metrics",
        "",
        *(f"- {name}: {_text(_fold(metrics, name, sum))}" for name in _SHOWN),
        "",
        "## Edge audit",
        "",
        *_edge_audit_lines(run_dir),
        "",
        "## Canary run",
        "",
        *_canary_lines(run_dir),
        "",
    ]  # fmt: skip
    return "\n".join(lines), passed


def _edge_audit_lines(run_dir: Path) -> list[str]:
    path = run_dir / EDGE_AUDIT_JSON
    if not path.is_file():
        return [f"- none: no {EDGE_AUDIT_JSON} in the run directory "
                "(`mmbot edge-audit --run DIR` writes it)"]  # fmt: skip
    audit = _read_json(path)
    worst, totals = audit.get("bottleneck"), audit.get("totals")
    markouts = audit.get("markouts_bps")
    if not (isinstance(worst, dict) and isinstance(totals, dict) and isinstance(markouts, dict)):
        raise AuditError("E_AUDIT_BAD_VALUE", f"file={path} lacks bottleneck/totals/markouts_bps")
    return [
        f"- bottleneck: {worst.get('component')} {_text(worst.get('bps'))} bps",
        f"- net_bps: {_text(totals.get('net_bps'))}",
        f"- fills: {_text(totals.get('fills'))}",
        f"- notional_usd: {_text(totals.get('notional_usd'))}",
        _pairs("components_bps", totals.get("bps")),
        _pairs("markouts_bps", markouts),
    ]


def _canary_lines(run_dir: Path) -> list[str]:
    path = run_dir / CANARY_JSON
    if not path.is_file():
        return [f"- none: no {CANARY_JSON} in the run directory (canary and live runs write it)"]
    report = _read_json(path)
    live = report.get("live") if isinstance(report.get("live"), dict) else {}
    assert isinstance(live, dict)
    return [
        f"- mode: {_text(report.get('mode'))}",
        *(f"- {key}: {_text(live.get(key))}"
          for key in ("stop_reason", "decisions", "working_orders_left")),
        _pairs("refused", report.get("canary_refused_total")),
        _pairs("ledger", report.get("ledger")),
        _pairs("venue", report.get("venue")),
    ]  # fmt: skip


def _pairs(title: str, values: object) -> str:
    """Return `- title: k=v, k=v` of a mapping's plain values, keys sorted."""
    if not isinstance(values, dict):
        return f"- {title}: n/a"
    plain = {k: v for k, v in values.items() if not isinstance(v, dict | list)}
    return f"- {title}: " + (", ".join(f"{k}={_text(plain[k])}" for k in sorted(plain)) or "-")


def _text(value: object) -> str:
    """Return a value's report text: floats with six decimals, n/a for none."""
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return fmt6(value)
    return str(value) if value != "" else "-"


def _read_json(path: Path) -> dict[str, object]:
    try:
        document = json.loads(path.read_bytes())
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise AuditError("E_AUDIT_BAD_VALUE", f"file={path} is not a JSON object")
    return document
