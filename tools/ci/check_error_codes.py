"""Lint: every `E_*` error code written in src/ is registered in mmbot.core.errors.REGISTRY.

Also checks that each registered code has a one-line, ASCII meaning.
Usage: python tools/ci/check_error_codes.py [ROOT ...]
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Mapping
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tools.ci._scan import Checker, Violation, literal_strings, run

CODE_RE = re.compile(r"\bE_[A-Z0-9]+(?:_[A-Z0-9]+)+\b")


def load_registry() -> Mapping[str, str]:
    """Return the registry of the mmbot under src/ next to this tool."""
    src = Path(__file__).resolve().parents[2] / "src"
    if str(src) not in sys.path:
        sys.path.insert(0, str(src))
    from mmbot.core.errors import REGISTRY

    return REGISTRY


def checker_for(registry: Mapping[str, str]) -> Checker:
    """Return a checker that reports codes in string literals missing from registry."""

    def check(path: Path, tree: ast.Module) -> list[Violation]:
        found = []
        for literal in literal_strings([tree]):
            for code in CODE_RE.findall(literal.value):
                if code not in registry:
                    found.append(
                        Violation(
                            path.as_posix(),
                            literal.lineno,
                            f"{code} is not registered in mmbot.core.errors.REGISTRY",
                        )
                    )
        return found

    return check


def registry_problems(registry: Mapping[str, str]) -> list[str]:
    """Return problems with the registry itself (bad code shape, empty or multi-line meaning)."""
    problems = []
    for code, meaning in sorted(registry.items()):
        if not CODE_RE.fullmatch(code):
            problems.append(f"{code}: not of the form E_<AREA>_<WHAT>")
        if not meaning or "\n" in meaning or not meaning.isascii():
            problems.append(f"{code}: meaning must be one ASCII line")
    return problems


def main(argv: list[str]) -> int:
    """Scan the roots in argv; return 1 on an unregistered code or a bad registry entry."""
    registry = load_registry()
    problems = registry_problems(registry)
    for problem in problems:
        print(problem)
    status = run(checker_for(registry), argv, (), "error code registry lint")
    return 1 if problems else status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
