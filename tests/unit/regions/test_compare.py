"""Eligibility, the winner and its tie-breaks, the compare document and its Markdown (pure)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from mmbot.artifacts import canonical_json_bytes
from mmbot.regions import (
    NO_WINNER_NOTE,
    CompareSources,
    RegionFigures,
    RegionRun,
    RegionsConfig,
    compare_document,
    failing_thresholds,
    judge_regions,
    pick_winner,
    render_compare_md,
)

GENERATED_NS = 1_767_596_400 * 1_000_000_000  # 2026-01-05T07:00:00Z
SOURCES = CompareSources("configs/regions.yaml", "ab" * 32, "out/regions")
GOOD = RegionFigures(net_bps=3.0, taker_share_pct=5.0, order_age_p95_ms=200.0,
                     latency_p95_ms=20.0, fill_rate=0.8)  # fmt: skip


def _config(*regions: tuple[str, bool]) -> RegionsConfig:
    return RegionsConfig.model_validate({
        "regions": [{"name": name, "enabled": enabled, "endpoint": "wss://venue.example/ws",
                     "latency_ms": 1.0, "cost_usd_month": 100.0} for name, enabled in regions],
        "thresholds": {"min_net_bps": 2.5, "max_taker_share_pct": 15.0,
                       "max_order_age_p95_ms": 350.0, "max_latency_p95_ms": 50.0,
                       "min_fill_rate": 0.5},
        "change_window": {"days_utc": ["mon"], "start_hour_utc": 6, "end_hour_utc": 10},
        "cooldown_hours": 24.0,
        "compare_max_age_hours": 6.0,
    })  # fmt: skip


def _run(name: str, **changes: Any) -> RegionRun:
    figures = dataclasses.replace(GOOD, **changes)
    return RegionRun("live-sim", figures, {f"{name}/live_sim.json": "0" * 64})


def _winner(config: RegionsConfig, runs: dict[str, RegionRun]) -> str | None:
    winner = pick_winner(judge_regions(config, runs))
    return None if winner is None else winner.region.name


@pytest.mark.parametrize(
    ("changes", "failing"),
    [
        ({}, ()),
        ({"net_bps": 2.5, "taker_share_pct": 15.0, "order_age_p95_ms": 350.0,
          "latency_p95_ms": 50.0, "fill_rate": 0.5}, ()),  # every limit itself passes
        ({"net_bps": 2.49}, ("net_bps=2.490000 >= 2.500000 fails",)),
        ({"taker_share_pct": 15.5}, ("taker_share_pct=15.500000 <= 15.000000 fails",)),
        ({"order_age_p95_ms": 351.0}, ("order_age_p95_ms=351.000000 <= 350.000000 fails",)),
        ({"latency_p95_ms": 50.5}, ("latency_p95_ms=50.500000 <= 50.000000 fails",)),
        ({"fill_rate": 0.4}, ("fill_rate=0.400000 >= 0.500000 fails",)),
        ({"net_bps": -1.0, "latency_p95_ms": 90.0},
         ("net_bps=-1.000000 >= 2.500000 fails", "latency_p95_ms=90.000000 <= 50.000000 fails")),
    ],
)  # fmt: skip
def test_failing_thresholds_names_each_missed_threshold(
    changes: dict[str, float], failing: tuple[str, ...]
) -> None:
    figures = dataclasses.replace(GOOD, **changes)
    assert failing_thresholds(figures, _config(("a", True)).thresholds) == failing


def test_pick_winner_best_net_bps_among_eligible() -> None:
    config = _config(("a", True), ("b", True), ("c", True))
    runs = {"a": _run("a", net_bps=3.0), "b": _run("b", net_bps=4.0),
            "c": _run("c", net_bps=9.0, latency_p95_ms=60.0)}  # fmt: skip
    assert _winner(config, runs) == "b"  # c has the best net_bps but misses latency


def test_pick_winner_tie_on_net_bps_goes_to_lower_latency() -> None:
    config = _config(("a", True), ("b", True))
    runs = {"a": _run("a", net_bps=3.0, latency_p95_ms=30.0),
            "b": _run("b", net_bps=3.0, latency_p95_ms=10.0)}  # fmt: skip
    assert _winner(config, runs) == "b"
    document = compare_document(config, runs, SOURCES, GENERATED_NS)
    assert document["winner_note"] == (
        "b: net_bps tied with a; the lower latency_p95_ms (then the name) wins"
    )


def test_pick_winner_tie_on_net_bps_and_latency_goes_to_the_name() -> None:
    config = _config(("b", True), ("a", True))
    runs = {"a": _run("a"), "b": _run("b")}
    assert _winner(config, runs) == "a"


def test_pick_winner_disabled_region_never_wins() -> None:
    config = _config(("a", True), ("off", False))
    runs = {"a": _run("a", net_bps=3.0), "off": _run("off", net_bps=50.0, latency_p95_ms=1.0)}
    assert _winner(config, runs) == "a"
    verdicts = {v.region.name: v for v in judge_regions(config, runs)}
    assert (verdicts["off"].eligible, verdicts["off"].failing) == (False, ())


def test_compare_document_no_eligible_region_winner_null_and_stated() -> None:
    config = _config(("a", True), ("off", False))
    runs = {"a": _run("a", fill_rate=0.1), "off": _run("off")}
    document = compare_document(config, runs, SOURCES, GENERATED_NS)
    assert document["winner"] is None
    assert document["winner_note"] == NO_WINNER_NOTE
    markdown = render_compare_md(document)
    assert markdown.startswith("# Region compare: WINNER=none\n")
    assert f"- Winner: {NO_WINNER_NOTE}\n" in markdown
    assert "- a: not eligible: fill_rate=0.100000 >= 0.500000 fails\n" in markdown
    assert "- off: not eligible: disabled\n" in markdown


def test_compare_document_lists_every_region_by_name_whatever_the_config_order() -> None:
    runs = {"a": _run("a"), "b": _run("b", net_bps=2.0), "off": _run("off")}
    forward = _config(("a", True), ("b", True), ("off", False))
    backward = _config(("off", False), ("b", True), ("a", True))
    documents = [compare_document(c, runs, SOURCES, GENERATED_NS) for c in (forward, backward)]
    assert canonical_json_bytes(documents[0]) == canonical_json_bytes(documents[1])
    regions = documents[0]["regions"]
    assert isinstance(regions, list)
    assert [(r["name"], r["eligible"], r["enabled"]) for r in regions] == [
        ("a", True, True),
        ("b", False, True),
        ("off", False, False),
    ]
    assert regions[1]["failing"] == ["net_bps=2.000000 >= 2.500000 fails"]


def test_compare_document_records_time_inputs_and_thresholds() -> None:
    config = _config(("a", True))
    document = compare_document(config, {"a": _run("a")}, SOURCES, GENERATED_NS)
    assert document["generated_utc"] == "2026-01-05T07:00:00Z"
    assert document["inputs"] == {
        "config": "configs/regions.yaml",
        "config_sha256": "ab" * 32,
        "files": {"a/live_sim.json": "0" * 64},
        "runs": "out/regions",
    }
    assert document["thresholds"] == config.thresholds.model_dump()


def test_render_compare_md_table_row_per_region_with_fixed_decimals() -> None:
    config = _config(("a", True))
    markdown = render_compare_md(compare_document(config, {"a": _run("a")}, SOURCES, GENERATED_NS))
    assert markdown.startswith("# Region compare: WINNER=a\n")
    row = ("| a | true | live-sim | 3.000000 | 5.000000 | 200.000000 | 20.000000 | 0.800000 "
           "| 100.000000 | true |")  # fmt: skip
    assert row in markdown.splitlines()
    assert "| a/live_sim.json | " + "0" * 64 + " |" in markdown.splitlines()
    assert markdown.isascii() and markdown.endswith("|\n")
