"""The plan of a region change: from, to, steps, window and the checks that must all hold.

Pure: built from the regions config and the facts gathered for it (the active region, the
last applied change, the comparison) at an injected time. `region switch` plans the canary
switch; `region rollout` adds the comparison's checks. A plan is printed as key=value lines,
then its canonical JSON on one line, then `PLAN=OK|BLOCKED`; a rollout applied journals
exactly that JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from mmbot.artifacts import canonical_json_bytes, utc_iso
from mmbot.regions.config import RegionConfig, RegionsConfig
from mmbot.regions.timing import cooldown_passed, fresh, window_open

SWITCH: Final = "switch"
ROLLOUT: Final = "rollout"


@dataclass(frozen=True, slots=True)
class ChangeFacts:
    """What a change is planned against: the active region and when the last change was
    applied (None: never), at now_ns."""

    active_region: str | None
    last_change_ns: int | None
    now_ns: int


@dataclass(frozen=True, slots=True)
class CompareFacts:
    """What REGION_COMPARE.json says, if it is there: its sha256, when it was generated,
    whether recomputing it from its inputs gives its bytes, and its winner."""

    present: bool
    sha256: str | None = None
    generated_ns: int | None = None
    reproduces: bool = False
    winner: str | None = None


ABSENT: Final = CompareFacts(present=False)


@dataclass(frozen=True, slots=True)
class Plan:
    """A region change: applicable only when every check holds."""

    action: str
    target: RegionConfig
    facts: ChangeFacts
    window_text: str
    steps: tuple[str, ...]
    checks: tuple[tuple[str, bool], ...]
    compare_sha256: str | None

    @property
    def ok(self) -> bool:
        """Return whether every check holds."""
        return all(passed for _, passed in self.checks)

    def failed(self) -> list[str]:
        """Return the names of the checks that do not hold, in order."""
        return [name for name, passed in self.checks if not passed]

    def payload(self) -> dict[str, object]:
        """Return the plan as the JSON object printed and journaled."""
        return {
            "action": self.action,
            "checks": dict(self.checks),
            "compare_sha256": self.compare_sha256,
            "from": self.facts.active_region,
            "now_utc": utc_iso(self.facts.now_ns),
            "status": "OK" if self.ok else "BLOCKED",
            "steps": list(self.steps),
            "to": self.target.name,
            "to_endpoint": self.target.endpoint,
            "window": self.window_text,
        }

    def json_line(self) -> str:
        """Return the plan's canonical JSON, one line without its LF."""
        return canonical_json_bytes(self.payload(), where="region plan").decode("ascii")[:-1]

    def lines(self) -> list[str]:
        """Return the plan as printed: key=value lines, the JSON line, `PLAN=OK|BLOCKED`."""
        payload = self.payload()
        head = [
            f"{key}={payload[key] or 'none'}"
            for key in ("action", "from", "to", "to_endpoint", "now_utc", "window")
        ]
        steps = [f"step{index}={step}" for index, step in enumerate(self.steps, start=1)]
        checks = [f"{name}={'true' if passed else 'false'}" for name, passed in self.checks]
        return [*head, *steps, *checks, self.json_line(), f"PLAN={payload['status']}"]


def change_steps(active_region: str | None, target: RegionConfig) -> tuple[str, ...]:
    """Return the steps of moving quoting to target: canary there first, then the switch."""
    stop = () if active_region is None else (f"stop-quoting:{active_region}",)
    return (
        f"start-canary:{target.name}",
        f"verify-canary:{target.name}",
        f"move-quoting:{active_region or 'none'}->{target.name}",
        *stop,
    )


def change_checks(
    config: RegionsConfig, target: RegionConfig, facts: ChangeFacts
) -> tuple[tuple[str, bool], ...]:
    """Return the checks of any region change: target enabled and not already active, the
    change window open now, the cooldown since the last applied change passed."""
    return (
        ("target_enabled", target.enabled),
        ("target_not_active", target.name != facts.active_region),
        ("window_ok", window_open(config.change_window, facts.now_ns)),
        ("cooldown_ok", cooldown_passed(facts.last_change_ns, facts.now_ns, config.cooldown_hours)),
    )


def switch_plan(config: RegionsConfig, target: RegionConfig, facts: ChangeFacts) -> Plan:
    """Return the dry-run plan of the canary switch to target."""
    return Plan(
        SWITCH,
        target,
        facts,
        config.change_window.text(),
        change_steps(facts.active_region, target),
        change_checks(config, target, facts),
        compare_sha256=None,
    )


def compare_checks(
    config: RegionsConfig, target: RegionConfig, compare: CompareFacts, now_ns: int
) -> tuple[tuple[str, bool], ...]:
    """Return the comparison's checks: present, fresh, reproducible, won by target."""
    generated_ns = compare.generated_ns
    is_fresh = generated_ns is not None and fresh(
        generated_ns, now_ns, config.compare_max_age_hours
    )
    return (
        ("compare_present", compare.present),
        ("compare_fresh", is_fresh),
        ("compare_deterministic", compare.reproduces),
        ("winner_is_target", compare.winner == target.name),
    )


def rollout_plan(
    config: RegionsConfig, target: RegionConfig, facts: ChangeFacts, compare: CompareFacts
) -> Plan:
    """Return the rollout plan to target: the comparison's checks, then the change's."""
    checks = (
        *compare_checks(config, target, compare, facts.now_ns),
        *change_checks(config, target, facts),
    )
    steps = (*change_steps(facts.active_region, target), "record:journal+active-region")
    return Plan(ROLLOUT, target, facts, config.change_window.text(), steps, checks, compare.sha256)
