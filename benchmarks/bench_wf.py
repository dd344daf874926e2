"""Walk-forward speed-up: the same walk-forward on 2 worker processes and on 1, in one run.

    python benchmarks/bench_wf.py [--small]

1. grid16 (issue 20): a grid of 16 points (strategy.risk_aversion x strategy.order_qty_lots,
   4 x 4) walked forward over bench_sim's 1M-event file (generated once, sha-checked;
   benchmarks/_events.py): train 40% and test 20% of its span, so 3 folds, 48 train tasks
   and 3 test tasks.
2. days8 (issue 19): 8 one-day files under benchmarks/data/ (generated once; day d is the
   seeded synthetic market of seed 7 + d, its first event at midnight of day d counted from
   2026-01-01, EVENTS_PER_DAY events, so each file holds the first minutes of its day):
   step one day, train one day, test the first minutes of the next day (as long as the
   shortest file), a grid of 2 x 2 points: 7 folds, 28 train and 7 test tasks. Every task
   reads only its day's row groups.

Both cases run `mmbot backtest wf` as the CLI does (mmbot.node.walk_forward, the process
pool, spawned workers) with the engine benchmarks' config (_engine_setup.py: the rebate fee
tier, GLFT with micro signals). Wall time includes starting the pool (spawned interpreters
import mmbot and load the compiled simulator from numba's cache). The two runs of a case
must write the same report bytes; speed-up = 1-worker seconds / 2-worker seconds. Printed,
not asserted: key=value lines, then `RESULT=OK` (or `RESULT=MISMATCH` and exit 1 when the
reports differ). machine_parallel_capacity_before/_after (measured before and after the
cases) say how many cores two busy processes actually got on the machine (2.00 on two free
cores): the ceiling of the speed-up.
--small: 200,000 events instead of 1M and 20,000 events a day (a smoke run, seconds).
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final

from _engine_setup import CONFIG_LABEL, N_EVENTS, SEED
from _events import DATA_DIR, ensure_event_file
from mmbot.backtest.wf import REPORT_JSON, REPORT_MD, WfSpec
from mmbot.config import EffectiveConfig, load_config
from mmbot.data import SYNTH_META, EventBatch, count_events, synthesize, write_events
from mmbot.data.windows import WindowReader
from mmbot.node import walk_forward

CONFIG_YAML: Final = """\
instrument:
  venue: SYNTH
  symbol: BTC-USD
fees:
  volume_30d_usd: 60000000.0
strategy:
  model: glft
  signals:
    enabled: true
"""
GRID16: Final = (
    "strategy.risk_aversion=0.05,0.1,0.2,0.4",
    "strategy.order_qty_lots=2,5,10,20",
)
GRID4: Final = ("strategy.risk_aversion=0.05,0.2", "strategy.order_qty_lots=5,10")
DAYS: Final = 8
DAY_S: Final = 86_400
NS_PER_S: Final = 1_000_000_000
DAY0_NS: Final = 1_767_225_600 * NS_PER_S  # 2026-01-01T00:00:00Z
EVENTS_PER_DAY: Final = 250_000
SMALL_EVENTS: Final = 200_000
SMALL_EVENTS_PER_DAY: Final = 20_000
WORKER_COUNTS: Final = (1, 2)
BURN_LOOPS: Final = 20_000_000


@dataclass(frozen=True, slots=True)
class CaseRun:
    """One case on each worker count: wall seconds and whether the reports matched."""

    name: str
    tasks: int
    seconds: dict[int, float]
    same_reports: bool

    def speedup(self) -> float:
        """Return 1-worker seconds / 2-worker seconds."""
        return self.seconds[1] / self.seconds[2]


def _burn(loops: int) -> float:
    """Return the seconds a fixed pure-Python loop takes in this process."""
    start = time.perf_counter()
    total = 0
    for value in range(loops):
        total += value
    return time.perf_counter() - start


def machine_parallel_capacity() -> float:
    """Return how many cores two busy processes get (2.0 on two free cores): 2 x one
    process's loop time / the mean loop time of two running at once. Shared or hyper-threaded
    vCPUs give less, and cap any walk-forward speed-up."""
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        list(pool.map(_burn, [1_000, 1_000]))  # both workers up before timing
        alone = pool.submit(_burn, BURN_LOOPS).result()
        together = list(pool.map(_burn, [BURN_LOOPS, BURN_LOOPS]))
    return 2 * alone / statistics.fmean(together)


def ensure_day_files(events_per_day: int) -> list[Path]:
    """Return the 8 one-day files, writing any that is missing (seeded: same bytes each time)."""
    folder = DATA_DIR / f"days{DAYS}_n{events_per_day}"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for day in range(DAYS):
        path = folder / f"2026-01-{day + 1:02d}.parquet"
        if not path.exists():
            batch = EventBatch.concat(synthesize(SEED + day, events_per_day, SYNTH_META))
            shift = DAY0_NS + day * DAY_S * NS_PER_S - int(batch.ts_exch_ns[0])
            moved = EventBatch(
                batch.ts_exch_ns + shift, batch.ts_local_ns + shift, batch.kind, batch.side,
                batch.price_ticks, batch.qty_lots,
            )  # fmt: skip
            write_events(path, [moved], SYNTH_META)
        paths.append(path)
    return paths


def _span_s(path: Path) -> float:
    first_ns, last_ns = WindowReader([path]).span_ns()
    return (last_ns - first_ns) / NS_PER_S


def run_case(
    name: str, effective: EffectiveConfig, paths: Sequence[Path], spec: WfSpec, work: Path
) -> CaseRun:
    """Walk forward on each worker count; time it; compare the reports' bytes."""
    seconds: dict[int, float] = {}
    reports: list[tuple[bytes, bytes]] = []
    tasks = 0
    for workers in WORKER_COUNTS:
        out = work / f"{name}_w{workers}"
        counted = _TaskCount()
        start = time.perf_counter()
        walk_forward(
            effective, paths, out, replace(spec, workers=workers), _quiet, counted, lenient=True
        )  # its days are the first minutes of each: gaps between
        seconds[workers] = time.perf_counter() - start
        tasks = counted.total
        reports.append(((out / REPORT_JSON).read_bytes(), (out / REPORT_MD).read_bytes()))
        print(f"  {name} workers={workers} seconds={seconds[workers]:.3f}")
    return CaseRun(name, tasks, seconds, reports[0] == reports[1])


