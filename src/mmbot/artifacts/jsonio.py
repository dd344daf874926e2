"""Canonical JSON: ASCII, sorted keys, compact separators, one trailing LF, finite numbers."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TypeAlias

from mmbot.artifacts.atomic import atomic_write_bytes
from mmbot.core.errors import ArtifactError

JsonValue: TypeAlias = bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"] | None


def _normalise(value: object, dotted: str, where: str) -> JsonValue:
    """Return value as plain JSON types, refusing NaN/Inf and non-string keys."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ArtifactError("E_ART_NONFINITE", f"{where} key={dotted or '<root>'}")
        return value
    if isinstance(value, Mapping):
        out: dict[str, JsonValue] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ArtifactError(
                    "E_ART_BADKEY", f"{where} key={dotted or '<root>'} bad_key={key!r}"
                )
            out[key] = _normalise(item, f"{dotted}.{key}" if dotted else key, where)
        return out
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        return [_normalise(item, f"{dotted}[{i}]", where) for i, item in enumerate(value)]
    # numpy scalars and similar expose item(); accept them as their Python value
    item_method = getattr(value, "item", None)
    if callable(item_method):
        return _normalise(item_method(), dotted, where)
    raise ArtifactError(
        "E_ART_BADTYPE", f"{where} key={dotted or '<root>'} type={type(value).__name__}"
    )


def canonical_json_bytes(payload: object, where: str = "<memory>") -> bytes:
    """Return the canonical bytes of payload; `where` names the artifact in errors."""
    plain = _normalise(payload, "", where)
    text = json.dumps(
        plain, ensure_ascii=True, sort_keys=True, separators=(",", ":"), allow_nan=False
    )
    return (text + "\n").encode("ascii")


def write_json(path: str | os.PathLike[str], payload: object) -> Path:
    """Write payload as canonical JSON atomically; nothing is written if it is invalid."""
    data = canonical_json_bytes(payload, where=os.fspath(path))
    return atomic_write_bytes(path, data)
