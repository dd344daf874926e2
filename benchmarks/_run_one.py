"""Run one simulator side as a whole process: import, load the file, run the quoter once, exit.

bench_sim.py times this script from the outside (interpreter start to exit) and reads the
key=value lines it prints: the phases as seen from inside and the peak RSS of this process.

    python benchmarks/_run_one.py --side mmbot --queue risk_averse --path <events.parquet>
    python benchmarks/_run_one.py --side hftbacktest --queue risk_averse --path <events.npz>
"""

from __future__ import annotations

import time

STARTED_S = time.perf_counter()

import argparse  # noqa: E402 - after the clock starts, so imports count in import_s
from pathlib import Path  # noqa: E402

from _quoting import QUEUE_MODELS, QuoteRule  # noqa: E402

SIDES = ("mmbot", "hftbacktest")
_KIB_PER_MIB = 1024


def peak_rss_mib() -> float:
    """Return this process's peak resident set size (Linux VmHWM).

    Not ru_maxrss: Linux carries the parent's high-water mark across fork+exec into the
    child's ru_maxrss, so a child of the benchmark process (hundreds of MiB) would report
    the benchmark's peak instead of its own.
    """
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / _KIB_PER_MIB
    raise RuntimeError("VmHWM missing from /proc/self/status (Linux only)")


def _run_mmbot(path: Path, queue: str) -> tuple[float, float, int]:
    """Return (import_done_s, load_done_s, n_fills) for mmbot's compiled quoter."""
    import _mmbot_side
    from mmbot.data import load_events

    import_done_s = time.perf_counter()
    batch, meta = load_events(path)
    load_done_s = time.perf_counter()
    result = _mmbot_side.run_quoter(batch, meta, queue, QuoteRule())
    return import_done_s, load_done_s, result.n_fills


def _run_hftbacktest(path: Path, queue: str) -> tuple[float, float, int]:
    """Return (import_done_s, load_done_s, n_fills) for hftbacktest's njit quoter."""
    import _hftbacktest_peer

    import_done_s = time.perf_counter()
    events, tick_size, lot_size = _hftbacktest_peer.read_npz(path)
    load_done_s = time.perf_counter()
    # `events` stays referenced until run_quoter returns: hftbacktest reads it zero-copy.
    result = _hftbacktest_peer.run_quoter(events, tick_size, lot_size, queue, QuoteRule())
    return import_done_s, load_done_s, result.n_fills


def main() -> None:
    """Parse arguments, run the chosen side once and print its phases and peak RSS."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", choices=SIDES, required=True)
    parser.add_argument("--queue", choices=QUEUE_MODELS, required=True)
    parser.add_argument("--path", type=Path, required=True)
    args = parser.parse_args()
    run = _run_mmbot if args.side == "mmbot" else _run_hftbacktest
    import_done_s, load_done_s, n_fills = run(args.path, args.queue)
    done_s = time.perf_counter()
    print(f"side={args.side}")
    print(f"queue={args.queue}")
    print(f"import_s={import_done_s - STARTED_S:.3f}")
    print(f"load_s={load_done_s - import_done_s:.3f}")
    print(f"run_s={done_s - load_done_s:.3f}")
    print(f"n_fills={n_fills}")
    print(f"peak_rss_mib={peak_rss_mib():.1f}")


if __name__ == "__main__":
    main()
