"""Release settings: the age limits and thresholds of preflight, rc validate and go-nogo.

The embedded defaults below (each with why), or a YAML file (`--settings FILE`) holding any of
the sections `preflight`, `rc`, `go_nogo`; unknown keys are refused. They live beside the
mmbot config, not in it: a key added to the config schema changes `mmbot config describe`,
and so the config_sha256 every golden records. docs/RUNBOOK.md lists them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mmbot.config.render import cfg_error
from mmbot.config.yaml_source import read_document

ReportName = Literal[
    "backtest",
    "edge_audit",
    "live_sim",
    "latency_e2e",
    "soak",
    "region_compare",
    "rc_validator",
    "metrics",
]
SETTINGS_LABEL: Final = "--settings"


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class PreflightSettings(_Strict):
    """What `mmbot preflight` checks against."""

    # The checklist's "Artifacts present" step reads metrics.json before the RC validation.
    artifacts: tuple[str, ...] = Field(default=("artifacts/metrics.json",), strict=False)
    # A day: the release runs on the day's artifacts.
    max_artifact_age_h: float = Field(default=24.0, gt=0)
    rules: str = "monitoring/alerts/mm_bot.rules.yml"
    # Room for a day of run directories, journals and logs of one canary.
    min_free_disk_mb: int = Field(default=1024, ge=0)
    # An HTTP Date header has a resolution of 1 s; 2 s leaves room for the round trip.
    max_clock_skew_s: float = Field(default=2.0, gt=0)


class RcLimits(_Strict):
    """The limit of each RC check (the comparison is fixed per check: release/rc.py)."""

    canary_metrics_healthy: float = 0.0  # position/skew breaches in 10 min: none
    caps_inactive: float = 0.0  # a latched day cap: none
    # Base tier: maker 1 bp, taker 5 bp; at the 15% taker share cap that is 1.6 bp. Below the
    # best tier's -0.5 bp rebate the fee is miscomputed.
    fees_sane: tuple[float, float] = Field(default=(-0.5, 2.0), strict=False)
    tier_distance: float = 0.0  # volume left to the next tier: never negative
    canary_gate_open: float = 1.0
    orders_not_stuck: float = 0.0  # ended orders that rested over 5 s (the recording rule)
    fill_rate: float = 0.05  # FillRateCollapse's threshold
    latency_slo: float = 350.0  # LatencySLO's threshold, ms
    no_firing_alerts: float = 0.0
    budget_available: float = 0.0  # BudgetExhausted fires at <= 0
    hwm_updated: float = 0.0  # the high-water mark is set
    quotes_flowing: float = 0.0  # quotes were placed


class RcSettings(_Strict):
    """What `mmbot rc validate` checks against."""

    limits: RcLimits = Field(default_factory=RcLimits)
    # The deployment whose latency gauge the SLO reads (latency_ms_p95_<colour>).
    colour: Literal["blue", "green"] = "blue"
    timeout_s: float = Field(default=5.0, gt=0)


class GoNogoSettings(_Strict):
    """What `mmbot go-nogo` checks against (the figures' thresholds: the mmbot config's
    backtest.thresholds)."""

    # A day: every report comes from the day's runs.
    max_age_h: float = Field(default=24.0, gt=0)
    max_age_h_by_report: dict[ReportName, float] = Field(default_factory=dict, strict=False)
    # Reports whose absence is no NO-GO; a present one is still checked.
    optional: tuple[ReportName, ...] = Field(default=("latency_e2e",), strict=False)
    # The checklist's "Latency e2e": P95_AFTER <= 350 ms.
    latency_p95_max_ms: float = Field(default=350.0, gt=0)

    def age_limit_h(self, report: ReportName) -> float:
        """Return the age limit of one report, hours."""
        return self.max_age_h_by_report.get(report, self.max_age_h)


class ReleaseSettings(_Strict):
    """Every release command's settings."""

    preflight: PreflightSettings = Field(default_factory=PreflightSettings)
    rc: RcSettings = Field(default_factory=RcSettings)
    go_nogo: GoNogoSettings = Field(default_factory=GoNogoSettings)


def load_release_settings(path: Path | None) -> ReleaseSettings:
    """Return the settings of the YAML file at path (None: the embedded defaults); one
    E_RELEASE_SETTINGS line names the first key that breaks the schema."""
    if path is None:
        return ReleaseSettings()
    document = read_document(path, SETTINGS_LABEL)
    try:
        return ReleaseSettings.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"]) or "<document>"
        expected = "no such key" if first["type"] == "extra_forbidden" else first["msg"]
        raise cfg_error("E_RELEASE_SETTINGS", key, first.get("input"), expected, path) from None
