"""The one-line shape of every config error: `E_CFG_<WHAT>: key=... value=... expected=...`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

from mmbot.core.errors import ConfigError

# Key names that hold credentials (api_key, apiKey, secret, password, passphrase, token,
# private_key, ...). Credentials come only from the environment; such a key's value is shown
# as <redacted> in every message, wherever it turns up.
_CREDENTIAL_RE: Final = re.compile(
    r"api_?key|secret|passw(or)?d|passphrase|private_?key|access_?key|token|credential",
    re.IGNORECASE,
)
REDACTED: Final = "<redacted>"


def is_credential_key(key: object) -> bool:
    """Return whether a config key's name says it holds a credential."""
    return _CREDENTIAL_RE.search(str(key).replace("-", "_")) is not None


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
    """Return a ConfigError in the standard shape, naming the source file when there is one.

    The value of a key that holds a credential (its last part) is shown as <redacted>.
    """
    shown = REDACTED if is_credential_key(key.rsplit(".", 1)[-1]) else show_value(value)
    detail = f"key={key} value={shown} expected={expected}"
    if source is not None:
        detail += f" file={source}"
    return ConfigError(code, detail)
