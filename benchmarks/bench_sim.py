"""Simulator benchmark: mmbot's compiled fixed-spread quoter against hftbacktest 2.4.4.

    python benchmarks/bench_sim.py [--events 1000000] [--seed 7] [--queue risk_averse|prob|both]
    python benchmarks/bench_sim.py --data FILE [--queue ...]

1. Generate (or reuse, while its sha256 matches) a deterministic L2+trades Parquet file with
   mmbot.data under benchmarks/data/; or, with --data, read any mmbot event file (e.g. one
   written by `mmbot data import tardis`).
2. Convert it one row for one to hftbacktest's event array (in memory, and as an npz under
   benchmarks/data/ for step 4).
3. Per queue model, time the replay loop of both simulators (compile warmed on a slice first),
   3 runs each, median; print events/s, fills, orders, cancels, position and the ratio, and
   the fill logs compared: matched, only mmbot, only hftbacktest. Both quoters decide at the
   same instants (_schedule.py), so an unmatched fill is a difference of the simulators.
4. Time each side as a whole process (fresh interpreter: import, load, run, exit; mmbot's numba
   cache warmed by one untimed run), 3 runs each, median; print wall time and peak RSS.

Ends with grep-able key=value lines and one summary line; exits 1 when a target is missed
(loop ratio mmbot/hftbacktest >= 1.0, process ratio mmbot/hftbacktest <= 0.5), 2 with one
E_DATA_* line when --data is not an event file.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import _hftbacktest_peer
import _mmbot_side
from _events import DATA_DIR, ensure_event_file, sha256_file
from _fills import compare_fills
from _quoting import QUEUE_MODELS, QuoteRule, RunResult
from mmbot.core.errors import MmError
from mmbot.core.text import first_line
from mmbot.data import EventBatch, InstrumentMeta, load_events

BENCH_DIR = Path(__file__).resolve().parent
N_REPEATS = 3
WARMUP_EVENTS = 20_000
TARGET_LOOP_RATIO = 1.0
TARGET_PROCESS_RATIO = 0.5


@dataclass(frozen=True, slots=True)
class ProcessRun:
    """One whole-process run of a side, timed from outside, phases reported from inside."""

    side: str
    wall_s: float
    phases: dict[str, str]


def _median_run(run: Callable[[], RunResult]) -> RunResult:
    """Return the run with the median loop time out of N_REPEATS (noise shown, not hidden)."""
    runs = sorted((run() for _ in range(N_REPEATS)), key=lambda result: result.loop_s)
    spread = ", ".join(f"{result.loop_s * 1e3:.1f}" for result in runs)
    print(f"  {runs[0].side:<11} {runs[0].queue:<11} loop_ms sorted=[{spread}]")
    return runs[len(runs) // 2]


def _print_result(result: RunResult) -> None:
    print(
        f"  {result.side:<11} {result.queue:<11} events/s={result.events_per_s:>12,.0f} "
        f"loop_ms={result.loop_s * 1e3:8.1f} fills={result.n_fills:>6} "
        f"orders={result.n_orders:>6} cancels={result.n_cancels:>6} "
        f"position_lots={result.position_lots:>4} fees_usd={result.fees_usd:.4f}"
    )


def bench_loops(
    batch: EventBatch,
    meta: InstrumentMeta,
    hbt_events: np.ndarray,
    queue: str,
    rule: QuoteRule,
) -> tuple[RunResult, RunResult]:
    """Return the median mmbot and hftbacktest loop runs for one queue model."""
    # Compile outside the timed runs: both sides are numba code and would otherwise pay
    # their JIT inside the first measurement.
    _mmbot_side.run_quoter(batch.slice(0, WARMUP_EVENTS), meta, queue, rule)
    warm_events = hbt_events[:WARMUP_EVENTS]
    _hftbacktest_peer.run_quoter(warm_events, meta.tick_size, meta.lot_size, queue, rule)
    mmbot = _median_run(lambda: _mmbot_side.run_quoter(batch, meta, queue, rule))
    peer = _median_run(
        lambda: _hftbacktest_peer.run_quoter(hbt_events, meta.tick_size, meta.lot_size, queue, rule)
    )
    return mmbot, peer


def _run_process(side: str, queue: str, path: Path) -> ProcessRun:
    """Run `_run_one.py` for one side in a fresh interpreter and time it from outside."""
    command = [
        sys.executable,
        str(BENCH_DIR / "_run_one.py"),
        *("--side", side, "--queue", queue, "--path", str(path)),
    ]
    started_s = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    wall_s = time.perf_counter() - started_s
    if completed.returncode != 0:
        raise RuntimeError(f"{side} process failed ({completed.returncode}):\n{completed.stderr}")
    lines = completed.stdout.strip().splitlines()
    phases = dict(line.split("=", 1) for line in lines if "=" in line)
    return ProcessRun(side=side, wall_s=wall_s, phases=phases)


def bench_processes(queue: str, parquet_path: Path, npz_path: Path) -> dict[str, ProcessRun]:
    """Return the median whole-process run of each side (mmbot's numba cache warmed first)."""
    paths = {"mmbot": parquet_path, "hftbacktest": npz_path}
    _run_process("mmbot", queue, parquet_path)
    medians: dict[str, ProcessRun] = {}
    for side, path in paths.items():
        runs = sorted(
            (_run_process(side, queue, path) for _ in range(N_REPEATS)), key=lambda run: run.wall_s
        )
        spread = ", ".join(f"{run.wall_s:.2f}" for run in runs)
        median = runs[len(runs) // 2]
        phases = " ".join(f"{key}={value}" for key, value in median.phases.items() if key != "side")
        print(f"  {side:<11} wall_s sorted=[{spread}] median: {phases}")
        medians[side] = median
    return medians


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="mmbot simulator vs hftbacktest benchmark")
    parser.add_argument("--events", type=int, default=1_000_000, help="events in the file")
    parser.add_argument("--seed", type=int, default=7, help="seed of the synthetic market")
    parser.add_argument(
        "--data", type=Path, help="replay this mmbot event file instead of the synthetic one"
    )
    parser.add_argument("--queue", choices=(*QUEUE_MODELS, "both"), default="both")
    return parser.parse_args()


def _load(args: argparse.Namespace) -> tuple[Path, dict[str, str], EventBatch, InstrumentMeta]:
    """Return the event file to replay, the key=value lines naming it, its events and meta.

    Raises mmbot's MmError (E_DATA_*) when --data is not a readable event file.
    """
    if args.data is not None:
        path = args.data.resolve()
        batch, meta = load_events(path)
        return path, {"data": str(path), "sha256": sha256_file(path)}, batch, meta
    event_file = ensure_event_file(args.seed, args.events)
    print(f"events_file={event_file.path} reused={event_file.reused}")
    batch, meta = load_events(event_file.path)
    return event_file.path, {"seed": str(args.seed), "sha256": event_file.sha256}, batch, meta


def main() -> int:
    """Run the benchmark; return 0 when both targets are met, 1 when not, 2 on bad --data."""
    args = _parse_args()
    queues = QUEUE_MODELS if args.queue == "both" else (args.queue,)
    rule = QuoteRule()

    try:
        events_path, source, batch, meta = _load(args)
    except MmError as exc:
        print(first_line(exc), file=sys.stderr)
        return 2
    hbt_events = _hftbacktest_peer.to_hbt_events(
        batch, tick_size=meta.tick_size, lot_size=meta.lot_size
    )
    # Named by content: --data files from different directories may share a name.
    npz_path = DATA_DIR / f"{events_path.stem}-{source['sha256'][:12]}.hbt.npz"
    _hftbacktest_peer.write_npz(npz_path, hbt_events, meta.tick_size, meta.lot_size)

    summary: dict[str, str] = {"events": str(len(hbt_events)), **source}
    print(" ".join(f"{key}={value}" for key, value in summary.items()))
    loop_ratios: list[float] = []
    print(f"replay loop, median of {N_REPEATS} (load and compile excluded):")
    for queue in queues:
        mmbot, peer = bench_loops(batch, meta, hbt_events, queue, rule)
        _print_result(mmbot)
        _print_result(peer)
        ratio = mmbot.events_per_s / peer.events_per_s
        loop_ratios.append(ratio)
        print(f"  ratio mmbot/hftbacktest={ratio:.2f} ({queue})")
        overlap = compare_fills(mmbot.fill_keys, peer.fill_keys, batch)
        print(
            f"  fills matched={overlap.matched} only_mmbot={overlap.only_mmbot} "
            f"only_hftbacktest={overlap.only_peer} (of which no trade reached the order, "
            f"the book crossed it: {overlap.only_peer_without_trade})"
        )
        summary[f"fills_matched_{queue}"] = str(overlap.matched)
        summary[f"fills_only_mmbot_{queue}"] = str(overlap.only_mmbot)
        summary[f"fills_only_hftbacktest_{queue}"] = str(overlap.only_peer)
        summary[f"fills_only_hftbacktest_book_cross_{queue}"] = str(overlap.only_peer_without_trade)
        for result in (mmbot, peer):
            prefix = f"{result.side}_{queue}"
            summary[f"{prefix}_events_per_s"] = f"{result.events_per_s:.0f}"
            summary[f"{prefix}_fills"] = str(result.n_fills)
            summary[f"{prefix}_orders"] = str(result.n_orders)
            summary[f"{prefix}_position_lots"] = str(result.position_lots)
        summary[f"ratio_{queue}"] = f"{ratio:.2f}"

    print(f"whole process, queue={queues[0]}, median of {N_REPEATS} (fresh interpreter each):")
    processes = bench_processes(queues[0], events_path, npz_path)
    process_ratio = processes["mmbot"].wall_s / processes["hftbacktest"].wall_s
    print(f"  process_ratio mmbot/hftbacktest={process_ratio:.2f}")
    for side, run in processes.items():
        summary[f"{side}_process_s"] = f"{run.wall_s:.2f}"
        summary[f"{side}_peak_rss_mib"] = run.phases["peak_rss_mib"]
    summary["process_ratio"] = f"{process_ratio:.2f}"

    met = min(loop_ratios) >= TARGET_LOOP_RATIO and process_ratio <= TARGET_PROCESS_RATIO
    summary["result"] = "OK" if met else "BELOW_TARGET"
    print("--- summary")
    for key, value in summary.items():
        print(f"{key}={value}")
    ratios = " ".join(f"{queue}={summary[f'ratio_{queue}']}" for queue in queues)
    print(
        f"RESULT={summary['result']} loop ratio mmbot/hftbacktest {ratios} (target >= "
        f"{TARGET_LOOP_RATIO}), process_ratio={process_ratio:.2f} (target <= "
        f"{TARGET_PROCESS_RATIO})"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
