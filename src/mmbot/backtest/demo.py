"""The main job on shipped defaults: synthesize a market, backtest it, audit the edge.

`make demo` runs this: a seeded synthetic alt-coin-like market (the `fixture_alt` preset), the
shipped fixture config (configs/fixtures/backtest_pass.yaml, or --config / MM_CONFIG_PATH),
the engine in backtest mode, then the edge audit of the run directory.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from mmbot import __version__
from mmbot.artifacts import utc_iso, write_json, write_text
from mmbot.backtest.edge_audit import write_edge_audit
from mmbot.backtest.run import run_backtest
from mmbot.config import EffectiveConfig, load_config, shipped_configs_dir
from mmbot.core.clock import Clock
from mmbot.data import preset, synthesize, write_events

DEMO_PRESET: Final = "fixture_alt"
DEMO_SEED: Final = 7
DEMO_EVENTS: Final = 300_000
DEMO_CONFIG: Final = Path("fixtures") / "backtest_pass.yaml"


@dataclass(frozen=True, slots=True)
class DemoOutcome:
    """What the demo printed as its result."""

    verdict: str
    bottleneck: str
    bottleneck_bps: float
    run_dir: Path


def demo_config(config_path: Path | None, environ: Mapping[str, str]) -> EffectiveConfig:
    """Return the demo's config: the flag, else MM_CONFIG_PATH, else the shipped fixture."""
    default = shipped_configs_dir() / DEMO_CONFIG
    return load_config(config_path or environ.get("MM_CONFIG_PATH") or default, environ)


def run_demo(
    effective: EffectiveConfig, out: Path, clock: Clock, say: Callable[[str], None]
) -> DemoOutcome:
    """Synthesize, backtest and audit; write everything under out."""
    params, meta = preset(DEMO_PRESET)
    data = out / "data" / f"synth_{DEMO_PRESET}_s{DEMO_SEED}_n{DEMO_EVENTS}.parquet"
    write_events(data, synthesize(DEMO_SEED, DEMO_EVENTS, meta=meta, params=params), meta)
    say(f"wrote {data}")
    description = effective.describe()
    write_text(out / "config_effective.json", description.text)
    run_dir = out / "run"
    outcome = run_backtest(effective, data, run_dir, say)
    # The backtest report was built on the run directory's edge audit (1000 ms horizon):
    # write that audit rather than read and decompose the directory again.
    audit = write_edge_audit(outcome.audit, outcome.audited, run_dir, False, say)
    write_json(
        out / "metrics.json",
        {
            "config": {"env": effective.env, "profile": effective.profile,
                       "sha256": description.sha256},
            "metrics": outcome.values,
            "runtime": {"utc": utc_iso(clock.now_ns()), "version": __version__},
        },
    )  # fmt: skip
    worst = audit["bottleneck"]
    assert isinstance(worst, dict)
    return DemoOutcome(
        verdict=str(outcome.report["verdict"]),
        bottleneck=str(worst["component"]),
        bottleneck_bps=float(worst["bps"]),
        run_dir=run_dir,
    )
