"""Whole runs of an engine, timed, and bench_engine's book case (4 symbols x 3 strategies).

Kept apart from bench_engine.py so that the book case runs (and is tested) without
hftbacktest, which only bench_engine's peer needs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from _engine_setup import BOOK_MODELS, book_events, new_book_engine, new_engine
from mmbot.data import EventBatch, MarketSpec
from mmbot.engine.loop import Engine

N_REPEATS = 3
WARMUP_EVENTS = 20_000
# The book's cost per leg decision over the single case's: at most this, the cost grows no
# worse than linearly with symbols x strategies (a symbol's venue work is shared by its legs).
TARGET_BOOK_COST_RATIO = 1.2
_KIB_PER_MIB = 1024
_BYTES_PER_MIB = 1 << 20
_US_PER_S = 1e6


def peak_rss_mib() -> float:
    """Return this process's peak resident set size so far (Linux VmHWM)."""
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / _KIB_PER_MIB
    raise RuntimeError("VmHWM missing from /proc/self/status (Linux only)")


def run_figures(engine: Engine, run_s: float, build_s: float) -> dict[str, float]:
    """Return what one finished run did; counts are summed over the engine's symbols and legs."""
    books, legs = engine.books, engine.legs
    return {
        "run_s": run_s,
        "build_s": build_s,
        "symbols": float(len(books)),
        "legs": float(len(legs)),
        # Every symbol counts every decision point; a symbol decides at those with a
        # two-sided book, each of its legs once.
        "decisions": float(books[0].record.decisions),
        "quoted_decisions": float(sum(len(book.record.inventory_lots) for book in books)),
        "leg_decisions": float(
            sum(len(book.record.inventory_lots) * len(book.legs) for book in books)
        ),
        "fills": float(sum(leg.ledger.fills for leg in legs)),
        "orders": float(sum(leg.orders.quotes_placed_total for leg in legs)),
        "denials": float(sum(sum(book.record.denials.values()) for book in books)),
        "final_position_lots": float(books[0].position_lots),  # the first symbol's
    }


def timed_run(new: Callable[[], Engine]) -> dict[str, float]:
    """Return the figures of one whole run of a fresh engine from new()."""
    started_s = time.perf_counter()
    engine = new()
    built_s = time.perf_counter()
    engine.run()
    done_s = time.perf_counter()
    return run_figures(engine, done_s - built_s, built_s - started_s)


