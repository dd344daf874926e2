"""Load the effective config: file (or embedded defaults) + MM_PROFILE overlay + MM_ENV.

Order: read the file named by --config or MM_CONFIG_PATH (none: the schema's embedded
defaults), refuse legacy keys, merge the MM_PROFILE overlay over it, then validate the
result against the schema. The first failure becomes one `E_CFG_*` line; nothing is loaded
half-way.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from mmbot.artifacts import canonical_json_bytes
from mmbot.config.render import cfg_error
from mmbot.config.schema import RULE_ERROR_TYPE, MmConfig
from mmbot.config.yaml_source import deep_merge, read_document
from mmbot.core.errors import ConfigError

Env = Literal["dev", "shadow", "canary", "prod"]
ENVS: Final[tuple[Env, ...]] = ("dev", "shadow", "canary", "prod")
EMBEDDED: Final = "<embedded defaults>"

_RANGE_SYMBOLS: Final = {
    "greater_than": (">", "gt"),
    "greater_than_equal": (">=", "ge"),
    "less_than": ("<", "lt"),
    "less_than_equal": ("<=", "le"),
}
_FIXED_EXPECTATIONS: Final = {
    "extra_forbidden": ("E_CFG_UNKNOWN_KEY", "no such key"),
    "missing": ("E_CFG_MISSING_KEY", "a value"),
}
# Sections that are absent unless given: left out of the canonical dump when absent.
_OPTIONAL_KEYS: Final = ("ha", "portfolio", "strategies")
_TYPE_NAMES: Final = {
    "int_type": "int",
    "float_type": "float",
    "string_type": "str",
    "bool_type": "bool",
    "tuple_type": "list",
    "list_type": "list",
    "model_type": "mapping",
    "dict_type": "mapping",
    "int_from_float": "int",
    "int_parsing": "int",
    "float_parsing": "float",
    "none_required": "null",
}


@dataclass(frozen=True, slots=True)
class Description:
    """The canonical dump of an effective config and its sha256."""

    text: str
    sha256: str


@dataclass(frozen=True, slots=True)
class EffectiveConfig:
    """A validated config with where it came from."""

    config: MmConfig
    env: Env
    profile: str | None
    source: str

    def describe(self) -> Description:
        """Return the canonical dump (sorted keys, ASCII, profile applied) and its sha256."""
        # A config without the optional sections (a portfolio of one, no ha timing) leaves
        # them out, so its sha256 (recorded in every run and report) is the one it had before
        # they existed.
        unset = {key for key in _OPTIONAL_KEYS if getattr(self.config, key) is None}
        payload = {
            "config": self.config.model_dump(mode="json", exclude=unset),
            "env": self.env,
            "profile": self.profile,
        }
        data = canonical_json_bytes(payload, where="config.describe")
        return Description(text=data.decode("ascii"), sha256=hashlib.sha256(data).hexdigest())


def shipped_configs_dir() -> Path:
    """Return the shipped configs/ folder (from the wheel, or the source checkout)."""
    packaged = Path(str(resources.files("mmbot"))) / "_configs"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "configs"


def _profiles_dir_or_shipped(profiles_dir: Path | None) -> Path:
    """Return profiles_dir, or the shipped profiles folder when it is None."""
    return profiles_dir or shipped_configs_dir() / "profiles"


def available_profiles(profiles_dir: Path | None = None) -> list[str]:
    """Return the names of the shipped profiles, sorted."""
    folder = _profiles_dir_or_shipped(profiles_dir)
    return sorted(path.stem for path in folder.glob("*.yaml"))


def _dotted(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "<document>"


def _expected(error: ErrorDetails) -> tuple[str, str]:
    """Return (code, expected) for one pydantic error."""
    kind = error["type"]
    ctx: dict[str, Any] = error.get("ctx") or {}
    if kind in _FIXED_EXPECTATIONS:
        return _FIXED_EXPECTATIONS[kind]
    if kind in _RANGE_SYMBOLS:
        symbol, bound = _RANGE_SYMBOLS[kind]
        return "E_CFG_RANGE", f"{symbol}{ctx[bound]}"
    if kind in ("too_short", "string_too_short"):
        return "E_CFG_RANGE", f"at least {ctx.get('min_length', 1)} item(s)"
    if kind == "literal_error":
        return "E_CFG_ENUM", f"one of {ctx.get('expected', '?')}".replace("'", "")
    if kind == RULE_ERROR_TYPE:
        return "E_CFG_RULE", str(ctx["expected"])
    return "E_CFG_TYPE", _TYPE_NAMES.get(kind, kind)


def _section_fields(loc: tuple[int | str, ...]) -> list[str]:
    """Return the field names of the schema section that holds loc's last key."""
    model: type[BaseModel] = MmConfig
    for part in loc[:-1]:
        field = model.model_fields.get(str(part))
        annotation = field.annotation if field is not None else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return sorted(model.model_fields)


