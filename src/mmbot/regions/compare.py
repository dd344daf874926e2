"""The region comparison: each region's eligibility, the winner, REGION_COMPARE.json and .md.

Pure: from the regions config, each region's run figures and the injected time, a document
(the JSON payload) and its Markdown rendering. Rules (docs/REGIONS.md):

- eligible = enabled and meeting every winner threshold; every missed threshold is named.
- winner = the eligible region with the best net_bps; a tie on net_bps goes to the lower
  latency p95, then to the name (a total order: the same inputs, the same winner).
- no eligible region: `winner` is null and `winner_note` says why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from mmbot.artifacts import fmt6, markdown_table, utc_iso
from mmbot.regions.config import RegionConfig, RegionsConfig, WinnerThresholds
from mmbot.regions.runs import RegionFigures, RegionRun

COMPARE_JSON: Final = "REGION_COMPARE.json"
COMPARE_MD: Final = "REGION_COMPARE.md"
# (figure, operator, threshold): a region is eligible when every figure holds its threshold.
THRESHOLD_CHECKS: Final = (
    ("net_bps", ">=", "min_net_bps"),
    ("taker_share_pct", "<=", "max_taker_share_pct"),
    ("order_age_p95_ms", "<=", "max_order_age_p95_ms"),
    ("latency_p95_ms", "<=", "max_latency_p95_ms"),
    ("fill_rate", ">=", "min_fill_rate"),
)
WINNER_RULE: Final = (
    "best net_bps among enabled regions meeting every threshold; "
    "a tie on net_bps goes to the lower latency_p95_ms, then to the name"
)
NO_WINNER_NOTE: Final = "no eligible region: no enabled region meets every threshold; no winner"
_TABLE_COLUMNS: Final = (
    "region",
    "enabled",
    "mode",
    "net_bps",
    "taker_share_pct",
    "order_age_p95_ms",
    "latency_p95_ms",
    "fill_rate",
    "cost_usd_month",
    "eligible",
)


@dataclass(frozen=True, slots=True)
class RegionVerdict:
    """A region, its run and the thresholds its run misses."""

    region: RegionConfig
    run: RegionRun
    failing: tuple[str, ...]

    @property
    def eligible(self) -> bool:
        """Return whether the region may win: enabled and missing no threshold."""
        return self.region.enabled and not self.failing


@dataclass(frozen=True, slots=True)
class CompareSources:
    """Where a comparison's inputs came from, as recorded in REGION_COMPARE.json."""

    config_path: str
    config_sha256: str
    runs_dir: str


def failing_thresholds(figures: RegionFigures, thresholds: WinnerThresholds) -> tuple[str, ...]:
    """Return each missed threshold as `figure=value op limit fails` (fixed six decimals)."""
    failing = []
    for figure, op, threshold in THRESHOLD_CHECKS:
        value, limit = getattr(figures, figure), getattr(thresholds, threshold)
        if not (value >= limit if op == ">=" else value <= limit):
            failing.append(f"{figure}={fmt6(value)} {op} {fmt6(limit)} fails")
    return tuple(failing)


def judge_regions(config: RegionsConfig, runs: Mapping[str, RegionRun]) -> list[RegionVerdict]:
    """Return every region's verdict, by name."""
    return [
        RegionVerdict(
            region,
            runs[region.name],
            failing_thresholds(runs[region.name].figures, config.thresholds),
        )
        for region in sorted(config.regions, key=lambda region: region.name)
    ]


def _rank(verdict: RegionVerdict) -> tuple[float, float, str]:
    figures = verdict.run.figures
    return (-figures.net_bps, figures.latency_p95_ms, verdict.region.name)


def pick_winner(verdicts: Sequence[RegionVerdict]) -> RegionVerdict | None:
    """Return the eligible region with the best net_bps (ties: lower latency p95, then name)."""
    return min((verdict for verdict in verdicts if verdict.eligible), key=_rank, default=None)


