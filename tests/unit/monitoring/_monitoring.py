"""Readers and checks over monitoring/: rule files, the dashboard, runbook anchors, promtool.

The metric-name check parses PromQL crudely, on purpose: it drops strings, label matchers,
ranges and label lists, then keeps every identifier not followed by `(` (a function) and not
a keyword. What remains are the series names a query reads.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import yaml

from mmbot.obs.catalog import METRICS

REPO_ROOT = Path(__file__).resolve().parents[3]
MONITORING = REPO_ROOT / "monitoring"
RULES = MONITORING / "alerts" / "mm_bot.rules.yml"
RULES_TEST = MONITORING / "alerts" / "mm_bot.rules.test.yml"
DASHBOARD = MONITORING / "grafana" / "mm_bot.json"
OBSERVABILITY_DOC = REPO_ROOT / "docs" / "OBSERVABILITY.md"

HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")
# Series Prometheus itself writes for every target.
SCRAPE_SERIES = frozenset({"up"})
SEVERITIES = frozenset({"page", "ticket"})

needs_promtool = pytest.mark.skipif(
    shutil.which("promtool") is None,
    reason="promtool not installed (Debian package prometheus; .ci/run installs it)",
)
needs_amtool = pytest.mark.skipif(
    shutil.which("amtool") is None,
    reason="amtool not installed (Debian package prometheus-alertmanager; .ci/run installs it)",
)

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_MATCHERS_OR_RANGE = re.compile(r"\{[^}]*\}|\[[^\]]*\]")
_LABEL_LIST = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
# Not after a word character, `.` or `$` (a number's exponent, a duration's unit, a Grafana
# variable); not followed by `(` (a function).
_IDENTIFIER = re.compile(r"(?<![\w:.$])[A-Za-z_:][\w:]*(?![\w:])(?!\s*\()")
_KEYWORDS = frozenset(
    {"and", "or", "unless", "atan2", "bool", "offset", "group_left", "group_right", "inf", "nan"}
)
_LABEL_VALUES = re.compile(r"label_values\(\s*([^,)]+),")


def metric_names(expr: str) -> set[str]:
    """Return the series names a PromQL expression reads."""
    bare = _LABEL_LIST.sub(" ", _MATCHERS_OR_RANGE.sub(" ", _STRING.sub('""', expr)))
    return {name for name in _IDENTIFIER.findall(bare) if name.lower() not in _KEYWORDS}


def exported_names() -> set[str]:
    """Return every series name the exporter serves (a histogram's under its suffixes)."""
    names: set[str] = set()
    for spec in METRICS:
        suffixes = HISTOGRAM_SUFFIXES if spec.type == "histogram" else ("",)
        names.update(spec.name + suffix for suffix in suffixes)
    return names


def load_rules(path: Path = RULES) -> list[dict[str, Any]]:
    """Return every rule of a Prometheus rule file, recording and alerting."""
    document = yaml.safe_load(path.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def alert_rules(path: Path = RULES) -> list[dict[str, Any]]:
    return [rule for rule in load_rules(path) if "alert" in rule]


def recorded_names(rules: Iterable[dict[str, Any]]) -> set[str]:
    return {rule["record"] for rule in rules if "record" in rule}


def unknown_names(exprs: Iterable[str], known: set[str]) -> dict[str, set[str]]:
    """Return {expr: names it reads that are not in known}, for the exprs with any."""
    unknown = {expr: metric_names(expr) - known for expr in exprs}
    return {expr: names for expr, names in unknown.items() if names}


def unknown_rule_names(path: Path) -> dict[str, set[str]]:
    """Return the names each rule of `path` reads that nothing exports or records."""
    rules = load_rules(path)
    known = exported_names() | SCRAPE_SERIES | recorded_names(load_rules()) | recorded_names(rules)
    return unknown_names((rule["expr"] for rule in rules), known)


def load_dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return loaded


def panel_exprs(dashboard: dict[str, Any]) -> dict[str, list[str]]:
    """Return {panel title: its queries} for every panel with queries."""
    return {
        panel["title"]: [target["expr"] for target in panel["targets"]]
        for panel in dashboard["panels"]
        if panel.get("targets")
    }


def variable_exprs(dashboard: dict[str, Any]) -> list[str]:
    """Return the series selectors of the dashboard's label_values(...) variables."""
    queries = [
        variable["query"]["query"]
        for variable in dashboard["templating"]["list"]
        if variable["type"] == "query"
    ]
    return [match.group(1) for query in queries for match in _LABEL_VALUES.finditer(query)]


def markdown_anchors(text: str) -> set[str]:
    """Return the anchors GitHub gives the headings of a Markdown text (not in code blocks)."""
    anchors, in_code = set(), False
    for line in text.splitlines():
        in_code ^= line.startswith("```")
        if line.startswith("#") and not in_code:
            heading = line.lstrip("#").strip().lower()
            anchors.add(re.sub(r"[^a-z0-9 _-]", "", heading).replace(" ", "-"))
    return anchors


def runbook_problems(rules: Iterable[dict[str, Any]], doc_text: str) -> list[str]:
    """Return one line per alert without a severity, a summary or a runbook that resolves."""
    anchors = markdown_anchors(doc_text)
    problems = []
    for rule in rules:
        name, runbook = rule["alert"], rule.get("annotations", {}).get("runbook", "")
        if rule.get("labels", {}).get("severity") not in SEVERITIES:
            problems.append(f"{name}: severity not one of {sorted(SEVERITIES)}")
        if not rule.get("annotations", {}).get("summary"):
            problems.append(f"{name}: no summary")
        doc, _, anchor = runbook.partition("#")
        if doc != "docs/OBSERVABILITY.md" or anchor not in anchors:
            problems.append(f"{name}: runbook {runbook!r} names no heading of {doc or 'a doc'}")
    return problems


def promtool(*args: str, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["promtool", *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )


def metrics_without_panel(dashboard: dict[str, Any]) -> list[str]:
    """Return the catalogue metrics no dashboard panel reads (a histogram by its suffixes)."""
    read = set().union(*(metric_names(e) for es in panel_exprs(dashboard).values() for e in es))
    return [
        spec.name
        for spec in METRICS
        if not read & {spec.name, *(spec.name + suffix for suffix in HISTOGRAM_SUFFIXES)}
    ]