def _unknown_key_hint(loc: tuple[int | str, ...]) -> str:
    fields = _section_fields(loc)
    close = difflib.get_close_matches(str(loc[-1]), fields, n=1)
    if close:
        return f"no such key (did you mean {close[0]}?)"
    return f"one of {','.join(fields)}" if fields else "no such key"


def _validation_failure(exc: ValidationError, source: str) -> ConfigError:
    """Turn the first error (in document order) into one E_CFG_* line."""
    errors = exc.errors()
    first = errors[0]
    code, expected = _expected(first)
    loc = tuple(first["loc"])
    if code == "E_CFG_UNKNOWN_KEY":
        expected = _unknown_key_hint(loc)
    value: object = first.get("input")
    if first["type"] == RULE_ERROR_TYPE:
        ctx: dict[str, Any] = first.get("ctx") or {}
        loc = (*loc, *str(ctx["field"]).split("."))
        value = ctx["value"]
    error = cfg_error(code, _dotted(loc), value, expected, source)
    if len(errors) > 1:
        error = ConfigError(code, f"{error.detail} more_errors={len(errors) - 1}")
    return error


def _resolve_env(environ: Mapping[str, str]) -> Env:
    raw = environ.get("MM_ENV", "dev")
    for env in ENVS:
        if raw == env:
            return env
    raise cfg_error("E_CFG_ENV", "MM_ENV", raw, "one of dev,shadow,canary,prod")


def _profile_overlay(name: str, profiles_dir: Path) -> dict[str, Any]:
    path = profiles_dir / f"{name}.yaml"
    if not path.is_file():
        names = ",".join(available_profiles(profiles_dir)) or "<none shipped>"
        raise cfg_error("E_CFG_PROFILE_UNKNOWN", "MM_PROFILE", name, f"one of {names}")
    return read_document(path, "MM_PROFILE")


def load_config(
    config_path: str | Path | None,
    environ: Mapping[str, str],
    profiles_dir: Path | None = None,
) -> EffectiveConfig:
    """Return the validated effective config or raise one ConfigError."""
    env = _resolve_env(environ)
    chosen = config_path if config_path is not None else environ.get("MM_CONFIG_PATH") or None
    source = str(chosen) if chosen is not None else EMBEDDED
    document = read_document(Path(chosen), "config_path") if chosen is not None else {}
    profile = environ.get("MM_PROFILE") or None
    if profile is not None:
        overlay = _profile_overlay(profile, _profiles_dir_or_shipped(profiles_dir))
        document = deep_merge(document, overlay)
        source = f"{source} + profile {profile}"
    config = validate_document(document, source)
    return EffectiveConfig(config=config, env=env, profile=profile, source=source)


def validate_document(document: Mapping[str, Any], source: str) -> MmConfig:
    """Validate a raw config mapping (e.g. a config with overrides applied) or raise one
    E_CFG_* ConfigError naming source."""
    try:
        return MmConfig.model_validate(document)
    except ValidationError as exc:
        raise _validation_failure(exc, source) from None
