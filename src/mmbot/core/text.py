"""Text made safe for one-line ASCII output (errors, risk records, log values)."""

from __future__ import annotations


def ascii_single_line(value: object) -> str:
    """Return value as text with non-ASCII and line breaks escaped."""
    text = value if isinstance(value, str) else str(value)
    text = text.replace("\r", "\\r").replace("\n", "\\n")
    return text.encode("ascii", "backslashreplace").decode("ascii")
