"""Text made safe for one-line output (errors, risk records, log values)."""

from __future__ import annotations


def ascii_single_line(value: object) -> str:
    """Return value as text with non-ASCII and line breaks escaped."""
    text = value if isinstance(value, str) else str(value)
    text = text.replace("\r", "\\r").replace("\n", "\\n")
    return text.encode("ascii", "backslashreplace").decode("ascii")


def first_line(exc: BaseException) -> str:
    """Return the first line of exc's message, or its type name when the message is empty."""
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def error_code(line: str) -> str:
    """Return the E_* code that starts an error line (`E_<AREA>_<WHAT>: ...`)."""
    return line.split(":", 1)[0]