def _winner_note(verdicts: Sequence[RegionVerdict], winner: RegionVerdict | None) -> str:
    """Return why the winner won (naming the regions it tied with on net_bps), or that none
    did."""
    if winner is None:
        return NO_WINNER_NOTE
    best_bps = winner.run.figures.net_bps
    tied = [
        v.region.name
        for v in verdicts
        if v.eligible and v is not winner and v.run.figures.net_bps == best_bps
    ]
    if not tied:
        return f"{winner.region.name}: best net_bps among eligible regions"
    return (
        f"{winner.region.name}: net_bps tied with {','.join(tied)}; "
        "the lower latency_p95_ms (then the name) wins"
    )


def compare_document(
    config: RegionsConfig,
    runs: Mapping[str, RegionRun],
    sources: CompareSources,
    generated_ns: int,
) -> dict[str, object]:
    """Return the REGION_COMPARE.json payload."""
    verdicts = judge_regions(config, runs)
    winner = pick_winner(verdicts)
    files = {path: sha for run in runs.values() for path, sha in run.inputs.items()}
    return {
        "generated_utc": utc_iso(generated_ns),
        "inputs": {
            "config": sources.config_path,
            "config_sha256": sources.config_sha256,
            "files": files,
            "runs": sources.runs_dir,
        },
        "regions": [_region_payload(verdict) for verdict in verdicts],
        "thresholds": config.thresholds.model_dump(),
        "winner": None if winner is None else winner.region.name,
        "winner_note": _winner_note(verdicts, winner),
        "winner_rule": WINNER_RULE,
    }


def _region_payload(verdict: RegionVerdict) -> dict[str, object]:
    region = verdict.region
    return {
        "configured_latency_ms": region.latency_ms,
        "cost_usd_month": region.cost_usd_month,
        "eligible": verdict.eligible,
        "enabled": region.enabled,
        "endpoint": region.endpoint,
        "failing": list(verdict.failing),
        "figures": verdict.run.figures.payload(),
        "mode": verdict.run.mode,
        "name": region.name,
    }


def render_compare_md(document: Mapping[str, object]) -> str:
    """Return REGION_COMPARE.md from the JSON payload: winner, table, eligibility, inputs."""
    regions, inputs, thresholds = document["regions"], document["inputs"], document["thresholds"]
    assert isinstance(regions, list) and isinstance(inputs, dict)
    assert isinstance(thresholds, dict)
    winner = document["winner"]
    lines = [
        f"# Region compare: WINNER={winner or 'none'}",
        "",
        f"- Generated: {document['generated_utc']}",
        f"- Config: {inputs['config']} (sha256 {inputs['config_sha256']})",
        f"- Runs: {inputs['runs']}",
        f"- Winner: {document['winner_note']}",
        f"- Rule: {document['winner_rule']}",
        "",
        "## Regions\n\n" + markdown_table(_TABLE_COLUMNS, [_table_row(r) for r in regions]),
        "## Eligibility",
        "",
        *(_eligibility_line(region) for region in regions),
        "",
        "## Thresholds\n\n"
        + markdown_table(
            ("threshold", "value"),
            [[name, _float(thresholds[name])] for name in sorted(thresholds)],
        ),
        "## Inputs\n\n" + markdown_table(("file", "sha256"), sorted(inputs["files"].items())),
    ]
    return "\n".join(lines)


def _float(value: object) -> float:
    assert isinstance(value, int | float), value
    return float(value)


def _table_row(region: dict[str, object]) -> list[str | float | bool]:
    figures = region["figures"]
    assert isinstance(figures, dict)
    return [
        str(region["name"]),
        bool(region["enabled"]),
        str(region["mode"]),
        *(_float(figures[name]) for name, _, _ in THRESHOLD_CHECKS),
        _float(region["cost_usd_month"]),
        bool(region["eligible"]),
    ]


def _eligibility_line(region: dict[str, object]) -> str:
    failing = region["failing"]
    assert isinstance(failing, list)
    if region["eligible"]:
        return f"- {region['name']}: eligible"
    reasons = ([] if region["enabled"] else ["disabled"]) + [str(item) for item in failing]
    return f"- {region['name']}: not eligible: {'; '.join(reasons)}"
