"""Scale benchmark: a streamed backtest's throughput and peak memory at two data set sizes.

    python benchmarks/bench_scale.py [--sizes 10000000,100000000] [--seed 7] [--small]

1. For each size, a synthetic data set (`mmbot.data.synthesize(seed)` cut into daily files of
   the smallest size's events each by `mmbot.data.dataset.write_days`: 10M is one file, 100M
   ten) is generated once and cached under benchmarks/data/ (gitignored); reused when present.
2. Each size runs in a fresh subprocess (so its peak RSS is its own): the full stack as
   `mmbot backtest run` builds it (node.build_engine, bench_engine's config, intraday caps
   lifted so the strategy quotes to the end: SCALE_OVERLAY) over the data
   set streamed chunk by chunk (EventStream over DataSet.stream, backtest.run's chunk size);
   Engine.run() is timed (Parquet reads included: they happen as the run streams; the engine
   build and the compiled code's cache load are not). Peak RSS is the child's VmHWM at the end.
3. Targets: peak RSS of the largest size < TARGET_RSS_MIB, and its events/s within
   TARGET_THROUGHPUT_DROP of the smallest size's (cost linear in the events).

--small runs 200k and 2M events (a smoke run; tests/unit/benchmarks runs it smaller still).
Ends with key=value lines and `RESULT=OK|BELOW_TARGET`; exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Final

from _engine_runs import peak_rss_mib
from _engine_setup import CONFIG_LABEL, CONFIG_OVERLAY, SEED
from mmbot.backtest.run import STREAM_CHUNK_ROWS
from mmbot.config import MmConfig
from mmbot.data import SYNTH_META, synthesize
from mmbot.data.dataset import resolve_dataset, write_days
from mmbot.node import build_engine
from mmbot.sim import EventStream

DATA_DIR: Final = Path(__file__).resolve().parent / "data"
SIZES: Final = (10_000_000, 100_000_000)
SMALL_SIZES: Final = (200_000, 2_000_000)
TARGET_RSS_MIB: Final = 1536.0
TARGET_THROUGHPUT_DROP: Final = 0.10
# bench_engine's config with the intraday caps out of reach: at the default caps the strategy
# stops quoting after a few hours of market, and the rest of a long run costs next to nothing.
SCALE_OVERLAY: Final = {
    **CONFIG_OVERLAY,
    "risk": {
        "intraday_max_loss_usd": 1e12,
        "intraday_max_notional_usd": 1e15,
        "intraday_max_orders": 1 << 40,
    },
}
SCALE_LABEL: Final = f"{CONFIG_LABEL} + risk.intraday_max_* out of reach"


def dataset_dir(seed: int, events: int, per_day: int, root: Path = DATA_DIR) -> Path:
    """Return the cached data set of `events` events in files of per_day, writing it once."""
    days = -(-events // per_day)
    folder = root / f"scale_s{seed}_n{events}_d{days}"
    done = folder / "COMPLETE"
    if not done.is_file():
        started = time.perf_counter()
        write_days(synthesize(seed, events), SYNTH_META, folder, days=days, events=events)
        done.write_text(f"generated in {time.perf_counter() - started:.1f} s\n", encoding="ascii")
    return folder


def run_child(folder: Path, chunk_rows: int) -> dict[str, float]:
    """Backtest the data set at folder streamed; return its figures (this process's)."""
    dataset = resolve_dataset(folder)
    (symbol,) = dataset.symbols
    events = sum(one.rows for one in dataset.files[symbol])
    config = MmConfig.model_validate(SCALE_OVERLAY)
    engine = build_engine(config, EventStream(dataset.stream(symbol, chunk_rows)))
    started = time.perf_counter()
    engine.run()
    run_s = time.perf_counter() - started
    return {
        "events": events,
        "files": len(dataset.files[symbol]),
        "run_s": run_s,
        "events_per_s": events / run_s,
        "fills": engine.ledger.fills,
        "intraday_caps_breached": engine.values()["intraday_caps_breached"],
        "peak_rss_mib": peak_rss_mib(),
    }


def measure(folder: Path, chunk_rows: int) -> dict[str, float]:
    """Run run_child in a fresh interpreter; return what it printed."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(folder), "--chunk-rows", str(chunk_rows)],
        check=True,
        capture_output=True,
        text=True,
    )
    figures: dict[str, float] = json.loads(done.stdout.splitlines()[-1])
    return figures


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="mmbot streamed backtest at scale")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="events, comma-sep")
    parser.add_argument("--small", action="store_true", help="smoke run: 200k and 2M events")
    parser.add_argument("--seed", type=int, default=SEED, help="seed of the synthetic market")
    parser.add_argument("--chunk-rows", type=int, default=STREAM_CHUNK_ROWS)
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR, help="cache of data sets")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return 0 when both targets are met, 1 otherwise."""
    args = _parse_args(argv)
    if args.child is not None:
        print(json.dumps(run_child(args.child, args.chunk_rows), sort_keys=True))
        return 0
    sizes = SMALL_SIZES if args.small else tuple(int(s) for s in args.sizes.split(","))
    per_day = min(sizes)
    print(f"config={SCALE_LABEL} chunk_rows={args.chunk_rows} seed={args.seed}")
    results = {}
    for size in sizes:
        folder = dataset_dir(args.seed, size, per_day, args.data_dir)
        results[size] = measure(folder, args.chunk_rows)
        figures = " ".join(f"{key}={value:.6g}" for key, value in sorted(results[size].items()))
        print(f"size={size} data={folder} {figures}")
    small, large = results[min(sizes)], results[max(sizes)]
    ratio = large["events_per_s"] / small["events_per_s"]
    met = large["peak_rss_mib"] < TARGET_RSS_MIB and ratio >= 1 - TARGET_THROUGHPUT_DROP
    print("--- summary")
    print(f"events_per_s_small={small['events_per_s']:.0f}")
    print(f"events_per_s_large={large['events_per_s']:.0f}")
    print(f"throughput_ratio_large_vs_small={ratio:.3f}")
    print(f"peak_rss_mib_small={small['peak_rss_mib']:.1f}")
    print(f"peak_rss_mib_large={large['peak_rss_mib']:.1f}")
    print(
        f"RESULT={'OK' if met else 'BELOW_TARGET'} {max(sizes):,} events streamed at "
        f"{large['events_per_s']:,.0f} events/s ({ratio:.3f}x the {min(sizes):,}-event run; "
        f"target >= {1 - TARGET_THROUGHPUT_DROP:.2f}), peak RSS {large['peak_rss_mib']:.0f} MiB "
        f"(target < {TARGET_RSS_MIB:.0f})"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
