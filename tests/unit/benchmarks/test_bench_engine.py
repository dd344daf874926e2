"""The engine benchmarks on a tiny market: the book case's lines, its counts and the probes.

bench_engine.py's book case (benchmarks/_engine_runs.py) runs here at 3,000 events per symbol;
its printed lines are parsed and checked against each other. The probes of bench_decide.py
(benchmarks/_engine_timing.py) are checked on a book: every symbol and leg is timed, and a
probed run trades exactly as an unprobed one.
"""

from __future__ import annotations

import re
import time
from typing import Any

import numpy as np
import pytest

from _engine_runs import TARGET_BOOK_COST_RATIO, book_case, book_result_line, run_figures
from _engine_setup import (
    BOOK_MODELS,
    BOOK_SYMBOLS,
    SEED,
    book_events,
    book_market,
    new_book_engine,
    new_engine,
)
from _engine_timing import probe_components
from bench_decide import fused_headline, loop_headline
from mmbot.data import SYNTH_META, EventBatch, synthesize
from mmbot.engine.loop import Engine
from mmbot.strategy import decide

TINY_EVENTS = 3_000
# The one-leg engine's GLFT quotes nothing in its first seconds (estimators warming up): ~80 s
# of market gets it sending orders.
SINGLE_EVENTS = 40_000
SLOW_SEND_NS = 1_000_000
N_LEGS = len(BOOK_SYMBOLS) * len(BOOK_MODELS)
_FLOATS = re.compile(r"\[([^\]]*)\]")


@pytest.fixture(scope="module")
def single_batch() -> EventBatch:
    return EventBatch.concat(synthesize(SEED, SINGLE_EVENTS, meta=SYNTH_META))


@pytest.fixture(scope="module")
def tiny_book() -> dict[str, EventBatch]:
    return book_events(book_market(SEED, TINY_EVENTS))


def _ran(engine: Engine) -> Engine:
    engine.run()
    return engine


def _bracketed(line: str) -> list[float]:
    match = _FLOATS.search(line)
    assert match is not None, line
    return [float(value) for value in match.group(1).split(", ")]


def _line_after(lines: list[str], prefix: str) -> str:
    found = [line for line in lines if line.startswith(prefix)]
    assert len(found) == 1, (prefix, lines)
    return found[0]


def test_book_case_tiny_prints_consistent_lines(
    single_batch: EventBatch, capsys: pytest.CaptureFixture[str]
) -> None:
    summary = book_case(book_market(SEED, TINY_EVENTS), lambda: new_engine(single_batch))
    print(book_result_line(summary))
    lines = capsys.readouterr().out.splitlines()

    header = f"book: {len(BOOK_SYMBOLS)} symbols x {len(BOOK_MODELS)} strategies, {TINY_EVENTS}"
    assert lines[0].startswith(header)
    run_s = _bracketed(_line_after(lines, "  mmbot book run_s sorted=["))
    ratios = _bracketed(_line_after(lines, "  book/single cost per leg decision sorted=["))
    assert len(run_s) == len(ratios) == 3
    assert run_s == sorted(run_s)
    assert ratios == sorted(ratios)
    ratio = float(summary["book_cost_ratio_per_leg_decision"])
    assert ratio == pytest.approx(ratios[1], abs=1e-3)  # the median pair is reported
    book_us = float(summary["book_us_per_leg_decision"])
    single_us = float(summary["single_us_per_leg_decision"])
    assert ratio == pytest.approx(book_us / single_us, rel=1e-3)
    assert summary["book_symbols"] == ",".join(BOOK_SYMBOLS)
    assert summary["book_legs"] == str(N_LEGS)
    assert summary["book_events"] == str(len(BOOK_SYMBOLS) * TINY_EVENTS)
    events_per_s = int(summary["book_events"]) / float(summary["book_run_s"])
    assert float(summary["book_events_per_s"]) == pytest.approx(events_per_s, rel=0.05)
    leg_decisions = int(summary["book_leg_decisions"])
    assert 0 < leg_decisions <= N_LEGS * int(summary["book_decisions"])
    assert leg_decisions % len(BOOK_MODELS) == 0  # every symbol decides for all its legs
    assert float(summary["book_peak_rss_mib"]) > 0
    met = ratio <= TARGET_BOOK_COST_RATIO
    assert summary["book_result"] == ("OK" if met else "BELOW_TARGET")
    result = re.fullmatch(
        rf"RESULT=(OK|BELOW_TARGET) book of {N_LEGS} legs \(BTCUSDT,ETHUSDT,SOLUSDT,XRPUSDT x "
        r"glft,fixed_spread,avellaneda_stoikov\): ([0-9.]+)x the single case's cost per leg "
        r"decision \(target <= 1\.2\), .* events/s, peak RSS .* MiB",
        lines[-1],
    )
    assert result is not None, lines[-1]
    assert (result.group(1), float(result.group(2))) == (summary["book_result"], ratio)


