"""Latency e2e (release checklist "Latency e2e"): naive reposting against the replace policy.

Each case runs one seeded fixture twice through the real engine. BEFORE: `naive_repost`
(cancel and place afresh at every decision, replace policy off, order/cancel buckets out of
the way). AFTER: `queue_aware`, the shipped behaviour (keep an order while its price is
unchanged, move it through the risk gate's replace policy). Figures, definitions and why
there are two cases: docs/LATENCY.md.

- case 1, the checklist's comparison: `fixture_tight` (1-tick book, fills come through the
  queue) with configs/fixtures/latency_queue.yaml. Every checklist condition is asserted.
- case 2, reported: the backtest PASS fixture (`fixture_alt`, conftest.fixture_alt_data: a
  wide book the maker quotes inside of, where the queue hardly matters). Its figures are
  pinned by a golden; there naive reposting fills more, through cancel/replace overfill
  (docs/LATENCY.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from _cli import REPO_ROOT, clean_env

from mmbot.artifacts import fmt6, text_bytes
from mmbot.backtest.latency import (
    LatencyFigures,
    intents_of,
    latency_figures,
    naive_baseline_config,
    time_to_fill_ns,
)
from mmbot.config import MmConfig, load_config
from mmbot.core.types import BUY, SELL, Quote
from mmbot.data import EventBatch, load_events, synthesize
from mmbot.data.synth_params import preset
from mmbot.engine.orders import ExecutionPolicy
from mmbot.node import build_policy_engine

FIXTURES = REPO_ROOT / "configs" / "fixtures"
SEED, EVENTS = 7, 300_000
P95_LIMIT_MS = 350.0


@dataclass(frozen=True, slots=True)
class Case:
    golden: str
    preset: str
    config: Path


CHECKLIST = Case("latency_queue_case1.out", "fixture_tight", FIXTURES / "latency_queue.yaml")
WIDE_BOOK = Case("latency_queue_case2.out", "fixture_alt", FIXTURES / "backtest_pass.yaml")
Figures = Callable[[Case], dict[str, LatencyFigures]]


def _run_case(case: Case, events: EventBatch) -> dict[str, LatencyFigures]:
    cfg = load_config(case.config, clean_env())
    strategy_id = cfg.config.strategy.model
    policies: tuple[tuple[str, MmConfig, ExecutionPolicy], ...] = (
        ("before", naive_baseline_config(cfg.config), "naive_repost"),
        ("after", cfg.config, "queue_aware"),
    )
    out = {}
    for label, run_cfg, execution in policies:
        engine = build_policy_engine(run_cfg, events, strategy_id, execution)
        engine.run()
        out[label] = latency_figures(engine)
    return out


@pytest.fixture(scope="module")
def figures(fixture_alt_data: Path) -> Figures:
    """Return figures(case): the case's figures under each execution policy (run once)."""

    @cache
    def of(case: Case) -> dict[str, LatencyFigures]:
        if case.preset == "fixture_alt":  # the session's CLI-written file
            return _run_case(case, load_events(fixture_alt_data)[0])
        params, meta = preset(case.preset)
        return _run_case(case, EventBatch.concat(synthesize(SEED, EVENTS, meta, params)))

    return of


def _line(label: str, f: LatencyFigures) -> str:
    line = (
        f"policy={label} p95_time_to_fill_ms={fmt6(f.p95_time_to_fill_ms)} "
        f"p95_order_age_ms={fmt6(f.p95_order_age_ms)} fill_rate={fmt6(f.intent_fill_rate)} "
        f"order_fill_rate={fmt6(f.order_fill_rate)} intents={f.intents} "
        f"filled_intents={f.filled_intents} orders={f.orders} fills={f.fills}"
    )
    if label == "after":
        line += f" replace_attempts={f.replace_attempts} replace_allowed={f.replace_allowed}"
    return line


@pytest.mark.selected
@pytest.mark.parametrize("case", [CHECKLIST, WIDE_BOOK], ids=["case1", "case2"])
def test_latency_queue_golden(
    figures: Figures, case: Case, golden: Callable[[str, bytes], None]
) -> None:
    runs = figures(case)
    text = "\n".join(_line(label, runs[label]) for label in ("before", "after"))
    golden(case.golden, text_bytes(text, case.golden))


@pytest.mark.selected
def test_latency_after_p95_time_to_fill_within_limit_and_not_above_before(
    figures: Figures,
) -> None:
    before, after = figures(CHECKLIST)["before"], figures(CHECKLIST)["after"]
    assert after.p95_time_to_fill_ms <= P95_LIMIT_MS
    assert after.p95_time_to_fill_ms <= before.p95_time_to_fill_ms


@pytest.mark.selected
def test_latency_after_fill_rate_not_below_before(figures: Figures) -> None:
    before, after = figures(CHECKLIST)["before"], figures(CHECKLIST)["after"]
    assert after.intent_fill_rate >= before.intent_fill_rate


@pytest.mark.selected
def test_latency_after_replace_policy_holds_some_replaces_back(figures: Figures) -> None:
    after = figures(CHECKLIST)["after"]
    assert 0 < after.replace_allowed < after.replace_attempts


@pytest.mark.selected
def test_latency_fixture_fills_come_through_the_queue(figures: Figures) -> None:
    # The case is meant to measure queue place: keeping it must buy fills. On the wide book
    # (case 2) it does not, which is why case 2 is reported, not asserted.
    tight, wide = figures(CHECKLIST), figures(WIDE_BOOK)
    assert tight["after"].fills > tight["before"].fills
    assert wide["after"].fills < wide["before"].fills


def test_time_to_fill_reposting_keeps_the_intent_start() -> None:
    # Arrange: bid wanted at 100 for three decisions (any reposting in between), then 101;
    # the ask is wanted at 105 throughout.
    quotes: list[tuple[int, Quote | None]] = [
        (0, Quote(100, 105, 5, 5)),
        (50, Quote(100, 105, 5, 5)),
        (100, Quote(100, 105, 3, 5)),  # a size change does not start a new intent
        (150, Quote(101, 105, 5, 5)),
        (200, None),
        (250, Quote(101, 105, 5, 0)),
    ]
    # Act
    intents = intents_of(quotes)
    ttf = time_to_fill_ns(
        intents, [120, 130, 170, 260], [BUY, BUY, SELL, BUY], [100, 100, 105, 101]
    )
    # Assert: bid@100 from 0 filled at 120 (the 130 fill is its second), ask@105 from 0 filled
    # at 170; bid@101 from 150 ended at 200 (None), a new bid@101 intent from 250 filled at 260.
    assert [(i.side, i.price_ticks, i.start_ts_ns) for i in intents] == [
        (BUY, 100, 0),
        (SELL, 105, 0),
        (BUY, 101, 150),
        (BUY, 101, 250),
    ]
    assert ttf == [120, 170, 10]
