"""Every series an alert, a recording rule or a dashboard query reads is one mmbot exports."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from tests.unit.monitoring._monitoring import (
    RULES,
    exported_names,
    load_dashboard,
    load_rules,
    metric_names,
    metrics_without_panel,
    panel_exprs,
    recorded_names,
    unknown_names,
    unknown_rule_names,
    variable_exprs,
)


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ("increase(pos_skew_breach_total[10m]) > 0", {"pos_skew_breach_total"}),
        (
            'order_age_ms_count - ignoring (le) order_age_ms_bucket{le=~"5000(\\\\.0)?"}',
            {"order_age_ms_count", "order_age_ms_bucket"},
        ),
        (
            'sum by (symbol, strategy) (rate(fills_total{symbol=~"$symbol"}[$__rate_interval]))',
            {"fills_total"},
        ),
        (
            "effective_fee_bps_now - effective_fee_bps_now offset 15m > 0.4",
            {"effective_fee_bps_now"},
        ),
        (
            'label_replace(latency_ms_p95_blue, "colour", "blue", "", "") > 350 or pnl_usd',
            {"latency_ms_p95_blue", "pnl_usd"},
        ),
        (
            "cost_fillrate_ewma < 5e-2 and on (symbol) quotes_placed_total",
            {"cost_fillrate_ewma", "quotes_placed_total"},
        ),
        (
            "position_usd / on (symbol) group_left (strategy) position_lots",
            {"position_usd", "position_lots"},
        ),
        ("sum without (instance) (up) == bool 0", {"up"}),
    ],
)
def test_metric_names_keeps_series_drops_functions_labels_and_keywords(
    expr: str, names: set[str]
) -> None:
    assert metric_names(expr) == names


def test_exported_names_spell_the_histogram_by_its_series() -> None:
    exported = exported_names()
    assert {"order_age_ms_bucket", "order_age_ms_sum", "order_age_ms_count"} <= exported
    assert "order_age_ms" not in exported
    assert "quotes_placed_total" in exported


def test_rules_read_only_exported_or_recorded_series() -> None:
    assert unknown_rule_names(RULES) == {}


@pytest.mark.parametrize(
    ("expr", "unknown"),
    [
        ("increase(pos_skew_breaches_total[10m]) > 0", {"pos_skew_breaches_total"}),
        ("order_age_ms > 5000", {"order_age_ms"}),
        ("rate(quotes_placed[5m]) > 0 and canary_gate_open == 1", {"quotes_placed"}),
    ],
)
def test_planted_rule_with_an_unknown_metric_fails_the_name_check(
    tmp_path: Path, expr: str, unknown: set[str]
) -> None:
    planted = tmp_path / "bad.rules.yml"
    planted.write_text(
        f"groups:\n  - name: planted\n    rules:\n      - alert: Planted\n        expr: '{expr}'\n"
    )
    assert unknown_rule_names(planted) == {expr: unknown}


def test_dashboard_queries_read_only_exported_or_recorded_series() -> None:
    dashboard = load_dashboard()
    known = exported_names() | recorded_names(load_rules())
    exprs = [expr for exprs in panel_exprs(dashboard).values() for expr in exprs]
    assert unknown_names([*exprs, *variable_exprs(dashboard)], known) == {}
    assert all(metric_names(expr) for expr in exprs), "a panel query reads no series"
    assert variable_exprs(dashboard), "the symbol/strategy variables read no series"


def test_every_catalogue_metric_has_a_dashboard_panel() -> None:
    assert metrics_without_panel(load_dashboard()) == []


def test_coverage_check_names_a_metric_whose_panel_is_gone() -> None:
    dashboard = copy.deepcopy(load_dashboard())
    dashboard["panels"] = [p for p in dashboard["panels"] if p["title"] != "order_age_ms"]
    assert metrics_without_panel(dashboard) == ["order_age_ms"]
