from __future__ import annotations

import pytest

from mmbot.core import REGISTRY, ConfigError, MmError, SimClock, WallClock

pytestmark = pytest.mark.selected


def test_mm_error_unregistered_code_is_a_bug() -> None:
    with pytest.raises(ValueError, match="unregistered error code 'E_NOPE_NOTHING'"):
        MmError("E_NOPE_NOTHING", "x")


def test_mm_error_line_is_one_ascii_line() -> None:
    error = ConfigError("E_CFG_TYPE", 'key=a value="caf\u00e9\nx" expected=str')
    assert error.line() == 'E_CFG_TYPE: key=a value="caf\\xe9\\nx" expected=str'
    assert error.exit_code == 2


def test_registry_meanings_are_single_ascii_lines() -> None:
    for code, meaning in REGISTRY.items():
        assert code.startswith("E_") and meaning and meaning.isascii() and "\n" not in meaning


def test_sim_clock_refuses_to_go_backwards() -> None:
    clock = SimClock(100)
    clock.advance_to(100)
    clock.advance_to(250)
    assert clock.now_ns() == 250
    with pytest.raises(ValueError, match="cannot go backwards"):
        clock.advance_to(249)


def test_wall_clock_reads_epoch_ns() -> None:
    assert WallClock().now_ns() > 1_600_000_000 * 10**9
