"""Shared plumbing of the repo lints: walk Python files, parse, report `file:line: message`."""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Violation:
    """One finding of a lint."""

    path: str
    line: int
    message: str

    def render(self) -> str:
        """Return the finding as `file:line: message`."""
        return f"{self.path}:{self.line}: {self.message}"


def python_files(root: Path, exclude: Sequence[str] = ()) -> Iterator[Path]:
    """Yield .py files under root (sorted), skipping any whose posix path contains an exclude."""
    for path in sorted(root.rglob("*.py")):
        posix = path.as_posix()
        if not any(part in posix for part in exclude):
            yield path


def parse(path: Path) -> ast.Module:
    """Return the AST of path."""
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def dotted_name(node: ast.AST) -> str:
    """Return `a.b.c` for a Name/Attribute chain, '' for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted_name(node.value)
        return f"{base}.{node.attr}" if base else f"?.{node.attr}"
    if isinstance(node, ast.Call):
        return dotted_name(node.func) + "()"
    return ""


def literal_strings(nodes: Iterable[ast.AST]) -> Iterator[ast.Constant]:
    """Yield the str constants inside nodes, including the literal parts of f-strings."""
    for node in nodes:
        for inner in ast.walk(node):
            if isinstance(inner, ast.Constant) and isinstance(inner.value, str):
                yield inner


Checker = Callable[[Path, ast.Module], list[Violation]]


def run(checker: Checker, argv: Sequence[str], exclude: Sequence[str], title: str) -> int:
    """Run checker over the roots in argv (default: src); print findings; return exit code."""
    roots = [Path(arg) for arg in argv] or [Path("src")]
    found: list[Violation] = []
    for root in roots:
        for path in python_files(root, exclude):
            found.extend(checker(path, parse(path)))
    for violation in sorted(found):
        print(violation.render())
    if found:
        print(f"[FAIL] {title}: {len(found)} violation(s)", file=sys.stderr)
        return 1
    print(f"[OK] {title}")
    return 0
