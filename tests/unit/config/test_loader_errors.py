"""Every bad config gets one E_CFG_* line naming key, value and expectation (table-driven)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmbot.config import load_config
from mmbot.core.errors import ConfigError

pytestmark = pytest.mark.selected
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "config"

CASES = [
    ("bad_malformed.yaml", "E_CFG_YAML", "key=<document> value=\"line 3 column 1: expected ','"),
    ("bad_duplicate_key.yaml", "E_CFG_YAML", "duplicate key 'max_position_usd'"),
    ("bad_not_mapping.yaml", "E_CFG_NOT_MAPPING", "key=<document>"),
    (
        "bad_type.yaml",
        "E_CFG_TYPE",
        'key=risk.max_position_usd value="ten thousand" expected=float',
    ),
    ("bad_int_type.yaml", "E_CFG_TYPE", "key=strategy.order_qty_lots value=2.5 expected=int"),
    ("bad_range.yaml", "E_CFG_RANGE", "key=risk.max_position_usd value=-5.0 expected=>0.0"),
    (
        "bad_unknown_key.yaml",
        "E_CFG_UNKNOWN_KEY",
        "key=risk.max_postion_usd value=2000.0 "
        "expected=no such key (did you mean max_position_usd?)",
    ),
    ("bad_enum.yaml", "E_CFG_ENUM", 'key=strategy.model value="martingale" expected=one of'),
    (
        "bad_rule.yaml",
        "E_CFG_RULE",
        "key=risk.max_skew_usd value=2000.0 expected=<=max_position_usd(1000.0)",
    ),
    ("bad_tiers.yaml", "E_CFG_RULE", "key=fees.tiers.1.min_volume_30d_usd value=0.0"),
    (
        "bad_legacy_bias_cap.yaml",
        "E_CFG_LEGACY_KEY",
        "key=strategy.signals.bias_cap value=0.2 expected=strategy.signals.impact_cap_pct",
    ),
    ("bad_legacy_fee_bias_cap.yaml", "E_CFG_LEGACY_KEY", "key=fees.fee_bias_cap value=1.0"),
    ("bad_legacy_fee_bias_cap_bps.yaml", "E_CFG_LEGACY_KEY", "key=fee_bias_cap_bps value=2.0"),
]


@pytest.mark.parametrize(("fixture", "code", "fragment"), CASES)
def test_load_config_bad_fixture_one_line_error(fixture: str, code: str, fragment: str) -> None:
    path = FIXTURES / fixture
    with pytest.raises(ConfigError) as info:
        load_config(path, {})
    line = info.value.line()
    assert line.startswith(f"{code}: ")
    assert fragment in line
    assert line.endswith(f"file={path}")
    assert "\n" not in line and line.isascii()
    assert info.value.exit_code == 2


def test_load_config_missing_file_error() -> None:
    with pytest.raises(ConfigError) as info:
        load_config("/nonexistent/mm.yaml", {})
    assert info.value.line() == (
        'E_CFG_FILE_MISSING: key=config_path value="/nonexistent/mm.yaml" '
        "expected=an existing YAML file file=/nonexistent/mm.yaml"
    )


def test_load_config_unknown_profile_error() -> None:
    with pytest.raises(ConfigError) as info:
        load_config(None, {"MM_PROFILE": "econ_reckless"})
    assert info.value.line() == (
        'E_CFG_PROFILE_UNKNOWN: key=MM_PROFILE value="econ_reckless" '
        "expected=one of econ_aggressive,econ_moderate"
    )


def test_load_config_bad_env_error() -> None:
    with pytest.raises(ConfigError) as info:
        load_config(None, {"MM_ENV": "production"})
    assert info.value.line() == (
        'E_CFG_ENV: key=MM_ENV value="production" expected=one of dev,shadow,canary,prod'
    )


def test_load_config_legacy_key_in_profile_rejected(tmp_path: Path) -> None:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "old.yaml").write_text("alloc:\n  bias_cap: 1\n")
    with pytest.raises(ConfigError, match=r"^E_CFG_LEGACY_KEY: key=alloc\.bias_cap "):
        load_config(None, {"MM_PROFILE": "old"}, profiles_dir=profiles)


def test_load_config_several_errors_reports_first_and_count(tmp_path: Path) -> None:
    path = tmp_path / "two.yaml"
    path.write_text("risk:\n  max_position_usd: -1.0\n  orders_per_s: -2.0\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, {})
    assert info.value.line().startswith("E_CFG_RANGE: key=risk.max_position_usd")
    assert "more_errors=1" in info.value.line()
