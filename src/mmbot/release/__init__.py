"""The release toolchain: preflight, the RC validator, go/no-go and the docs' link check.

Each command is a list of checks, every one run, each printed on one line, with one verdict
line a person can grep; the clock is injected (`--at`), so the same inputs give the same
bytes. docs/RUNBOOK.md is the release checklist in these commands.
"""

from mmbot.release.checks import CheckResult, ReleaseError
from mmbot.release.go_nogo import REPORTS, Context, run_go_nogo, verdict_lines
from mmbot.release.links import Link, anchors_of, broken_links, slug
from mmbot.release.preflight import PreflightInputs, run_preflight
from mmbot.release.rc import RC_CHECKS, RcRow, rc_payload, run_rc_checks
from mmbot.release.settings import ReleaseSettings, load_release_settings

__all__ = [
    "RC_CHECKS",
    "REPORTS",
    "CheckResult",
    "Context",
    "Link",
    "PreflightInputs",
    "RcRow",
    "ReleaseError",
    "ReleaseSettings",
    "anchors_of",
    "broken_links",
    "load_release_settings",
    "rc_payload",
    "run_go_nogo",
    "run_preflight",
    "run_rc_checks",
    "slug",
    "verdict_lines",
]
