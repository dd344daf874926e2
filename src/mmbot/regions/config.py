"""configs/regions.yaml: the regions a desk can run from and the rules for moving between them.

Validated up front, schema first (strict types, unknown keys refused), then the rules no field
can check alone (unique names, names usable as folder names, endpoint URLs, the change
window). The first failure is one `E_REGION_<WHAT>: key=... value=... expected=... file=...`
line; the file's own errors (missing, not YAML, a duplicate key) are the config loader's
E_CFG_FILE_MISSING / E_CFG_YAML.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal, get_args
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from mmbot.config.render import cfg_error
from mmbot.config.yaml_source import read_document
from mmbot.core.errors import ConfigError

DEFAULT_REGIONS_CONFIG: Final = Path("configs/regions.yaml")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: Final[tuple[Weekday, ...]] = get_args(Weekday)  # Monday first, as datetime.weekday()
# A region's name is also its run folder's name under `region compare --runs`.
_NAME_RE: Final = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_URL_SCHEMES: Final = ("https", "wss")
_RANGE_SYMBOLS: Final = {
    "greater_than": (">", "gt"),
    "greater_than_equal": (">=", "ge"),
    "less_than": ("<", "lt"),
    "less_than_equal": ("<=", "le"),
}
_TYPE_NAMES: Final = {"string_type": "str", "model_type": "mapping", "tuple_type": "list"}


class _Section(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class RegionConfig(_Section):
    """One region: where the bot would run, what it measured there, what it costs."""

    name: str
    enabled: bool
    endpoint: str
    latency_ms: float = Field(ge=0, allow_inf_nan=False)
    cost_usd_month: float = Field(ge=0, allow_inf_nan=False)


class WinnerThresholds(_Section):
    """What a region's run must show to be eligible as the winner."""

    min_net_bps: float = Field(allow_inf_nan=False)
    max_taker_share_pct: float = Field(ge=0, le=100)
    max_order_age_p95_ms: float = Field(gt=0, allow_inf_nan=False)
    max_latency_p95_ms: float = Field(gt=0, allow_inf_nan=False)
    min_fill_rate: float = Field(ge=0, le=1)


class ChangeWindow(_Section):
    """When a region change may be applied: these UTC weekdays, start <= hour < end."""

    # strict=False only lets a YAML list become the tuple; each day stays strict.
    days_utc: tuple[Weekday, ...] = Field(min_length=1, strict=False)
    start_hour_utc: int = Field(ge=0, le=23)
    end_hour_utc: int = Field(ge=1, le=24)

    def text(self) -> str:
        """Return the window as one token: `mon,tue@06-10Z`."""
        days = ",".join(self.days_utc)
        return f"{days}@{self.start_hour_utc:02d}-{self.end_hour_utc:02d}Z"


class RegionsConfig(_Section):
    """The regions config: the regions, the winner thresholds and the rollout rules."""

    regions: tuple[RegionConfig, ...] = Field(min_length=1, strict=False)
    thresholds: WinnerThresholds
    change_window: ChangeWindow
    cooldown_hours: float = Field(ge=0, allow_inf_nan=False)
    compare_max_age_hours: float = Field(gt=0, allow_inf_nan=False)

    def region(self, name: str) -> RegionConfig | None:
        """Return the region called name, or None."""
        return next((region for region in self.regions if region.name == name), None)


@dataclass(frozen=True, slots=True)
class LoadedRegions:
    """A validated regions config, the file it came from and that file's sha256."""

    config: RegionsConfig
    path: Path
    sha256: str


def load_regions(path: Path) -> LoadedRegions:
    """Return the validated regions config at path or raise one ConfigError."""
    document = read_document(path, "regions_config")
    try:
        config = RegionsConfig.model_validate(document)
    except ValidationError as exc:
        raise _schema_error(exc.errors()[0], path) from None
    _check_rules(config, path)
    return LoadedRegions(config, path, hashlib.sha256(path.read_bytes()).hexdigest())


def _schema_error(error: ErrorDetails, path: Path) -> ConfigError:
    """Return the first schema error as one E_REGION_* line."""
    kind = error["type"]
    ctx: dict[str, Any] = error.get("ctx") or {}
    key = ".".join(str(part) for part in error["loc"]) or "<document>"
    if kind == "extra_forbidden":
        code, expected = "E_REGION_UNKNOWN_KEY", "no such key"
    elif kind == "missing":
        code, expected = "E_REGION_MISSING_KEY", "a value"
    elif kind in _RANGE_SYMBOLS:
        symbol, bound = _RANGE_SYMBOLS[kind]
        code, expected = "E_REGION_RANGE", f"{symbol}{ctx[bound]}"
    elif kind == "too_short":
        code, expected = "E_REGION_RANGE", f"at least {ctx.get('min_length', 1)} item(s)"
    elif kind == "literal_error":
        choices = str(ctx.get("expected", "?")).replace("'", "").replace(" or ", ", ")
        code, expected = "E_REGION_ENUM", f"one of {choices.replace(', ', ',')}"
    else:
        code = "E_REGION_TYPE"
        expected = _TYPE_NAMES.get(kind, kind.removesuffix("_type").removesuffix("_parsing"))
    return cfg_error(code, key, error.get("input"), expected, path)


def _check_rules(config: RegionsConfig, path: Path) -> None:
    """Raise the first broken cross-field rule as one E_REGION_* line."""
    seen: dict[str, int] = {}
    for index, region in enumerate(config.regions):
        key = f"regions.{index}"
        if not _NAME_RE.match(region.name):
            raise cfg_error(
                "E_REGION_NAME",
                f"{key}.name",
                region.name,
                "lowercase letters and digits joined by '-'",
                path,
            )
        if region.name in seen:
            first = f"unique name (regions.{seen[region.name]} has it)"
            raise cfg_error("E_REGION_DUPLICATE_NAME", f"{key}.name", region.name, first, path)
        seen[region.name] = index
        if not _is_endpoint_url(region.endpoint):
            raise cfg_error(
                "E_REGION_URL",
                f"{key}.endpoint",
                region.endpoint,
                "an https:// or wss:// URL with a host",
                path,
            )
    _check_window(config.change_window, path)


def _is_endpoint_url(text: str) -> bool:
    """Return whether text is an https or wss URL naming a host (and a valid port, if any)."""
    try:
        parts = urlsplit(text)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        return False
    return parts.scheme in _URL_SCHEMES and bool(parts.hostname) and port_ok


def _check_window(window: ChangeWindow, path: Path) -> None:
    repeated = _first_repeat(window.days_utc)
    if repeated is not None:
        raise cfg_error(
            "E_REGION_WINDOW",
            f"change_window.days_utc.{repeated}",
            window.days_utc[repeated],
            "each day at most once",
            path,
        )
    if window.start_hour_utc >= window.end_hour_utc:
        raise cfg_error(
            "E_REGION_WINDOW",
            "change_window.start_hour_utc",
            window.start_hour_utc,
            f"<end_hour_utc({window.end_hour_utc})",
            path,
        )


def _first_repeat(items: Sequence[str]) -> int | None:
    """Return the index of the first item that repeats an earlier one, or None."""
    return next((i for i, item in enumerate(items) if item in items[:i]), None)