def test_run_figures_book_sums_every_symbol_and_leg(tiny_book: dict[str, EventBatch]) -> None:
    engine = _ran(new_book_engine(tiny_book))

    figures = run_figures(engine, run_s=1.0, build_s=0.0)

    quoted = [len(book.record.inventory_lots) for book in engine.books]
    assert (figures["symbols"], figures["legs"]) == (len(BOOK_SYMBOLS), N_LEGS)
    assert figures["quoted_decisions"] == sum(quoted)
    assert figures["leg_decisions"] == len(BOOK_MODELS) * sum(quoted)
    assert figures["fills"] == sum(leg.ledger.fills for leg in engine.legs) > 0
    assert figures["orders"] == sum(leg.orders.quotes_placed_total for leg in engine.legs)


def test_run_figures_one_leg_leg_decisions_are_its_decisions(single_batch: EventBatch) -> None:
    engine = _ran(new_engine(single_batch))

    figures = run_figures(engine, run_s=1.0, build_s=0.0)

    assert figures["leg_decisions"] == figures["quoted_decisions"]
    assert figures["quoted_decisions"] == len(engine.record.inventory_lots) > 0
    assert figures["decisions"] == engine.record.decisions
    assert figures["final_position_lots"] == engine.ledger.position_lots


def test_probe_components_book_times_every_symbol_and_leg_without_changing_it(
    tiny_book: dict[str, EventBatch],
) -> None:
    plain = _ran(new_book_engine(tiny_book))
    probed = new_book_engine(tiny_book)
    sinks = probe_components(probed)
    probed.run()

    steps = probed.books[0].record.decisions
    quoted = sum(len(book.record.inventory_lots) for book in probed.books)
    assert len(sinks["run_until"]) == len(BOOK_SYMBOLS) * steps
    assert len(sinks["after_step"]) == quoted
    assert len(sinks["decide"]) == len(sinks["plan"]) == len(BOOK_MODELS) * quoted
    assert all(leg.decide is decide for leg in plain.legs)  # probes touch their engine only
    assert [leg.ledger.fills for leg in probed.legs] == [leg.ledger.fills for leg in plain.legs]
    assert [leg.orders.quotes_placed_total for leg in probed.legs] == [
        leg.orders.quotes_placed_total for leg in plain.legs
    ]


def test_headline_one_leg_times_each_decision_apart_from_its_send(
    single_batch: EventBatch, monkeypatch: pytest.MonkeyPatch
) -> None:
    send = Engine._send

    def slow_send(*args: Any) -> None:  # a hand-off far slower than any decision
        started_ns = time.perf_counter_ns()
        send(*args)
        while time.perf_counter_ns() - started_ns < SLOW_SEND_NS:
            pass

    monkeypatch.setattr(Engine, "_send", staticmethod(slow_send))
    timings = loop_headline(single_batch)

    reference = _ran(new_engine(single_batch, fused=False))
    decision_ns, send_ns, step_ns = timings["decision"], timings["send"], timings["step"]
    assert len(decision_ns) == len(send_ns) == len(reference.record.inventory_lots)
    assert len(step_ns) == reference.record.decisions
    sent = send_ns > 0
    assert np.all(decision_ns > 0)
    assert np.all(send_ns[sent] >= SLOW_SEND_NS)
    assert np.median(decision_ns[sent]) < SLOW_SEND_NS / 2  # the hand-off is not in it
    assert decision_ns.sum() + send_ns.sum() < step_ns.sum()


def test_fused_headline_times_every_point_and_each_decision_inside_its_point(
    single_batch: EventBatch,
) -> None:
    timings = fused_headline(single_batch)

    reference = _ran(new_engine(single_batch, fused=False))
    decision_ns, step_ns = timings["decision"], timings["step"]
    assert len(step_ns) == reference.record.decisions
    assert len(decision_ns) == len(reference.record.inventory_lots)
    assert np.all(decision_ns > 0) and np.all(step_ns > 0)
    assert decision_ns.sum() < step_ns.sum()
