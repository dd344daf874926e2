"""`mmbot preflight`: can this machine start a release now? One check a line, every one run.

env (MM_ENV, MM_CONFIG_PATH set; MM_PROFILE shown), the effective config validates, the alert
rules parse (promtool when installed, else their YAML shape), the artifacts are present and
fresh, the clock is sane, the venue's credentials are set when the mode sends orders (never
shown), the disk has room. A check that cannot run fails; nothing stops at the first failure.
"""

from __future__ import annotations

import shutil
import subprocess
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Final

import yaml

from mmbot.artifacts import utc_iso
from mmbot.config import ENVS, load_config
from mmbot.core.errors import MmError
from mmbot.release.checks import (
    S_PER_H,
    CheckResult,
    ReleaseError,
    fail,
    failed,
    file_age_s,
    stale_problem,
)
from mmbot.release.settings import PreflightSettings
from mmbot.venues import Credentials

# Modes that send orders, so need the venue's API keys (shadow reads the public stream only).
ORDER_SENDING_ENVS: Final = ("canary", "prod")
# mmbot did not exist before this: a clock behind it was reset (a dead RTC reads 1970 or 2000).
CLOCK_FLOOR_UTC: Final = datetime(2025, 1, 1, tzinfo=UTC)
_NS_PER_S: Final = 1_000_000_000
_MIB: Final = 1024 * 1024
_PROMTOOL_TIMEOUT_S: Final = 30.0
_TIME_REF_TIMEOUT_S: Final = 5.0


@dataclass(frozen=True, slots=True)
class PreflightInputs:
    """What preflight looks at. Paths are relative to the working directory.

    venue: the venue canary/prod trade on (`mmbot run --venue`); time_ref: a URL whose HTTP
    Date header the clock is compared with (e.g. the Prometheus server); promtool: its path,
    None when it is not installed.
    """

    environ: Mapping[str, str]
    settings: PreflightSettings
    now_ns: int
    venue: str | None = None
    disk_path: Path = Path(".")
    time_ref: str | None = None
    promtool: str | None = None


def run_preflight(inputs: PreflightInputs) -> list[CheckResult]:
    """Return every check's result, in the order the release checklist reads them."""
    settings = inputs.settings
    artifacts = [Path(name) for name in settings.artifacts]
    return [
        check_env(inputs.environ),
        check_config(inputs.environ),
        check_alert_rules(Path(settings.rules), inputs.promtool),
        *(check_artifact(path, inputs.now_ns, settings.max_artifact_age_h) for path in artifacts),
        check_clock(
            inputs.now_ns, _clock_witnesses(inputs), inputs.time_ref, settings.max_clock_skew_s
        ),
        check_credentials(inputs.environ, inputs.venue),
        check_disk(inputs.disk_path, settings.min_free_disk_mb),
    ]


def check_env(environ: Mapping[str, str]) -> CheckResult:
    """MM_ENV is one of the environments and MM_CONFIG_PATH is set; MM_PROFILE is optional."""
    env, config_path = environ.get("MM_ENV", ""), environ.get("MM_CONFIG_PATH", "")
    if env not in ENVS:
        expected = ",".join(ENVS)
        return fail("env", "E_PREFLIGHT_ENV", f"MM_ENV={env or '<unset>'} expected={expected}")
    if not config_path:
        return fail("env", "E_PREFLIGHT_ENV", "MM_CONFIG_PATH=<unset> expected=a config file")
    profile = environ.get("MM_PROFILE") or "none"
    detail = f"MM_ENV={env} MM_CONFIG_PATH={config_path} MM_PROFILE={profile}"
    return CheckResult("env", detail=detail)


def check_config(environ: Mapping[str, str]) -> CheckResult:
    """The effective config (file + MM_PROFILE + MM_ENV) validates."""
    try:
        effective = load_config(None, environ)
    except MmError as exc:
        return failed("config", exc)
    return CheckResult("config", detail=f"sha256={effective.describe().sha256}")


def check_alert_rules(rules: Path, promtool: str | None) -> CheckResult:
    """`promtool check rules` passes; without promtool, the file is rule groups in YAML."""
    if not rules.is_file():
        return fail("alert_rules", "E_PREFLIGHT_RULES", f"file={rules} does not exist")
    if promtool is None:
        problem = _rules_shape_problem(rules)
        if problem is not None:
            return fail("alert_rules", "E_PREFLIGHT_RULES", f"file={rules} {problem}")
        return CheckResult("alert_rules", detail="yaml_only=true (promtool not installed)")
    result = subprocess.run(
        [promtool, "check", "rules", str(rules)],
        capture_output=True,
        text=True,
        timeout=_PROMTOOL_TIMEOUT_S,
        check=False,
    )
    if result.returncode != 0:
        said = [line.strip() for line in (result.stderr + result.stdout).splitlines()]
        # promtool says `Checking <file>`, `FAILED:`, then what is wrong
        noise = ("Checking", "FAILED")
        first = next((line for line in said if line and not line.startswith(noise)), "failed")
        return fail("alert_rules", "E_PREFLIGHT_RULES", f"file={rules} promtool: {first}")
    return CheckResult("alert_rules", detail="promtool=ok")


