"""The soak day's verdict: fail levels, warn levels, unmeasured figures."""

from __future__ import annotations

import pytest

from mmbot.ops import Verdict, judge

HEALTHY: dict[str, float | int | None] = {
    "incidents_s0_s1": 0,
    "incidents_s2": 0,
    "net_bps": 3.1,
    "taker_share_pct": 2.0,
    "order_age_p95_ms": 200.0,
    "uptime_pct": 100.0,
}


def test_judge_healthy_day_is_ok_without_reasons() -> None:
    assert judge(HEALTHY) == (Verdict.OK, [])


@pytest.mark.parametrize(
    ("figure", "value", "verdict", "reason"),
    [
        ("incidents_s0_s1", 1, Verdict.FAIL, "FAIL incidents_s0_s1=1 expected<=0"),
        ("incidents_s2", 3, Verdict.WARN, "WARN incidents_s2=3 expected<=0"),
        ("net_bps", 2.49, Verdict.FAIL, "FAIL net_bps=2.490000 expected>=2.500000"),
        ("net_bps", 2.6, Verdict.WARN, "WARN net_bps=2.600000 expected>=2.750000"),
        ("net_bps", 2.75, Verdict.OK, None),
        (
            "taker_share_pct",
            15.5,
            Verdict.FAIL,
            "FAIL taker_share_pct=15.500000 expected<=15.000000",
        ),
        (
            "taker_share_pct",
            14.0,
            Verdict.WARN,
            "WARN taker_share_pct=14.000000 expected<=13.500000",
        ),
        (
            "order_age_p95_ms",
            351.0,
            Verdict.FAIL,
            "FAIL order_age_p95_ms=351.000000 expected<=350.000000",
        ),
        (
            "order_age_p95_ms",
            320.0,
            Verdict.WARN,
            "WARN order_age_p95_ms=320.000000 expected<=315.000000",
        ),
        (
            "order_age_p95_ms",
            350.0,
            Verdict.WARN,
            "WARN order_age_p95_ms=350.000000 expected<=315.000000",
        ),
        ("uptime_pct", 94.0, Verdict.FAIL, "FAIL uptime_pct=94.000000 expected>=95.000000"),
        ("uptime_pct", 98.0, Verdict.WARN, "WARN uptime_pct=98.000000 expected>=99.000000"),
        ("net_bps", None, Verdict.WARN, "WARN net_bps=n/a: not measured (no fills)"),
    ],
)
def test_judge_one_figure_past_a_level(
    figure: str, value: float | None, verdict: Verdict, reason: str | None
) -> None:
    got_verdict, reasons = judge({**HEALTHY, figure: value})
    assert got_verdict is verdict
    assert reasons == ([] if reason is None else [reason])


def test_judge_fail_wins_over_warn_and_every_reason_is_listed() -> None:
    verdict, reasons = judge({**HEALTHY, "incidents_s2": 1, "uptime_pct": 90.0})
    assert verdict is Verdict.FAIL
    assert reasons == [
        "WARN incidents_s2=1 expected<=0",
        "FAIL uptime_pct=90.000000 expected>=95.000000",
    ]
