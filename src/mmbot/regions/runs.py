"""A region's run: the figures `region compare` reads from a live-sim or shadow run folder.

`--runs DIR` holds one folder per configured region, named after it, each the `--out` of a
`mmbot run --mode live-sim` or `--mode shadow` (docs/MODES.md). From the folder's report and
metrics.prom come five figures (docs/REGIONS.md says which field each one is):

- live-sim (live_sim.json, the backtest report): `figures.net_bps`, `figures.taker_share_pct`,
  `figures.order_age_p95_ms`, `figures.fill_rate` (orders filled / placed).
- shadow (shadow.json, paper fills): net_bps = 1e4 * ledger.pnl_usd / ledger.notional_usd;
  taker share 0 (a paper fill is a maker fill at our own price); `values.order_age_ms_p95`;
  fill rate = ledger.fills / shadow_orders_total.place (a paper order fills in full, once).
- both: latency p95 = the run's `latency_ms_p95_<colour>` in metrics.prom.

Each file read is hashed from the very bytes parsed, so the compare names exactly its inputs.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Final

from mmbot.core.errors import DataError
from mmbot.engine.rundir import METRICS_FILE
from mmbot.obs.catalog import COLOURS
from mmbot.obs.metrics_json import metric_values

# The names mmbot.node.live_reports gives these reports (node sits beside regions in the
# layers, so it cannot be imported here; a unit test keeps the two in step).
LIVE_SIM_REPORT: Final = "live_sim.json"
SHADOW_REPORT: Final = "shadow.json"
_MODE_OF_REPORT: Final = {LIVE_SIM_REPORT: "live-sim", SHADOW_REPORT: "shadow"}
_LATENCY_METRICS: Final = tuple(f"latency_ms_p95_{colour}" for colour in COLOURS)


@dataclass(frozen=True, slots=True)
class RegionFigures:
    """What a region's run measured, as the winner thresholds judge it."""

    net_bps: float
    taker_share_pct: float
    order_age_p95_ms: float
    latency_p95_ms: float
    fill_rate: float

    def payload(self) -> dict[str, float]:
        """Return the figures by name."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class RegionRun:
    """A region's run: its mode, its figures and the sha256 of each file read (by path
    relative to the runs folder)."""

    mode: str
    figures: RegionFigures
    inputs: dict[str, str]


def read_region_runs(runs_dir: Path, names: tuple[str, ...]) -> dict[str, RegionRun]:
    """Return the run of every named region under runs_dir; refuse a missing region folder
    and a folder named after no region (a typo would drop a region from the compare)."""
    if not runs_dir.is_dir():
        raise DataError(
            "E_REGION_RUN_MISSING",
            f"key=--runs value={runs_dir} expected=a folder holding one run folder per region",
        )
    strangers = sorted(p.name for p in runs_dir.iterdir() if p.is_dir() and p.name not in names)
    if strangers:
        raise DataError(
            "E_REGION_RUN_UNKNOWN",
            f"folder={runs_dir / strangers[0]} "
            f"expected=a folder named after a region: one of {','.join(names)}",
        )
    return {name: _read_region_run(runs_dir, name) for name in names}


def _read_region_run(runs_dir: Path, name: str) -> RegionRun:
    """Return the run in runs_dir/name: its report's figures and its metrics.prom latency."""
    folder = runs_dir / name
    reports = [report for report in _MODE_OF_REPORT if (folder / report).is_file()]
    if len(reports) != 1:
        found = "both" if reports else "neither"
        raise DataError(
            "E_REGION_RUN_MISSING",
            f"region={name} folder={folder} holds {found} "
            f"of {LIVE_SIM_REPORT},{SHADOW_REPORT} expected=exactly one: the --out of "
            "one `mmbot run --mode live-sim|shadow`",
        )
    report_name = reports[0]
    report_bytes = _read(folder / report_name, name)
    prom_bytes = _read(folder / METRICS_FILE, name)
    report = _json_object(report_bytes, folder / report_name)
    mode = _MODE_OF_REPORT[report_name]
    read_figures = _live_sim_figures if mode == "live-sim" else _shadow_figures
    partial = read_figures(report, folder / report_name)
    latency_ms = _latency_p95_ms(prom_bytes, folder / METRICS_FILE)
    inputs = {
        f"{name}/{report_name}": hashlib.sha256(report_bytes).hexdigest(),
        f"{name}/{METRICS_FILE}": hashlib.sha256(prom_bytes).hexdigest(),
    }
    return RegionRun(mode, RegionFigures(**partial, latency_p95_ms=latency_ms), inputs)


def _read(path: Path, region: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        raise DataError(
            "E_REGION_RUN_MISSING",
            f"region={region} file={path} expected=a "
            "readable file, as `mmbot run --mode live-sim|shadow` writes it",
        ) from None


def _bad(path: Path, key: str, value: object, expected: str) -> DataError:
    return DataError(
        "E_REGION_RUN_BAD", f"key={key} value={value!r} expected={expected} file={path}"
    )


def _json_object(data: bytes, path: Path) -> dict[str, object]:
    try:
        document = json.loads(data)
    except ValueError:
        raise _bad(path, "<document>", "not JSON", "a JSON report") from None
    if not isinstance(document, dict):
        raise _bad(path, "<document>", type(document).__name__, "a JSON object")
    return document


def _number(report: dict[str, object], dotted: str, path: Path) -> float:
    """Return the finite number at a dotted key of report."""
    value: object = report
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _bad(path, dotted, value, "a finite number")
    return float(value)


def _live_sim_figures(report: dict[str, object], path: Path) -> dict[str, float]:
    """Return the figures of a live-sim report (the backtest report's `figures`)."""
    names = ("net_bps", "taker_share_pct", "order_age_p95_ms", "fill_rate")
    return {name: _number(report, f"figures.{name}", path) for name in names}


def _shadow_figures(report: dict[str, object], path: Path) -> dict[str, float]:
    """Return the figures of a shadow report (paper fills, all maker, each in full)."""
    pnl_usd = _number(report, "ledger.pnl_usd", path)
    notional_usd = _number(report, "ledger.notional_usd", path)
    fills = _number(report, "ledger.fills", path)
    placed = _number(report, "shadow_orders_total.place", path)
    return {
        "net_bps": 1e4 * pnl_usd / notional_usd if notional_usd > 0 else 0.0,
        "taker_share_pct": 0.0,
        "order_age_p95_ms": _number(report, "values.order_age_ms_p95", path),
        "fill_rate": fills / placed if placed > 0 else 0.0,
    }


def _latency_p95_ms(prom_bytes: bytes, path: Path) -> float:
    """Return the run's place-to-ack latency p95: its one `latency_ms_p95_<colour>` sample."""
    try:
        metrics = metric_values(prom_bytes.decode("ascii"))
    except ValueError:
        raise _bad(path, "<document>", "not Prometheus text", "the run's metrics.prom") from None
    found = [name for name in _LATENCY_METRICS if name in metrics]
    if len(found) != 1:
        raise _bad(
            path,
            "|".join(_LATENCY_METRICS),
            ",".join(found) or "none",
            "exactly one of them (the run's deployment colour)",
        )
    return _number(metrics, found[0], path)
