"""Lint: log calls under src/ have ASCII, single-line literal messages and values.

A log call is `<something named *log*>.<level>(...)` or `logging.<level>(...)`; every
string literal among its arguments (f-string parts included) must be ASCII with no CR/LF.
Usage: python tools/ci/check_ascii_logs.py [ROOT ...]
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tools.ci._scan import Violation, dotted_name, literal_strings, run

LEVELS = {
    "debug",
    "info",
    "warning",
    "warn",
    "error",
    "exception",
    "critical",
    "fatal",
    "log",
    "msg",
}


def _is_log_call(call: ast.Call) -> bool:
    if not isinstance(call.func, ast.Attribute) or call.func.attr not in LEVELS:
        return False
    receiver = dotted_name(call.func.value).lower()
    return "log" in receiver


def _problem(text: str) -> str | None:
    if "\n" in text or "\r" in text:
        return "holds a line break"
    if not text.isascii():
        return "is not ASCII"
    return None


def check(path: Path, tree: ast.Module) -> list[Violation]:
    """Return log calls in tree whose literal text is non-ASCII or multi-line."""
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and _is_log_call(node)):
            continue
        arguments = [*node.args, *(keyword.value for keyword in node.keywords)]
        for literal in literal_strings(arguments):
            problem = _problem(literal.value)
            if problem is not None:
                found.append(
                    Violation(
                        path.as_posix(),
                        literal.lineno,
                        f"log literal {literal.value[:30]!r} {problem}",
                    )
                )
    return found


def main(argv: list[str]) -> int:
    """Scan the roots in argv; return 1 on a non-ASCII or multi-line log literal."""
    return run(check, argv, (), "ASCII logs lint")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