def median_run(
    label: str, new: Callable[[], Engine], warm: Callable[[], Engine]
) -> dict[str, float]:
    """Return the figures of the median of N_REPEATS whole runs, each of a fresh engine from
    new(), after one untimed run of warm() (compile and bind outside the timed runs)."""
    warm().run()
    runs = sorted((timed_run(new) for _ in range(N_REPEATS)), key=lambda run: run["run_s"])
    print(f"  {label} run_s sorted=[" + ", ".join(f"{r['run_s']:.3f}" for r in runs) + "]")
    return runs[len(runs) // 2]


def bench_mmbot(batch: EventBatch, fused: bool = True) -> dict[str, float]:
    """Return the median whole-file run of the one-symbol engine (fused: through the fused
    replay, as `mmbot backtest run` runs it; else the engine's own loop)."""
    label = "mmbot engine (fused replay)" if fused else "mmbot engine (engine loop)"
    return median_run(
        label,
        lambda: new_engine(batch, fused),
        lambda: new_engine(batch.slice(0, WARMUP_EVENTS), fused),
    )


def us_per_leg_decision(run: dict[str, float]) -> float:
    """Return a run's microseconds per leg decision."""
    return run["run_s"] / run["leg_decisions"] * _US_PER_S


def cost_ratio(book: dict[str, float], single: dict[str, float]) -> float:
    """Return the book's cost per leg decision over the single case's."""
    return us_per_leg_decision(book) / us_per_leg_decision(single)


def book_case(spec: MarketSpec, new_single: Callable[[], Engine]) -> dict[str, str]:
    """Run the book over spec's market; return its summary (key -> value), its cost per leg
    decision compared with the single case's engine from new_single (already warm)."""
    events = book_events(spec)
    print(
        f"book: {len(spec.symbols)} symbols x {len(BOOK_MODELS)} strategies, {spec.n_events} "
        f"events per symbol (seed {spec.seed}, correlation {spec.correlation:g}), median of "
        f"{N_REPEATS} (each run after a run of the single case):"
    )
    book, single = median_pair(events, new_single)
    return book_summary(spec, events, book, single, peak_rss_mib())


def median_pair(
    events: dict[str, EventBatch], new_single: Callable[[], Engine]
) -> tuple[dict[str, float], dict[str, float]]:
    """Return the (book run, single run) pair of median cost ratio among N_REPEATS pairs.

    Each book run follows a run of the single case, so that the two costs compared are
    measured under about the same load (the machine is shared).
    """
    new_book_engine(
        {symbol: batch.slice(0, WARMUP_EVENTS) for symbol, batch in events.items()}
    ).run()
    pairs = []
    for _ in range(N_REPEATS):
        single = timed_run(new_single)
        pairs.append((timed_run(lambda: new_book_engine(events)), single))
    book_run_s = sorted(book["run_s"] for book, _ in pairs)
    print("  mmbot book run_s sorted=[" + ", ".join(f"{run_s:.3f}" for run_s in book_run_s) + "]")
    pairs.sort(key=lambda pair: cost_ratio(*pair))
    ratios = ", ".join(f"{cost_ratio(*pair):.3f}" for pair in pairs)
    print(f"  book/single cost per leg decision sorted=[{ratios}]")
    return pairs[len(pairs) // 2]


def book_summary(
    spec: MarketSpec,
    events: dict[str, EventBatch],
    book: dict[str, float],
    single: dict[str, float],
    rss_mib: float,
) -> dict[str, str]:
    """Return the book's key=value figures and its result against TARGET_BOOK_COST_RATIO."""
    n_events = sum(len(batch) for batch in events.values())
    data_bytes = sum(column.nbytes for batch in events.values() for column in batch.columns())
    ratio = cost_ratio(book, single)
    return {
        "book_symbols": ",".join(spec.symbols),
        "book_strategies": ",".join(BOOK_MODELS),
        "book_legs": f"{book['legs']:.0f}",
        "book_correlation": f"{spec.correlation:g}",
        "book_events": str(n_events),
        "book_events_per_symbol": str(spec.n_events),
        "book_decisions": f"{book['decisions']:.0f}",
        "book_leg_decisions": f"{book['leg_decisions']:.0f}",
        "book_run_s": f"{book['run_s']:.3f}",
        "book_build_s": f"{book['build_s']:.3f}",
        "book_events_per_s": f"{n_events / book['run_s']:.0f}",
        "book_us_per_leg_decision": f"{us_per_leg_decision(book):.2f}",
        "single_us_per_leg_decision": f"{us_per_leg_decision(single):.2f}",
        "book_cost_ratio_per_leg_decision": f"{ratio:.3f}",
        "book_fills": f"{book['fills']:.0f}",
        "book_orders": f"{book['orders']:.0f}",
        "book_risk_denials": f"{book['denials']:.0f}",
        "book_data_mib": f"{data_bytes / _BYTES_PER_MIB:.1f}",
        "book_peak_rss_mib": f"{rss_mib:.1f}",
        "book_result": "OK" if ratio <= TARGET_BOOK_COST_RATIO else "BELOW_TARGET",
    }


def book_result_line(summary: dict[str, str]) -> str:
    """Return the book's one-line result."""
    return (
        f"RESULT={summary['book_result']} book of {summary['book_legs']} legs "
        f"({summary['book_symbols']} x {summary['book_strategies']}): "
        f"{summary['book_cost_ratio_per_leg_decision']}x the single case's cost per leg "
        f"decision (target <= {TARGET_BOOK_COST_RATIO:g}), "
        f"{summary['book_us_per_leg_decision']} vs {summary['single_us_per_leg_decision']} us, "
        f"{float(summary['book_events_per_s']):,.0f} events/s, peak RSS (VmHWM, incl. the "
        f"single case) {float(summary['book_peak_rss_mib']):.0f} MiB"
    )
