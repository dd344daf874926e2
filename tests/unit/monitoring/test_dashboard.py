"""The Grafana dashboard: built from the catalogue, deterministic, valid PromQL, tidy grid."""

from __future__ import annotations

import json
from itertools import combinations
from pathlib import Path

import pytest
from monitoring.grafana import build_dashboard
from tests.unit.monitoring._monitoring import (
    DASHBOARD,
    load_dashboard,
    needs_promtool,
    panel_exprs,
    promtool,
)

from mmbot.obs.catalog import METRICS

GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$symbol": ".*", "$strategy": ".*"}


def test_dashboard_json_is_what_the_generator_builds() -> None:
    assert DASHBOARD.read_bytes() == build_dashboard.dashboard_bytes()


def test_generator_check_reports_a_stale_dashboard(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = tmp_path / "mm_bot.json"
    stale.write_bytes(DASHBOARD.read_bytes().replace(b'"quotes_placed_total', b'"quotes_total'))
    monkeypatch.setattr(build_dashboard, "DASHBOARD_PATH", stale)
    assert build_dashboard.main(["--check"]) == 1
    assert capsys.readouterr().out.startswith("E_MON_DASHBOARD_STALE: mm_bot.json differs")
    assert build_dashboard.main([]) == 0
    assert build_dashboard.main(["--check"]) == 0
    assert stale.read_bytes() == DASHBOARD.read_bytes()


def test_dashboard_json_has_sorted_keys_and_unique_ids() -> None:
    text = DASHBOARD.read_text()
    dashboard = json.loads(text)
    assert text == json.dumps(dashboard, indent=2, sort_keys=True, ensure_ascii=True) + "\n"
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))


def test_panel_ids_do_not_move_when_a_metric_is_added(monkeypatch: pytest.MonkeyPatch) -> None:
    before = {p["title"]: p["id"] for p in build_dashboard.build_dashboard()["panels"]}
    extra = METRICS[0].__class__("aaa_new_total", "counter", ("symbol",), "new")
    monkeypatch.setattr(build_dashboard, "METRICS", (extra, *METRICS))
    after = {p["title"]: p["id"] for p in build_dashboard.build_dashboard()["panels"]}
    assert {title: after[title] for title in before} == before


def test_dashboard_reads_prometheus_by_uid_variable_and_filters_symbol_and_strategy() -> None:
    dashboard = load_dashboard()
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    assert {"symbol", "strategy"} <= variables.keys()
    by_title = {panel["title"]: panel for panel in dashboard["panels"]}
    for spec in METRICS:
        title = f"{spec.name} per second" if spec.type == "counter" else spec.name
        panel = by_title[title]
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        for target in panel["targets"]:
            for label in ("symbol", "strategy"):
                assert (f'{label}=~"${label}"' in target["expr"]) == (label in spec.labels)


def test_panels_fill_the_grid_without_overlapping() -> None:
    boxes = [panel["gridPos"] for panel in load_dashboard()["panels"]]
    assert all(box["x"] + box["w"] <= 24 for box in boxes)
    for a, b in combinations(boxes, 2):
        apart_x = a["x"] + a["w"] <= b["x"] or b["x"] + b["w"] <= a["x"]
        apart_y = a["y"] + a["h"] <= b["y"] or b["y"] + b["h"] <= a["y"]
        assert apart_x or apart_y, f"panels overlap: {a} {b}"


def _without_grafana_variables(expr: str) -> str:
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    return expr


@needs_promtool
def test_every_dashboard_query_is_valid_promql(tmp_path: Path) -> None:
    exprs = [expr for exprs in panel_exprs(load_dashboard()).values() for expr in exprs]
    rules = [
        {"record": f"dashboard_query_{index}", "expr": _without_grafana_variables(expr)}
        for index, expr in enumerate(exprs)
    ]
    planted = tmp_path / "dashboard.rules.yml"
    planted.write_text(json.dumps({"groups": [{"name": "dashboard", "rules": rules}]}))
    result = promtool("check", "rules", str(planted))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(exprs)} rules found" in result.stdout