def _rules_shape_problem(rules: Path) -> str | None:
    """Return what makes the file no Prometheus rule file, or None."""
    try:
        document: Any = yaml.safe_load(rules.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        return f"is not YAML ({type(exc).__name__})"
    groups = document.get("groups") if isinstance(document, dict) else None
    if not isinstance(groups, list) or not groups:
        return "has no groups list"
    for group in groups:
        rules_of = group.get("rules") if isinstance(group, dict) else None
        if not isinstance(rules_of, list):
            return "has a group without a rules list"
        for rule in rules_of:
            named = isinstance(rule, dict) and ("alert" in rule) != ("record" in rule)
            if not named or not isinstance(rule.get("expr"), str):
                return "has a rule without exactly one of alert/record and an expr"
    return None


def check_artifact(path: Path, now_ns: int, max_age_h: float) -> CheckResult:
    """The artifact exists and was written within max_age_h."""
    name = f"artifact {path}"
    problem = stale_problem(path, now_ns, max_age_h)
    if problem is not None:
        return failed(name, problem)
    return CheckResult(name, detail=f"age_h={file_age_s(path, now_ns) / S_PER_H:.1f}")


def _clock_witnesses(inputs: PreflightInputs) -> list[Path]:
    """Return the files whose write times the clock must not be behind."""
    settings = inputs.settings
    names = [inputs.environ.get("MM_CONFIG_PATH", ""), settings.rules, *settings.artifacts]
    return [Path(name) for name in names if name and Path(name).is_file()]


def check_clock(
    now_ns: int, witnesses: Sequence[Path], time_ref: str | None, max_skew_s: float
) -> CheckResult:
    """The clock is past CLOCK_FLOOR_UTC, not behind a file's write time, and within
    max_skew_s of time_ref's Date header when one is given."""
    now = utc_iso(now_ns)
    if now_ns / _NS_PER_S < CLOCK_FLOOR_UTC.timestamp():
        floor = utc_iso(int(CLOCK_FLOOR_UTC.timestamp()) * _NS_PER_S)
        return fail("clock", "E_PREFLIGHT_CLOCK", f"now={now} is before {floor}: clock reset")
    for path in witnesses:
        ahead_s = -file_age_s(path, now_ns)
        if ahead_s > max_skew_s:
            detail = f"file={path} written {ahead_s:.0f} s after now={now}: the clock went back"
            return fail("clock", "E_PREFLIGHT_CLOCK", detail)
    if time_ref is None:
        return CheckResult("clock", detail=f"now={now}")
    try:
        skew_s = now_ns / _NS_PER_S - _reference_time_s(time_ref)
    except ReleaseError as exc:
        return failed("clock", exc)
    if abs(skew_s) > max_skew_s:
        detail = f"now={now} skew_s={skew_s:+.1f} ref={time_ref} expected<={max_skew_s:g}"
        return fail("clock", "E_PREFLIGHT_CLOCK", detail)
    return CheckResult("clock", detail=f"now={now} skew_s={skew_s:+.1f} ref={time_ref}")


def _reference_time_s(url: str) -> float:
    """Return the time of url's HTTP Date header, seconds since the epoch."""
    try:
        with urllib.request.urlopen(url, timeout=_TIME_REF_TIMEOUT_S) as response:
            date = response.headers.get("Date")
    except urllib.error.HTTPError as exc:  # an error page still carries the server's Date
        date = exc.headers.get("Date")
    except OSError as exc:  # URLError, refused, timeout
        raise ReleaseError("E_PREFLIGHT_CLOCK", f"ref={url} unreachable: {exc}") from None
    if not date:
        raise ReleaseError("E_PREFLIGHT_CLOCK", f"ref={url} sent no Date header")
    return parsedate_to_datetime(date).timestamp()


def check_credentials(environ: Mapping[str, str], venue: str | None) -> CheckResult:
    """In canary/prod the venue's API key and secret are set (their values never shown)."""
    env = environ.get("MM_ENV", "")
    if env not in ORDER_SENDING_ENVS:
        return CheckResult("credentials", detail=f"needed=false MM_ENV={env or '<unset>'}")
    if venue is None:
        detail = f"MM_ENV={env} sends orders: name its venue with --venue"
        return fail("credentials", "E_PREFLIGHT_ENV", detail)
    # node.venue_access reads MM_<DIALECT>_API_KEY/SECRET; the dialect is the venue's name
    # up to its first '-' (binance-usdm -> BINANCE, bybit-linear -> BYBIT).
    dialect = venue.split("-", 1)[0]
    try:
        Credentials.from_env(dialect, environ)
    except MmError as exc:
        return failed("credentials", exc)
    prefix = f"MM_{dialect.upper()}_API_"
    return CheckResult("credentials", detail=f"venue={venue} {prefix}KEY,{prefix}SECRET set")


def check_disk(path: Path, min_free_mb: int) -> CheckResult:
    """The file system of path has at least min_free_mb free."""
    try:
        free_mb = shutil.disk_usage(path).free // _MIB
    except OSError as exc:
        return fail("disk", "E_PREFLIGHT_DISK", f"path={path} unreadable: {exc}")
    if free_mb < min_free_mb:
        return fail(
            "disk", "E_PREFLIGHT_DISK", f"path={path} free_mb={free_mb} expected>={min_free_mb}"
        )
    return CheckResult("disk", detail=f"path={path} free_mb={free_mb}")
