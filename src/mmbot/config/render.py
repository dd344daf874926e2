"""The one-line shape of every config error: `E_CFG_<WHAT>: key=... value=... expected=...`."""

from __future__ import annotations

from pathlib import Path

from mmbot.core.errors import ConfigError


def show_value(value: object) -> str:
    """Return a short, unambiguous ASCII rendering of a config value."""
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        text = f'"{escaped}"'
    elif value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, dict):
        text = "{...}"
    elif isinstance(value, list | tuple):
        text = "[...]"
    else:
        text = str(value)
    if len(text) > 80:
        text = text[:77] + "..."
    return text


def cfg_error(
    code: str, key: str, value: object, expected: str, source: Path | str | None = None
) -> ConfigError:
    """Return a ConfigError in the standard shape, naming the source file when there is one."""
    detail = f"key={key} value={show_value(value)} expected={expected}"
    if source is not None:
        detail += f" file={source}"
    return ConfigError(code, detail)
