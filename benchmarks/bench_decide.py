"""Decision latency benchmark: one full decision of the engine, in microseconds.

    python benchmarks/bench_decide.py [--events 1000000] [--seed 7]

Runs the full stack (mmbot.node.build_engine, config in _engine_setup.py: GLFT, micro
signals, sizing, risk gate, allocator) over bench_sim's event file and times every decision
point:

* headline pass: the backtest as `mmbot backtest run` runs it, through the fused replay
  (venues/fused: the simulator and the decision in one compiled loop), each point timed
  inside the loop by the monotonic clock (~25 ns a read): decision = day roll and allocator
  (every 1 s), risk context and invariants, signals + model + sizing, the risk gate's shape
  of the quote, order planning, risk check and the hand-off to the simulator; step = the
  whole point (simulation to the point, reports, view, decision, records);
* the engine's own loop (Engine.step, the Python reference every mode shares), timed with
  time.perf_counter_ns: decision = Engine._book_step + Engine._decide without the venue
  hand-off; send; step = the whole Engine.step. Twice: the built-in strategy, and the same
  strategy in plain Python (decide_python) through the same port (Leg.decide), as a user's
  Python strategy runs; both make the same decisions as the fused loop.
A last pass wraps each collaborator of the engine's own loop in a probe and prints where its
step's time goes (each probe adds ~0.1 us). Prints key=value lines (the engine loop's
prefixed `loop_`, the plain-Python strategy's `python_`) and one summary line
`RESULT=OK|BELOW_TARGET` for the headline pass against issue 20's targets (decision p99 <
20 us, step p50 <= 8 us); always exits 0 (the targets are informative, not a test).
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import numpy.typing as npt

from _engine_setup import CONFIG_LABEL, N_EVENTS, SEED, load_bench_events, new_engine
from _engine_timing import probe_components, quantiles_us
from mmbot.core.clock import SimClock
from mmbot.core.types import Action, MarketView
from mmbot.data import EventBatch
from mmbot.engine.book import Leg, SymbolBook
from mmbot.engine.loop import Engine
from mmbot.risk import Exposure
from mmbot.strategy import DecideFn, decide, decide_python
from mmbot.venues.fused.layout import T_DECISION_NS, T_STEP_NS
from mmbot.venues.fused.replay import timed_fused_replay

TARGET_DECISION_P99_US = 20.0
TARGET_STEP_P50_US = 8.0
WARMUP_EVENTS = 20_000


def _drive(engine: Engine) -> list[int]:
    """Run engine over its data like Engine.run, returning each step's duration (ns)."""
    clock = time.perf_counter_ns
    step, advance_to = engine.step, engine_clock(engine).advance_to
    interval_ns = engine.params.decision_interval_ns
    ts_ns = engine.first_ts_ns()
    step_ns: list[int] = []
    append = step_ns.append
    alive = True
    while alive:
        advance_to(ts_ns)
        started_ns = clock()
        alive = step()
        append(clock() - started_ns)
        ts_ns += interval_ns
    return step_ns


def engine_clock(engine: Engine) -> SimClock:
    """Return the backtest engine's SimClock (the one this driver moves)."""
    assert isinstance(engine.clock, SimClock)
    return engine.clock


def fused_headline(batch: EventBatch) -> dict[str, npt.NDArray[np.int64]]:
    """Return the fused replay's per-point durations (ns): decision (points that decided)
    and step (every point)."""
    timing = timed_fused_replay(new_engine(batch))
    decision = timing[:, T_DECISION_NS]
    return {"decision": decision[decision >= 0], "step": timing[:, T_STEP_NS]}


def loop_headline(
    batch: EventBatch, strategy: DecideFn = decide
) -> dict[str, npt.NDArray[np.int64]]:
    """Return the engine's own loop's per-call durations (ns) of decision, send and step over
    the whole batch, every leg deciding with strategy."""
    engine = new_engine(batch, fused=False)
    for leg in engine.legs:
        leg.decide = strategy
    clock = time.perf_counter_ns
    book_step, decide, send = engine._book_step, engine._decide, engine._send
    decision_ns: list[int] = []
    send_ns: list[int] = []
    # Within the current decision point: the book-wide part's time (day roll, allocator),
    # then the venue hand-off time (0 when nothing is sent).
    book_step_ns = [0]
    sent_ns = [0]

    def timed_book_step(ts_ns: int, exposures: list[Exposure] | None) -> None:
        started_ns = clock()
        book_step(ts_ns, exposures)
        book_step_ns[0] = clock() - started_ns

    def timed_send(book: SymbolBook, leg: Leg, actions: list[Action], ts_ns: int) -> None:
        started_ns = clock()
        send(book, leg, actions, ts_ns)
        sent_ns[0] += clock() - started_ns

    def timed_decide(book: SymbolBook, view: MarketView) -> None:
        sent_ns[0] = 0
        started_ns = clock()
        decide(book, view)
        decision_ns.append(book_step_ns[0] + clock() - started_ns - sent_ns[0])
        send_ns.append(sent_ns[0])
        book_step_ns[0] = 0

    # Instance attributes shadow the methods: step calls self._book_step and self._decide, and
    # _decide calls self._send, so all three are seen. One leg: one _decide per _book_step.
    engine._book_step = timed_book_step  # type: ignore[method-assign]
    engine._decide = timed_decide  # type: ignore[method-assign]
    engine._send = timed_send  # type: ignore[method-assign]
    step_ns = _drive(engine)
    return {
        "decision": np.asarray(decision_ns, dtype=np.int64),
        "send": np.asarray(send_ns, dtype=np.int64),
        "step": np.asarray(step_ns, dtype=np.int64),
    }


