"""The switch and rollout plans: steps, each check true and false, the printed lines (pure)."""

from __future__ import annotations

import json

import pytest
from tests.unit.regions.region_runs import REGIONS_CONFIG

from mmbot.regions import (
    ChangeFacts,
    CompareFacts,
    RegionConfig,
    RegionsConfig,
    load_regions,
    parse_utc,
    rollout_plan,
    switch_plan,
)
from mmbot.regions.timing import NS_PER_HOUR


def _at(text: str) -> int:
    ts_ns = parse_utc(text)
    assert ts_ns is not None
    return ts_ns


MONDAY_7 = _at("2026-01-05T07:00:00Z")  # in the fixture's window (mon-thu, 06-10 UTC)
FIRST = ChangeFacts(active_region=None, last_change_ns=None, now_ns=MONDAY_7)
GOOD_COMPARE = CompareFacts(True, "c" * 64, MONDAY_7 - NS_PER_HOUR, True, "ap-northeast-1")


@pytest.fixture(scope="module")
def config() -> RegionsConfig:
    return load_regions(REGIONS_CONFIG).config


def _target(config: RegionsConfig, name: str = "ap-northeast-1") -> RegionConfig:
    region = config.region(name)
    assert region is not None
    return region


def test_switch_plan_first_change_all_checks_true(config: RegionsConfig) -> None:
    plan = switch_plan(config, _target(config), FIRST)
    assert plan.ok and plan.failed() == []
    assert plan.lines() == [
        "action=switch",
        "from=none",
        "to=ap-northeast-1",
        "to_endpoint=wss://fstream.binance.com/ws",
        "now_utc=2026-01-05T07:00:00Z",
        "window=mon,tue,wed,thu@06-10Z",
        "step1=start-canary:ap-northeast-1",
        "step2=verify-canary:ap-northeast-1",
        "step3=move-quoting:none->ap-northeast-1",
        "target_enabled=true",
        "target_not_active=true",
        "window_ok=true",
        "cooldown_ok=true",
        plan.json_line(),
        "PLAN=OK",
    ]


def test_plan_json_line_is_the_canonical_payload(config: RegionsConfig) -> None:
    facts = ChangeFacts("ap-southeast-1", MONDAY_7 - 30 * NS_PER_HOUR, MONDAY_7)
    plan = switch_plan(config, _target(config), facts)
    payload = json.loads(plan.json_line())
    assert payload == plan.payload()
    assert payload["from"] == "ap-southeast-1" and payload["compare_sha256"] is None
    assert payload["steps"][-1] == "stop-quoting:ap-southeast-1"
    assert payload["checks"] == {"cooldown_ok": True, "target_enabled": True,
                                 "target_not_active": True, "window_ok": True}  # fmt: skip
    assert plan.json_line() == json.dumps(payload, sort_keys=True, separators=(",", ":"))


@pytest.mark.parametrize(
    ("target", "facts", "failed"),
    [
        ("us-east-1", FIRST, ["target_enabled"]),
        ("ap-northeast-1", ChangeFacts("ap-northeast-1", None, MONDAY_7), ["target_not_active"]),
        ("ap-northeast-1", ChangeFacts(None, None, _at("2026-01-05T10:00:00Z")), ["window_ok"]),
        ("ap-northeast-1", ChangeFacts("eu-central-1", MONDAY_7 - NS_PER_HOUR, MONDAY_7),
         ["cooldown_ok"]),
    ],
)  # fmt: skip
def test_switch_plan_each_failing_check_blocks(
    config: RegionsConfig, target: str, facts: ChangeFacts, failed: list[str]
) -> None:
    plan = switch_plan(config, _target(config, target), facts)
    assert plan.failed() == failed
    assert not plan.ok and plan.lines()[-1] == "PLAN=BLOCKED"
    assert f"{failed[0]}=false" in plan.lines()


def test_rollout_plan_all_checks_true_and_records_the_compare(config: RegionsConfig) -> None:
    plan = rollout_plan(config, _target(config), FIRST, GOOD_COMPARE)
    assert [name for name, _ in plan.checks] == [
        "compare_present", "compare_fresh", "compare_deterministic", "winner_is_target",
        "target_enabled", "target_not_active", "window_ok", "cooldown_ok",
    ]  # fmt: skip
    assert plan.ok
    assert plan.payload()["compare_sha256"] == "c" * 64
    assert plan.steps[-1] == "record:journal+active-region"


@pytest.mark.parametrize(
    ("compare", "failed"),
    [
        (CompareFacts(present=False),
         ["compare_present", "compare_fresh", "compare_deterministic", "winner_is_target"]),
        (CompareFacts(True, "c" * 64, MONDAY_7 - 7 * NS_PER_HOUR, True, "ap-northeast-1"),
         ["compare_fresh"]),
        (CompareFacts(True, "c" * 64, MONDAY_7 + 1_000_000_000, True, "ap-northeast-1"),
         ["compare_fresh"]),
        (CompareFacts(True, "c" * 64, MONDAY_7, False, "ap-northeast-1"),
         ["compare_deterministic"]),
        (CompareFacts(True, "c" * 64, MONDAY_7, True, "ap-southeast-1"), ["winner_is_target"]),
        (CompareFacts(True, "c" * 64, MONDAY_7, True, None), ["winner_is_target"]),
    ],
)  # fmt: skip
def test_rollout_plan_each_failing_compare_check_blocks(
    config: RegionsConfig, compare: CompareFacts, failed: list[str]
) -> None:
    plan = rollout_plan(config, _target(config), FIRST, compare)
    assert plan.failed() == failed
    assert plan.payload()["status"] == "BLOCKED"
