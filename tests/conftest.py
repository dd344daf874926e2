"""Shared test fixtures: repo root and golden-file comparison."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
GOLDEN_DIR = REPO_ROOT / "tests" / "golden"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="Rewrite tests/golden/* from the current output instead of comparing.",
    )


@pytest.fixture(autouse=True)
def _metrics_on_any_free_port(monkeypatch: pytest.MonkeyPatch) -> None:
    """`mmbot run` serves metrics on 127.0.0.1:9108 by default; tests that run it (several,
    some at once) take any free port instead."""
    monkeypatch.setenv("MM_METRICS_PORT", "0")


@pytest.fixture
def repo_root() -> Path:
    """Return the repository root."""
    return REPO_ROOT


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[str, bytes], None]:
    """Return check(name, data): data must equal tests/golden/<name> byte for byte.

    With --update-golden the file is rewritten instead (commit it on its own, saying why).
    """
    update = bool(request.config.getoption("--update-golden"))

    def check(name: str, data: bytes) -> None:
        path = GOLDEN_DIR / name
        if update:
            from mmbot.artifacts import atomic_write_bytes

            atomic_write_bytes(path, data)
            return
        assert path.exists(), f"missing golden {path}; run pytest --update-golden on purpose"
        expected = path.read_bytes()
        assert data == expected, f"{name} differs from the golden (byte-for-byte)"

    return check
