"""Sizing trace, case 1: GLFT on the seeded fixture; raw vs capped sizes, pinned by a golden.

Regenerate on purpose only: pytest tests/e2e/test_sizing_trace.py --update-golden, and commit
the golden on its own saying why it changed.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
from tests.unit.strategy._fixture import fast_params, make_steps

from mmbot.artifacts import text_bytes
from mmbot.strategy import DecisionTrace, decide, format_trace, initial_state

GOLDEN = "sizing_trace_case1.out"
NUMBER_RE = re.compile(r"^-?\d+\.\d{6}$")
SEED = 1
N_STEPS = 2000


def _case1_traces() -> list[DecisionTrace]:
    params = fast_params(maker_bps=0.0, model="glft")
    state = initial_state(params)
    return [
        decide(state, step.view, step.position_lots, step.budget_lots, params).trace
        for step in make_steps(SEED, N_STEPS)
    ]


def test_sizing_trace_case1_capped_changes_less_than_raw() -> None:
    traces = _case1_traces()
    raw = np.array([(t.raw_bid_lots, t.raw_ask_lots) for t in traces], dtype=np.float64)
    capped = np.array([(t.capped_bid_lots, t.capped_ask_lots) for t in traces], dtype=np.float64)
    delta_raw = np.abs(np.diff(raw, axis=0))
    delta_capped = np.abs(np.diff(capped, axis=0))
    assert float(np.std(delta_capped)) < float(np.std(delta_raw))


def test_sizing_trace_case1_matches_golden_format_and_bytes(
    golden: Callable[[str, bytes], None],
) -> None:
    data = text_bytes(format_trace(_case1_traces()), where=GOLDEN)
    lines = data.decode("ascii").split("\n")
    assert data.endswith(b"\n") and lines[-1] == ""
    assert len(lines) - 1 == N_STEPS
    for line in lines[:-1]:
        numbers = line.split(" ")
        assert len(numbers) == 8
        assert all(NUMBER_RE.match(number) for number in numbers), line
    golden(GOLDEN, data)
