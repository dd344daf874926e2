"""Where the real Binance USD-M recordings are: the shipped excerpt, and the full files.

The excerpt (tests/fixtures/binance_stream/, 90 s a symbol) is in git, so a fresh clone runs
the real-data tests on it. The full 8-minute recordings stay outside git, in
../shared/data/binance_usdm_2024-07-18/ beside the repository (CI has them); tests over them
are skipped, with FULL_SKIP_REASON, when they are missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
EXCERPT_DIR = REPO_ROOT / "tests" / "fixtures" / "binance_stream"
FULL_DIR = REPO_ROOT.parent / "shared" / "data" / "binance_usdm_2024-07-18"
SYMBOLS = ("BTCUSDT", "ETHUSDT")
FULL_DAYS = ("20240718", "20240719")
FULL_SKIP_REASON = (
    f"the full recordings are not at {FULL_DIR} (they stay outside git; CI has them): "
    "only the shipped 90-s excerpt was tested"
)


@dataclass(frozen=True, slots=True)
class Recording:
    """A recording of both symbols: each symbol's day files, in order."""

    name: str
    files: dict[str, list[Path]]


EXCERPT = Recording(
    "excerpt", {symbol: [EXCERPT_DIR / f"{symbol.lower()}_excerpt.gz"] for symbol in SYMBOLS}
)
FULL = Recording(
    "full",
    {symbol: [FULL_DIR / f"{symbol.lower()}_{day}.gz" for day in FULL_DAYS] for symbol in SYMBOLS},
)


def full_present() -> bool:
    """Return True when every file of the full recordings is there."""
    return all(path.is_file() for paths in FULL.files.values() for path in paths)


def recording_params() -> list[object]:
    """Return pytest params: the excerpt always, the full files or a visible skip."""
    skip_full = pytest.mark.skipif(not full_present(), reason=FULL_SKIP_REASON)
    return [
        pytest.param(EXCERPT, id="excerpt"),
        pytest.param(FULL, id="full", marks=[skip_full, pytest.mark.timeout(180)]),
    ]