class _TaskCount:
    """A wf_exec.Ticker that keeps the task count."""

    def __init__(self) -> None:
        self.total = 0

    def start(self, total: int) -> None:
        self.total = total

    def advance(self, count: int = 1) -> None:
        """Nothing to draw."""


def _quiet(line: str) -> None:
    """The report's `wrote ...` and warning lines are not the benchmark's output."""


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="mmbot walk-forward speed-up benchmark")
    parser.add_argument("--small", action="store_true", help="a smoke run on small data")
    return parser.parse_args()


def main() -> int:
    """Run both cases; return 1 when a case's 1- and 2-worker reports differ."""
    args = _parse_args()
    n_events = SMALL_EVENTS if args.small else N_EVENTS
    per_day = SMALL_EVENTS_PER_DAY if args.small else EVENTS_PER_DAY
    event_file = ensure_event_file(SEED, n_events)
    days = ensure_day_files(per_day)
    print(f"events_file={event_file.path} sha256={event_file.sha256} reused={event_file.reused}")
    print(f"day_files={days[0].parent} files={len(days)} events_per_day={per_day}")
    print(f"config={CONFIG_LABEL}; cpus={os.cpu_count()}")
    span_s = _span_s(event_file.path)
    capacity_before = machine_parallel_capacity()
    with tempfile.TemporaryDirectory() as temp:
        work = Path(temp)
        config = work / "bench.yaml"
        config.write_text(CONFIG_YAML)
        effective = load_config(config, {})
        grid16 = WfSpec(round(0.4 * span_s), round(0.2 * span_s), grid=GRID16)
        day_test_s = math.floor(min(_span_s(path) for path in days))
        days8 = WfSpec(DAY_S, day_test_s, step_s=DAY_S, grid=GRID4)
        cases = [
            run_case("grid16", effective, [event_file.path], grid16, work),
            run_case("days8", effective, days, days8, work),
        ]
    summary = {
        "events": str(count_events(event_file.path)),
        "events_per_day": str(per_day),
        "machine_parallel_capacity_before": f"{capacity_before:.2f}",
        "machine_parallel_capacity_after": f"{machine_parallel_capacity():.2f}",
    }
    for case in cases:
        summary[f"{case.name}_tasks"] = str(case.tasks)
        for workers in WORKER_COUNTS:
            summary[f"{case.name}_w{workers}_s"] = f"{case.seconds[workers]:.3f}"
        summary[f"{case.name}_speedup_2_vs_1"] = f"{case.speedup():.3f}"
        summary[f"{case.name}_same_reports"] = str(case.same_reports).lower()
    same = all(case.same_reports for case in cases)
    print("--- summary")
    for key, value in summary.items():
        print(f"{key}={value}")
    speedups = ", ".join(f"{case.name} {case.speedup():.2f}x" for case in cases)
    print(
        f"RESULT={'OK' if same else 'MISMATCH'} walk-forward speed-up on 2 workers vs 1: {speedups}"
    )
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
