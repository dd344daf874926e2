"""Build monitoring/grafana/mm_bot.json, the Grafana dashboard, from the metric catalogue.

Every metric of src/mmbot/obs/catalog.py gets one panel, grouped in rows by its label set
(per strategy and symbol, per symbol, book-wide), after a row of the release checklist's
queries. Counters are shown as per-second rates, gauges as they are, the histogram as
quantiles. The JSON is deterministic: sorted keys, and each panel's id is a hash of what it
shows, so adding a metric renumbers no other panel (links to a panel keep working).

    .venv/bin/python monitoring/grafana/build_dashboard.py          # rewrite the JSON
    .venv/bin/python monitoring/grafana/build_dashboard.py --check  # exit 1 if it is stale
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from mmbot.artifacts import atomic_write_bytes
from mmbot.obs.catalog import BOOK, LEG, METRICS, SYMBOL, MetricSpec

DASHBOARD_PATH = Path(__file__).resolve().parent / "mm_bot.json"
RUN = ".venv/bin/python monitoring/grafana/build_dashboard.py"
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
# Labels an operator picks from a drop-down; the others are only shown in legends.
TEMPLATED_LABELS = ("symbol", "strategy")
GRID_WIDTH = 24
PANEL_WIDTH, PANEL_HEIGHT = 8, 8
STAT_WIDTH, STAT_HEIGHT = 4, 4
ROW_TITLES = {LEG: "Per strategy and symbol", SYMBOL: "Per symbol", BOOK: "Book"}
# Units Grafana cannot guess from the name's unit suffix.
UNIT_OVERRIDES = {"cost_fillrate_ewma": "percentunit"}
# A name's unit word (STYLE.md rule 1) -> Grafana unit; a counter's panel shows it per second.
UNIT_WORDS = (("ms", "ms"), ("usd", "currencyUSD"), ("bps", "suffix: bps"))
HISTOGRAM_QUANTILES = (0.5, 0.95)
# (title, query, unit): the PromQL steps of the release checklist, book-wide.
CHECKLIST = (
    ("Skew breaches, 10 m", "sum(increase(pos_skew_breach_total[10m]))", "short"),
    ("Intraday caps latched", "sum(intraday_caps_breached)", "short"),
    ("Canary gate open", "min(canary_gate_open)", "short"),
    ("Orders stuck (ended after > 5 s)", "sum(order_age_ms_bucket_total)", "short"),
    ("Fill rate EWMA, lowest leg", "min(cost_fillrate_ewma)", "percentunit"),
    ("Quotes placed", "sum(quotes_placed_total)", "short"),
    ("Latency p95, blue", "max(latency_ms_p95_blue)", "ms"),
    ("Latency p95, green", "max(latency_ms_p95_green)", "ms"),
    ("Effective fee", "max(effective_fee_bps_now)", "suffix: bps"),
    ("Fee tier distance", "min(fee_tier_distance_usd)", "currencyUSD"),
    ("Budget available", "min(portfolio_budget_available_usd)", "currencyUSD"),
    ("Equity high-water mark", "max(allocator_hwm_equity_usd)", "currencyUSD"),
)

Json = dict[str, Any]


def _panel_id(key: str) -> int:
    """Return a stable id for the panel that shows `key` (a metric name or a title)."""
    return int(hashlib.sha256(key.encode("ascii")).hexdigest()[:6], 16)


def _selector(labels: Sequence[str]) -> str:
    matchers = [f'{label}=~"${label}"' for label in TEMPLATED_LABELS if label in labels]
    return "{" + ", ".join(matchers) + "}" if matchers else ""


def _by(labels: Sequence[str]) -> str:
    return f" by ({', '.join(labels)})" if labels else ""


def _legend(labels: Sequence[str]) -> str:
    # A book-wide value is one series per process (two under HA): tell them by instance.
    return " ".join("{{" + label + "}}" for label in labels) or "{{instance}}"


def _unit(spec: MetricSpec) -> str:
    if spec.name in UNIT_OVERRIDES:
        return UNIT_OVERRIDES[spec.name]
    words = spec.name.split("_")
    return next((unit for word, unit in UNIT_WORDS if word in words), "short")


def _targets(spec: MetricSpec) -> list[tuple[str, str]]:
    """Return (query, legend) pairs showing one metric."""
    selector, legend = _selector(spec.labels), _legend(spec.labels)
    if spec.type == "counter":
        rate = f"rate({spec.name}{selector}[$__rate_interval])"
        # Per leg or symbol the instances add up (only the leader trades); book-wide they do not.
        return [(f"sum{_by(spec.labels)} ({rate})" if spec.labels else rate, legend)]
    if spec.type == "histogram":
        buckets = f"rate({spec.name}_bucket{selector}[$__rate_interval])"
        by_le = _by(("le", *spec.labels))
        return [
            (f"histogram_quantile({q}, sum{by_le} ({buckets}))", f"p{round(q * 100)} {legend}")
            for q in HISTOGRAM_QUANTILES
        ]
    return [(f"{spec.name}{selector}", legend)]


def _title(spec: MetricSpec) -> str:
    return f"{spec.name} per second" if spec.type == "counter" else spec.name


def _query_targets(queries: Sequence[tuple[str, str]]) -> list[Json]:
    return [
        {"datasource": DATASOURCE, "expr": expr, "legendFormat": legend, "refId": chr(65 + index)}
        for index, (expr, legend) in enumerate(queries)
    ]


def _metric_panel(spec: MetricSpec, x: int, y: int) -> Json:
    return {
        "datasource": DATASOURCE,
        "description": spec.help,
        "fieldConfig": {"defaults": {"unit": _unit(spec)}, "overrides": []},
        "gridPos": {"h": PANEL_HEIGHT, "w": PANEL_WIDTH, "x": x, "y": y},
        "id": _panel_id(spec.name),
        "options": {
            "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
            "tooltip": {"mode": "multi", "sort": "desc"},
        },
        "targets": _query_targets(_targets(spec)),
        "title": _title(spec),
        "type": "timeseries",
    }


def _stat_panel(title: str, expr: str, unit: str, x: int, y: int) -> Json:
    return {
        "datasource": DATASOURCE,
        "description": f"Release checklist: {expr}",
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "gridPos": {"h": STAT_HEIGHT, "w": STAT_WIDTH, "x": x, "y": y},
        "id": _panel_id(title),
        "options": {
            "colorMode": "value",
            "graphMode": "none",
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "textMode": "auto",
        },
        "targets": _query_targets([(expr, title)]),
        "title": title,
        "type": "stat",
    }


def _row(title: str, y: int) -> Json:
    return {
        "collapsed": False,
        "gridPos": {"h": 1, "w": GRID_WIDTH, "x": 0, "y": y},
        "id": _panel_id(f"row {title}"),
        "panels": [],
        "title": title,
        "type": "row",
    }


def _grid(count: int, width: int, height: int, top: int) -> Iterator[tuple[int, int]]:
    """Yield (x, y) for `count` panels filling lines of GRID_WIDTH from `top`."""
    per_line = GRID_WIDTH // width
    for index in range(count):
        yield (index % per_line) * width, top + (index // per_line) * height


def _height(count: int, width: int, height: int) -> int:
    per_line = GRID_WIDTH // width
    return -(-count // per_line) * height


def _panels() -> list[Json]:
    panels = [_row("Release checklist", 0)]
    places = _grid(len(CHECKLIST), STAT_WIDTH, STAT_HEIGHT, top=1)
    panels += [_stat_panel(*item, *place) for item, place in zip(CHECKLIST, places, strict=True)]
    top = 1 + _height(len(CHECKLIST), STAT_WIDTH, STAT_HEIGHT)
    label_sets = list(dict.fromkeys(spec.labels for spec in METRICS))
    for labels in label_sets:
        specs = [spec for spec in METRICS if spec.labels == labels]
        panels.append(_row(ROW_TITLES.get(labels, "By " + ", ".join(labels)), top))
        places = _grid(len(specs), PANEL_WIDTH, PANEL_HEIGHT, top=top + 1)
        panels += [_metric_panel(spec, *place) for spec, place in zip(specs, places, strict=True)]
        top += 1 + _height(len(specs), PANEL_WIDTH, PANEL_HEIGHT)
    return panels


def _query_variable(name: str, query: str) -> Json:
    return {
        "allValue": ".*",
        "current": {},
        "datasource": DATASOURCE,
        "definition": query,
        "hide": 0,
        "includeAll": True,
        "label": name.capitalize(),
        "multi": True,
        "name": name,
        "options": [],
        "query": {"query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
        "refresh": 2,
        "regex": "",
        "sort": 1,
        "type": "query",
    }


def _templating() -> Json:
    datasource = {
        "current": {},
        "hide": 0,
        "includeAll": False,
        "label": "Data source",
        "multi": False,
        "name": "datasource",
        "options": [],
        "query": "prometheus",
        "refresh": 1,
        "regex": "",
        "type": "datasource",
    }
    return {
        "list": [
            datasource,
            _query_variable("symbol", "label_values(pos_skew_breach_total, symbol)"),
            _query_variable(
                "strategy", 'label_values(quotes_placed_total{symbol=~"$symbol"}, strategy)'
            ),
        ]
    }


def build_dashboard() -> Json:
    """Return the dashboard's JSON model."""
    panels = _panels()
    ids = [panel["id"] for panel in panels]
    if len(set(ids)) != len(ids):
        raise ValueError("E_MON_PANEL_ID: two panels hash to one id; rename a checklist title")
    return {
        "annotations": {"list": []},
        "description": "mmbot: every exported metric (src/mmbot/obs/catalog.py); "
        "generated by monitoring/grafana/build_dashboard.py",
        "editable": True,
        "graphTooltip": 1,
        "id": None,
        "links": [],
        "panels": panels,
        "refresh": "30s",
        "schemaVersion": 39,
        "tags": ["mmbot"],
        "templating": _templating(),
        "time": {"from": "now-6h", "to": "now"},
        "timepicker": {},
        "timezone": "utc",
        "title": "mmbot",
        "uid": "mmbot-overview",
        "version": 1,
    }


def dashboard_bytes() -> bytes:
    """Return the dashboard as the bytes of mm_bot.json (indented, sorted keys, LF)."""
    text = json.dumps(build_dashboard(), indent=2, sort_keys=True, ensure_ascii=True)
    return (text + "\n").encode("ascii")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the Grafana dashboard of mmbot.")
    parser.add_argument("--check", action="store_true", help="exit 1 if the JSON is stale")
    args = parser.parse_args(argv)
    expected = dashboard_bytes()
    if not args.check:
        atomic_write_bytes(DASHBOARD_PATH, expected)
        print(f"[OK] wrote {DASHBOARD_PATH.name}")
        return 0
    if DASHBOARD_PATH.exists() and DASHBOARD_PATH.read_bytes() == expected:
        print(f"[OK] {DASHBOARD_PATH.name} matches the catalogue")
        return 0
    print(f"E_MON_DASHBOARD_STALE: {DASHBOARD_PATH.name} differs from the catalogue; run {RUN}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
