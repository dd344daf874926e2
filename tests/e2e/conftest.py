"""Fixtures of the end-to-end tests: the CLI-written fixture market, the CLI's environment."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from _cli import REPO_ROOT, clean_env, mmbot

FIXTURE_ALT_SEED, FIXTURE_ALT_EVENTS = 7, 300_000


@pytest.fixture(scope="session")
def fixture_alt_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the backtest fixtures' data, written once through the CLI:
    `mmbot data synth --preset fixture_alt --seed 7 --events 300000` (docs/FIXTURES.md)."""
    path = tmp_path_factory.mktemp("fixture_alt") / "alt.parquet"
    result = mmbot(
        "data", "synth", "--preset", "fixture_alt", "--seed", str(FIXTURE_ALT_SEED),
        "--events", str(FIXTURE_ALT_EVENTS), "--out", str(path),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "RESULT=OK"
    return path


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Give this process `_cli.mmbot`'s environment (clean_env(), the repo root as working
    directory) for `run_cli`; return monkeypatch to set a case's own variables."""
    kept = clean_env()
    for key in [k for k in os.environ if k not in kept]:
        monkeypatch.delenv(key)
    monkeypatch.chdir(REPO_ROOT)
    return monkeypatch
