"""Reading YAML config documents: duplicate, legacy and credential keys refused, errors one line."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Final

import yaml

from mmbot.config.render import cfg_error, is_credential_key
from mmbot.core.errors import ConfigError

# Keys removed from the schema, with what replaced them. Found anywhere in a document, they
# are refused rather than ignored, so an old prod config cannot silently lose a limit.
LEGACY_KEYS: Final[dict[str, str]] = {
    "bias_cap": "strategy.signals.impact_cap_pct",
    "fee_bias_cap": "fees.tiers (the fee-aware quote floor is derived from maker_bps)",
    "fee_bias_cap_bps": "fees.tiers (the fee-aware quote floor is derived from maker_bps)",
}


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys instead of keeping the last one."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            mark = key_node.start_mark
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", mark)
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


def read_document(path: Path, label: str) -> dict[str, Any]:
    """Return the YAML mapping at path; `label` names the source in errors."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise cfg_error(
            "E_CFG_FILE_MISSING", label, str(path), "an existing YAML file", path
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise cfg_error(
            "E_CFG_FILE_MISSING", label, str(path), f"a readable UTF-8 file ({exc})", path
        ) from None
    try:
        document = yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1} column {mark.column + 1}" if mark else "unknown position"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise cfg_error(
            "E_CFG_YAML", "<document>", f"{where}: {problem}", "well-formed YAML", path
        ) from None
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise cfg_error(
            "E_CFG_NOT_MAPPING", "<document>", type(document).__name__, "a mapping", path
        )
    reject_credential_keys(document, path)
    reject_legacy_keys(document, path)
    return document


def _walk(document: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any, Any]]:
    """Yield (dotted key, key, value) for every key of document, nested ones included, in
    sorted order depth first (a mapping's own keys before the keys inside it)."""
    for key in sorted(document, key=str):
        dotted = f"{prefix}.{key}" if prefix else str(key)
        value = document[key]
        yield dotted, key, value
        if isinstance(value, Mapping):
            yield from _walk(value, dotted)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, Mapping):
                    yield from _walk(item, f"{dotted}.{index}")


def reject_credential_keys(document: Mapping[str, Any], path: Path) -> None:
    """Raise E_CFG_CREDENTIAL_KEY for the first key anywhere in document that holds a
    credential (api_key, secret, password, token, ...); its value is never shown."""
    for dotted, key, _ in _walk(document):
        if is_credential_key(key):
            raise ConfigError(
                "E_CFG_CREDENTIAL_KEY",
                f"key={dotted} file={path}: credentials are read only from the environment "
                "(MM_<VENUE>_API_KEY / MM_<VENUE>_API_SECRET); remove the key",
            )


def reject_legacy_keys(document: Mapping[str, Any], path: Path) -> None:
    """Raise E_CFG_LEGACY_KEY for the first legacy key anywhere in document."""
    for dotted, key, value in _walk(document):
        if key in LEGACY_KEYS:
            raise cfg_error("E_CFG_LEGACY_KEY", dotted, value, LEGACY_KEYS[str(key)], path)


def deep_merge(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    """Return base with overlay applied: mappings merge key by key, anything else is replaced."""
    merged = dict(base)
    for key, value in overlay.items():
        current = merged.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            merged[key] = deep_merge(current, value)
        else:
            merged[key] = value
    return merged
