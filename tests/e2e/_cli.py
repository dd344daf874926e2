"""Run the real `mmbot` CLI as a user does: a fresh interpreter, no MM_* from the caller."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def clean_env() -> dict[str, str]:
    """Return this process's environment without MM_* and RAY_ADDRESS (what a user's shell
    would not set for a test run: settings, keys and a Ray cluster to join)."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("MM_", "RAY_ADDRESS"))}
    return {**kept, "MM_METRICS_PORT": "0"}  # several runs at once: any free port each


def mmbot(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m mmbot args...` from the repo root; env adds to clean_env()."""
    return subprocess.run(
        [sys.executable, "-m", "mmbot", *args],
        capture_output=True, text=True, check=False, env={**clean_env(), **(env or {})},
        cwd=REPO_ROOT,
    )  # fmt: skip
