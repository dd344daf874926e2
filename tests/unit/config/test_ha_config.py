"""The `ha` section: the leader lease's timing from the config (docs/HA.md), checked up front,
and absent from the canonical dump unless given (every existing config's sha256 stands)."""

from __future__ import annotations

from typing import Any

import pytest

from mmbot.cli.run_cmd import _ha_options
from mmbot.config import EMBEDDED, HaConfig, load_config, validate_document
from mmbot.core.errors import ConfigError
from mmbot.ha import LeaseConfig
from mmbot.node.systems import Mode


def _error(document: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        validate_document(document, EMBEDDED)
    line = caught.value.line()
    assert "\n" not in line and line.isascii() and line.startswith("E_CFG_")
    return line


@pytest.mark.parametrize(
    ("ha", "fragment"),
    [
        ({"ttl_ms": 3000, "renew_ms": 2500}, "key=ha.renew_ms value=2500 expected=< ttl_ms - "
                                              "margin_ms = 2500"),  # exactly at the limit
        ({"ttl_ms": 0}, "key=ha.ttl_ms value=0"),
        ({"margin_ms": 0}, "key=ha.margin_ms value=0"),
        ({"lease_ms": 10}, "E_CFG_UNKNOWN_KEY: key=ha.lease_ms"),
    ],
)  # fmt: skip
def test_bad_ha_timing_is_one_line_naming_the_key(ha: dict[str, int], fragment: str) -> None:
    assert fragment in _error({"ha": ha})


def test_ha_timing_one_below_the_limit_is_valid_and_reaches_the_lease() -> None:
    config = validate_document({"ha": {"ttl_ms": 3000, "renew_ms": 2499}}, EMBEDDED)
    assert config.ha == HaConfig(ttl_ms=3000, renew_ms=2499, margin_ms=500)
    options = _ha_options(Mode.live_sim, "sqlite:/tmp/l.db", "a", False, config.ha)
    assert options is not None and options.config == LeaseConfig(3000, 2499, 500)


def test_without_ha_the_lease_has_its_defaults_and_the_dump_no_ha_key() -> None:
    effective = load_config(None, {})
    assert effective.config.ha is None
    assert '"ha"' not in effective.describe().text
    options = _ha_options(Mode.live_sim, "sqlite:/tmp/l.db", "a", False, None)
    assert options is not None and options.config == LeaseConfig()
    given = validate_document({"ha": {"ttl_ms": 4000}}, EMBEDDED)
    assert given.ha is not None and given.ha.ttl_ms == 4000
