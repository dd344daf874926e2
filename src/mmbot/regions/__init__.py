"""Regions: where the bot runs from and how it moves (docs/REGIONS.md).

- config.py: configs/regions.yaml (regions, winner thresholds, change window, cooldown).
- runs.py: a region's figures from its live-sim or shadow run folder.
- compare.py: eligibility, the winner, REGION_COMPARE.json/.md (pure).
- compare_files.py: build and write the comparison; check a written one reproduces.
- timing.py: the change window, the cooldown, freshness (pure).
- plan.py: a change's plan and its checks (pure).
- journal.py: the journal of applied changes and the active-region state file.
- rollout.py: gather the facts, plan a switch or a rollout, apply a rollout.
"""

from mmbot.regions.compare import (
    COMPARE_JSON,
    COMPARE_MD,
    NO_WINNER_NOTE,
    THRESHOLD_CHECKS,
    CompareSources,
    RegionVerdict,
    compare_document,
    failing_thresholds,
    judge_regions,
    pick_winner,
    render_compare_md,
)
from mmbot.regions.compare_files import (
    CompareArtifacts,
    CompareCheck,
    build_compare,
    check_compare,
    write_compare,
)
from mmbot.regions.config import (
    DEFAULT_REGIONS_CONFIG,
    ChangeWindow,
    LoadedRegions,
    RegionConfig,
    RegionsConfig,
    WinnerThresholds,
    load_regions,
)
from mmbot.regions.journal import (
    DEFAULT_STATE_DIR,
    JOURNAL_FILE,
    STATE_FILE,
    Journal,
    read_active_region,
    read_journal,
)
from mmbot.regions.plan import ChangeFacts, CompareFacts, Plan, rollout_plan, switch_plan
from mmbot.regions.rollout import PlannedChange, apply_rollout, plan_rollout, plan_switch
from mmbot.regions.runs import (
    LIVE_SIM_REPORT,
    SHADOW_REPORT,
    RegionFigures,
    RegionRun,
    read_region_runs,
)
from mmbot.regions.timing import cooldown_passed, fresh, parse_utc, window_open

__all__ = [
    "COMPARE_JSON",
    "COMPARE_MD",
    "DEFAULT_REGIONS_CONFIG",
    "DEFAULT_STATE_DIR",
    "JOURNAL_FILE",
    "LIVE_SIM_REPORT",
    "NO_WINNER_NOTE",
    "SHADOW_REPORT",
    "STATE_FILE",
    "THRESHOLD_CHECKS",
    "ChangeFacts",
    "ChangeWindow",
    "CompareArtifacts",
    "CompareCheck",
    "CompareFacts",
    "CompareSources",
    "Journal",
    "LoadedRegions",
    "Plan",
    "PlannedChange",
    "RegionConfig",
    "RegionFigures",
    "RegionRun",
    "RegionVerdict",
    "RegionsConfig",
    "WinnerThresholds",
    "apply_rollout",
    "build_compare",
    "check_compare",
    "compare_document",
    "cooldown_passed",
    "failing_thresholds",
    "fresh",
    "judge_regions",
    "load_regions",
    "parse_utc",
    "pick_winner",
    "plan_rollout",
    "plan_switch",
    "read_active_region",
    "read_journal",
    "read_region_runs",
    "render_compare_md",
    "rollout_plan",
    "switch_plan",
    "window_open",
    "write_compare",
]
