"""describe() is canonical and stable; profiles apply from MM_PROFILE; shipped configs are clean."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from mmbot.config import EMBEDDED, available_profiles, load_config
from mmbot.config.yaml_source import LEGACY_KEYS
from mmbot.regions.config import load_regions

pytestmark = pytest.mark.selected


def test_describe_same_config_same_bytes(repo_root: Path) -> None:
    example = repo_root / "configs" / "example.yaml"
    first = load_config(example, {}).describe()
    second = load_config(example, {}).describe()
    assert first == second
    assert first.sha256 == hashlib.sha256(first.text.encode("ascii")).hexdigest()
    assert first.text.endswith("}\n") and first.text.count("\n") == 1 and first.text.isascii()


def test_describe_key_order_and_style_do_not_matter(repo_root: Path) -> None:
    example = load_config(repo_root / "configs" / "example.yaml", {}).describe()
    reordered = load_config(
        repo_root / "tests" / "fixtures" / "config" / "reordered_partial.yaml", {}
    ).describe()
    assert example.text == reordered.text


def test_describe_keys_sorted_at_every_level(repo_root: Path) -> None:
    text = load_config(repo_root / "configs" / "example.yaml", {}).describe().text

    def check(node: object) -> None:
        if isinstance(node, dict):
            assert list(node) == sorted(node)
            for value in node.values():
                check(value)
        elif isinstance(node, list):
            for value in node:
                check(value)

    check(json.loads(text))


@pytest.mark.parametrize("profile", ["econ_moderate", "econ_aggressive"])
def test_profile_applied_from_env_validates_and_changes_dump(repo_root: Path, profile: str) -> None:
    example = repo_root / "configs" / "example.yaml"
    base = load_config(example, {})
    with_profile = load_config(example, {"MM_PROFILE": profile, "MM_ENV": "canary"})
    assert with_profile.profile == profile
    assert with_profile.env == "canary"
    assert with_profile.describe().sha256 != base.describe().sha256
    payload = json.loads(with_profile.describe().text)
    assert payload["profile"] == profile
    assert payload["env"] == "canary"


def test_econ_moderate_smooths_allocation_more_than_default(repo_root: Path) -> None:
    example = repo_root / "configs" / "example.yaml"
    base = load_config(example, {}).config.alloc
    moderate = load_config(example, {"MM_PROFILE": "econ_moderate"}).config.alloc
    assert moderate.smoothing > base.smoothing
    assert moderate.max_step_pct < base.max_step_pct


def test_config_path_from_env_and_flag_precedence(repo_root: Path) -> None:
    example = repo_root / "configs" / "example.yaml"
    from_env = load_config(None, {"MM_CONFIG_PATH": str(example)})
    assert from_env.source == str(example)
    assert load_config(None, {}).source == EMBEDDED
    flag_wins = load_config(example, {"MM_CONFIG_PATH": "/nonexistent.yaml"})
    assert flag_wins.source == str(example)


def test_shipped_profiles_listed() -> None:
    assert available_profiles() == ["econ_aggressive", "econ_moderate"]


def test_shipped_configs_have_no_legacy_keys(repo_root: Path) -> None:
    shipped = sorted((repo_root / "configs").rglob("*.yaml"))
    assert shipped, "no shipped configs found"
    for path in shipped:
        text = path.read_text()
        if path.name == "regions.yaml":  # the regions file: its own schema (docs/REGIONS.md)
            load_regions(path)
            continue
        for key in LEGACY_KEYS:
            assert f"{key}:" not in text, f"{path} holds legacy key {key}"
        load_config(path, {})
