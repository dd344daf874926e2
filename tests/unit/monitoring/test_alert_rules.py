"""The alert rules: promtool passes them, each has a tested case, a severity and a runbook."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml
from tests.unit.monitoring._monitoring import (
    MONITORING,
    OBSERVABILITY_DOC,
    RULES,
    RULES_TEST,
    alert_rules,
    load_rules,
    needs_amtool,
    needs_promtool,
    promtool,
    runbook_problems,
)

# Issue 14's list; the release checklist silences EffectiveFeeJump and CanaryGate by name.
ALERT_NAMES = {
    "PosSkewBreach",
    "IntradayCapsLatched",
    "EffectiveFeeJump",
    "CanaryGate",
    "StuckOrders",
    "FillRateCollapse",
    "LatencySLO",
    "BudgetExhausted",
    "LeaderFlapping",
    "ExporterDown",
}


@needs_promtool
def test_promtool_check_rules_passes() -> None:
    result = promtool("check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(load_rules())} rules found" in result.stdout


@needs_promtool
def test_promtool_test_rules_passes() -> None:
    result = promtool("test", "rules", str(RULES_TEST))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


@needs_promtool
def test_promtool_test_rules_fails_on_a_planted_regression(tmp_path: Path) -> None:
    # The brief's literal `> 1` pages on a single election (increase() extrapolates).
    rules = RULES.read_text()
    assert rules.count("increase(leader_elections_total[10m]) > 1.5") == 1
    (tmp_path / RULES.name).write_text(rules.replace("[10m]) > 1.5", "[10m]) > 1"))
    shutil.copy(RULES_TEST, tmp_path / RULES_TEST.name)
    result = promtool("test", "rules", RULES_TEST.name, cwd=tmp_path)
    assert result.returncode != 0
    assert "alertname: LeaderFlapping, time: 15m20s" in result.stdout + result.stderr


@needs_promtool
def test_prometheus_example_config_is_valid() -> None:
    result = promtool("check", "config", str(MONITORING / "prometheus.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 1 rule files found" in result.stdout


@needs_amtool
def test_alertmanager_example_config_is_valid() -> None:
    result = subprocess.run(
        ["amtool", "check-config", str(MONITORING / "alertmanager.yml")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_alert_names_are_the_ones_issue_14_lists() -> None:
    names = [rule["alert"] for rule in alert_rules()]
    assert sorted(names) == sorted(ALERT_NAMES)


def test_every_alert_has_severity_summary_and_a_runbook_section() -> None:
    assert runbook_problems(alert_rules(), OBSERVABILITY_DOC.read_text()) == []


def test_runbook_check_names_an_alert_whose_section_is_gone() -> None:
    doc = OBSERVABILITY_DOC.read_text().replace("### PosSkewBreach\n", "### Renamed\n")
    problems = runbook_problems(alert_rules(), doc)
    assert problems == [
        "PosSkewBreach: runbook 'docs/OBSERVABILITY.md#posskewbreach' names no heading of "
        "docs/OBSERVABILITY.md"
    ]


def test_every_rule_has_a_firing_and_a_quiet_promtool_case() -> None:
    tests = yaml.safe_load(RULES_TEST.read_text())["tests"]
    cases = [case for test in tests for case in test.get("alert_rule_test", [])]
    firing = {case["alertname"] for case in cases if case["exp_alerts"]}
    quiet = {case["alertname"] for case in cases if not case["exp_alerts"]}
    assert firing == ALERT_NAMES
    assert quiet == ALERT_NAMES
    checked = {case["expr"] for test in tests for case in test.get("promql_expr_test", [])}
    recorded = {rule["record"] for rule in load_rules() if "record" in rule}
    assert recorded <= checked


def _alerts_table(doc: str) -> dict[str, list[str]]:
    """Return {alert: [expression, for, severity, runbook]} from the docs' Alerts table."""
    rows = [line.strip().strip("|").split("|") for line in doc.splitlines() if line.startswith("|")]
    cells = [[cell.strip() for cell in row] for row in rows]
    return {row[0]: row[1:] for row in cells if row[0] in ALERT_NAMES}


def test_docs_alerts_table_matches_the_rules() -> None:
    table = _alerts_table(OBSERVABILITY_DOC.read_text())
    expected = {
        rule["alert"]: [
            f"`{' '.join(rule['expr'].split())}`",
            rule.get("for", "-"),
            rule["labels"]["severity"],
            f"[runbook](#{rule['alert'].lower()})",
        ]
        for rule in alert_rules()
    }
    assert table == expected


def test_docs_explain_the_recorded_checklist_series() -> None:
    doc = OBSERVABILITY_DOC.read_text()
    recording = doc.split("## Recording rules", 1)[1]
    for rule in load_rules():
        if "record" in rule:
            assert f"`{rule['record']}`" in recording
            assert f"`{rule['expr']}`" in recording
