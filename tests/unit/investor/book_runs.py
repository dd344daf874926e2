"""Test helper: two hand-made runs of the example book over a month end, worked by hand.

run-a (BTCUSDT, glft): buys 1 at 100 on Jan 31 10:00 (rebate 0.01), the mid dips to 99 at
12:00 (equity -0.99: the drawdown) and ends the month at 101 (equity 1.01); sells 1 at 102 on
Feb 1 10:00 (rebate 0.01): net 2.02, of which 1.01 in January and 1.01 in February.
run-b (ETHUSDT, fixed_spread): buys 10 at 10 on Feb 2 01:00 (no fee), marked at 10.2: net 2.0.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

from tests.unit.finops.handmade import H, S, fill, run_cli_app, write_run

from mmbot.config import EffectiveConfig, load_config

REPO_ROOT: Final = Path(__file__).resolve().parents[3]
CONFIG: Final = REPO_ROOT / "configs" / "portfolio_example.yaml"
DOCS: Final = REPO_ROOT / "docs"
JAN31: Final = 1_706_659_200 * S  # 2024-01-31T00:00:00Z
FEB1: Final = JAN31 + 24 * H
FEB2: Final = FEB1 + 24 * H
AT: Final = "2026-01-01T00:00:00Z"
NET_USD: Final = 2.02 + 2.0
MAX_DRAWDOWN_USD: Final = 0.99


def book_config() -> EffectiveConfig:
    """Return the example book's config as the runs were made with it (no MM_* set)."""
    return load_config(CONFIG, {key: value for key, value in os.environ.items()
                                if not key.startswith("MM_")})  # fmt: skip


def write_book_runs(folder: Path, config_sha256: str | None = None) -> Path:
    """Write run-a and run-b into folder (recording config_sha256, default the book's)."""
    sha = config_sha256 or book_config().describe().sha256
    write_run(folder / "run-a", [
        fill(JAN31 + 10 * H, "BTCUSDT", "glft", 1, 100.0, 1.0, -0.01, "1"),
        fill(FEB1 + 10 * H, "BTCUSDT", "glft", -1, 102.0, 1.0, -0.01, "2"),
    ], {"BTCUSDT": [(JAN31 + 9 * H, 100.0), (JAN31 + 12 * H, 99.0), (JAN31 + 23 * H, 101.0),
                    (FEB1 + 10 * H, 102.0), (FEB1 + 12 * H, 102.0)]}, sha)  # fmt: skip
    write_run(folder / "run-b", [
        fill(FEB2 + H, "ETHUSDT", "fixed_spread", 1, 10.0, 10.0, 0.0, "1"),
    ], {"ETHUSDT": [(FEB2, 10.0), (FEB2 + 2 * H, 10.2)]}, sha)  # fmt: skip
    return folder


def make_package(runs: Path, out: Path, config: Path = CONFIG) -> Path:
    """Write the investor package of runs into out (--at pinned to AT) and return out."""
    args = ("--runs", str(runs), "-c", str(config), "--docs", str(DOCS), "--out", str(out))
    assert run_cli_app("investor", "package", *args, "--at", AT) == 0
    return out
