"""Reading YAML config documents: duplicate keys refused, legacy keys refused, errors one line."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import yaml

from mmbot.config.render import cfg_error

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
    reject_legacy_keys(document, path)
    return document


def reject_legacy_keys(document: Mapping[str, Any], path: Path, prefix: str = "") -> None:
    """Raise E_CFG_LEGACY_KEY for the first legacy key anywhere in document."""
    for key in sorted(document, key=str):
        dotted = f"{prefix}.{key}" if prefix else str(key)
        value = document[key]
        if key in LEGACY_KEYS:
            raise cfg_error("E_CFG_LEGACY_KEY", dotted, value, LEGACY_KEYS[str(key)], path)
        if isinstance(value, Mapping):
            reject_legacy_keys(value, path, dotted)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, Mapping):
                    reject_legacy_keys(item, path, f"{dotted}.{index}")


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
