"""Plan and apply a region change: gather the facts from --state-dir and REGION_COMPARE.json,
build the plan, and (rollout --apply, every check true) journal it and set the active region.

Planning reads and never writes: a dry run leaves every file as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mmbot.core.errors import UsageError
from mmbot.regions.compare_files import check_compare
from mmbot.regions.config import LoadedRegions, RegionConfig
from mmbot.regions.journal import (
    Journal,
    append_entry,
    read_active_region,
    read_journal,
    write_active_region,
)
from mmbot.regions.plan import ChangeFacts, Plan, rollout_plan, switch_plan


@dataclass(frozen=True, slots=True)
class PlannedChange:
    """A plan, the journal it was planned against, and why the comparison does not hold
    (None when it does or was not consulted)."""

    plan: Plan
    journal: Journal
    compare_problem: str | None = None


def _target(loaded: LoadedRegions, name: str) -> RegionConfig:
    region = loaded.config.region(name)
    if region is None:
        names = ",".join(region.name for region in loaded.config.regions)
        raise UsageError(
            "E_REGION_UNKNOWN", f"key=--to value={name} expected=one of {names} file={loaded.path}"
        )
    return region


def _facts(state_dir: Path, now_ns: int) -> tuple[ChangeFacts, Journal]:
    journal = read_journal(state_dir)
    facts = ChangeFacts(read_active_region(state_dir), journal.last_change_ns, now_ns)
    return facts, journal


def plan_switch(loaded: LoadedRegions, to: str, state_dir: Path, now_ns: int) -> PlannedChange:
    """Return the dry-run plan of the canary switch to the region named to."""
    target = _target(loaded, to)
    facts, journal = _facts(state_dir, now_ns)
    return PlannedChange(switch_plan(loaded.config, target, facts), journal)


def plan_rollout(
    loaded: LoadedRegions, to: str | None, compare_path: Path, state_dir: Path, now_ns: int
) -> PlannedChange:
    """Return the rollout plan to the region named to (None: the comparison's winner)."""
    checked = check_compare(compare_path)
    chosen = to if to is not None else checked.facts.winner
    if chosen is None:
        raise UsageError(
            "E_CLI_USAGE",
            f"--to is needed: {compare_path} names no winner "
            f"({checked.problem or 'no eligible region'})",
        )
    target = _target(loaded, chosen)
    facts, journal = _facts(state_dir, now_ns)
    plan = rollout_plan(loaded.config, target, facts, checked.facts)
    return PlannedChange(plan, journal, checked.problem)


def apply_rollout(planned: PlannedChange, state_dir: Path) -> tuple[Path, Path]:
    """Journal the plan (all its checks true) and make its target the active region; return
    the journal's and the state file's paths."""
    plan = planned.plan
    assert plan.ok, f"apply of a blocked plan: {plan.failed()}"
    journal = append_entry(planned.journal, plan.payload())
    state = write_active_region(
        state_dir, plan.target.name, plan.facts.now_ns, planned.journal.entries + 1
    )
    return journal, state
