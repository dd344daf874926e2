"""Engine throughput benchmark: a whole backtest of the 1M-event file with the full stack.

    python benchmarks/bench_engine.py [--events 1000000] [--seed 7]

1. Load bench_sim's event file (generated once, sha-checked; benchmarks/_events.py).
2. mmbot: build the engine as `mmbot backtest run` does (build_engine: GLFT + micro signals +
   sizing + risk gate + allocator, decisions every 100 ms; config in _engine_setup.py), warm
   it on the first 20,000 events, then run the whole file 3 times, a fresh engine each time;
   the median Engine.run() is reported (load and compile excluded). Peak RSS is this
   process's VmHWM read before the peer is loaded: interpreter, data, compiled simulator and
   three engine runs.
3. hftbacktest 2.4.4 running bench_sim's simple quoter (the same file, the same rule and
   code as bench_sim: _hftbacktest_peer.py, risk-averse queue), in this process, timed the
   same way; ratio = mmbot engine events/s / hftbacktest simple-quoter events/s.

Ends with key=value lines and `RESULT=OK|BELOW_TARGET`; exits 1 when mmbot's engine is below
TARGET_EVENTS_PER_S.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import _hftbacktest_peer
from _engine_setup import CONFIG_LABEL, N_EVENTS, SEED, load_bench_events, new_engine
from _quoting import QuoteRule
from mmbot.data import EventBatch

N_REPEATS = 3
WARMUP_EVENTS = 20_000
PEER_QUEUE = "risk_averse"
TARGET_EVENTS_PER_S = 2_000_000
_KIB_PER_MIB = 1024


def peak_rss_mib() -> float:
    """Return this process's peak resident set size so far (Linux VmHWM)."""
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / _KIB_PER_MIB
    raise RuntimeError("VmHWM missing from /proc/self/status (Linux only)")


def bench_mmbot(batch: EventBatch) -> dict[str, float]:
    """Return the median whole-file engine run: seconds, decisions, fills, orders."""
    new_engine(batch.slice(0, WARMUP_EVENTS)).run()  # compile / bind outside the timed runs
    runs = []
    for _ in range(N_REPEATS):
        started_s = time.perf_counter()
        engine = new_engine(batch)
        built_s = time.perf_counter()
        record = engine.run()
        done_s = time.perf_counter()
        runs.append(
            {
                "run_s": done_s - built_s,
                "build_s": built_s - started_s,
                "decisions": float(record.decisions),
                "quoted_decisions": float(len(record.inventory_lots)),
                "fills": float(engine.ledger.fills),
                "orders": float(engine.orders.quotes_placed_total),
                "denials": float(sum(record.denials.values())),
                "final_position_lots": float(engine.ledger.position_lots),
            }
        )
    runs.sort(key=lambda run: run["run_s"])
    print("  mmbot engine run_s sorted=[" + ", ".join(f"{r['run_s']:.3f}" for r in runs) + "]")
    return runs[len(runs) // 2]


def bench_peer(batch: EventBatch, tick_size: float, lot_size: float) -> tuple[float, int]:
    """Return hftbacktest's median simple-quoter loop seconds and its fill count."""
    events = _hftbacktest_peer.to_hbt_events(batch, tick_size=tick_size, lot_size=lot_size)
    rule = QuoteRule()
    # `events` stays referenced until the last run returns: hftbacktest reads it zero-copy.
    _hftbacktest_peer.run_quoter(events[:WARMUP_EVENTS], tick_size, lot_size, PEER_QUEUE, rule)
    runs = [
        _hftbacktest_peer.run_quoter(events, tick_size, lot_size, PEER_QUEUE, rule)
        for _ in range(N_REPEATS)
    ]
    loop_s = sorted(run.loop_s for run in runs)
    print("  hftbacktest quoter loop_s sorted=[" + ", ".join(f"{s:.3f}" for s in loop_s) + "]")
    return statistics.median(loop_s), runs[0].n_fills


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="mmbot engine throughput benchmark")
    parser.add_argument("--events", type=int, default=N_EVENTS, help="events in the file")
    parser.add_argument("--seed", type=int, default=SEED, help="seed of the synthetic market")
    return parser.parse_args()


def main() -> int:
    """Run the benchmark; return 0 when the throughput target is met, 1 otherwise."""
    args = _parse_args()
    event_file, batch, meta = load_bench_events(args.seed, args.events)
    n_events = len(batch)
    print(f"events_file={event_file.path} sha256={event_file.sha256} reused={event_file.reused}")
    print(f"config={CONFIG_LABEL}")
    print(f"whole backtest, median of {N_REPEATS} (load and compile excluded):")
    mmbot = bench_mmbot(batch)
    rss_mib = peak_rss_mib()
    peer_s, peer_fills = bench_peer(batch, meta.tick_size, meta.lot_size)

    events_per_s = n_events / mmbot["run_s"]
    peer_events_per_s = n_events / peer_s
    ratio = events_per_s / peer_events_per_s
    summary = {
        "events": str(n_events),
        "decisions": f"{mmbot['decisions']:.0f}",
        "quoted_decisions": f"{mmbot['quoted_decisions']:.0f}",
        "events_per_decision": f"{n_events / mmbot['decisions']:.2f}",
        "us_per_decision": f"{mmbot['run_s'] / mmbot['decisions'] * 1e6:.2f}",
        "mmbot_run_s": f"{mmbot['run_s']:.3f}",
        "mmbot_build_s": f"{mmbot['build_s']:.3f}",
        "mmbot_events_per_s": f"{events_per_s:.0f}",
        "mmbot_fills": f"{mmbot['fills']:.0f}",
        "mmbot_orders": f"{mmbot['orders']:.0f}",
        "mmbot_risk_denials": f"{mmbot['denials']:.0f}",
        "mmbot_final_position_lots": f"{mmbot['final_position_lots']:.0f}",
        "mmbot_peak_rss_mib": f"{rss_mib:.1f}",
        "hftbacktest_quoter_events_per_s": f"{peer_events_per_s:.0f}",
        "hftbacktest_quoter_fills": str(peer_fills),
        "ratio_mmbot_engine_vs_hftbacktest_quoter": f"{ratio:.3f}",
    }
    met = events_per_s >= TARGET_EVENTS_PER_S
    summary["result"] = "OK" if met else "BELOW_TARGET"
    print("--- summary")
    for key, value in summary.items():
        print(f"{key}={value}")
    print(
        f"RESULT={summary['result']} mmbot engine {events_per_s:,.0f} events/s (target >= "
        f"{TARGET_EVENTS_PER_S:,}), {summary['us_per_decision']} us/decision at "
        f"{summary['events_per_decision']} events/decision, ratio to hftbacktest's simple "
        f"quoter {ratio:.3f}, peak RSS {rss_mib:.0f} MiB"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
