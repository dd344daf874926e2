"""The RC checks' comparison: every series must hold, the worst one is recorded, the
boundaries are on the side the checklist puts them, no series and NaN fail."""

from __future__ import annotations

import math

import pytest

from mmbot.release import RC_CHECKS
from mmbot.release.rc import Limit, Op, RcCheck, holds, judge
from mmbot.release.settings import RcLimits


@pytest.mark.parametrize(
    ("value", "op", "limit", "expected"),
    [
        (350.0, "<=", 350.0, True),
        (350.5, "<=", 350.0, False),
        (0.05, ">=", 0.05, True),
        (0.049, ">=", 0.05, False),
        (0.0, ">", 0.0, False),
        (0.01, ">", 0.0, True),
        (1.0, "==", 1.0, True),
        (0.0, "==", 1.0, False),
        (2.0, "in", (-0.5, 2.0), True),
        (-0.5, "in", (-0.5, 2.0), True),
        (2.01, "in", (-0.5, 2.0), False),
        (-0.6, "in", (-0.5, 2.0), False),
    ],
)
def test_holds_at_and_across_each_boundary(
    value: float, op: Op, limit: Limit, expected: bool
) -> None:
    assert holds(value, op, limit) is expected


def test_every_check_has_a_limit_and_every_limit_a_check() -> None:
    assert [check.name for check in RC_CHECKS] == list(RcLimits.model_fields)


FILL_RATE = RcCheck("fill_rate", "cost_fillrate_ewma", ">=")


def test_judge_records_the_worst_series_and_fails_if_any_breaks() -> None:
    passing = judge(FILL_RATE, FILL_RATE.query, 0.05, [0.3, 0.05, 0.9])
    assert passing.problem is None and passing.value == 0.05 and passing.series == 3
    failing = judge(FILL_RATE, FILL_RATE.query, 0.05, [0.3, 0.01, 0.9])
    assert failing.value == 0.01
    assert failing.problem == (
        "E_RC_THRESHOLD: check=fill_rate query=cost_fillrate_ewma value=0.01 expected>=0.05"
    )


def test_judge_fails_on_no_series_and_on_nan() -> None:
    empty = judge(FILL_RATE, FILL_RATE.query, 0.05, [])
    assert empty.problem is not None and empty.problem.startswith("E_RC_NO_DATA: check=fill_rate")
    nan = judge(FILL_RATE, FILL_RATE.query, 0.05, [0.3, math.nan])
    assert nan.problem is not None and nan.problem.startswith("E_RC_THRESHOLD:")
    assert nan.value is None and nan.payload()["value"] is None