def breakdown(batch: EventBatch) -> dict[str, dict[str, float]]:
    """Return mean/p50/p99 (us) of each probed component over the whole batch."""
    engine = new_engine(batch, fused=False)
    sinks = probe_components(engine)
    _drive(engine)
    return {name: quantiles_us(durations) for name, durations in sinks.items()}


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="mmbot decision latency benchmark")
    parser.add_argument("--events", type=int, default=N_EVENTS, help="events in the file")
    parser.add_argument("--seed", type=int, default=SEED, help="seed of the synthetic market")
    return parser.parse_args()


def main() -> int:
    """Run the benchmark and print its figures; return 0."""
    args = _parse_args()
    event_file, batch, _ = load_bench_events(args.seed, args.events)
    print(f"events_file={event_file.path} sha256={event_file.sha256} reused={event_file.reused}")
    print(f"config={CONFIG_LABEL}")
    # Compile (or load) and bind the compiled entry points of both paths.
    new_engine(batch.slice(0, WARMUP_EVENTS)).run()
    new_engine(batch.slice(0, WARMUP_EVENTS), fused=False).run()

    timings = fused_headline(batch)
    n_decisions = len(timings["decision"])
    n_steps = len(timings["step"])
    summary: dict[str, str] = {
        "events": str(len(batch)),
        "steps": str(n_steps),
        "decisions": str(n_decisions),
        "events_per_step": f"{len(batch) / n_steps:.2f}",
    }
    print("headline pass, the fused replay (timed inside the compiled loop):")
    _print_quantiles(timings, summary, "")
    # Where a fused step's time goes: its decision, and the rest (simulation to the point,
    # reports, view, records), as means over every point.
    outside_us = (timings["step"].sum() - timings["decision"].sum()) / n_steps / 1e3
    summary["simulation_reports_view_mean_us"] = f"{outside_us:.2f}"
    print(f"  outside the decision (simulation, reports, view, records) mean_us={outside_us:6.2f}")
    print("the engine's own loop, built-in strategy (decision = Engine._book_step + _decide")
    print("minus the venue hand-off):")
    _print_quantiles(loop_headline(batch), summary, "loop_")
    print("the engine's own loop, the same strategy in plain Python through the same port:")
    _print_quantiles(loop_headline(batch, decide_python), summary, "python_")

    print("the engine's own loop, component breakdown (each probe adds ~0.1 us):")
    for name, q in sorted(breakdown(batch).items(), key=lambda item: -item[1]["mean"]):
        means = f"mean_us={q['mean']:6.2f} p50_us={q['p50']:6.2f}"
        print(f"  {name:<12} {means} p99_us={q['p99']:6.2f}")
        summary[f"component_{name}_mean_us"] = f"{q['mean']:.2f}"

    decision_p99_us = float(summary["decision_p99_us"])
    step_p50_us = float(summary["step_p50_us"])
    met = decision_p99_us < TARGET_DECISION_P99_US and step_p50_us <= TARGET_STEP_P50_US
    summary["result"] = "OK" if met else "BELOW_TARGET"
    print("--- summary")
    for key, value in summary.items():
        print(f"{key}={value}")
    print(
        f"RESULT={summary['result']} decision p50={summary['decision_p50_us']} us "
        f"p99={decision_p99_us:.2f} us (target p99 < {TARGET_DECISION_P99_US:g} us), "
        f"step p50={step_p50_us:.2f} us (target <= {TARGET_STEP_P50_US:g} us) "
        f"p99={summary['step_p99_us']} us, {n_decisions} decisions (fused replay); engine "
        f"loop: decision p99={summary['loop_decision_p99_us']} us step p50="
        f"{summary['loop_step_p50_us']} us; plain-Python strategy: decision p99="
        f"{summary['python_decision_p99_us']} us step p50={summary['python_step_p50_us']} us"
    )
    return 0


def _print_quantiles(
    timings: dict[str, npt.NDArray[np.int64]], summary: dict[str, str], prefix: str
) -> None:
    """Print each timing's mean and quantiles; add them to summary as prefix + name keys."""
    for name, durations in timings.items():
        q = quantiles_us(durations)
        print(
            f"  {name:<9} mean_us={q['mean']:6.2f} p50_us={q['p50']:6.2f} "
            f"p99_us={q['p99']:6.2f} p999_us={q['p999']:7.2f} n={len(durations)}"
        )
        for key in ("p50", "p99", "p999"):
            summary[f"{prefix}{name}_{key}_us"] = f"{q[key]:.2f}"
        summary[f"{prefix}{name}_mean_us"] = f"{q['mean']:.2f}"


if __name__ == "__main__":
    sys.exit(main())
