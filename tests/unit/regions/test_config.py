"""configs/regions.yaml validation: every bad document gets one E_REGION_* line naming key,
value and expectation (table-driven); the shipped config and the fixture's load."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.unit.regions.region_runs import REGIONS_CONFIG

from mmbot.core.errors import ConfigError
from mmbot.regions import load_regions

REPO_ROOT = Path(__file__).resolve().parents[3]
Edit = Callable[[dict[str, Any]], None]


def _base() -> dict[str, Any]:
    return yaml.safe_load(REGIONS_CONFIG.read_text())


def _set(dotted: str, value: object) -> Edit:
    """Return an edit setting the value at a dotted key (list items by index)."""

    def edit(document: dict[str, Any]) -> None:
        *parents, last = dotted.split(".")
        node: Any = document
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return edit


def _drop(dotted: str) -> Edit:
    def edit(document: dict[str, Any]) -> None:
        *parents, last = dotted.split(".")
        node: Any = document
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        del node[last]

    return edit


def _duplicate_first_region(document: dict[str, Any]) -> None:
    document["regions"].append(copy.deepcopy(document["regions"][0]))


CASES: list[tuple[str, Edit, str, str]] = [
    ("enabled a string", _set("regions.1.enabled", "yes"), "E_REGION_TYPE",
     'key=regions.1.enabled value="yes" expected=bool'),
    ("enabled an int", _set("regions.0.enabled", 1), "E_REGION_TYPE",
     "key=regions.0.enabled value=1 expected=bool"),
    ("duplicate name", _duplicate_first_region, "E_REGION_DUPLICATE_NAME",
     'key=regions.5.name value="ap-northeast-1" expected=unique name (regions.0 has it)'),
    ("missing endpoint", _drop("regions.2.endpoint"), "E_REGION_MISSING_KEY",
     "key=regions.2.endpoint value={...} expected=a value"),
    ("missing thresholds", _drop("thresholds"), "E_REGION_MISSING_KEY",
     "key=thresholds value={...} expected=a value"),
    ("unknown key", _set("regions.0.latency", 3.0), "E_REGION_UNKNOWN_KEY",
     "key=regions.0.latency value=3.0 expected=no such key"),
    ("URL without scheme", _set("regions.0.endpoint", "fstream.binance.com/ws"), "E_REGION_URL",
     'key=regions.0.endpoint value="fstream.binance.com/ws" expected=an https:// or wss://'),
    ("URL of another scheme", _set("regions.3.endpoint", "ftp://venue.example"), "E_REGION_URL",
     'key=regions.3.endpoint value="ftp://venue.example"'),
    ("URL without host", _set("regions.0.endpoint", "https:///ws"), "E_REGION_URL",
     'value="https:///ws"'),
    ("URL with a bad port", _set("regions.0.endpoint", "wss://venue.example:99999/ws"),
     "E_REGION_URL", 'value="wss://venue.example:99999/ws"'),
    ("name with spaces", _set("regions.4.name", "US East"), "E_REGION_NAME",
     'key=regions.4.name value="US East" expected=lowercase letters and digits joined by'),
    ("name with a path", _set("regions.4.name", "../us-east-1"), "E_REGION_NAME",
     'value="../us-east-1"'),
    ("negative latency", _set("regions.0.latency_ms", -1.0), "E_REGION_RANGE",
     "key=regions.0.latency_ms value=-1.0 expected=>=0"),
    ("no region", _set("regions", []), "E_REGION_RANGE",
     "key=regions value=[...] expected=at least 1 item(s)"),
    ("fill rate above 1", _set("thresholds.min_fill_rate", 1.5), "E_REGION_RANGE",
     "key=thresholds.min_fill_rate value=1.5 expected=<=1"),
    ("latency threshold a string", _set("thresholds.max_latency_p95_ms", "50ms"),
     "E_REGION_TYPE", 'key=thresholds.max_latency_p95_ms value="50ms" expected=float'),
    ("day not a weekday", _set("change_window.days_utc", ["mon", "monday"]), "E_REGION_ENUM",
     'key=change_window.days_utc.1 value="monday" expected=one of mon,tue,wed,thu,fri,sat,sun'),
    ("day repeated", _set("change_window.days_utc", ["mon", "tue", "mon"]), "E_REGION_WINDOW",
     'key=change_window.days_utc.2 value="mon" expected=each day at most once'),
    ("window start not before end", _set("change_window.start_hour_utc", 10), "E_REGION_WINDOW",
     "key=change_window.start_hour_utc value=10 expected=<end_hour_utc(10)"),
    ("hour out of range", _set("change_window.end_hour_utc", 25), "E_REGION_RANGE",
     "key=change_window.end_hour_utc value=25 expected=<=24"),
    ("cooldown negative", _set("cooldown_hours", -1.0), "E_REGION_RANGE",
     "key=cooldown_hours value=-1.0 expected=>=0"),
    ("freshness zero", _set("compare_max_age_hours", 0.0), "E_REGION_RANGE",
     "key=compare_max_age_hours value=0.0 expected=>0"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "edit", "code", "fragment"), CASES, ids=[c[0] for c in CASES])
def test_load_regions_bad_document_one_line_error(
    tmp_path: Path, case: str, edit: Edit, code: str, fragment: str
) -> None:
    document = _base()
    edit(document)
    path = tmp_path / "regions.yaml"
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(ConfigError) as info:
        load_regions(path)
    line = info.value.line()
    assert line.startswith(f"{code}: "), line
    assert fragment in line, line
    assert line.endswith(f" file={path}")
    assert "\n" not in line and line.isascii()
    assert info.value.exit_code == 2


def test_load_regions_duplicate_yaml_key_refused_by_the_config_reader(tmp_path: Path) -> None:
    path = tmp_path / "regions.yaml"
    path.write_text(REGIONS_CONFIG.read_text() + "cooldown_hours: 1.0\n")
    with pytest.raises(ConfigError) as info:
        load_regions(path)
    assert info.value.line().startswith("E_CFG_YAML: ")
    assert "duplicate key 'cooldown_hours'" in info.value.line()


def test_load_regions_missing_file_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_regions(tmp_path / "nope.yaml")
    assert info.value.line().startswith("E_CFG_FILE_MISSING: key=regions_config ")


@pytest.mark.parametrize("path", [REPO_ROOT / "configs" / "regions.yaml", REGIONS_CONFIG])
def test_load_regions_shipped_and_fixture_configs_load(path: Path) -> None:
    loaded = load_regions(path)
    names = [region.name for region in loaded.config.regions]
    assert len(names) == len(set(names)) >= 2
    assert any(not region.enabled for region in loaded.config.regions)
    assert len(loaded.sha256) == 64


def test_load_regions_sha256_follows_the_file_bytes(tmp_path: Path) -> None:
    path = tmp_path / "regions.yaml"
    path.write_text(REGIONS_CONFIG.read_text())
    first = load_regions(path).sha256
    path.write_text(REGIONS_CONFIG.read_text() + "# a comment changes the bytes\n")
    assert load_regions(path).sha256 != first
