"""Release settings: embedded defaults, a file's overrides, one E_RELEASE_SETTINGS line."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmbot.core.errors import ConfigError
from mmbot.release import load_release_settings


def test_defaults_are_the_documented_ones() -> None:
    settings = load_release_settings(None)
    assert settings.rc.limits.latency_slo == 350.0
    assert settings.rc.limits.fees_sane == (-0.5, 2.0)
    assert settings.go_nogo.age_limit_h("soak") == 24.0
    assert settings.go_nogo.optional == ("latency_e2e",)
    assert settings.preflight.artifacts == ("artifacts/metrics.json",)


def test_a_file_overrides_only_what_it_names(tmp_path: Path) -> None:
    path = tmp_path / "release.yaml"
    path.write_text(
        "rc:\n  limits:\n    latency_slo: 300\n    fees_sane: [-1, 3]\n"
        "go_nogo:\n  max_age_h_by_report: {backtest: 72}\n  optional: [soak, region_compare]\n"
    )
    settings = load_release_settings(path)
    assert settings.rc.limits.latency_slo == 300.0
    assert settings.rc.limits.fees_sane == (-1.0, 3.0)
    assert settings.rc.limits.fill_rate == 0.05
    assert settings.go_nogo.age_limit_h("backtest") == 72.0
    assert settings.go_nogo.age_limit_h("metrics") == 24.0
    assert settings.go_nogo.optional == ("soak", "region_compare")


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("rc:\n  limits:\n    latency_slow: 300\n", "rc.limits.latency_slow"),
        ("go_nogo:\n  optional: [backtests]\n", "go_nogo.optional.0"),
        ("preflight:\n  max_artifact_age_h: -1\n", "preflight.max_artifact_age_h"),
        ("rc:\n  colour: red\n", "rc.colour"),
    ],
)
def test_a_bad_key_is_one_line_naming_it(tmp_path: Path, text: str, key: str) -> None:
    path = tmp_path / "release.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as raised:
        load_release_settings(path)
    line = raised.value.line()
    assert line.startswith(f"E_RELEASE_SETTINGS: key={key} value=")
    assert line.endswith(f"file={path}") and "\n" not in line
