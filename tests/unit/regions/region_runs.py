"""The region fixture: one real run folder per region of tests/fixtures/regions/regions.yaml,
built from seeds through the CLI (in this process: about half a second a run).

Real runs rather than hand-written folders, so `region compare` is tested on exactly what
`mmbot run --mode live-sim|shadow` writes. One synthetic market (`data synth --preset
fixture_alt --seed 7 --events 20000`), the backtest PASS fixture config with a different
simulated latency per region; sa-east-1 is a shadow run on the green colour.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

import pytest
import yaml
from tests.cli_runner import run_cli

REPO_ROOT: Final = Path(__file__).resolve().parents[3]
REGIONS_CONFIG: Final = REPO_ROOT / "tests" / "fixtures" / "regions" / "regions.yaml"
RUN_CONFIG: Final = REPO_ROOT / "configs" / "fixtures" / "backtest_pass.yaml"
SEED, EVENTS = 7, 20_000
# region -> (mode, simulated feed/entry/response latency in ms, deployment colour)
REGION_RUNS: Final = {
    "ap-northeast-1": ("live-sim", 2.0, "blue"),
    "ap-southeast-1": ("live-sim", 10.0, "blue"),
    "eu-central-1": ("live-sim", 40.0, "blue"),
    "sa-east-1": ("shadow", 10.0, "green"),
    "us-east-1": ("live-sim", 1.0, "blue"),
}
WINNER: Final = "ap-northeast-1"


def _run_config(folder: Path, region: str, latency_ms: float) -> Path:
    """Write the PASS fixture config with the region's simulated latency; return its path."""
    config = yaml.safe_load(RUN_CONFIG.read_text())
    latency = {"feed_ms": latency_ms, "entry_ms": latency_ms, "response_ms": latency_ms}
    config["sim"]["latency"].update(latency)
    path = folder / f"{region}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def make_region_runs(root: Path) -> Path:
    """Build the region fixture under root; return the runs folder (one folder per region)."""
    with pytest.MonkeyPatch.context() as patch:
        # A caller's MM_PROFILE or MM_CONFIG_PATH would change the runs' config.
        for key in [key for key in os.environ if key.startswith("MM_")]:
            patch.delenv(key)
        return _make_runs(root)


def _make_runs(root: Path) -> Path:
    data = root / "alt.parquet"
    synth = ("data", "synth", "--preset", "fixture_alt", "--seed", str(SEED),
             "--events", str(EVENTS), "--out", str(data))  # fmt: skip
    assert run_cli(*synth) == 0
    runs = root / "runs"
    for region, (mode, latency_ms, colour) in REGION_RUNS.items():
        config = _run_config(root, region, latency_ms)
        assert run_cli(
            "run", "--mode", mode, "--config", str(config), "--data", str(data),
            "--out", str(runs / region), "--speed", "max", "--quiet", "--metrics-port", "-1",
            "--colour", colour,
        ) == 0  # fmt: skip
    return runs


def copy_runs(runs: Path, dest: Path, regions: dict[str, str] | None = None) -> Path:
    """Copy what `region compare` reads of each run (report, metrics.prom) into dest; regions
    maps a destination folder to the fixture region it copies (default: every region)."""
    for target, source in (regions or {name: name for name in REGION_RUNS}).items():
        (dest / target).mkdir(parents=True)
        for name in ("live_sim.json", "shadow.json", "metrics.prom"):
            if (runs / source / name).is_file():
                (dest / target / name).write_bytes((runs / source / name).read_bytes())
    return dest
